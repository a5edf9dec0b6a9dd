"""The PostgreSQL scale-out layout on loopback: two `rembug serve` processes, two `rembug
worker` processes, a fake SMTP server and a fake Telegram Bot API, and clients using both web
processes alternately. Sessions and rate limits are shared through the database; every outbox
job ends done, and every email and chat message arrives exactly once."""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlmodel import select

from bots.models import ChatDelivery, ChatIdentity, DeliveryStatus
from forum import actions
from forum.models import Account, Aspiration, Category, Notification, Region
from forum.web.kit import SESSION_COOKIE
from moderation.models import ModerationCase
from tests.bots.conftest import SECRET, load_fixture
from tests.conftest import PASSWORD, World
from tests.scale_kit import (
    Visitor,
    all_jobs_done,
    fake_smtp,
    fake_telegram,
    job_counts,
    layout_env,
    processes,
    start_web,
    start_worker,
    telegram_env,
    text_of,
    wait_until,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("REMBUG_TEST_DATABASE_URL"),
    reason="the scale-out layout (two web processes, two workers) is the PostgreSQL layout; "
    "it runs when the suite runs on PostgreSQL (REMBUG_TEST_DATABASE_URL)",
)

CITIZENS = 4
ASPIRATIONS_EACH = 3
CODE_RE = re.compile(r'<p class="code"><strong>([^<]+)</strong>')
CONFIRM_CODE_RE = re.compile(r"\b(\d{6})\b")
_update_ids = itertools.count(700_000_000)


def telegram_update(user_id: int, text: str) -> dict[str, object]:
    update = copy.deepcopy(load_fixture("message__text"))
    update["update_id"] = next(_update_ids)
    message = update["message"]
    message["from"]["id"] = message["chat"]["id"] = user_id
    message["text"] = text
    return update


def staff_visitor(world: World, account: Account) -> Visitor:
    with world.services.db.write() as db:
        token = actions.open_session(
            db, db.get(Account, account.id), ip="127.0.0.1", user_agent="scale", session_days=1
        )
    visitor = Visitor()
    visitor.client.cookies.set(SESSION_COOKIE, token)
    return visitor


