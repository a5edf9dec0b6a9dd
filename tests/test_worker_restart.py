"""Restart test for `rembug worker`: killed with SIGKILL while a chat message is on its way
(the fake Bot API holds each request before accepting it), restarted, and every message still
arrives exactly once: the one cut off in flight is sent again, the jobs the dead worker had
claimed are taken again when their lease ends, none is sent twice. Runs on SQLite and on
PostgreSQL (whichever the suite uses).

What this cannot cover, and docs/operations.md says: Telegram's API has no idempotency key, so
a kill after Telegram accepted a message and before the worker recorded it (the answer's way
back plus one commit) sends that message again after the restart."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from sqlmodel import select

from bots import actions as bot_actions
from bots.messages import Outbound
from bots.models import ChatDelivery, DeliveryKind, DeliveryStatus
from tests.conftest import World
from tests.scale_kit import (
    all_jobs_done,
    fake_telegram,
    job_counts,
    layout_env,
    processes,
    start_worker,
    telegram_env,
    wait_until,
)

CHATS = 6
MESSAGES_PER_CHAT = 5
KILLS = 3
DELAY = 0.6  # the fake Bot API holds each sendMessage this long before accepting it
LEASE_SECONDS = 3


def test_a_worker_killed_mid_delivery_delivers_everything_once_after_restart(
    world: World, tmp_path: Path
) -> None:
    services = world.services
    texts: list[tuple[str, str]] = []
    with services.db.write() as db:
        for n in range(MESSAGES_PER_CHAT):
            for chat in range(CHATS):
                chat_id = str(5_200_000_000 + chat)
                text = f"Pemberitahuan {n} untuk obrolan {chat}"
                bot_actions.queue_delivery(
                    db, "telegram", Outbound(chat_id, text), kind=DeliveryKind.notification
                )
                texts.append((chat_id, text))
    with fake_telegram(delay=DELAY) as telegram, processes() as started:
        env = layout_env(
            services,
            tmp_path,
            REMBUG_OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
            **telegram_env(telegram),
        )
        for kill in range(KILLS):
            worker = start_worker(f"worker-{kill}", env, tmp_path)
            started.append(worker)
            # Wait for a request to arrive, then kill while the fake still holds it.
            seen = telegram.arrivals
            wait_until(lambda seen=seen: telegram.arrivals > seen + 1, 60, "a send in flight")
            arrived = telegram.arrivals
            wait_until(lambda arrived=arrived: telegram.arrivals > arrived, 30, "the next send")
            time.sleep(DELAY / 3)
            worker.kill()
        wait_until(lambda: len(telegram.abandoned) >= KILLS, 10, "the fake to see the kills")
        cut_off = len(telegram.abandoned)
        started.append(start_worker("worker-last", env, tmp_path))
        wait_until(lambda: all_jobs_done(services), 120, f"all jobs done: {job_counts(services)}")

    # Each kill landed while a message was held by the fake, before it was accepted.
    assert cut_off == KILLS
    sent = Counter((p["chat_id"], p["text"]) for p in telegram.sent())
    assert sent == Counter(texts), "a message was lost or sent twice"
    for abandoned in telegram.abandoned:  # sent again after the restart, once
        assert sent[(abandoned["chat_id"], abandoned["text"])] == 1
    with services.db.read() as db:
        statuses = Counter(d.status for d in db.exec(select(ChatDelivery)))
    assert statuses == {DeliveryStatus.sent: CHATS * MESSAGES_PER_CHAT}
