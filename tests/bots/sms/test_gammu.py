"""Gammu SMSD, the real daemon (Debian's gammu-smsd with the dummy phone driver and its SQLite
store): received SMS reach Rembug's spool once, with the E.164 number and the whole text;
replies queued through GammuGateway reach Gammu's sent items, and their fate comes back as
delivery states."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bots.channels import Outcome
from bots.plugin import check
from bots.sms import gammu
from bots.sms.cli import cmd_gammu
from bots.sms.gammu import GammuGateway, GammuStore, Poller, poll_once
from bots.sms.gateway import DELIVERED, FAILED, SENT, Gateway, SmsEvent
from forum.app import build_services
from forum.services import Services
from forum.settings import Settings, SettingsError
from forum.spool import spool
from tests.bots.conftest import bot_settings
from tests.bots.sms.gammu_smsd import GammuSmsd, create_database, gammu_smsd

__all__ = ["gammu_smsd"]  # the fixture, for this module's tests


@pytest.fixture
def settings(database_url: str, tmp_path: Path, gammu_smsd: GammuSmsd) -> Settings:
    return bot_settings(
        database_url,
        tmp_path,
        "http://127.0.0.1:9",
        REMBUG_GAMMU_DATABASE_URL=gammu_smsd.database_url,
        REMBUG_GAMMU_POLL_SECONDS="0.2",
    )


@pytest.fixture
def gateway(services: Services) -> Iterator[GammuGateway]:
    found = GammuGateway(services.settings)
    yield found
    asyncio.run(found.aclose())


def spooled(services: Services) -> list[SmsEvent]:
    rows = spool(services).pending(1000)
    assert all(row.channel == "sms" for row in rows)
    for row in rows:
        assert row.chat_key == SmsEvent.loads(row.raw).number  # one citizen's texts in order
    return [SmsEvent.loads(row.raw) for row in rows]


def messages_from(services: Services, number: str) -> list[SmsEvent]:
    return [e for e in spooled(services) if e.kind == "message" and e.number == number]


def reports_of(services: Services, message_id: str) -> list[SmsEvent]:
    return [e for e in spooled(services) if e.kind == "status" and e.message_id == message_id]


def poll(services: Services) -> int:
    return asyncio.run(poll_once(services))


def processed(smsd: GammuSmsd, number: str) -> list[str]:
    rows = smsd.query("SELECT Processed FROM inbox WHERE SenderNumber = ? ORDER BY ID", (number,))
    return [row[0] for row in rows]


def wait_inbox(smsd: GammuSmsd, number: str, rows: int) -> None:
    smsd.wait_for(lambda: len(processed(smsd, number)) >= rows, f"{rows} SMS from {number}")


# --- inbound --------------------------------------------------------------------------------


def test_a_received_sms_reaches_the_spool_with_the_e164_number(
    services: Services, gammu_smsd: GammuSmsd
) -> None:
    gammu_smsd.receive("081234500001", "ASPIRASI Jalan di RT 03 rusak parah")
    wait_inbox(gammu_smsd, "081234500001", 1)

    assert poll(services) == 1

    [event] = messages_from(services, "+6281234500001")
    assert event.gateway == "gammu"
    assert event.text == "ASPIRASI Jalan di RT 03 rusak parah"
    assert event.recipient == "rembug-test"  # the daemon's PhoneID
    assert event.received_at.endswith("+00:00")
    assert processed(gammu_smsd, "081234500001") == ["true"]
    assert poll(services) == 0  # nothing new


def test_a_concatenated_sms_arrives_as_one_text(services: Services, gammu_smsd: GammuSmsd) -> None:
    first = "Aspirasi: lampu jalan di Jalan Melati mati sejak dua minggu. " * 3
    second = "Mohon segera diperbaiki, terima kasih. Salam, Ibu Siti (RT 05 / RW 02)."
    first = first[:153]
    gammu_smsd.receive_concatenated("+6281234500002", [first, second])
    wait_inbox(gammu_smsd, "+6281234500002", 2)

    assert poll(services) == 1

    [event] = messages_from(services, "+6281234500002")
    assert event.text == first + second
    assert processed(gammu_smsd, "+6281234500002") == ["true", "true"]


def test_a_unicode_sms_keeps_its_characters(services: Services, gammu_smsd: GammuSmsd) -> None:
    gammu_smsd.receive("+6281234500003", "Terima kasih 🙏 — ‘bagus’", coding="Unicode")
    wait_inbox(gammu_smsd, "+6281234500003", 1)
    poll(services)
    [event] = messages_from(services, "+6281234500003")
    assert event.text == "Terima kasih 🙏 — ‘bagus’"


def test_a_replay_after_a_crash_before_marking_processed_does_nothing(
    services: Services, gammu_smsd: GammuSmsd
) -> None:
    gammu_smsd.receive("+6281234500004", "CEK ASP-2026-000123")
    wait_inbox(gammu_smsd, "+6281234500004", 1)
    assert poll(services) == 1
    # The crash: stored in Rembug's spool, but Gammu's row never marked processed.
    gammu_smsd.execute("UPDATE inbox SET Processed = 'false' WHERE SenderNumber = '+6281234500004'")

    # A new worker process (nothing remembered) reads the row again.
    fresh = Poller(GammuStore(gammu_smsd.database_url))
    assert asyncio.run(poll_once(services, fresh)) == 0
    fresh.store.close()

    assert len(messages_from(services, "+6281234500004")) == 1
    assert processed(gammu_smsd, "+6281234500004") == ["true"]


def test_flash_binary_and_empty_sms_are_still_taken_in(
    services: Services, gammu_smsd: GammuSmsd
) -> None:
    gammu_smsd.receive("+6281234500010", "BANTUAN", sms_class=0)  # a flash SMS
    gammu_smsd.receive("+6281234500011", "", binary=b"\x06\x05\x04\x0b\x84\x23\xf0")
    gammu_smsd.receive("+6281234500012", "")
    for number in ("+6281234500010", "+6281234500011", "+6281234500012"):
        wait_inbox(gammu_smsd, number, 1)

    assert poll(services) == 3

    # Stored like any SMS, so the conversation answers each (with help when there is no text).
    assert [e.text for e in messages_from(services, "+6281234500010")] == ["BANTUAN"]
    assert [e.text for e in messages_from(services, "+6281234500011")] == [""]
    assert [e.text for e in messages_from(services, "+6281234500012")] == [""]


def test_a_concatenated_sms_missing_a_part_waits_then_goes_as_it_is(
    services: Services, tmp_path: Path
) -> None:
    # Gammu gave up waiting (MultipartTimeout) and stored the one part that came.
    path = tmp_path / "smsd.db"
    create_database(path)
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO inbox (Text, SenderNumber, UDH, TextDecoded, RecipientID) VALUES "
        "(?, '+6281234500013', '050003330201', 'Bagian pertama', 'modem1')",
        ("Bagian pertama".encode("utf-16-be").hex(),),
    )
    conn.commit()
    conn.close()
    waiting = Poller(GammuStore(f"sqlite:///{path}"), multipart_grace=3600)
    assert asyncio.run(poll_once(services, waiting)) == 0  # its other part may still come
    assert messages_from(services, "+6281234500013") == []

    impatient = Poller(GammuStore(f"sqlite:///{path}"), multipart_grace=0)
    assert asyncio.run(poll_once(services, impatient)) == 1
    assert [e.text for e in messages_from(services, "+6281234500013")] == ["Bagian pertama"]
    waiting.store.close()
    impatient.store.close()


def test_one_citizens_sms_go_to_the_spool_in_the_order_received(
    services: Services, tmp_path: Path
) -> None:
    path = tmp_path / "smsd.db"
    create_database(path)
    conn = sqlite3.connect(path)
    rows = [  # as Gammu stores them: a concatenated SMS (two rows), then a single one
        ("ASPIRASI Trotoar rusak ", "050003440201"),
        ("di Jl. Kenanga", "050003440202"),
        ("CEK ASP-2026-000123", ""),
    ]
    conn.executemany(
        "INSERT INTO inbox (Text, SenderNumber, UDH, TextDecoded, RecipientID) VALUES "
        "(?, '+6281234500014', ?, '', 'modem1')",
        [(text.encode("utf-16-be").hex(), udh) for text, udh in rows],
    )
    conn.commit()
    conn.close()
    fresh = Poller(GammuStore(f"sqlite:///{path}"))
    assert asyncio.run(poll_once(services, fresh)) == 2
    fresh.store.close()
    assert [e.text for e in messages_from(services, "+6281234500014")] == [
        "ASPIRASI Trotoar rusak di Jl. Kenanga",
        "CEK ASP-2026-000123",
    ]


def test_a_sender_that_is_not_a_phone_number_is_skipped(
    services: Services, gammu_smsd: GammuSmsd
) -> None:
    gammu_smsd.receive("TELKOMSEL", "Promo paket data murah!")
    wait_inbox(gammu_smsd, "TELKOMSEL", 1)
    poll(services)
    assert all(e.text != "Promo paket data murah!" for e in spooled(services))
    assert processed(gammu_smsd, "TELKOMSEL") == ["true"]  # not looked at again


def test_the_worker_runs_until_stopped(
    services: Services, gammu_smsd: GammuSmsd, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="bots.sms.gammu")

    async def scenario() -> list[SmsEvent]:
        stop = asyncio.Event()
        worker = asyncio.create_task(gammu.run(services, stop))
        gammu_smsd.receive("+6281234500020", "KONSULTASI")
        for _ in range(300):
            found = messages_from(services, "+6281234500020")
            if found:
                break
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(worker, 10)
        return found

    assert [e.text for e in asyncio.run(scenario())] == ["KONSULTASI"]
    assert "Gammu: 1 messages, 0 delivery reports taken in" in caplog.text


def test_rembug_sms_gammu_runs_as_a_command_until_terminated(
    services: Services, gammu_smsd: GammuSmsd, settings: Settings, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "REMBUG_DATA_DIR": str(tmp_path),
        "REMBUG_DATABASE_URL": settings.database_url,
        "REMBUG_SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
        "REMBUG_GAMMU_DATABASE_URL": gammu_smsd.database_url,
        "REMBUG_GAMMU_POLL_SECONDS": "0.2",
        "REMBUG_LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "-m", "forum.cli", "sms", "gammu"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        gammu_smsd.receive("+6281234500021", "MULAI")
        deadline = time.monotonic() + 60
        while not messages_from(services, "+6281234500021") and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0]
    assert [e.text for e in messages_from(services, "+6281234500021")] == ["MULAI"]
    assert process.returncode == 0, output
    assert "reading Gammu SMSD" in output
    assert "Gammu: 1 messages, 0 delivery reports taken in" in output


def test_rembug_sms_gammu_without_a_gammu_database_says_so(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = bot_settings(database_url, tmp_path, "http://127.0.0.1:9")
    services = build_services(settings)
    assert cmd_gammu(argparse.Namespace(services=lambda: services)) == 2
    assert "REMBUG_GAMMU_DATABASE_URL" in capsys.readouterr().out


# --- outbound and delivery reports ----------------------------------------------------------


def wait_sent(smsd: GammuSmsd, message_id: str, parts: int = 1) -> list[tuple[Any, ...]]:
    smsd.wait_for(lambda: len(smsd.sent(message_id)) >= parts, f"message {message_id} sent")
    return smsd.sent(message_id)


def test_a_reply_reaches_gammus_sent_items_and_its_delivery_report_comes_back(
    services: Services, gammu_smsd: GammuSmsd, gateway: GammuGateway
) -> None:
    assert isinstance(gateway, Gateway)  # what the SMS channel hands its texts to
    text = "Aspirasi Anda diterima: ASP-2026-000123. Balas CEK ASP-2026-000123 untuk status."
    result = asyncio.run(gateway.submit("081234500030", text, "rembug:d30:a1"))
    assert result.outcome == Outcome.sent and result.message_id

    [(_, status, sent_text, udh, number, coding, creator)] = wait_sent(
        gammu_smsd, result.message_id
    )
    assert (status, sent_text, udh, number) == ("SendingOK", text, "", "+6281234500030")
    assert coding == "Default_No_Compression" and creator == "rembug:d30:a1"

    poll(services)
    [sent] = reports_of(services, result.message_id)
    assert (sent.status, sent.number, sent.ref) == (SENT, "+6281234500030", "rembug:d30:a1")

    gammu_smsd.report(result.message_id, "Delivered")
    gammu_smsd.wait_for(
        lambda: gammu_smsd.sent(result.message_id)[0][1] == "DeliveryOK", "the delivery report"
    )
    poll(services)
    assert [e.status for e in reports_of(services, result.message_id)] == [SENT, DELIVERED]
    assert poll(services) == 0  # the same report read again is no new event


def test_a_long_reply_is_sent_as_a_concatenated_sms(
    services: Services, gammu_smsd: GammuSmsd, gateway: GammuGateway
) -> None:
    text = ("Konsultasi Ranperda Pasar Rakyat dibuka sampai 31 Desember. " * 6).strip()
    assert len(text) > 306  # three parts of 153
    result = asyncio.run(gateway.submit("+6281234500031", text, "rembug:d31:a1"))
    assert result.message_id is not None

    parts = wait_sent(gammu_smsd, result.message_id, 3)
    assert "".join(part[2] for part in parts) == text
    udhs = [part[3] for part in parts]
    assert [u[-4:] for u in udhs] == ["0301", "0302", "0303"]  # 3 parts, in order
    assert len({u[:8] for u in udhs}) == 1  # one concatenation reference

    gammu_smsd.report(result.message_id, "Delivered")
    gammu_smsd.wait_for(
        lambda: {p[1] for p in gammu_smsd.sent(result.message_id)} == {"DeliveryOK"}, "reports"
    )
    poll(services)
    assert DELIVERED in [e.status for e in reports_of(services, result.message_id)]


def test_a_reply_that_needs_ucs2_is_sent_in_unicode(
    services: Services, gammu_smsd: GammuSmsd, gateway: GammuGateway
) -> None:
    text = "Terima kasih 🙏 " * 6  # beyond 70 UCS-2 units: two parts of at most 67
    result = asyncio.run(gateway.submit("+6281234500032", text, "rembug:d32:a1"))
    assert result.message_id is not None
    parts = wait_sent(gammu_smsd, result.message_id, 2)
    assert {part[5] for part in parts} == {"Unicode_No_Compression"}
    assert "".join(part[2] for part in parts) == text


def test_a_failed_delivery_report_becomes_failed(
    services: Services, gammu_smsd: GammuSmsd, gateway: GammuGateway
) -> None:
    reply = gateway.submit("+6281234500033", "Tanggapan resmi Dinas.", "rembug:d33:a1")
    result = asyncio.run(reply)
    assert result.message_id is not None
    wait_sent(gammu_smsd, result.message_id)
    gammu_smsd.report(result.message_id, "Failed")
    gammu_smsd.wait_for(
        lambda: gammu_smsd.sent(result.message_id)[0][1] == "DeliveryFailed", "the report"
    )
    poll(services)
    [*_, last] = reports_of(services, result.message_id)
    assert last.status == FAILED
    assert "DeliveryFailed" in last.error


def test_a_sending_error_becomes_failed(services: Services, gammu_smsd: GammuSmsd) -> None:
    # What gammu-smsd writes when the modem refuses a message after its retries.
    gammu_smsd.execute(
        "INSERT INTO sentitems (ID, SequencePosition, Status, StatusError, Text, UDH, "
        "DestinationNumber, SenderID, CreatorID, TextDecoded) VALUES "
        "(90001, 1, 'SendingError', 38, '', '', '+6281234500034', 'rembug-test', "
        "'rembug:d34:a1', 'x')"
    )
    poll(services)
    [event] = reports_of(services, "90001")
    assert (event.status, event.ref) == (FAILED, "rembug:d34:a1")
    assert "SendingError" in event.error


def test_a_number_that_is_not_valid_is_refused_before_gammu(gateway: GammuGateway) -> None:
    result = asyncio.run(gateway.submit("12", "Halo", "rembug:d35:a1"))
    assert result.outcome == Outcome.permanent


def test_an_unreachable_gammu_database_is_a_transient_failure(
    database_url: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'smsd.db'}"
    gateway = GammuGateway(_settings_with(database_url, tmp_path, url))
    result = asyncio.run(gateway.submit("+6281234500036", "Halo", "rembug:d36:a1"))
    assert result.outcome == Outcome.transient
    assert "Gammu database" in result.error


# --- rembug check and the settings ----------------------------------------------------------


def _settings_with(database_url: str, tmp_path: Path, gammu_url: str) -> Settings:
    return bot_settings(
        database_url, tmp_path, "http://127.0.0.1:9", REMBUG_GAMMU_DATABASE_URL=gammu_url
    )


def gammu_problems(settings: Settings) -> list[str]:
    return [p for p in check(settings) if "Gammu" in p]


def test_rembug_check_reports_a_gammu_database_it_cannot_use(
    database_url: str, tmp_path: Path, gammu_smsd: GammuSmsd
) -> None:
    assert not gammu_problems(_settings_with(database_url, tmp_path, gammu_smsd.database_url))

    unreachable = _settings_with(database_url, tmp_path, f"sqlite:///{tmp_path}/no/such/smsd.db")
    [problem] = gammu_problems(unreachable)
    assert "cannot be reached" in problem

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    [problem] = gammu_problems(_settings_with(database_url, tmp_path, f"sqlite:///{empty}"))
    assert "lacks Gammu's tables" in problem and "inbox" in problem

    old = tmp_path / "old.db"
    create_database(old)
    conn = sqlite3.connect(old)
    conn.execute("UPDATE gammu SET Version = 15")
    conn.commit()
    conn.close()
    [problem] = gammu_problems(_settings_with(database_url, tmp_path, f"sqlite:///{old}"))
    assert "schema version 15" in problem


def test_a_gammu_database_url_of_another_kind_is_refused(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="REMBUG_GAMMU_DATABASE_URL"):
        check(_settings_with(database_url, tmp_path, "mysql://gammu@localhost/smsd"))