def test_two_web_processes_and_two_workers_share_everything(world: World, tmp_path: Path) -> None:
    services = world.services
    with services.db.read() as db:
        category = db.exec(select(Category.id).where(Category.slug == "infrastruktur")).one()
        region = db.exec(select(Region.id).where(Region.code == "32.73")).one()
    with (
        fake_smtp() as (smtp_url, inbox),
        fake_telegram() as telegram,
        processes() as started,
        ExitStack() as browsers,
    ):
        env = layout_env(
            services,
            tmp_path,
            REMBUG_SMTP_URL=smtp_url,
            REMBUG_SEARCH_BACKEND="postgres",
            REMBUG_RATE_NEW_ACCOUNT_POST_SECONDS="1",
            REMBUG_LOGIN_MAX_FAILURES="3",
            **telegram_env(telegram),
        )
        web_a, url_a = start_web("web-a", env, tmp_path)
        web_b, url_b = start_web("web-b", env, tmp_path)
        started += [web_a, web_b]
        started += [start_worker(f"worker-{n}", env, tmp_path) for n in (1, 2)]
        urls = [url_a, url_b]

        # Register on one web process; the session works on the other.
        citizens: list[tuple[Visitor, str, int]] = []
        for i in range(CITIZENS):
            here, there = urls[i % 2], urls[(i + 1) % 2]
            visitor = browsers.enter_context(Visitor())
            email = f"warga{i}@skala.id"
            response = visitor.submit(
                f"{here}/daftar",
                f"{here}/daftar",
                {
                    "name": f"Warga Skala {i}",
                    "email": email,
                    "phone": "",
                    "password": PASSWORD,
                    "consent": "on",
                },
            )
            assert response.status_code == 303, response.text
            mine = visitor.get(f"{there}/saya")
            assert mine.status_code == 200 and f"Warga Skala {i}" in mine.text
            citizens.append((visitor, email, 5_100_000_000 + i))

        # Until an address is confirmed it gets no mail but the confirmation (a worker sends
        # it); each citizen confirms with its code on the other web process.
        for i, (visitor, email, _) in enumerate(citizens):
            wait_until(lambda e=email: bool(inbox.to(e)), 60, f"a confirmation mail to {email}")
            code = CONFIRM_CODE_RE.search(text_of(inbox.to(email)[0]))
            assert code, "no confirmation code in the mail"
            there = urls[(i + 1) % 2]
            confirmed = visitor.submit(
                f"{there}/saya/konfirmasi", f"{there}/saya/konfirmasi", {"code": code.group(1)}
            )
            assert confirmed.status_code == 303, confirmed.text

        # Each citizen links a Telegram chat: the code from one web process, the chat's
        # message through the other's webhook.
        for i, (visitor, _, user_id) in enumerate(citizens):
            page = visitor.submit(f"{urls[i % 2]}/saya/chat", f"{urls[i % 2]}/saya/chat/kode", {})
            assert page.status_code == 200
            found = CODE_RE.search(page.text)
            assert found, "no link code shown"
            hook = visitor.client.post(
                f"{urls[(i + 1) % 2]}/webhooks/telegram",
                content=json.dumps(telegram_update(user_id, f"/tautkan {found.group(1)}")),
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                    "Content-Type": "application/json",
                },
            )
            assert hook.status_code == 200

        def linked() -> bool:
            with services.db.read() as db:
                rows = db.exec(
                    select(ChatIdentity).where(ChatIdentity.account_id.is_not(None))  # type: ignore[union-attr]
                ).all()
            return len(rows) == CITIZENS

        wait_until(linked, 60, "every chat linked")

        # Submissions, alternating web processes (a new account may post once a second).
        titles: dict[str, int] = {}
        for round_number in range(ASPIRATIONS_EACH):
            for i, (visitor, _, user_id) in enumerate(citizens):
                url = urls[(i + round_number) % 2]
                title = f"Lampu jalan padam di gang {i}-{round_number}"
                response = visitor.submit(
                    f"{url}/aspirasi/baru",
                    f"{url}/aspirasi/baru",
                    {
                        "title": title,
                        "body": "Lampu jalan di gang kami padam sejak minggu lalu, gelap sekali.",
                        "category": str(category),
                        "region": str(region),
                        "agency": str(world.agency.id),
                        "visibility": "public",
                        "step": "send",
                    },
                )
                assert response.status_code == 303, response.text
                titles[title] = user_id
            time.sleep(1.1)

        # A moderator approves on both processes; an official answers on both.
        moderator = browsers.enter_context(staff_visitor(world, world.moderator))
        official = browsers.enter_context(staff_visitor(world, world.official))
        with services.db.read() as db:
            aspirations = {a.title: a for a in db.exec(select(Aspiration))}
            cases = {
                c.aspiration_id: c.id
                for c in db.exec(select(ModerationCase))
                if c.aspiration_id is not None
            }
        assert set(aspirations) == set(titles)
        answers: dict[str, str] = {}
        for n, (_title, aspiration) in enumerate(sorted(aspirations.items())):
            url = urls[n % 2]
            case_url = f"{url}/moderation/kasus/{cases[aspiration.id]}"
            decided = moderator.submit(case_url, case_url, {"action": "approve"})
            assert decided.status_code == 303, decided.text
        for n, (title, aspiration) in enumerate(sorted(aspirations.items())):
            url = urls[(n + 1) % 2]
            answers[title] = f"Petugas sudah memperbaiki lampu, laporan nomor {n}."
            responded = official.submit(
                f"{url}/aspirasi/{aspiration.ticket}",
                f"{url}/kelola/tanggapan",
                {"kind": "aspiration", "target": aspiration.ticket, "body": answers[title]},
            )
            assert responded.status_code == 303, responded.text

        # Login throttling is counted across both processes.
        intruder = browsers.enter_context(Visitor())
        statuses = []
        for n in range(4):
            url = urls[n % 2]
            statuses.append(
                intruder.submit(
                    f"{url}/masuk",
                    f"{url}/masuk",
                    {"login": citizens[0][1], "password": "salah-sekali-123"},
                )
            )
        assert [r.status_code for r in statuses] == [400, 400, 400, 429]
        assert int(statuses[-1].headers["Retry-After"]) > 0

        wait_until(
            lambda: all_jobs_done(services), 120, f"all outbox jobs done: {job_counts(services)}"
        )
        for process in started:
            assert process.popen.poll() is None, f"{process.name} died:\n{process.output()}"

    # Chat: every delivery sent exactly once; each author's chat got the publication and the
    # answer of each of their aspirations once.
    with services.db.read() as db:
        deliveries = list(db.exec(select(ChatDelivery)))
        notifications = list(
            db.exec(
                select(Notification, Account).join(Account, Account.id == Notification.account_id)  # type: ignore[arg-type]
            )
        )
    assert deliveries and all(d.status == DeliveryStatus.sent for d in deliveries)
    sent = Counter((p["chat_id"], p["text"]) for p in telegram.sent())
    assert sent == Counter((d.chat_id, d.text) for d in deliveries)
    assert max(sent.values()) == 1, "a chat message arrived twice"
    for title, user_id in titles.items():
        texts = telegram.texts(user_id)
        assert sum(title in t for t in texts) == 1, title
        assert sum(answers[title] in t for t in texts) == 1, title

    # Email: one confirmation per citizen and one message per notification of an account with
    # email on, none twice.
    expected = Counter(account.email for _, account in notifications if account.notify_email)
    expected.update(email for _, email, _ in citizens)
    received = Counter(str(m["To"]) for m in inbox.messages)
    assert received == expected
    bodies = Counter((to, text_of(m)) for to in received for m in inbox.to(to))
    assert max(bodies.values()) == 1, "an email arrived twice"
    for _, email, _ in citizens:  # received, published, routed, answered: per aspiration
        assert received[email] >= 4 * ASPIRATIONS_EACH
