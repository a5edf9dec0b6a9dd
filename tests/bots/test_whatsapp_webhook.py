"""The WhatsApp webhook: Meta's handshake, signatures over the raw bytes (non-ASCII too),
exactly-once intake of messages and receipts, who a person is (business-scoped id or phone),
kinds we do not handle, and receipts that move the delivery state forward."""

from __future__ import annotations

import json

from sqlmodel import func, select

from bots.models import ChatDelivery, ChatIdentity, ChatInbound, DeliveryStatus
from forum.intake import pending_count
from forum.models import OutboxJob
from forum.services import Services
from tests.bots.conftest import drain
from tests.bots.whatsapp_fake import (
    APP_SECRET,
    VERIFY_TOKEN,
    WA_ID,
    FakeGraph,
    WaUser,
    load,
    sign,
    text_of,
)


def _count(services: Services, model: type) -> int:
    with services.db.read() as db:
        return int(db.exec(select(func.count()).select_from(model)).one())


def test_handshake_echoes_the_challenge_only_with_the_verify_token(wa: WaUser) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = wa.client.get("/webhooks/whatsapp", params=params)
    assert response.status_code == 200 and response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")
    for wrong in (
        {**params, "hub.verify_token": "wrong"},
        {**params, "hub.verify_token": ""},
        {**params, "hub.mode": "unsubscribe"},
        {"hub.challenge": "1158201444"},
    ):
        assert wa.client.get("/webhooks/whatsapp", params=wrong).status_code == 403


def test_signatures_are_checked_over_the_raw_bytes(wa: WaUser, services: Services) -> None:
    envelope = wa.personalise("message__non_ascii")
    body = json.dumps(envelope, ensure_ascii=False).encode()
    assert wa.post(body, signature=None).status_code == 403  # missing
    assert wa.post(body, signature="sha256=" + "0" * 64).status_code == 403  # wrong
    assert wa.post(body, signature=sign(body, "another-secret")).status_code == 403
    assert wa.post(body, signature=sign(body).removeprefix("sha256=")).status_code == 403
    # The same JSON serialised another way (\\u escapes) is other bytes: its signature does not
    # fit the bytes Meta sent.
    escaped = json.dumps(envelope).encode()
    assert escaped != body
    assert wa.post(body, signature=sign(escaped)).status_code == 403
    assert _count(services, ChatInbound) == 0 and _count(services, OutboxJob) == 0
    assert pending_count(services) == 0
    assert wa.post(body, signature=sign(body, APP_SECRET)).status_code == 200
    assert pending_count(services) == 1
    drain(services)
    with services.db.read() as db:
        row = db.exec(select(ChatInbound)).one()
    assert "Pasar Baru — bahaya 🚧 « parah »" in json.loads(row.raw)["message"]["text"]["body"]


def test_a_repeated_delivery_has_exactly_one_effect(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    envelope = wa.personalise("message__text")
    envelope["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "/start"
    for _ in range(3):
        assert wa.post(envelope).status_code == 200
    assert fake_graph.to(WA_ID) == []  # answered before any reply went out
    drain(services)
    assert wa.post(envelope).status_code == 200  # again after processing
    drain(services)
    sent = fake_graph.to(WA_ID)
    assert len(sent) == 1 and text_of(sent[0]).startswith("Selamat datang di Rembug")
    assert _count(services, ChatInbound) == 1


def test_unknown_kinds_and_fields_are_answered_200_and_ignored(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    for name in ("message__reaction", "message__unknown_type", "account_update__unknown_field"):
        assert wa.post_fixture(name) == []
    for odd in (
        b"[1, 2]",
        b'{"object": "whatsapp_business_account"}',
        b'{"entry": [{"changes": 5}]}',
    ):
        assert wa.post(odd).status_code == 200
    assert wa.post(b"not json").status_code == 400  # signed, but not JSON
    assert fake_graph.sent == []
    with services.db.read() as db:
        rows = list(db.exec(select(ChatInbound)))
    assert len(rows) == 2 and all(r.processed_at is not None for r in rows)


def test_people_are_known_by_their_business_scoped_id_when_given(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    wa.post_fixture("message__text_user_id")
    wa.post_fixture("message__text")  # the same phone, without a user id: another key
    wa.post_fixture("message__text_username_only")
    with services.db.read() as db:
        identities = {i.platform_user_id: i.chat_id for i in db.exec(select(ChatIdentity))}
    assert identities == {
        "ID.1349120865530274191": WA_ID,  # answers still go to the phone number
        WA_ID: WA_ID,
        "ID.5550001112223334445": "ID.5550001112223334445",
    }
    # Someone who hides their number is answered through the business-scoped id.
    hidden = [b for b in fake_graph.sent if b.get("recipient") == "ID.5550001112223334445"]
    assert hidden and "to" not in hidden[0] and text_of(hidden[0]).startswith("Selamat datang")


def _status(wa: WaUser, name: str, wamid: str, **extra: str) -> None:
    envelope = load(name)
    status = envelope["entry"][0]["changes"][0]["value"]["statuses"][0]
    status["id"] = wamid
    status.update(extra)
    assert wa.post(envelope).status_code == 200
    drain(wa.services)


def test_receipts_move_the_delivery_forward_once(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    wa.send("/start")
    with services.db.read() as db:
        delivery = db.exec(select(ChatDelivery)).one()
    wamid = fake_graph.to(WA_ID)[0]["_wamid"]
    assert delivery.status == DeliveryStatus.sent and delivery.platform_message_id == wamid
    _status(wa, "status__read", wamid)
    _status(wa, "status__delivered", wamid)  # late and out of order: read stays
    _status(wa, "status__read", wamid)  # a repeat: stored once
    with services.db.read() as db:
        assert db.get(ChatDelivery, delivery.id).status == DeliveryStatus.read  # type: ignore[union-attr]
        receipts = db.exec(
            select(func.count())
            .select_from(ChatInbound)
            .where(
                ChatInbound.platform_id.startswith("status:")  # type: ignore[attr-defined]
            )
        ).one()
    assert receipts == 2
    _status(wa, "status__sent", "wamid.UNKNOWN")  # about no delivery of ours: ignored


def test_a_failed_receipt_marks_the_delivery_failed_with_meta_error(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    wa.send("/start")
    wamid = fake_graph.to(WA_ID)[0]["_wamid"]
    _status(wa, "status__failed", wamid)
    with services.db.read() as db:
        delivery = db.exec(select(ChatDelivery)).one()
    assert delivery.status == DeliveryStatus.failed
    assert "131026" in (delivery.last_error or "")


def test_bad_signatures_from_one_address_get_429_but_signed_deliveries_pass(
    wa: WaUser, services: Services, fake_graph: FakeGraph
) -> None:
    body = json.dumps(wa.personalise("message__text")).encode()
    for _ in range(19):
        assert wa.post(body, signature="sha256=" + "0" * 64).status_code == 403
    wrong_token = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    assert wa.client.get("/webhooks/whatsapp", params=wrong_token).status_code == 403
    refused = wa.post(body, signature=None)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert wa.client.get("/webhooks/whatsapp", params=wrong_token).status_code == 429
    assert wa.send("/start")[0].startswith("Selamat datang")  # signed: never throttled
