"""Notifications and delivery: the full path from a Telegram message through moderation and
an official response back to the same chat, rate limits, blocked users, pacing shared by
workers, the officials' delivery page and the consultation announcements."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bots.config import BotSettings
from bots.delivery import Pace, take_slot
from bots.models import ChatDelivery, ChatIdentity, DeliveryStatus
from forum import actions
from forum.models import Aspiration, Comment, OutboxJob, utcnow
from forum.services import Services
from tests.bots.conftest import Chat, FakeTelegram, bot_settings, drain
from tests.conftest import Browser, World


def _submit_aspiration(chat: Chat) -> str:
    chat.press("a")
    chat.send("Jalan rusak di Pasar Baru")
    chat.send("Jalan di depan Pasar Baru berlubang besar sejak tiga bulan.")
    chat.press(chat.last_buttons()[0][1])
    chat.send("Kota Bandung")
    texts = chat.press("av:public")
    return texts[0].split("nomor tiket ")[1].split(".")[0]


def _route_to(services: Services, ticket: str, agency_id: int | None) -> Aspiration:
    # Aspirations from a chat have no agency yet; in the web form the citizen may pick one.
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        aspiration.agency_id = agency_id
        db.add(aspiration)
        return aspiration


def test_full_path_message_moderation_response_back_to_the_same_chat(
    chat: Chat, world: World, services: Services, fake_telegram: FakeTelegram
) -> None:
    ticket = _submit_aspiration(chat)
    _route_to(services, ticket, world.agency.id)
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)
    drain(services)
    published = fake_telegram.texts(chat.user_id)[-1]
    assert f"Aspirasi Anda {ticket}" in published and "sudah diterbitkan" in published
    assert "Dinas Komunikasi Kota A" in published
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_official_response(
            db, world.official, body="Perbaikan dijadwalkan minggu depan.", aspiration=aspiration
        )
    drain(services)
    answer = fake_telegram.texts(chat.user_id)[-1]
    assert answer.startswith(
        f"Tanggapan resmi dari Dinas Komunikasi Kota A atas aspirasi Anda {ticket}"
    )
    assert "Perbaikan dijadwalkan minggu depan." in answer and "sudah ditanggapi" in answer
    # The ticket shows the response in the chat too.
    assert "Perbaikan dijadwalkan" in chat.press(f"t:{ticket}")[0]
    # Every notification was delivered, and the official sees it.
    with services.db.read() as db:
        notes = list(db.exec(select(ChatDelivery).where(ChatDelivery.kind == "notification")))
    assert len(notes) == 2 and all(n.status == DeliveryStatus.sent for n in notes)
    assert all(n.agency_id == world.agency.id for n in notes)


def test_rejections_carry_the_reason_and_comments_are_notified(
    chat: Chat, world: World, services: Services, fake_telegram: FakeTelegram
) -> None:
    ticket = _submit_aspiration(chat)
    consultation = world.consultation()
    chat.press(f"cm:{consultation.id}:0")
    chat.send("Komentar saya untuk seluruh rancangan.")
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.reject_aspiration(db, world.moderator, aspiration, reason="Memuat data pribadi.")
        comment = db.exec(select(Comment)).one()
        actions.publish_comment(db, world.moderator, comment)
        actions.publish_official_response(
            db, world.official, body="Terima kasih atas masukannya.", comment=comment
        )
    drain(services)
    texts = fake_telegram.texts(chat.user_id)[-3:]
    assert texts[0] == (
        f"Aspirasi Anda {ticket} “Jalan rusak di Pasar Baru” tidak diterbitkan. "
        "Alasan: Memuat data pribadi."
    )
    assert texts[1] == f"Komentar Anda #{comment.id} sudah diterbitkan."
    assert texts[2].startswith(
        f"Tanggapan resmi dari Dinas Komunikasi Kota A atas komentar Anda #{comment.id}"
    )


def test_stopped_notifications_are_not_sent(
    chat: Chat, world: World, services: Services, fake_telegram: FakeTelegram
) -> None:
    ticket = _submit_aspiration(chat)
    chat.send("/berhenti")
    before = len(fake_telegram.sent(chat.user_id))
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)
    drain(services)
    assert len(fake_telegram.sent(chat.user_id)) == before


def test_a_429_storm_is_retried_after_retry_after_and_nothing_is_lost(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.rate_limit(retry_after=7, times=3)
    chat.send("/start")
    with services.db.read() as db:
        job = db.exec(select(OutboxJob).where(OutboxJob.kind == "bots.deliver")).one()
        delivery = db.exec(select(ChatDelivery)).one()
    # The first try met 429: the job waits retry_after seconds, not counted as a failure.
    assert job.status == "pending" and job.attempts == 0
    assert job.run_after >= utcnow() + timedelta(seconds=5)
    assert (
        delivery.status == DeliveryStatus.pending and "retry" in (delivery.last_error or "").lower()
    )
    for _ in range(3):
        with services.db.write() as db:
            db.get(OutboxJob, job.id).run_after = utcnow()  # type: ignore[union-attr]
        drain(services)
    assert fake_telegram.texts(chat.user_id)[0].startswith("Selamat datang")
    with services.db.read() as db:
        assert db.get(ChatDelivery, delivery.id).status == DeliveryStatus.sent  # type: ignore[union-attr]


def test_a_blocked_user_fails_permanently_without_holding_up_others(
    chat: Chat,
    client,
    world: World,
    services: Services,
    fake_telegram: FakeTelegram,  # type: ignore[no-untyped-def]
) -> None:
    ticket = _submit_aspiration(chat)
    fake_telegram.blocked.add(str(chat.user_id))
    other = Chat(client, services, fake_telegram, user_id=5999999999)
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)
    assert other.send("/start")  # another chat is served in the same drain
    with services.db.read() as db:
        failed = db.exec(select(ChatDelivery).where(ChatDelivery.kind == "notification")).one()
        identity = db.exec(
            select(ChatIdentity).where(ChatIdentity.platform_user_id == str(chat.user_id))
        ).one()
        job = db.exec(
            select(OutboxJob).where(OutboxJob.payload.contains(f'"delivery_id": {failed.id}'))
        ).one()  # type: ignore[attr-defined]
    assert failed.status == DeliveryStatus.failed and "blocked" in (failed.last_error or "")
    assert job.status == "failed" and job.attempts == 1
    assert identity.blocked is True


def test_blocking_the_bot_is_recorded_from_my_chat_member(chat: Chat, services: Services) -> None:
    chat.send("/start")
    chat.post_fixture("my_chat_member__kicked")
    with services.db.read() as db:
        identity = db.exec(select(ChatIdentity)).one()
    assert identity.blocked is True


def test_network_errors_are_retried_with_backoff(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail(
        "sendMessage", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    )
    chat.send("/start")
    with services.db.read() as db:
        job = db.exec(select(OutboxJob).where(OutboxJob.kind == "bots.deliver")).one()
    assert job.status == "pending" and job.attempts == 1 and job.last_error


def test_pacing_is_shared_through_the_database(services: Services) -> None:
    pace = Pace(per_second=1.0, burst=3.0)
    now = utcnow()
    with services.db.write() as db:
        waits = [take_slot(db, "telegram:chat:1", pace, now) for _ in range(6)]
        other = take_slot(db, "telegram:chat:2", pace, now)
    assert waits[:4] == [0.0, 0.0, 0.0, 0.0]  # a short burst
    assert 0.9 <= waits[4] <= 1.0 and waits[5] == waits[4]  # then about one per second
    assert other == 0.0  # other chats are not held up
    with services.db.write() as db:
        assert take_slot(db, "telegram:chat:1", pace, now + timedelta(seconds=1)) == 0.0


def test_default_pacing_defers_a_burst_to_one_chat(
    database_url, tmp_path, fake_telegram: FakeTelegram, world: World
) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from forum.app import build_services, create_app

    # One message per 100 s on average, one more at once: a slow machine cannot refill the
    # chat's slot between the three answers (at the default 1/s it could).
    settings = bot_settings(
        database_url,
        tmp_path,
        fake_telegram.url,
        REMBUG_CHAT_BURST_PER_CHAT="1",
        REMBUG_CHAT_RATE_PER_CHAT="0.01",
    )
    services = build_services(settings)
    assert BotSettings.read(settings).burst_per_chat == 1.0
    consultation = world.consultation()
    with TestClient(create_app(settings, services=services)) as client:
        chat = Chat(client, services, fake_telegram)
        chat.send("/start")
        chat.press(f"c:{consultation.id}")
        chat.press("cl")
        assert len(fake_telegram.sent(chat.user_id)) == 2  # the third waits for its slot
        with services.db.read() as db:
            waiting = db.exec(select(ChatDelivery).where(ChatDelivery.status == "pending")).all()
        assert len(waiting) == 1
    services.db.engine.dispose()


def test_officials_see_the_delivery_state_of_their_agency_only(
    chat: Chat,
    world: World,
    services: Services,
    fake_telegram: FakeTelegram,
    new_browser,  # type: ignore[no-untyped-def]
) -> None:
    ticket = _submit_aspiration(chat)
    _route_to(services, ticket, world.agency.id)
    fake_telegram.blocked.add(str(chat.user_id))
    with services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)
    drain(services)
    official: Browser = new_browser()
    official.login(world.official)
    page = official.get("/kelola/pengiriman").text
    assert ticket in page and "Gagal" in page and "blocked" in page
    assert ticket in official.get("/kelola/pengiriman?status=failed").text
    assert ticket not in official.get("/kelola/pengiriman?status=sent").text
    other: Browser = new_browser()
    other.login(world.other_official)
    assert ticket not in other.get("/kelola/pengiriman").text
    citizen: Browser = new_browser()
    citizen.login(world.citizen)
    assert citizen.get("/kelola/pengiriman").status_code == 403


def test_new_consultations_are_announced_to_the_channel(
    database_url, tmp_path, fake_telegram: FakeTelegram, world: World
) -> None:  # type: ignore[no-untyped-def]
    from forum.app import build_services

    settings = bot_settings(
        database_url, tmp_path, fake_telegram.url, REMBUG_TELEGRAM_CHANNEL_ID="@rembug_pengumuman"
    )
    services = build_services(settings)
    world.services = services
    consultation = world.consultation()
    world.consultation(publish=False)  # a draft is not announced
    drain(services)
    sent = fake_telegram.sent("@rembug_pengumuman")
    assert len(sent) == 1
    assert (
        consultation.title in sent[0]["text"]
        and f"/konsultasi/{consultation.id}" in sent[0]["text"]
    )
    services.db.engine.dispose()


def test_console_mode_logs_deliveries_without_calling_telegram(
    database_url, tmp_path, fake_telegram: FakeTelegram, caplog
) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from forum.app import build_services, create_app

    fake_telegram.reset()
    settings = bot_settings(
        database_url, tmp_path, fake_telegram.url, REMBUG_CHAT_CHANNEL_MODE="console"
    )
    services = build_services(settings)
    with TestClient(create_app(settings, services=services)) as client:
        chat = Chat(client, services, fake_telegram)
        caplog.set_level("INFO", logger="bots.console")
        chat.send("/start")
    assert fake_telegram.calls == []
    assert any("Selamat datang di Rembug" in r.getMessage() for r in caplog.records)
    services.db.engine.dispose()


def test_pressed_buttons_are_answered(chat: Chat, fake_telegram: FakeTelegram) -> None:
    chat.press("m")
    answered = [p for m, p in fake_telegram.calls if m == "answerCallbackQuery"]
    assert len(answered) == 1 and answered[0]["callback_query_id"]
