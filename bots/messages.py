"""The neutral messages every chat channel speaks: an inbound message from a person, and the
outbound texts (with optional buttons) the conversation answers with."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT = 4096  # Telegram's and WhatsApp's limit for one text message
MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback data


@dataclass(frozen=True)
class Media:
    """A photo or document sent in a chat, not downloaded yet: ``ref`` is the platform's
    handle (Telegram's file_id, WhatsApp's media id), ``size`` the size in bytes when the
    platform says it in the update (it is checked before anything is downloaded), ``name``
    the sender's file name, or one we give a photo (text only; the type is read from the
    content once downloaded)."""

    ref: str
    kind: str  # "photo" or "document"
    name: str
    size: int | None = None


@dataclass(frozen=True)
class Inbound:
    """One thing a person did in a chat, whatever the platform."""

    channel: str
    user_id: str  # the platform's stable id of the person
    chat_id: str  # where to answer
    text: str = ""
    payload: str = ""  # the data of a pressed button, if any
    language_code: str = ""
    message_id: str = ""
    display_name: str = ""
    # "message" for text and buttons; "blocked" / "unblocked" when the person blocks the bot.
    event: str = "message"
    media: tuple[Media, ...] = ()  # photos and documents sent (``text``: their caption)


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # ≤ 64 bytes (checked when the message is built)

    def __post_init__(self) -> None:
        if len(self.data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"button data over {MAX_CALLBACK_BYTES} bytes: {self.data!r}")


@dataclass(frozen=True)
class Outbound:
    """A text to one chat; ``buttons`` are rows of buttons (a menu)."""

    chat_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. subject ids for the log
    locale: str = "id"  # the recipient's language, for words a channel adds (a list's button)
    # Our marker of this send attempt, echoed by platforms that report receipts (WhatsApp's
    # biz_opaque_callback_data), so a timed-out send can be recognised before resending.
    ref: str = ""

    def buttons_json(self) -> str:
        return json.dumps([[[b.label, b.data] for b in row] for row in self.buttons])


LOGIN_CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")  # a sign-in code text's only 6-digit number


def code_in(text: str) -> str:
    """The sign-in code in a login-code delivery's text (bots/login_codes.py)."""
    found = LOGIN_CODE_RE.search(text)
    return found.group(1) if found else ""


def buttons_from_json(value: str) -> tuple[tuple[Button, ...], ...]:
    rows = json.loads(value or "[]")
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text into messages of at most ``limit`` characters, at paragraph boundaries
    when possible, then at line ends, then at spaces, and only as a last resort mid-word."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
