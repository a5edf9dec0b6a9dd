"""Meta's webhook envelopes → what we store (one item per message and per receipt, each with
its own unique id) → neutral inbound messages and delivery receipts. Tolerant by design:
missing or new fields are skipped, never an error."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bots.messages import Inbound, Media

CHANNEL = "whatsapp"
MAX_PLATFORM_ID = 100  # chat_inbound.platform_id


@dataclass(frozen=True)
class Item:
    """One message or one (message, status) receipt of an envelope, ready to be stored once."""

    platform_id: str
    chat_key: str
    raw: dict[str, Any]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _unique_id(value: str) -> str:
    """Meta's ids are short; a longer one is hashed so the unique column still holds it."""
    if len(value) <= MAX_PLATFORM_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def _contact_for(message: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    sender = _text(message.get("from"))
    sender_user = _text(message.get("from_user_id"))
    for contact in contacts:
        if (sender and contact.get("wa_id") == sender) or (
            sender_user and contact.get("user_id") == sender_user
        ):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def person(message: dict[str, Any], contact: dict[str, Any]) -> tuple[str, str]:
    """(who, where to answer): the business-scoped user id when Meta gives one (it stays when
    the person hides their number behind a username), else the WhatsApp id (phone number);
    answers go to the phone number when known."""
    phone = _text(contact.get("wa_id")) or _text(message.get("from"))
    user = _text(contact.get("user_id")) or _text(message.get("from_user_id")) or phone
    return user[:64], (phone or user)[:64]


def items(envelope: Any) -> list[Item]:
    """Every message and receipt in ``entry[].changes[].value``; other fields and kinds are
    left out (answered 200 and ignored)."""
    found: list[Item] = []
    if not isinstance(envelope, dict):
        return found
    for entry in _dicts(envelope.get("entry")):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field", "messages") != "messages" or not isinstance(value, dict):
                continue
            contacts = _dicts(value.get("contacts"))
            for message in _dicts(value.get("messages")):
                contact = _contact_for(message, contacts)
                user, _ = person(message, contact)
                wamid = _text(message.get("id"))
                if not wamid or not user:
                    continue
                raw = {"kind": "message", "message": message, "contact": contact}
                found.append(Item(_unique_id(wamid), user, raw))
            for status in _dicts(value.get("statuses")):
                wamid, state = _text(status.get("id")), _text(status.get("status"))
                if not wamid or not state:
                    continue
                raw = {"kind": "status", "status": status}
                found.append(Item(_unique_id(f"status:{wamid}:{state}"), "", raw))
    return found


def to_inbound(raw: dict[str, Any]) -> Inbound | None:
    """The neutral message of a stored item, or None for kinds the conversation ignores
    (reactions, audio, video, stickers, locations, system notices, anything new)."""
    if raw.get("kind") != "message":
        return None
    message = raw.get("message") or {}
    contact = raw.get("contact") or {}
    if not isinstance(message, dict) or not isinstance(contact, dict):
        return None
    user, chat = person(message, contact)
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": user,
        "chat_id": chat,
        "message_id": _text(message.get("id")),
        "display_name": _text((profile or {}).get("name"))[:120],
    }
    kind = message.get("type")
    if kind == "text":
        body = (
            (message.get("text") or {}).get("body") if isinstance(message.get("text"), dict) else ""
        )
        return Inbound(text=_text(body), **common)
    if kind == "interactive":
        interactive = message.get("interactive")
        if not isinstance(interactive, dict):
            return None
        reply = interactive.get(_text(interactive.get("type")))  # button_reply / list_reply
        if interactive.get("type") in ("button_reply", "list_reply") and isinstance(reply, dict):
            return Inbound(payload=_text(reply.get("id")), **common)
        return None
    if kind in ("image", "document"):
        # Meta gives a media id (its URL and size come from GET /<id>) and the caption.
        media = message.get(kind) if isinstance(message.get(kind), dict) else {}
        ref = _text((media or {}).get("id"))
        if not ref:
            return None
        name = _text((media or {}).get("filename")) or (
            f"foto-{ref[-8:]}.jpg" if kind == "image" else f"berkas-{ref[-8:]}"
        )
        found = Media(ref, "photo" if kind == "image" else "document", name)
        return Inbound(text=_text((media or {}).get("caption")), media=(found,), **common)
    if kind == "button":  # a quick-reply button of a template
        button = message.get("button") if isinstance(message.get("button"), dict) else {}
        payload = _text((button or {}).get("payload"))
        if payload:
            return Inbound(payload=payload, **common)
        return Inbound(text=_text((button or {}).get("text")), **common)
    return None


@dataclass(frozen=True)
class Receipt:
    wamid: str
    status: str
    ref: str
    error: str
    window_closed: bool  # Meta refused the message because the 24-hour window had closed


def to_receipt(raw: dict[str, Any]) -> Receipt | None:
    if raw.get("kind") != "status" or not isinstance(raw.get("status"), dict):
        return None
    status = raw["status"]
    errors = _dicts(status.get("errors"))
    texts = []
    for error in errors:
        details = (
            (error.get("error_data") or {}).get("details")
            if isinstance(error.get("error_data"), dict)
            else ""
        )
        texts.append(
            f"{error.get('code')}: {error.get('title') or error.get('message') or ''}"
            + (f" ({details})" if details else "")
        )
    return Receipt(
        wamid=_text(status.get("id")),
        status=_text(status.get("status")),
        ref=_text(status.get("biz_opaque_callback_data")),
        error="; ".join(texts),
        window_closed=any(error.get("code") == 131047 for error in errors),
    )


def dumps(raw: dict[str, Any]) -> str:
    return json.dumps(raw, ensure_ascii=False)
