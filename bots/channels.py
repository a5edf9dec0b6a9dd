"""The ``ChatChannel`` interface every platform implements (Telegram, WhatsApp), with the
console channel for development and the recording channel for tests."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from bots.messages import Outbound

log = logging.getLogger("bots.console")


class Outcome(StrEnum):
    sent = "sent"
    rate_limited = "rate_limited"  # retry after ``retry_after`` seconds
    blocked = "blocked"  # the person blocked the bot: never retry
    permanent = "permanent"  # e.g. chat not found, message refused: never retry
    outside_window = "outside_window"  # WhatsApp's 24-hour rule: fall back to a template
    transient = "transient"  # network trouble or a server error: retry with backoff


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
