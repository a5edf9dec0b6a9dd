"""The conversation over SMS through the real webhook and the fake provider: one-message
aspirations with their ticket (into the same moderation queue), CEK, KONSULTASI with numbered
answers, LAGI paging, BANTUAN/HELP and a short help for anything else, TAUTKAN, consent
(BERHENTI/STOP, MULAI), flood throttling; every SMS within the segment limit."""

from __future__ import annotations

import re

from sqlmodel import select

from bots.models import ChatDelivery, ChatIdentity, DeliveryStatus
from bots.sms import segments
from bots.sms.models import SmsNumber
from forum import actions
from forum.models import Aspiration, AspirationStatus, Channel, Comment, Visibility
from forum.services import Services
from moderation.models import ModerationCase
from tests.bots.sms_fake import NUMBER, FakeTwilio, SmsUser
from tests.conftest import Browser, World

TICKET = re.compile(r"ASP-\d{4}-\d{6}")
LONG_SECTION = "# Judul\n\n## Bagian panjang\n\n" + "\n\n".join(
    f"Paragraf {i}: " + "kata " * 60 for i in range(8)
)


def _within_limits(fake: FakeTwilio, max_segments: int = 3) -> None:
    for form in fake.to():
        assert segments.size(form["Body"]).segments <= max_segments, form["Body"]
        assert segments.size(form["Body"]).encoding == "gsm7" or any(
            ord(ch) > 0x2000 for ch in form["Body"]
        ), form["Body"]


def _identity(services: Services) -> ChatIdentity:
    with services.db.read() as db:
        return db.exec(select(ChatIdentity).where(ChatIdentity.channel == "sms")).one()


def test_an_aspiration_in_one_sms_gets_its_ticket_and_reaches_moderation(
    sms: SmsUser, services: Services, fake_twilio: FakeTwilio
) -> None:
    text = "ASPIRASI Jalan di depan SDN 2 Sukamaju berlubang sejak Mei. Mohon segera diperbaiki."
    replies = sms.send(text)
    assert len(replies) == 1
    ticket = TICKET.search(replies[0])
    assert ticket is not None and f"CEK {ticket.group()}" in replies[0]
    with services.db.read() as db:
        aspiration = db.exec(select(Aspiration)).one()
        case = db.exec(
            select(ModerationCase).where(ModerationCase.aspiration_id == aspiration.id)
        ).one()
    assert aspiration.ticket == ticket.group()
    assert aspiration.channel == Channel.sms and aspiration.status == AspirationStatus.pending
    assert aspiration.title == "Jalan di depan SDN 2 Sukamaju berlubang sejak Mei."
    assert aspiration.body.endswith("Mohon segera diperbaiki.")
    assert aspiration.visibility == Visibility.anonymous
    assert case.status == "pending"  # in the moderators' queue
    # The English alias, and CEK for the status.
    assert TICKET.search(sms.send("aspiration The bridge lamp in Sukamaju is out.")[0])
    status = sms.send(f"CEK {ticket.group()}")[0]
    assert ticket.group() in status and "Menunggu moderasi" in status
    assert "minimal" in sms.send("ASPIRASI jalan")[0]  # too short: how to write it
    _within_limits(fake_twilio)


def test_numbers_answer_the_numbered_menus_and_long_texts_page_with_lagi(
    sms: SmsUser, world: World, fake_twilio: FakeTwilio
) -> None:
    consultation = world.consultation(LONG_SECTION)
    listing = sms.send("KONSULTASI")[0]
    assert f"Balas 1: {consultation.title}" in listing
    shown = sms.send("1")[0]
    assert consultation.title in shown and "Balas 2: 2. Bagian panjang" in shown
    first = sms.send("2")
    assert len(first) == 1 and first[0].endswith("Balas LAGI untuk lanjutannya")
    pages = [first[0]]
    for _ in range(10):
        more = sms.send("LAGI")[0]
        pages.append(more)
        if not more.endswith("Balas LAGI untuk lanjutannya"):
            break
    assert "Kembali ke konsultasi" in pages[-1]  # the choices come with the last page
    joined = " ".join(pages)
    assert all(f"Paragraf {i}:" in joined for i in range(8))
    assert "Tidak ada lanjutan" in sms.send("lagi")[0]
    _within_limits(fake_twilio)


