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
NEXT_PAGE = N_("Reply LAGI for more")


def rendered(text: str, labels: list[str], locale: str) -> str:
    """``text`` with ``labels`` as numbered choices ("Balas 1: …"), in GSM-7 where it can be."""
    if labels:
        lines = [
            gettext(locale, N_("Reply %(n)s: %(label)s"), n=i, label=label)
            for i, label in enumerate(labels, 1)
        ]
        text = text.rstrip() + "\n\n" + "\n".join(lines)
    return segments.to_gsm7(text).strip()


def paged(text: str, max_segments: int, locale: str) -> list[str]:
    """``text`` (already rendered) in pages of at most ``max_segments`` segments, each but
    the last ending "Balas LAGI untuk lanjutannya"."""
    more = segments.to_gsm7(gettext(locale, NEXT_PAGE))
    return segments.pages(text, max_segments, more) or [""]


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
        """A notification's buttons become numbered lines, as the conversation renders its
        menus (the number answers them: ``bots.sms.conversation.remember_notification``); a text
        longer than the limit goes as its first page, the rest kept for LAGI
        (``bots.sms.costs``, once sent)."""
        labels = [b.label for row in message.buttons for b in row]
        text = paged(
            rendered(message.text, labels, message.locale), self.max_segments, message.locale
        )[0]
        text = fit(text, self.max_segments)
        if not text:
            return SendResult(Outcome.permanent, error="empty SMS")
        return await self.gateway.submit(message.chat_id, text, message.ref)

    async def aclose(self) -> None:
        await self.gateway.aclose()
