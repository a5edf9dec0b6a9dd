"""SMS delivery through the fake provider: notifications on the channel used, server errors
retried with backoff until they end as failed (visible to officials), refusals failing at
once, and the cost controls (which kinds go by SMS, the per-number daily cap, the daily
budget) holding notifications back where staff see them."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sqlmodel import select

from bots.delivery import register_policy
from bots.models import ChatDelivery, ChatIdentity, DeliveryStatus
from bots.sms import costs, segments
from bots.sms.conversation import SETTINGS
from bots.sms.models import SmsDay
from forum import actions
from forum.models import Aspiration, OutboxJob, utcnow
from forum.services import Services
from tests.bots.conftest import drain
from tests.bots.sms_fake import NUMBER, FakeTwilio, SmsUser
from tests.conftest import Browser, World

TICKET = re.compile(r"ASP-\d{4}-\d{6}")


def _configure(services: Services, **changes: Any) -> None:
    config = replace(services.extensions[SETTINGS], **changes)
    services.extensions[SETTINGS] = config
    register_policy(services, "sms", costs.policy(config, services.settings.timezone))


def _submit(sms: SmsUser, services: Services, agency_id: int) -> str:
    reply = sms.send("ASPIRASI Lampu penerangan di Jalan Melati padam sejak dua minggu.")[0]
    found = TICKET.search(reply)
    assert found is not None, reply
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == found.group())).one()
        aspiration.agency_id = agency_id
    return found.group()


def _publish(services: Services, world: World, ticket: str) -> None:
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)


def _notification(services: Services) -> ChatDelivery:
    with services.db.read() as db:
        return db.exec(
            select(ChatDelivery)
            .where(ChatDelivery.kind == "notification")
            .order_by(ChatDelivery.id.desc())  # type: ignore[union-attr]
        ).first()  # type: ignore[return-value]


def _jobs_due_now(services: Services) -> None:
    with services.db.write() as db:
        for job in db.exec(select(OutboxJob).where(OutboxJob.status == "pending")):
            job.run_after = utcnow()
            db.add(job)


def test_the_publication_reaches_the_number_and_officials_see_it_delivered(
    sms: SmsUser, world: World, services: Services, fake_twilio: FakeTwilio, new_browser: Any
) -> None:
    ticket = _submit(sms, services, world.agency.id)  # type: ignore[arg-type]
    _publish(services, world, ticket)
    drain(services)
    text = fake_twilio.texts(NUMBER)[-1]
    assert ticket in text and "diterbitkan" in text
    assert "Balas 1:" in text  # the ticket's choice, numbered
    # Answering 1 opens the ticket, as the button would.
    assert ticket in sms.send("1")[0]
    delivery = _notification(services)
    assert delivery.topic == "aspiration_published" and delivery.status == DeliveryStatus.sent
    sid = fake_twilio.to(NUMBER)[-2]["_sid"]
    assert sms.status(sid, "delivered").status_code == 200
    drain(services)
    official: Browser = new_browser()
    official.login(world.official)
    page = official.get("/kelola/pengiriman?status=delivered").text
    assert ticket in page and "Sms" in page
    assert NUMBER not in page  # the number is never shown


def test_server_errors_are_retried_with_backoff_and_end_as_failed(
    sms: SmsUser, world: World, services: Services, fake_twilio: FakeTwilio, new_browser: Any
) -> None:
    ticket = _submit(sms, services, world.agency.id)  # type: ignore[arg-type]
    fake_twilio.fail(500, times=20)
    _publish(services, world, ticket)
    drain(services)
    delivery = _notification(services)
    assert delivery.status == DeliveryStatus.pending and delivery.attempts == 1
    with services.db.read() as db:
        job = db.exec(select(OutboxJob).where(OutboxJob.kind == "bots.deliver")).all()[-1]
    assert job.run_after > utcnow()  # backed off, not retried at once
    for _ in range(12):
        _jobs_due_now(services)
        drain(services)
    delivery = _notification(services)
    assert delivery.status == DeliveryStatus.failed and delivery.attempts == 10
    assert "20500" in (delivery.last_error or "")
    official: Browser = new_browser()
    official.login(world.official)
    assert ticket in official.get("/kelola/pengiriman?status=failed").text
    moderator: Browser = new_browser()
    moderator.login(world.moderator)
    assert ticket in moderator.get("/kelola/pengiriman?status=failed").text


def test_refusals_fail_at_once_and_an_unsubscribed_number_is_blocked(
    sms: SmsUser, services: Services, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.fail(21211)
    assert sms.send("BANTUAN") == []
    with services.db.read() as db:
        delivery = db.exec(select(ChatDelivery)).one()
    assert delivery.status == DeliveryStatus.failed and "21211" in (delivery.last_error or "")
    fake_twilio.fail(21610)
    assert sms.send("BANTUAN") == []
    with services.db.read() as db:
        assert db.exec(select(ChatIdentity)).one().blocked
    fake_twilio.fail(20429)  # rate limited: retried, nothing lost
    sms.send("BANTUAN")
    _jobs_due_now(services)
    drain(services)
    assert len(fake_twilio.texts(NUMBER)) == 1


def test_kinds_not_sent_by_sms_are_held_back_and_shown_to_staff(
    sms: SmsUser, world: World, services: Services, fake_twilio: FakeTwilio, new_browser: Any
) -> None:
    _configure(services, notify=frozenset({"response"}))
    ticket = _submit(sms, services, world.agency.id)  # type: ignore[arg-type]
    before = len(fake_twilio.texts(NUMBER))
    _publish(services, world, ticket)
    drain(services)
    assert len(fake_twilio.texts(NUMBER)) == before
    delivery = _notification(services)
    assert delivery.status == DeliveryStatus.held
    assert "aspiration_published" in (delivery.last_error or "")
    official: Browser = new_browser()
    official.login(world.official)
    page = official.get("/kelola/pengiriman?status=held").text
    assert ticket in page and "Ditahan" in page and "REMBUG_SMS_NOTIFY" in page


def test_the_daily_cap_of_a_number_holds_notifications_not_replies(
    sms: SmsUser, world: World, services: Services, fake_twilio: FakeTwilio
) -> None:
    _configure(services, daily_cap_per_number=2)
    ticket = _submit(sms, services, world.agency.id)  # type: ignore[arg-type]
    sms.send(f"CEK {ticket}")
    assert len(sms.send("BANTUAN")) == 1  # a reply still goes out: the person asked
    _publish(services, world, ticket)
    drain(services)
    delivery = _notification(services)
    assert delivery.status == DeliveryStatus.held and "CAP_PER_NUMBER=2" in (
        delivery.last_error or ""
    )


def test_the_daily_budget_holds_notifications_and_counts_segments(
    sms: SmsUser, world: World, services: Services, fake_twilio: FakeTwilio
) -> None:
    _configure(services, daily_budget=300, cost_per_segment=150)
    ticket = _submit(sms, services, world.agency.id)  # type: ignore[arg-type]
    with services.db.read() as db:
        day = db.exec(select(SmsDay)).one()
    assert (day.messages, day.cost) == (1, day.segments * 150) and day.segments >= 1
    _publish(services, world, ticket)
    drain(services)
    delivery = _notification(services)
    assert delivery.status == DeliveryStatus.held and "BUDGET=300" in (delivery.last_error or "")


def test_a_long_official_response_pages_with_lagi(
    sms: SmsUser, world: World, services: Services, fake_twilio: FakeTwilio
) -> None:
    ticket = _submit(sms, services, world.agency.id)  # type: ignore[arg-type]
    _publish(services, world, ticket)
    drain(services)
    answer = " ".join(f"Kalimat jawaban nomor {i} dari dinas untuk warga." for i in range(25))
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_official_response(db, world.official, body=answer, aspiration=aspiration)
    drain(services)
    first = fake_twilio.texts(NUMBER)[-1]
    assert ticket in first and first.endswith("Balas LAGI untuk lanjutannya")
    assert segments.size(first).segments <= 3
    pages = [first]
    for _ in range(6):
        pages.append(sms.send("LAGI")[0])
        if not pages[-1].endswith("Balas LAGI untuk lanjutannya"):
            break
    joined = " ".join(pages)
    assert "nomor 24 dari dinas" in joined and "Balas 1: Lihat tiket" in pages[-1]
    assert all(segments.size(p).segments <= 3 for p in pages)
    assert ticket in sms.send("1")[0]  # the notification's choice, after its last page