def test_help_and_anything_unknown_get_the_short_help(
    sms: SmsUser, fake_twilio: FakeTwilio
) -> None:
    for text in ("BANTUAN", "help", "halo apa kabar", "9", "", "\x00\x01\x02\x03\x04"):
        replies = sms.send(text)
        assert len(replies) == 1, text
        assert "ASPIRASI" in replies[0] and "CEK" in replies[0] and "BERHENTI" in replies[0]
        # No files by SMS: the help says where they can go (issue 20).
        assert "Foto dan dokumen tidak bisa dikirim lewat SMS" in replies[0], replies[0]
        assert "lampirkan di " in replies[0] and "://" not in replies[0]
    _within_limits(fake_twilio, max_segments=2)


def test_the_guided_dialogue_stays_available(
    sms: SmsUser, services: Services, fake_twilio: FakeTwilio
) -> None:
    menu = sms.send("MENU")[0]
    number = next(line for line in menu.splitlines() if "Sampaikan aspirasi" in line)
    sms.send(number.split(":")[0].split()[-1])  # "Balas 2: Kirim aspirasi" → "2"
    sms.send("Lampu jalan padam")
    categories = sms.send("Lampu jalan di Jalan Merdeka padam sejak dua minggu.")[0]
    assert "Balas 1:" in categories
    sms.send("1")
    sms.send("Kota Bandung")
    done = sms.send(str(1))[0]  # Public
    ticket = TICKET.search(done)
    assert ticket is not None, done
    with services.db.read() as db:
        aspiration = db.exec(select(Aspiration)).one()
    assert aspiration.title == "Lampu jalan padam" and aspiration.channel == Channel.sms
    _within_limits(fake_twilio)


def test_berhenti_withdraws_consent_and_mulai_gives_it_back(
    sms: SmsUser, world: World, services: Services, fake_twilio: FakeTwilio
) -> None:
    ticket = TICKET.search(sms.send("ASPIRASI Saluran air di Gang Mawar tersumbat.")[0])
    assert ticket is not None
    stop = sms.send("BERHENTI")
    assert len(stop) == 1 and "MULAI" in stop[0]
    with services.db.read() as db:
        number = db.exec(select(SmsNumber)).one()
    assert number.consent_withdrawn_at is not None
    assert sms.send(f"CEK {ticket.group()}") == []  # no SMS to this number any more
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)
    from tests.bots.conftest import drain

    drain(services)
    assert fake_twilio.texts(NUMBER)[-1] == stop[0]  # the publication was not sent
    assert "aktif lagi" in sms.send("MULAI")[0]
    with services.db.read() as db:
        assert db.exec(select(SmsNumber)).one().consent_withdrawn_at is None
    assert ticket.group() in sms.send(f"CEK {ticket.group()}")[0]
    # English too.
    assert "MULAI" in sms.send("stop")[0]
    assert "aktif lagi" in sms.send("START")[0]


def test_tautkan_links_the_number_to_a_web_account(
    sms: SmsUser, browser: Browser, world: World, services: Services
) -> None:
    browser.login(world.citizen)
    page = browser.submit("/saya/chat", "/saya/chat/kode", {})
    code = re.search(r"/tautkan ([A-Z0-9]{8})", page.text)
    assert code is not None, page.text
    linked = sms.send(f"TAUTKAN {code.group(1)}")[0]
    assert world.citizen.name in linked
    assert _identity(services).account_id == world.citizen.id


def test_a_flooding_number_is_warned_once_then_not_answered(
    sms: SmsUser, services: Services, fake_twilio: FakeTwilio
) -> None:
    from dataclasses import replace

    from bots.sms.conversation import SETTINGS

    services.extensions[SETTINGS] = replace(services.extensions[SETTINGS], flood_limit=3)
    for _ in range(3):
        assert len(sms.send("BANTUAN")) == 1
    assert "Terlalu banyak pesan" in sms.send("BANTUAN")[0]
    assert sms.send("BANTUAN") == [] and sms.send("ASPIRASI Jalan rusak parah sekali.") == []
    with services.db.read() as db:
        assert db.exec(select(Aspiration)).first() is None
        replies = db.exec(select(ChatDelivery).where(ChatDelivery.channel == "sms")).all()
    assert len(replies) == 4 and all(r.status == DeliveryStatus.sent for r in replies)


def test_a_comment_by_sms(sms: SmsUser, world: World, services: Services) -> None:
    consultation = world.consultation()
    sms.send("KONSULTASI")
    shown = sms.send("1")[0]
    assert consultation.title in shown
    line = next(x for x in shown.splitlines() if "Komentari seluruh rancangan" in x)
    sms.send(line.split(":")[0].split()[-1])
    assert "menunggu peninjauan" in sms.send("Mohon tenggat pelaksanaan dibuat lebih jelas.")[0]
    with services.db.read() as db:
        comment = db.exec(select(Comment)).one()
    assert comment.channel == Channel.sms
