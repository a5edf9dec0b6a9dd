"""The Twilio-compatible webhook: X-Twilio-Signature over the public URL and the form (forged,
unsigned or for another URL: 403, nothing stored), stored durably before the 200, a replayed
MessageSid has one effect, and status callbacks move the delivery state like receipts."""

from __future__ import annotations

from sqlmodel import func, select

from bots.models import ChatDelivery, ChatInbound, DeliveryStatus
from forum.intake import pending_count
from forum.models import OutboxJob
from forum.services import Services
from tests.bots.conftest import drain
from tests.bots.sms_fake import AUTH_TOKEN, FakeTwilio, SmsUser


def _count(services: Services, model: type) -> int:
    with services.db.read() as db:
        return int(db.exec(select(func.count()).select_from(model)).one())


def test_forged_and_unsigned_requests_are_refused_and_store_nothing(
    sms: SmsUser, services: Services
) -> None:
    form = sms.form("BANTUAN")
    path = "/webhooks/sms/twilio"
    assert sms.post(path, form, sign_with=None).status_code == 403
    assert sms.post(path, form, sign_with="another-token").status_code == 403
    # Signed for another URL (a replay of a call to someone else's webhook).
    other = "https://elsewhere.example/webhooks/sms/twilio"
    assert sms.post(path, form, signed_url=other).status_code == 403
    # A field changed after signing.
    headers_ok = sms.post(path, {**form, "Body": "ASPIRASI palsu"}, sign_with=None)
    assert headers_ok.status_code == 403
    status = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": sms.number}
    assert sms.post("/webhooks/sms/twilio/status", status, sign_with=None).status_code == 403
    assert pending_count(services) == 0
    assert _count(services, ChatInbound) == 0 and _count(services, OutboxJob) == 0


def test_a_message_is_on_disk_before_the_200_and_a_replay_does_nothing(
    sms: SmsUser, services: Services, fake_twilio: FakeTwilio
) -> None:
    form = sms.form("BANTUAN")
    for _ in range(3):
        response = sms.post("/webhooks/sms/twilio", form)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
        assert "<Response>" in response.text  # empty TwiML: the answer goes by REST
    assert pending_count(services) == 1
    assert fake_twilio.to(sms.number) == []  # nothing sent before processing
    drain(services)
    replies = fake_twilio.texts(sms.number)
    assert len(replies) == 1 and "ASPIRASI" in replies[0]
    assert sms.post("/webhooks/sms/twilio", form).status_code == 200  # after processing
    drain(services)
    assert len(fake_twilio.texts(sms.number)) == 1


def test_an_unusable_sender_is_taken_and_ignored(sms: SmsUser, services: Services) -> None:
    response = sms.post("/webhooks/sms/twilio", sms.form("HELP", sender="not-a-number"))
    assert response.status_code == 200
    assert pending_count(services) == 0


def test_status_callbacks_move_the_delivery_forward(
    sms: SmsUser, services: Services, fake_twilio: FakeTwilio
) -> None:
    sms.send("BANTUAN")
    sent = fake_twilio.to(sms.number)[-1]
    sid = sent["_sid"]
    assert sent["StatusCallback"].startswith(sms.url("/webhooks/sms/twilio/status?ref=rembug"))
    ref = sent["StatusCallback"].split("ref=")[1].replace("%3A", ":")
    assert sms.status(sid, "sent", ref).status_code == 200
    assert sms.status(sid, "delivered", ref).status_code == 200
    assert sms.status(sid, "delivered", ref).status_code == 200  # a repeat
    assert sms.status(sid, "queued", ref).status_code == 200  # no news
    drain(services)
    with services.db.read() as db:
        delivery = db.exec(select(ChatDelivery).where(ChatDelivery.channel == "sms")).one()
    assert delivery.status == DeliveryStatus.delivered
    assert delivery.platform_message_id == sid
    assert sms.status(sid, "undelivered", ref, error="30003").status_code == 200
    drain(services)
    with services.db.read() as db:
        assert db.get(ChatDelivery, delivery.id).status == DeliveryStatus.delivered  # type: ignore[union-attr]


def test_a_failed_report_marks_the_delivery_failed(
    sms: SmsUser, services: Services, fake_twilio: FakeTwilio
) -> None:
    sms.send("BANTUAN")
    sid = fake_twilio.to(sms.number)[-1]["_sid"]
    assert sms.status(sid, "undelivered", error="30003").status_code == 200
    drain(services)
    with services.db.read() as db:
        delivery = db.exec(select(ChatDelivery).where(ChatDelivery.channel == "sms")).one()
    assert delivery.status == DeliveryStatus.failed
    assert "30003" in (delivery.last_error or "")


def test_the_webhook_refuses_everything_without_an_auth_token(
    sms: SmsUser, services: Services
) -> None:
    from dataclasses import replace

    from bots.sms.conversation import SETTINGS

    services.extensions[SETTINGS] = replace(services.extensions[SETTINGS], twilio_auth_token="")
    form = sms.form("BANTUAN")
    assert sms.post("/webhooks/sms/twilio", form, sign_with="").status_code == 403
    assert sms.post("/webhooks/sms/twilio", form, sign_with=AUTH_TOKEN).status_code == 403
    assert pending_count(services) == 0


def test_a_report_for_an_attempt_that_timed_out_before_a_hold_counts(
    sms: SmsUser, services: Services, fake_twilio: FakeTwilio
) -> None:
    sms.send("BANTUAN")
    sid = fake_twilio.to(sms.number)[-1]["_sid"]
    with services.db.write() as db:  # as if the send timed out and a later try was held back
        delivery = db.exec(select(ChatDelivery).where(ChatDelivery.channel == "sms")).one()
        delivery.status, delivery.platform_message_id = DeliveryStatus.held, None
        ref = f"rembug:d{delivery.id}:a1"
    assert sms.status(sid, "delivered", ref).status_code == 200
    drain(services)
    with services.db.read() as db:
        assert db.get(ChatDelivery, delivery.id).status == DeliveryStatus.delivered  # type: ignore[union-attr]
