"""Attack suite, chat outputs: the XSS payloads of test_xss.py reach Telegram and WhatsApp as
plain text. Telegram renders markup only when a message asks for it (``parse_mode`` or
``entities``), so no message of ours may ask for it; the payload must arrive verbatim (not
mangled, not half-escaped), in message texts and on buttons alike."""

from __future__ import annotations

from sqlmodel import select

from forum import actions
from forum.models import Category, Region, Visibility
from forum.services import Services
from tests.bots.conftest import Chat, FakeTelegram
from tests.conftest import World
from tests.security.test_xss import PAYLOADS

TITLE = PAYLOADS[2][:60]  # "<img src=x onerror=alert(1)>"


def test_payloads_reach_telegram_as_plain_text(
    chat: Chat, world: World, services: Services, fake_telegram: FakeTelegram
) -> None:
    with services.db.write() as db:
        category = db.exec(select(Category)).first()
        region = db.exec(select(Region)).first()
        aspiration = actions.submit_aspiration(
            db,
            world.other_citizen,
            title=f"Jalan rusak {TITLE}",
            body="Jalan rusak berlubang. " + " ".join(PAYLOADS[:6]),
            category_id=category.id,  # type: ignore[union-attr]
            region_id=region.id,  # type: ignore[union-attr]
            agency_id=world.agency.id,
            visibility=Visibility.public,
        )
        actions.publish_aspiration(db, world.moderator, aspiration)
    status = chat.send(f"/status {aspiration.ticket}")
    assert f"Jalan rusak {TITLE}" in status[0]  # verbatim, not escaped into &lt;img…
    chat.send("/cari jalan rusak")
    assert any(TITLE in label for label, _ in chat.last_buttons())
    # The person's own text comes back verbatim too (a comment on a consultation).
    consultation = world.consultation()
    chat.press(f"cm:{consultation.id}:0")
    chat.send(f"Komentar saya {PAYLOADS[0]} {PAYLOADS[5]}")
    sent = fake_telegram.sent(chat.user_id)
    assert sent, "the bot answered nothing"
    for params in sent:
        assert "parse_mode" not in params and "entities" not in params, params
