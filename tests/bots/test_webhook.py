"""The Telegram webhook: the secret, exactly-once intake, unknown kinds, and answering fast
from the database (the update is processed by the worker after the response)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import func, select

from bots.models import ChatIdentity, ChatInbound
from forum.intake import pending_count
from forum.models import OutboxJob
from forum.services import Services
from tests.bots.conftest import SECRET, Chat, FakeTelegram, drain, load_fixture


def _count(services: Services, model: type) -> int:
    with services.db.read() as db:
        return int(db.exec(select(func.count()).select_from(model)).one())


def test_wrong_or_missing_secret_is_refused_and_nothing_is_stored(
    chat: Chat, services: Services
) -> None:
    update = load_fixture("message__start")
    assert chat.post(update, secret=None).status_code == 403
    assert chat.post(update, secret="wrong-secret").status_code == 403
    assert chat.post(update, secret=SECRET + "x").status_code == 403
    assert chat.post(update, secret="").status_code == 403
    assert pending_count(services) == 0
    assert _count(services, ChatInbound) == 0
    assert _count(services, OutboxJob) == 0


def test_start_answers_after_the_response_from_the_database(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    response = chat.post(chat._personalise(load_fixture("message__start")))
    assert response.status_code == 200
    # Answered before any reply went out: the update waits on disk (the spool).
    assert fake_telegram.sent(chat.user_id) == []
    assert pending_count(services) == 1
    drain(services)
    assert pending_count(services) == 0
    assert _count(services, ChatInbound) == 1  # recorded with its effect
    texts = fake_telegram.texts(chat.user_id)
    assert len(texts) == 1
    assert "Selamat datang di Rembug" in texts[0]
    labels = [label for label, _ in chat.last_buttons()]
    assert "Konsultasi terbuka" in labels and "Sampaikan aspirasi" in labels


def test_a_repeated_update_has_exactly_one_effect(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    update = chat._personalise(load_fixture("message__start"))
    for _ in range(3):
        assert chat.post(update).status_code == 200
    drain(services)
    assert chat.post(update).status_code == 200  # a retry after processing, too
    drain(services)
    assert len(fake_telegram.texts(chat.user_id)) == 1
    assert _count(services, ChatInbound) == 1


def test_unknown_kinds_and_edits_are_answered_200_and_ignored(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    for name in (
        "message_reaction__unknown",
        "future_kind__unknown",
        "edited_message__text",
        "message__group",
    ):
        assert chat.post_fixture(name) == []
    assert fake_telegram.sent() == []
    with services.db.read() as db:
        rows = list(db.exec(select(ChatInbound)))
        assert len(rows) == 4 and all(r.processed_at is not None for r in rows)
        assert db.exec(select(ChatIdentity)).first() is None


def test_malformed_bodies_are_refused_without_a_500(chat: Chat, services: Services) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert (
        chat.client.post("/webhooks/telegram", content=b"not json", headers=headers).status_code
        == 400
    )
    assert (
        chat.client.post("/webhooks/telegram", content=b"[1, 2]", headers=headers).status_code
        == 400
    )
    assert (
        chat.client.post(
            "/webhooks/telegram", content=b'{"update_id": "x"}', headers=headers
        ).status_code
        == 400
    )
    assert pending_count(services) == 0 and _count(services, ChatInbound) == 0


def test_english_speakers_get_english_and_can_switch(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    chat.language = "en-GB"
    texts = chat.post_fixture("message__start")
    assert "Welcome to Rembug" in texts[0]
    assert chat.send("/bahasa")[0].startswith("Bahasa sekarang: Bahasa Indonesia.")
    texts = chat.send("/menu")
    assert "Apa yang ingin Anda lakukan?" in texts[0]
    chat.send("/language en")
    assert "What would you like to do?" in chat.send("/menu")[0]


def test_set_webhook_registers_the_url_with_the_secret(
    services: Services, fake_telegram: FakeTelegram
) -> None:
    import asyncio

    from bots.telegram.commands import set_webhook

    url = asyncio.run(set_webhook(services))
    assert url == "http://127.0.0.1:8000/webhooks/telegram"
    calls = [p for m, p in fake_telegram.calls if m == "setWebhook"]
    assert calls[0]["url"] == url and calls[0]["secret_token"] == SECRET
    assert "callback_query" in calls[0]["allowed_updates"]


def test_polling_takes_updates_in_like_the_webhook(
    services: Services, fake_telegram: FakeTelegram
) -> None:
    import asyncio

    from bots.telegram.commands import poll

    update = load_fixture("message__start")
    fake_telegram.updates.append(update)

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(poll(services, stop, timeout=0))
        while not fake_telegram.sent():
            await asyncio.sleep(0.02)
        stop.set()
        await task

    asyncio.run(asyncio.wait_for(run(), 20))
    assert fake_telegram.texts()[0].startswith("Selamat datang")
    assert _count(services, ChatInbound) == 1


def test_an_address_failing_verification_gets_429_but_signed_updates_always_pass(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    update = load_fixture("message__start")
    for _ in range(20):  # REMBUG_WEBHOOK_FAILURE_LIMIT, default 20 a minute
        assert chat.post(update, secret="guessing").status_code == 403
    refused = chat.post(update, secret="guessing")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert chat.post(update, secret=None).status_code == 429
    # The same address with the right secret is never throttled, however many it sends.
    for _ in range(60):
        response = chat.post(chat._personalise(load_fixture("message__start")))
        assert response.status_code == 200
    drain(services)
    assert len(fake_telegram.texts(chat.user_id)) == 60
    assert chat.post(update, secret="guessing").status_code == 429  # still counted


def test_the_failure_limit_and_window_are_settings(
    database_url: str, tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    from bots.guard import GUARD, FailureLimiter
    from forum.app import build_services
    from tests.bots.conftest import bot_settings

    settings = bot_settings(
        database_url,
        tmp_path,
        fake_telegram.url,
        REMBUG_WEBHOOK_FAILURE_LIMIT="3",
        REMBUG_WEBHOOK_FAILURE_WINDOW="5",
    )
    services = build_services(settings)
    try:
        limiter: FailureLimiter = services.extensions[GUARD]
        assert (limiter.limit, limiter.window) == (3, 5.0)
    finally:
        services.db.engine.dispose()
    now = [100.0]
    limiter = FailureLimiter(3, 5.0, clock=lambda: now[0])
    assert [limiter.failed("203.0.113.9") for _ in range(4)] == [0, 0, 0, 5]
    assert limiter.failed("198.51.100.7") == 0  # another address has its own count
    now[0] += 2.5
    assert limiter.failed("203.0.113.9") == 3  # Retry-After: the rest of the window
    now[0] += 2.5
    assert limiter.failed("203.0.113.9") == 0  # a new window


def test_replaying_processed_updates_after_a_crash_has_no_second_effect(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    from forum.intake import process_batch
    from forum.spool import spool

    for _ in range(3):
        assert chat.post(chat._personalise(load_fixture("message__start"))).status_code == 200
    waiting = spool(services).pending(50)
    assert len(waiting) == 3
    drain(services)
    assert len(fake_telegram.texts(chat.user_id)) == 3
    # A worker that died after the main commit but before the spool heard of it reads the
    # same updates again: each is recorded with its effect, so the replay does nothing.
    ran, finished = process_batch(services, waiting)
    assert ran == [] and finished == 3
    drain(services)
    assert len(fake_telegram.texts(chat.user_id)) == 3
    assert _count(services, ChatInbound) == 3 and pending_count(services) == 0


def test_a_failing_update_does_not_spoil_the_others_in_its_batch(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    broken = {"update_id": 777000111, "message": {"message_id": 1, "chat": "not an object"}}
    assert chat.post(broken).status_code == 200  # taken in: the platform must not resend it
    assert chat.post(chat._personalise(load_fixture("message__start"))).status_code == 200
    drain(services)
    assert fake_telegram.texts(chat.user_id)[0].startswith("Selamat datang")
    assert pending_count(services) == 1  # kept for another try, not lost


def test_an_update_the_drain_job_was_not_woken_for_is_taken_by_the_scheduler(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    """The drain job finishes when the spool stays empty; an update stored just as it finished
    (its nudge saw the job still running) is not left waiting for the next citizen."""
    import json

    from bots.telegram.inbound import chat_key
    from forum.runtime import run_scheduled
    from forum.spool import Incoming, spool

    update = chat._personalise(load_fixture("message__start"))
    raw = json.dumps(update)
    assert spool(services).put(
        [Incoming("telegram", str(update["update_id"]), chat_key(update), raw)]
    ) == [True]
    with services.db.read() as db:
        assert db.exec(select(OutboxJob)).all() == []  # nobody woke a drain job
    run_scheduled(services)  # the scheduler's round
    drain(services)
    assert fake_telegram.texts(chat.user_id)[0].startswith("Selamat datang")
    assert pending_count(services) == 0


def test_check_online_says_whether_telegram_delivers_to_this_deployment(
    services: Services, fake_telegram: FakeTelegram
) -> None:
    """`rembug check --online` asks Telegram (getWebhookInfo): not registered, registered for
    another address, and a failing delivery each become a line for the operator."""
    import asyncio

    from bots.telegram.commands import set_webhook, webhook_problems

    settings = services.settings
    (problem,) = asyncio.run(webhook_problems(settings))
    assert "no webhook is registered" in problem and "rembug telegram set-webhook" in problem
    asyncio.run(set_webhook(services, "https://lama.example.go.id/webhooks/telegram"))
    (problem,) = asyncio.run(webhook_problems(settings))
    assert "registered for https://lama.example.go.id/webhooks/telegram" in problem
    asyncio.run(set_webhook(services))
    assert asyncio.run(webhook_problems(settings)) == []
    fake_telegram.webhook.update(
        last_error_date=1796000000,
        last_error_message="Wrong response from the webhook: 502 Bad Gateway",
        pending_update_count=42,
    )
    (problem,) = asyncio.run(webhook_problems(settings))
    assert "502 Bad Gateway" in problem and "42 updates waiting" in problem
