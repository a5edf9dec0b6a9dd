"""The conversation over SMS: keywords (Indonesian first, English aliases) and numbered answers
become the shared dialogue's commands and buttons (``bots.conversation``); its answers are
joined into one SMS, kept in GSM-7, and paged within the segment limit ("Balas LAGI").
Consent (BERHENTI/STOP, MULAI/START) and flood throttling are decided here, before the shared
dialogue runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bots import actions, conversation
from bots.channels import Capabilities
from bots.conversation.turn import TICKET_RE
from bots.delivery import channels
from bots.messages import Inbound, Outbound
from bots.models import ChatDelivery, ChatIdentity, DeliveryKind
from bots.sms import segments
from bots.sms.channel import capabilities as sms_capabilities
from bots.sms.channel import paged, rendered
from bots.sms.config import SmsSettings
from bots.sms.gateway import CHANNEL, SmsEvent
from bots.sms.models import SmsNumber
from forum.errors import N_
from forum.extensions import SEARCH_ITEMS
from forum.i18n import gettext
from forum.models import RateEvent, utcnow
from forum.services import Services

SETTINGS = "bots.sms.settings"  # services.extensions key: SmsSettings
MAX_INBOUND = 1600  # ten concatenated parts; more is cut

# Keyword → what it does. The shared dialogue's commands are reached as "/<command>".
KEYWORDS: dict[str, str] = {
    "aspirasi": "aspiration",
    "aspiration": "aspiration",
    "cek": "check",
    "check": "check",
    "status": "check",
    "konsultasi": "consultations",
    "consultation": "consultations",
    "consultations": "consultations",
    "bantuan": "help",
    "help": "help",
    "info": "help",
    "tautkan": "link",
    "link": "link",
    "berhenti": "stop",
    "stop": "stop",
    "unsubscribe": "stop",
    "mulai": "start",
    "start": "start",
    "lagi": "more",
    "more": "more",
    "menu": "menu",
    "batal": "cancel",
    "cancel": "cancel",
    "bahasa": "language",
    "language": "language",
    "saya": "mine",
    "mine": "mine",
}
# The shared dialogue's command for each keyword that maps onto one.
COMMANDS = {
    "aspiration": "aspirasi",
    "check": "status",
    "consultations": "konsultasi",
    "link": "tautkan",
    "menu": "menu",
    "cancel": "batal",
    "language": "bahasa",
    "mine": "saya",
}

HELP = N_(
    "Rembug SMS. Send:\n"
    "ASPIRASI <your aspiration>\n"
    "CEK <ticket>, e.g. CEK ASP-2026-000123\n"
    "KONSULTASI: open consultations\n"
    "MENU, TAUTKAN <code>, BAHASA\n"
    "BERHENTI: no more SMS"
)
# SMS carries no files (MMS is not taken in): say where photos and documents can go.
NO_FILES = N_("Photos and documents cannot be sent by SMS: attach them on %(site)s.")


def _help(services: Services, t: Callable[..., str]) -> str:
    site = services.settings.base_url.split("://", 1)[-1].rstrip("/")
    return t(HELP) + "\n" + t(NO_FILES, site=site)


def config_of(services: Services) -> SmsSettings:
    found = services.extensions.get(SETTINGS)
    return found if isinstance(found, SmsSettings) else SmsSettings()


def capabilities_for(services: Services) -> Capabilities:
    channel = channels(services).get(CHANNEL)
    found = getattr(channel, "capabilities", None)
    if isinstance(found, Capabilities):
        return found
    config = config_of(services)
    return sms_capabilities(config.max_segments, config.cost_per_segment, False)


def take_number(db: Session, identity: ChatIdentity) -> SmsNumber:
    assert identity.id is not None
    number = db.exec(select(SmsNumber).where(SmsNumber.identity_id == identity.id)).first()
    if number is None:
        number = SmsNumber(identity_id=identity.id)
        db.add(number)
        db.flush()
    return number


def _list(raw: str) -> list[str]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def readable(text: str) -> str:
    """The text of an SMS, or "" for what is no text: a binary (8-bit data) or flash message
    arrives as control characters or nothing."""
    text = text.replace("\x00", "").strip()[:MAX_INBOUND]
    if not text:
        return ""
    control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t")
    return "" if control * 4 > len(text) else text


def flooded(db: Session, number: str, config: SmsSettings) -> int:
    """Count this message from ``number``; answers 0 while within the limit, 1 for the first
    message past it (it gets one warning), 2 after that (not answered)."""
    now = utcnow()
    key = f"sms:in:{number}"
    since = now - timedelta(seconds=config.flood_window)
    count = int(
        db.exec(
            select(func.count())
            .select_from(RateEvent)
            .where(RateEvent.key == key, col(RateEvent.at) >= since)
        ).one()
    )
    db.add(RateEvent(key=key, at=now))
    if count < config.flood_limit:
        return 0
    return 1 if count == config.flood_limit else 2


def converse_sms(services: Services, db: Session, event: SmsEvent) -> None:
    """One received SMS, in the drain's transaction: its answer (one SMS, the first page) is
    queued as a delivery."""
    config = config_of(services)
    text = readable(event.text)
    inbound = Inbound(
        channel=CHANNEL,
        user_id=event.number,
        chat_id=event.number,
        text=text,
        message_id=event.message_id,
    )
    identity = actions.take_identity(db, inbound)
    number = take_number(db, identity)
    word, _, rest = text.partition(" ") if " " in text else text.partition("\n")
    keyword = KEYWORDS.get(word.strip().lower().rstrip(".:!,"), "")
    rest = rest.strip()

    def t(msgid: str, **params: Any) -> str:
        return gettext(identity.locale, msgid, **params)

    if number.consent_withdrawn_at is not None and keyword != "start":
        return  # no SMS to this number until MULAI; the message was taken in
    throttle = flooded(db, event.number, config)
    if throttle:
        if throttle == 1:
            minutes = max(1, config.flood_window // 60)
            _queue(
                db,
                identity,
                number,
                [t(N_("Too many messages. Please wait %(minutes)s minutes."), minutes=minutes)],
                [],
                config,
            )
        return
    if keyword == "stop":
        number.consent_withdrawn_at = utcnow()
        actions.set_notify(identity, False)
        actions.set_state(identity, "idle")
        number.more, number.choices = "[]", "[]"
        db.add_all([number, identity])
        _queue(
            db,
            identity,
            number,
            [t(N_("You will get no more SMS from Rembug. Send MULAI to receive them again."))],
            [],
            config,
        )
        return
    if keyword == "start":
        number.consent_withdrawn_at = None
        actions.set_notify(identity, True)
        db.add_all([number, identity])
        _queue(
            db,
            identity,
            number,
            [t(N_("SMS from Rembug are on again.")), _help(services, t)],
            [],
            config,
        )
        return
    if keyword == "more":
        pages = _list(number.more)
        if not pages:
            _queue(
                db,
                identity,
                number,
                [t(N_("Nothing more to send.")), _help(services, t)],
                [],
                config,
            )
            return
        number.more = json.dumps(pages[1:], ensure_ascii=False)
        number.updated_at = utcnow()
        db.add(number)
        actions.queue_delivery(
            db, CHANNEL, Outbound(identity.chat_id, pages[0]), identity_id=identity.id
        )
        return
    choices = _list(number.choices)
    payload = ""
    if text.isdigit() and choices and 1 <= int(text) <= len(choices):
        payload = choices[int(text) - 1]
    elif keyword in COMMANDS and (keyword != "check" or not rest or TICKET_RE.match(rest)):
        text = f"/{COMMANDS[keyword]} {rest}".strip()
    elif keyword == "help" or not text or (identity.state == "idle" and not keyword):
        # Unknown words, empty and binary messages: the short help, never an error.
        if identity.state != "idle":
            actions.set_state(identity, "idle")
        _queue(db, identity, number, [_help(services, t)], [], config)
        return
    replies = conversation.handle(
        db,
        Inbound(
            channel=CHANNEL,
            user_id=event.number,
            chat_id=event.number,
            text="" if payload else text,
            payload=payload,
            message_id=event.message_id,
        ),
        search=services.extensions.get(SEARCH_ITEMS),
        timezone=services.settings.timezone,
        capabilities=capabilities_for(services),
        identity=identity,
        defaults={"category": config.category, "region": config.region},
    )
    new_choices: list[str] = []
    for reply in replies:
        if reply.extra.get("choices"):
            new_choices = list(reply.extra["choices"])
    _queue(db, identity, number, [r.text for r in replies], new_choices, config)


def _queue(
    db: Session,
    identity: ChatIdentity,
    number: SmsNumber,
    texts: list[str],
    choices: list[str],
    config: SmsSettings,
) -> None:
    """The turn's answers as one SMS: joined, in GSM-7 where possible, the first page queued
    and the rest kept for LAGI; the numbered choices remembered for the next answer."""
    text = segments.to_gsm7("\n\n".join(t.strip() for t in texts if t.strip())) or "..."
    pages = paged(text, config.max_segments, identity.locale)
    number.more = json.dumps(pages[1:], ensure_ascii=False)
    number.choices = json.dumps(choices)
    number.updated_at = utcnow()
    db.add(number)
    actions.queue_delivery(
        db, CHANNEL, Outbound(identity.chat_id, pages[0]), identity_id=identity.id
    )


def remember_notification(db: Session, delivery: ChatDelivery, max_segments: int) -> None:
    """A notification went out: its numbered choices are what the number answers next, and
    the pages the SMS could not hold are what LAGI sends (as the channel cut them)."""
    if delivery.kind == DeliveryKind.reply or delivery.identity_id is None:
        return  # a reply's choices and pages were kept when it was queued
    identity = db.get(ChatIdentity, delivery.identity_id)
    number = db.exec(select(SmsNumber).where(SmsNumber.identity_id == delivery.identity_id)).first()
    if identity is None or number is None:
        return
    rows: Any = json.loads(delivery.buttons or "[]")
    data = [button[1] for row in rows for button in row]
    labels = [button[0] for row in rows for button in row]
    pages = paged(rendered(delivery.text, labels, identity.locale), max_segments, identity.locale)
    if data:
        number.choices = json.dumps(data)
    if len(pages) > 1:
        number.more = json.dumps(pages[1:], ensure_ascii=False)
    number.updated_at = utcnow()
    db.add(number)
