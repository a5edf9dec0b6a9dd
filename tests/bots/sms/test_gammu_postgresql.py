"""Gammu's store on PostgreSQL (its ``native_pgsql`` backend, the scale-out layout): Gammu's
own schema (``pgsql.sql``: quoted mixed-case columns, real booleans and timestamps) in a schema
of its own, made for this test and dropped after it, in the PostgreSQL pass's server. Rows are
written as gammu-smsd writes them; the daemon itself runs against SQLite in test_gammu.py."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from bots.sms.gammu import GammuGateway, GammuStore, Poller, poll_once
from bots.sms.gateway import DELIVERED, SmsEvent
from forum.services import Services
from forum.settings import Settings
from forum.spool import spool
from tests.bots.conftest import bot_settings

SCHEMA = Path("/usr/share/doc/gammu-smsd/examples/pgsql.sql")
TEST_URL = os.environ.get("REMBUG_TEST_DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not TEST_URL.startswith("postgresql"),
    reason="Gammu on PostgreSQL runs in the PostgreSQL pass (REMBUG_TEST_DATABASE_URL)",
)


@pytest.fixture
def gammu_url() -> Iterator[str]:
    name = f"gammu_test_{secrets.token_hex(4)}"
    script = "\n".join(
        line
        for line in SCHEMA.read_text().splitlines()
        # PostgreSQL has had plpgsql built in since 9.0: this line of Gammu's script fails.
        if not line.strip().upper().startswith("CREATE LANGUAGE")
    )
    admin = create_engine(TEST_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
        conn.execute(text(f'SET LOCAL search_path TO "{name}"'))
        conn.exec_driver_sql(script)
    separator = "&" if "?" in TEST_URL else "?"
    try:
        yield f"{TEST_URL}{separator}options={quote(f'-csearch_path={name}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, gammu_url: str) -> Settings:
    return bot_settings(
        database_url, tmp_path, "http://127.0.0.1:9", REMBUG_GAMMU_DATABASE_URL=gammu_url
    )


def test_received_sms_and_reports_on_a_postgresql_gammu_database(
    services: Services, gammu_url: str
) -> None:
    store = GammuStore(gammu_url)
    assert store.problems() == []
    insert = text(
        'INSERT INTO inbox ("Text", "SenderNumber", "Coding", "UDH", "TextDecoded", '
        '"RecipientID", "ReceivingDateTime") VALUES (:hex, :number, :coding, :udh, :decoded, '
        "'modem1', LOCALTIMESTAMP(0))"
    )

    def hex_of(value: str) -> str:
        return value.encode("utf-16-be").hex().upper()

    first, second = "Jalan berlubang di depan SD Negeri 4, ", "mohon ditambal."
    with store.engine.begin() as conn:
        conn.execute(
            insert,
            [
                # Gammu 1.42: the joined text in the first part's TextDecoded, the rest empty.
                dict(
                    hex=hex_of(first),
                    number="+6281234500050",
                    coding="Default_No_Compression",
                    udh="050003110201",
                    decoded=first + second,
                ),
                dict(
                    hex=hex_of(second),
                    number="+6281234500050",
                    coding="Default_No_Compression",
                    udh="050003110202",
                    decoded="",
                ),
                dict(
                    hex=hex_of("BANTUAN"),
                    number="0812-3450-0051",
                    coding="Default_No_Compression",
                    udh="",
                    decoded="BANTUAN",
                ),
            ],
        )

    poller = Poller(store)
    assert asyncio.run(poll_once(services, poller)) == 2
    events = [SmsEvent.loads(row.raw) for row in spool(services).pending(100)]
    assert {(e.number, e.text) for e in events} == {
        ("+6281234500050", first + second),
        ("+6281234500051", "BANTUAN"),
    }
    with store.engine.connect() as conn:
        assert conn.execute(text('SELECT bool_and("Processed") FROM inbox')).scalar() is True

    gateway = GammuGateway(services.settings, store=store)
    reply = "Aspirasi Anda tercatat sebagai ASP-2026-000777; kami kabari bila ada tanggapan. " * 3
    result = asyncio.run(gateway.submit("+6281234500050", reply, "rembug:d50:a1"))
    assert result.message_id is not None
    with store.engine.begin() as conn:
        head = conn.execute(
            text('SELECT "MultiPart", "UDH", "TextDecoded", "CreatorID" FROM outbox')
        ).one()
        rest = conn.execute(
            text('SELECT "UDH", "TextDecoded" FROM outbox_multipart ORDER BY "SequencePosition"')
        ).all()
        assert head.MultiPart is True and head.CreatorID == "rembug:d50:a1"
        assert head.TextDecoded + "".join(r.TextDecoded for r in rest) == reply
        # What gammu-smsd does once the modem sent each part and the reports came back.
        for position, udh in enumerate([head.UDH, *(r.UDH for r in rest)], start=1):
            conn.execute(
                text(
                    'INSERT INTO sentitems ("ID", "SequencePosition", "Status", "Text", "UDH", '
                    '"DestinationNumber", "SenderID", "CreatorID", "DeliveryDateTime") VALUES '
                    "(:id, :position, 'DeliveryOK', '', :udh, '+6281234500050', 'modem1', "
                    "'rembug:d50:a1', LOCALTIMESTAMP(0))"
                ),
                dict(id=int(result.message_id), position=position, udh=udh),
            )
    asyncio.run(poll_once(services, poller))
    reports = [
        SmsEvent.loads(row.raw)
        for row in spool(services).pending(100)
        if SmsEvent.loads(row.raw).kind == "status"
    ]
    assert [(r.message_id, r.status, r.ref) for r in reports] == [
        (result.message_id, DELIVERED, "rembug:d50:a1")
    ]
    asyncio.run(gateway.aclose())
