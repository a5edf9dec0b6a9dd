"""Background work shared by the web process and ``rembug worker``: the outbox worker and the
scheduler (consultations opening and closing at their dates)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Awaitable, Callable

from forum import actions, attachments, outbox, ratelimit
from forum.db import optimize
from forum.extensions import PERIODIC
from forum.services import Services

log = logging.getLogger(__name__)
SCHEDULER_SECONDS = 30.0


def run_scheduled(services: Services) -> int:
    """Consultations opening/closing, and the aspirations' deadlines (overdue reminders,
    escalation to administrators, auto-close)."""
    with services.db.write() as db:
        changed = actions.advance_consultations(db)
        changed += sum(actions.run_deadlines(db).values())
        ratelimit.forget_old(db)
        actions.forget_login_challenges(db)
        actions.forget_tokens(db)
        if services.settings.smtp_url:  # without mail nobody could have confirmed
            actions.remove_unconfirmed(
                db,
                days=services.settings.unconfirmed_account_days,
                store=attachments.store_for(services.settings),
            )
    for hook in services.extensions.get(PERIODIC, []):
        try:
            hook(services)
        except Exception:
            log.exception("periodic hook %r failed", hook)
    return changed


WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"


def beat(services: Services) -> None:
    """The scheduler's heartbeat (every round): /readyz and /metrics read how old it is."""
    with services.db.write() as db:
        outbox.heartbeat(db, WORKER_NAME)


OPTIMIZE_EVERY = 120  # scheduler rounds (about an hour)


async def scheduler(services: Services, stop: asyncio.Event) -> None:
    rounds = 0
    while not stop.is_set():
        rounds += 1
        if rounds % OPTIMIZE_EVERY == 0:
            try:
                await asyncio.to_thread(optimize, services.db.engine)
            except Exception:
                log.exception("database optimize failed")
        try:
            await asyncio.to_thread(beat, services)
        except Exception:
            log.exception("worker heartbeat failed")
        try:
            changed = await asyncio.to_thread(run_scheduled, services)
            if changed:
                log.info("scheduler: %s consultations or aspirations changed", changed)
        except Exception:
            log.exception("scheduler run failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SCHEDULER_SECONDS)


async def run_background(services: Services, stop: asyncio.Event) -> None:
    assert services.worker is not None
    await asyncio.gather(
        services.worker.run_forever(stop, services.settings.worker_poll_seconds),
        scheduler(services, stop),
    )


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[None]], banner: str) -> None:
    """Run ``main(stop)`` until SIGINT or SIGTERM sets ``stop`` (the CLI's long commands)."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(banner, flush=True)
        await main(stop)

    asyncio.run(runner())
