"""The one ``sms`` processor of the chat intake, whatever the gateway: a stored received SMS
goes through the SMS conversation, a stored delivery report moves its delivery's state
(like WhatsApp's receipts)."""

from __future__ import annotations

from sqlmodel import Session

from bots import actions
from bots.sms.conversation import converse_sms
from bots.sms.gateway import CHANNEL, SmsEvent
from forum.intake import Processor
from forum.services import Services


def handle_event(services: Services, db: Session, raw: str) -> None:
    """In the drain's transaction (replies queued in it)."""
    event = SmsEvent.loads(raw)
    if event.kind == "message":
        if event.number:
            converse_sms(services, db, event)
        return
    if event.kind != "status":
        return
    delivery = actions.find_delivery_for_receipt(db, CHANNEL, event.message_id, event.ref)
    if delivery is None:
        return
    actions.record_delivery_receipt(db, delivery, event.status, event.message_id, error=event.error)


PROCESSOR = Processor(handle_event)
