"""The SMS ``ChatChannel``: no buttons (the conversation numbers its choices), texts kept in
GSM-7 where possible and never longer than the segment limit, handed to the configured
``Gateway``."""

from __future__ import annotations

from bots.channels import Capabilities, Outcome, SendResult
from bots.messages import Outbound
from bots.sms import segments
from bots.sms.gateway import CHANNEL, Gateway
from forum.errors import N_
from forum.i18n import gettext

MORE = "..."


def capabilities(max_segments: int, cost_per_segment: int, receipts: bool) -> Capabilities:
    # One page of a reply is at most max_segments GSM-7 parts (153 characters each).
    longest = segments.PART["gsm7"] * max_segments
    return Capabilities(
        max_text=longest,
        max_menu_text=longest,
        max_choices=9,  # one digit to answer with
        receipts=receipts,
        buttons=False,
        max_segments=max_segments,
        cost_per_message=cost_per_segment,
    )


def fit(text: str, max_segments: int) -> str:
    """``text`` in GSM-7 where it can be, cut (ending "...") to ``max_segments`` segments:
    the conversation pages long content before this, so this only guards."""
    text = segments.to_gsm7(text).strip()
    if segments.size(text).segments <= max_segments:
        return text
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if segments.size(text[:mid].rstrip() + MORE).segments <= max_segments:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + MORE


class SmsChannel:
    name = CHANNEL

    def __init__(self, gateway: Gateway, max_segments: int = 3, cost_per_segment: int = 0) -> None:
        self.gateway = gateway
        self.max_segments = max_segments
        self.capabilities = capabilities(
            max_segments, cost_per_segment, bool(getattr(gateway, "receipts", False))
        )

    async def send(self, message: Outbound) -> SendResult:
        """Buttons a notification carries become numbered lines, as the conversation renders
        its menus (the number answers them: ``bots.sms.conversation.remember_choices``)."""
        text = message.text
        choices = [b.label for row in message.buttons for b in row]
        if choices:
            lines = [
                gettext(message.locale, N_("Reply %(n)s: %(label)s"), n=i, label=label)
                for i, label in enumerate(choices, 1)
            ]
            text += "\n\n" + "\n".join(lines)
        text = fit(text, self.max_segments)
        if not text:
            return SendResult(Outcome.permanent, error="empty SMS")
        return await self.gateway.submit(message.chat_id, text, message.ref)

    async def aclose(self) -> None:
        await self.gateway.aclose()
