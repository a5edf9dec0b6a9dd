"""What every part of the shared dialogue uses: the turn (identity, answers, channel
capabilities), the command table, labels, the main menu and small helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from bots.channels import DEFAULT_CAPABILITIES, Capabilities
from bots.messages import Button, Outbound, split_text
from bots.models import ChatIdentity
from forum.errors import N_, ActionError, Invalid
from forum.i18n import gettext
from forum.models import (
    Visibility,
)

PAGE = 8  # choices per menu page at most (channels with fewer choices get fewer: page_size)
COMMENTS_SHOWN = 5
TICKET_RE = re.compile(r"^ASP-\d{4}-\d{6}$", re.I)

# Commands, Indonesian first, English aliases.
COMMANDS: dict[str, str] = {
    "start": "start",
    "menu": "menu",
    "bantuan": "help",
    "help": "help",
    "konsultasi": "consultations",
    "consultations": "consultations",
    "aspirasi": "aspiration",
    "aspiration": "aspiration",
    "status": "status",
    "tiket": "status",
    "saya": "mine",
    "mine": "mine",
    "cari": "search",
    "search": "search",
    "tautkan": "link",
    "link": "link",
    "berhenti": "stop",
    "stop": "stop",
    "lanjut": "resume",
    "resume": "resume",
    "batal": "cancel",
    "cancel": "cancel",
    "bahasa": "language",
    "language": "language",
}

STATUS_LABELS = {
    "pending": N_("Awaiting review"),
    "published": N_("Published"),
    "rejected": N_("Not published"),
    "routed": N_("Routed to the agency"),
    "in_progress": N_("In progress"),
    "responded": N_("Responded"),
    "closed": N_("Closed"),
    "withdrawn": N_("Withdrawn"),
}
VISIBILITY_LABELS = {
    Visibility.public: N_("Public"),
    Visibility.anonymous: N_("Public, my name hidden"),
    Visibility.confidential: N_("Confidential (agency only)"),
}

# forum.extensions.SEARCH_ITEMS: (db, viewer, query, limit) -> list of (kind, id, title), kind
# "consultation" or "aspiration".
SearchHook = Callable[[Session, Any, str, int], list[tuple[str, int, str]]]


@dataclass(frozen=True)
class FileLimits:
    """What a channel that takes photos and documents (Telegram, WhatsApp) accepts per
    aspiration: REMBUG_ATTACHMENT_MAX_FILES and REMBUG_ATTACHMENT_MAX_MB."""

    max_files: int
    max_bytes: int
    max_mb: int


@dataclass
class Turn:
    """What one inbound message produces: the identity (whose state changes) and the answers."""

    db: Session
    identity: ChatIdentity
    search: SearchHook | None = None
    timezone: str = "Asia/Jakarta"
    capabilities: Capabilities = DEFAULT_CAPABILITIES
    # What a channel sets for one-message submissions (``/aspirasi <text>``, SMS
    # ``ASPIRASI <text>``): ``category`` (a slug) and ``region`` (a code); empty: the defaults.
    defaults: dict[str, str] = field(default_factory=dict)
    files: FileLimits | None = None  # None: the channel takes no files (SMS)
    out: list[Outbound] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.identity.locale

    def t(self, msgid: str, **params: Any) -> str:
        return gettext(self.locale, msgid, **params)

    def button(self, msgid: str, data: str, **params: Any) -> Button:
        return Button(self.t(msgid, **params), data)

    def page_size(self, reserved: int) -> int:
        """Items per menu page when ``reserved`` other buttons (more, back, menu…) share the
        message: the channel's limit on choices (WhatsApp lists: 10) decides."""
        limit = self.capabilities.max_choices
        return PAGE if limit is None else max(1, min(PAGE, limit - reserved))

    def say(self, text: str, buttons: Sequence[Sequence[Button]] = ()) -> None:
        """Queue ``text`` (already translated), split at the channel's text limit; the buttons
        go with the last part, which also fits the limit for text with buttons."""
        caps = self.capabilities
        extra: dict[str, Any] = {}
        if not caps.buttons:
            # The choices' data go along, so the channel can take the number as the answer.
            extra["choices"] = [b.data for row in buttons for b in row]
            text, buttons = self.numbered(text, buttons), ()
        parts = split_text(text, caps.max_text) or ["…"]
        if any(row for row in buttons) and len(parts[-1]) > caps.max_menu_text:
            parts[-1:] = split_text(parts[-1], caps.max_menu_text)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            rows = tuple(tuple(row) for row in buttons if row) if last else ()
            self.out.append(
                Outbound(self.identity.chat_id, part, rows, extra=extra if last else {})
            )

    def numbered(self, text: str, buttons: Sequence[Sequence[Button]]) -> str:
        """``text`` with the buttons as numbered choices, for channels without buttons."""
        flat = [b for row in buttons for b in row]
        if not flat:
            return text
        lines = [text, ""]
        lines += [
            self.t(N_("Reply %(n)s: %(label)s"), n=i, label=b.label) for i, b in enumerate(flat, 1)
        ]
        return "\n".join(lines)

    def error(self, exc: ActionError) -> None:
        lines = [self.t(exc.message, **exc.params)]
        if isinstance(exc, Invalid) and exc.field_errors:
            lines = [self.t(m.text, **m.params) for m in exc.field_errors.values()]
        self.say("\n".join(lines), [[self.button(N_("Menu"), "m")]])

    def nav(self, *extra: Button) -> list[list[Button]]:
        rows = [[b] for b in extra]
        rows.append([self.button(N_("Menu"), "m")])
        return rows

    def step_nav(self) -> list[Button]:
        return [self.button(N_("Back"), "ab"), self.button(N_("Cancel"), "ax")]


def _menu_buttons(turn: Turn) -> list[list[Button]]:
    notify = (
        turn.button(N_("Stop notifications"), "stop")
        if turn.identity.notify
        else turn.button(N_("Resume notifications"), "on")
    )
    return [
        [turn.button(N_("Open consultations"), "cl")],
        [turn.button(N_("Send an aspiration"), "a")],
        [turn.button(N_("Check a ticket"), "tk"), turn.button(N_("My items"), "my")],
        [turn.button(N_("Search"), "q"), turn.button(N_("Bahasa / Language"), "lang")],
        [notify],
    ]


def _menu(turn: Turn, msgid: str) -> None:
    turn.say(turn.t(msgid), _menu_buttons(turn))


def _int(value: str) -> int:
    return int(value) if value.isdigit() and len(value) <= 10 else 0


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _account_or_none(turn: Turn) -> Any:
    if turn.identity.account_id is None:
        return None
    from forum.models import Account

    return turn.db.get(Account, turn.identity.account_id)
