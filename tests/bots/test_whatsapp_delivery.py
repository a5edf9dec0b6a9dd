"""WhatsApp delivery: the full path back to the same chat with receipts officials see, the
24-hour window and its template fallback, Meta's rate limits and errors, and a timed-out send
that is not blindly repeated."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bots.delivery import channels, pacing_for, register_channel
from bots.models import ChatDelivery, ChatIdentity, DeliveryStatus
from bots.whatsapp.channel import WhatsAppChannel
from bots.whatsapp.client import GraphClient
from forum import actions
from forum.models import Aspiration, OutboxJob, utcnow
from forum.services import Services
from tests.bots.conftest import drain
from tests.bots.whatsapp_fake import (
    PHONE_NUMBER_ID,
    VERSION,
    WA_ID,
    WA_TOKEN,
    FakeGraph,
    WaUser,
    load,
    text_of,
)
from tests.conftest import Browser, World


def _submit_aspiration(wa: WaUser, services: Services, agency_id: int) -> str:
    wa.press("a")
    wa.send("Jalan rusak di Pasar Baru")
    wa.send("Jalan di depan Pasar Baru berlubang besar sejak tiga bulan.")
    wa.press(wa.choices()[0][1])
    wa.send("Kota Bandung")
    ticket = wa.press("av:public")[0].split("nomor tiket ")[1].split(".")[0]
    with services.db.write() as db:  # chat aspirations have no agency yet
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        aspiration.agency_id = agency_id
    return ticket


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


def _job(services: Services, delivery_id: int) -> OutboxJob:
    with services.db.read() as db:
        return db.exec(
            select(OutboxJob)
            .where(OutboxJob.payload.contains(f'"delivery_id": {delivery_id}'))  # type: ignore[attr-defined]
            .order_by(OutboxJob.id.desc())  # type: ignore[union-attr]
        ).first()  # type: ignore[return-value]


def _due_now(services: Services, job_id: int) -> None:
    with services.db.write() as db:
        db.get(OutboxJob, job_id).run_after = utcnow()  # type: ignore[union-attr]


def _receipt(wa: WaUser, name: str, **fields: str) -> None:
    envelope = load(name)
    envelope["entry"][0]["changes"][0]["value"]["statuses"][0].update(fields)
    assert wa.post(envelope).status_code == 200
    drain(wa.services)


def test_full_path_message_moderation_response_delivered_and_read(
    wa: WaUser, world: World, services: Services, fake_graph: FakeGraph, new_browser
) -> None:  # type: ignore[no-untyped-def]
    ticket = _submit_aspiration(wa, services, world.agency.id)  # type: ignore[arg-type]
    _publish(services, world, ticket)
    drain(services)
    assert f"Aspirasi Anda {ticket}" in text_of(fake_graph.to(WA_ID)[-1])
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_official_response(
            db, world.official, body="Perbaikan dijadwalkan minggu depan.", aspiration=aspiration
        )
    drain(services)
    last = fake_graph.to(WA_ID)[-1]
    assert "Perbaikan dijadwalkan minggu depan." in text_of(last)
    assert last["type"] == "interactive"  # inside the window: free-form, with its button
    _receipt(wa, "status__delivered", id=last["_wamid"])
    official: Browser = new_browser()
    official.login(world.official)
    page = official.get("/kelola/pengiriman").text
    assert ticket in page and "Diterima" in page and "Whatsapp" in page
    assert ticket in official.get("/kelola/pengiriman?status=delivered").text


def test_outside_the_24_hour_window_notifications_use_the_template(
    wa: WaUser, world: World, services: Services, fake_graph: FakeGraph
) -> None:
    ticket = _submit_aspiration(wa, services, world.agency.id)  # type: ignore[arg-type]
    with services.db.write() as db:
        identity = db.exec(select(ChatIdentity)).one()
        identity.last_inbound_at = utcnow() - timedelta(hours=25)
    _publish(services, world, ticket)
    drain(services)
    body = fake_graph.to(WA_ID)[-1]
    assert body["type"] == "template"
    template = body["template"]
    assert template["name"] == "rembug_notifikasi" and template["language"] == {"code": "id"}
    parameter = template["components"][0]["parameters"][0]["text"]
    assert ticket in parameter and "\n" not in parameter
    delivery = _notification(services)
    assert delivery.status == DeliveryStatus.sent and delivery.via_template


def test_meta_saying_131047_falls_back_to_the_template(
    wa: WaUser, world: World, services: Services, fake_graph: FakeGraph
) -> None:
    ticket = _submit_aspiration(wa, services, world.agency.id)  # type: ignore[arg-type]
    fake_graph.fail(131047)  # our clock said inside the window; Meta's did not
    _publish(services, world, ticket)
    drain(services)
    assert fake_graph.refused[-1]["type"] == "interactive"
    assert fake_graph.to(WA_ID)[-1]["type"] == "template"
    assert _notification(services).via_template


def test_a_later_131047_receipt_sends_the_template_again(
    wa: WaUser, world: World, services: Services, fake_graph: FakeGraph
) -> None:
    ticket = _submit_aspiration(wa, services, world.agency.id)  # type: ignore[arg-type]
    _publish(services, world, ticket)
    drain(services)
    free_form = fake_graph.to(WA_ID)[-1]
    _receipt(wa, "status__failed_window", id=free_form["_wamid"])
    assert fake_graph.to(WA_ID)[-1]["type"] == "template"
    delivery = _notification(services)
    assert delivery.status == DeliveryStatus.sent and delivery.via_template
    assert delivery.platform_message_id == fake_graph.to(WA_ID)[-1]["_wamid"]


def test_rate_limits_wait_and_nothing_is_lost(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    for code, at_least in ((130429, 0.9), (131056, 5.0)):
        fake_graph.fail(code)
        before = len(fake_graph.to(WA_ID))
        wa.send("/menu")
        with services.db.read() as db:
            delivery = db.exec(select(ChatDelivery).order_by(ChatDelivery.id.desc())).first()  # type: ignore[union-attr]
        assert delivery is not None and delivery.status == DeliveryStatus.pending
        job = _job(services, delivery.id)  # type: ignore[arg-type]
        assert job.status == "pending" and job.attempts == 0  # not counted as a failure
        assert job.run_after >= utcnow() + timedelta(seconds=at_least - 0.5)
        _due_now(services, job.id)  # type: ignore[arg-type]
        drain(services)
        assert len(fake_graph.to(WA_ID)) == before + 1


def test_server_and_network_errors_back_off_and_permanent_errors_fail(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    for code in (500, 503):
        fake_graph.fail(code)
        wa.send("/menu")
        delivery = _last(services)
        job = _job(services, delivery.id)  # type: ignore[arg-type]
        assert job.status == "pending" and job.attempts == 1 and delivery.status == "pending"
    fake_graph.fail(131026)
    wa.send("/menu")
    delivery = _last(services)
    assert delivery.status == DeliveryStatus.failed and "131026" in (delivery.last_error or "")
    assert _job(services, delivery.id).status == "failed"  # type: ignore[arg-type]
    # Nothing listens on the API address: the request never left, so it is retried later.
    closed = WhatsAppChannel(
        GraphClient(WA_TOKEN, PHONE_NUMBER_ID, "http://127.0.0.1:9", VERSION),
        "rembug_notifikasi",
        {"id": "id"},
    )
    register_channel(services, closed, pacing_for(services, "whatsapp", "x")[0][1])
    wa.send("/menu")
    delivery = _last(services)
    job = _job(services, delivery.id)  # type: ignore[arg-type]
    assert (
        job.status == "pending" and job.attempts == 1 and "ConnectError" in (job.last_error or "")
    )


def _last(services: Services) -> ChatDelivery:
    with services.db.read() as db:
        return db.exec(select(ChatDelivery).order_by(ChatDelivery.id.desc())).first()  # type: ignore[union-attr,return-value]


def test_a_timed_out_send_waits_for_its_receipt_instead_of_repeating(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    channel = channels(services)["whatsapp"]
    assert isinstance(channel, WhatsAppChannel)
    channel.client.timeout = 0.3
    fake_graph.stall_seconds = 1.0  # Meta takes the message but answers too late
    wa.send("/menu")
    assert len(fake_graph.to(WA_ID)) == 1  # it did arrive
    delivery = _last(services)
    job = _job(services, delivery.id)  # type: ignore[arg-type]
    assert delivery.status == DeliveryStatus.pending and "receipt" in (job.last_error or "")
    assert job.run_after >= utcnow() + timedelta(seconds=60)
    # The receipt names our attempt marker: the delivery is sent, and the retry sends nothing.
    sent = fake_graph.to(WA_ID)[0]
    _receipt(
        wa,
        "status__sent",
        id=sent["_wamid"],
        biz_opaque_callback_data=sent["biz_opaque_callback_data"],
    )
    assert _last(services).status == DeliveryStatus.sent
    _due_now(services, job.id)  # type: ignore[arg-type]
    drain(services)
    assert len(fake_graph.to(WA_ID)) == 1


def test_each_recipient_is_paced_at_whatsapp_s_own_interval(services: Services) -> None:
    overall, per_chat = (pace for _, pace in pacing_for(services, "whatsapp", WA_ID))
    assert overall.per_second == 10000  # REMBUG_WHATSAPP_RATE_OVERALL in these tests
    assert per_chat.interval == timedelta(seconds=6) and per_chat.burst == 1000
    telegram = pacing_for(services, "telegram", "1")[1][1]
    assert telegram.interval == timedelta(seconds=1)  # Telegram keeps its own
