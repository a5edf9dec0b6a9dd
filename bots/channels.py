"""The ``ChatChannel`` interface every platform implements (Telegram, WhatsApp), with the
console channel for development and the recording channel for tests, and the capabilities
(limits, messaging window) through which the conversation and delivery respect each platform."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from bots.messages import MAX_TEXT, Outbound

log = logging.getLogger("bots.console")


class Outcome(StrEnum):
    sent = "sent"
    rate_limited = "rate_limited"  # retry after ``retry_after`` seconds
    blocked = "blocked"  # the person blocked the bot: never retry
    permanent = "permanent"  # e.g. chat not found, message refused: never retry
    outside_window = "outside_window"  # WhatsApp's 24-hour rule: fall back to a template
    transient = "transient"  # network trouble or a server error: retry with backoff
    # No answer after the request left (a read timeout): it may have been sent. Channels with
    # delivery receipts wait for one before resending instead of blindly duplicating.
    uncertain = "uncertain"


@dataclass(frozen=True)
class Capabilities:
    """What a platform allows; the conversation sizes its menus and texts to fit, and delivery
    honours the messaging window. The defaults are Telegram's (no tighter limit than 4,096)."""

    max_text: int = MAX_TEXT
    max_menu_text: int = MAX_TEXT  # the text that carries buttons (WhatsApp: 1,024)
    max_choices: int | None = None  # buttons in one message (WhatsApp lists: 10 rows)
    # Free-form messages only this long after the person's last message (WhatsApp: 24 h);
    # outside it the channel's pre-approved template is sent instead.
    reply_window: timedelta | None = None
    # The platform reports each message's fate later (sent / delivered / read / failed).
    receipts: bool = False
    # No buttons (SMS): menus are rendered as numbered choices ("Balas 1 ...").
    buttons: bool = True
    # Longest reply in SMS segments (None: not sized in segments); longer content pages.
    max_segments: int | None = None
    # What one message costs the service, in the operator's unit (0: free).
    cost_per_message: int = 0


DEFAULT_CAPABILITIES = Capabilities()


def capabilities_of(channel: Any) -> Capabilities:
    found = getattr(channel, "capabilities", None)
    return found if isinstance(found, Capabilities) else DEFAULT_CAPABILITIES


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float = 0.0
    message_id: str | None = None
    error: str = ""


@runtime_checkable
class ChatChannel(Protocol):
    """Sends one outbound message and reports what happened, never raising for the outcomes
    above (an unexpected bug may still raise)."""

    name: str

    async def send(self, message: Outbound) -> SendResult: ...

    async def aclose(self) -> None:
        """Release connections made from the running event loop."""
        ...


@runtime_checkable
class TemplateChannel(Protocol):
    """A channel with a messaging window sends notifications outside it as a pre-approved
    template carrying the message's text."""

    async def send_template(self, message: Outbound) -> SendResult: ...


@runtime_checkable
class CodeTemplateChannel(Protocol):
    """A channel whose platform wants one-time codes in an authentication template (WhatsApp):
    the sign-in code deliveries (bots/login_codes.py) always go that way."""

    async def send_code_template(self, message: Outbound) -> SendResult: ...


class MediaUnavailable(Exception):
    """A photo or document could not be downloaded (network, timeout, the platform's error or
    an expired handle): the citizen is asked to send it again."""


class MediaTooLarge(MediaUnavailable):
    """The platform says the file is larger than we accept: not downloaded."""

    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


@runtime_checkable
class MediaChannel(Protocol):
    """A channel whose citizens can send photos and documents (Telegram, WhatsApp): the file
    of a ``bots.messages.Media`` downloaded, at most ``max_bytes`` (``MediaTooLarge`` when the
    platform says it is larger, before downloading; ``MediaUnavailable`` for anything else)."""

    async def fetch_media(self, ref: str, max_bytes: int) -> bytes: ...


class ConsoleChannel:
    """Development: deliveries are logged instead of sent (the demo's "console mode")."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._counter = 0

    async def send(self, message: Outbound) -> SendResult:
        self._counter += 1
        menu = " | ".join(b.label for row in message.buttons for b in row)
        log.info(
            "[%s → %s] %s%s",
            self.name,
            message.chat_id,
            message.text,
            f"  [{menu}]" if menu else "",
        )
        return SendResult(Outcome.sent, message_id=f"console-{self._counter}")

    async def aclose(self) -> None:
        return None


@dataclass
class RecordingChannel:
    """Tests: keeps every message and answers with scripted outcomes (sent by default)."""

    name: str = "recording"
    sent: list[Outbound] = field(default_factory=list)
    script: deque[SendResult] = field(default_factory=deque)

    def fail_next(self, result: SendResult) -> None:
        self.script.append(result)

    async def send(self, message: Outbound) -> SendResult:
        if self.script:
            return self.script.popleft()
        self.sent.append(message)
        return SendResult(Outcome.sent, message_id=str(len(self.sent)))

    async def aclose(self) -> None:
        return None
