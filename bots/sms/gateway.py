"""The seam between the SMS conversation and the two ways an SMS travels (issue 13): Gammu SMSD
with a GSM modem (``bots.sms.gammu``) and a Twilio-compatible HTTP provider
(``bots.sms.twilio``).

Inbound, whatever the gateway: each received text and each delivery report is stored in the
chat spool (``forum.spool``) as ``SmsEvent(...).to_incoming()`` before the gateway is told it
was taken (Gammu's inbox row marked processed, the provider's webhook answered 200); the spool's
unique ``(channel, platform_id)`` makes a replay harmless. The one ``sms`` processor
(``bots.sms.inbound``) turns stored messages into the conversation and stored reports into
delivery states.

Outbound: the ``sms`` chat channel sizes the text (``bots.sms.segments``) and hands it to the
configured ``Gateway`` (setting ``REMBUG_SMS_GATEWAY``: ``console``, ``gammu`` or ``twilio``),
which answers with the shared ``SendResult``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

from bots.channels import SendResult
from forum.spool import Incoming

CHANNEL = "sms"

# What a report says of a sent SMS, in the delivery states of ``bots.models.DeliveryStatus``.
SENT = "sent"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True)
class SmsEvent:
    """One thing a gateway took in: a received text (``kind="message"``) or a delivery report
    (``kind="status"``, ``status`` one of sent / delivered / failed, ``message_id`` the id
    the gateway gave the sent SMS, ``ref`` our attempt marker when the gateway echoes it)."""

    gateway: str  # "gammu", "twilio", "console"
    kind: str  # "message" or "status"
    message_id: str  # Gammu's inbox/sent ID, the provider's MessageSid
    number: str  # the citizen's number in E.164 (sender of a message, recipient of a report)
    text: str = ""  # the whole text; the parts of a concatenated SMS already joined
    recipient: str = ""  # our number or short code, as the gateway gives it
    status: str = ""
    error: str = ""
    ref: str = ""
    received_at: str = ""  # ISO 8601, UTC

    @property
    def platform_id(self) -> str:
        suffix = f":{self.status}" if self.kind == "status" else ""
        return f"{self.gateway}:{self.kind}:{self.message_id}{suffix}"

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def loads(cls, raw: str) -> SmsEvent:
        data = json.loads(raw)
        return cls(**{k: str(data.get(k) or "") for k in cls.__dataclass_fields__})

    def to_incoming(self) -> Incoming:
        """For ``forum.intake``: one citizen's texts are processed in order (chat key: number)."""
        return Incoming(
            channel=CHANNEL,
            platform_id=self.platform_id[:100],
            chat_key=self.number,
            raw=self.dumps(),
        )


@runtime_checkable
class Gateway(Protocol):
    """Hands one SMS (already sized to the segment limit; the gateway concatenates the
    parts) to the network. ``reference`` is our attempt marker (``rembug:d<id>:a<n>``) for
    gateways that can carry it back in their reports.

    A gateway may also say ``receipts = True`` (a class attribute, read with ``getattr``) when
    it reports each SMS's fate later as ``SmsEvent(kind="status")``: the channel then has
    ``Capabilities.receipts``, so a send that timed out waits for its report instead of being
    repeated. Gateways are built in ``bots.sms.gateways.GATEWAYS``."""

    name: str

    async def submit(self, to: str, text: str, reference: str) -> SendResult: ...

    async def aclose(self) -> None: ...
