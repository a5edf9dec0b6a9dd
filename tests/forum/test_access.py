"""Getting back into an account, as a person and as an attacker would try it: confirmation of
the address (only the confirmation reaches an unconfirmed address), password reset, sign-in
and registration by a one-time code, through the real app and a real SMTP server."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from alembic import command
from sqlmodel import col, select
from starlette.testclient import TestClient

from forum import actions, attachments
from forum.app import build_services, create_app
from forum.db import alembic_config
from forum.models import Account, AccountToken, Aspiration, WebSession, utcnow
from forum.queries import export_account_data
from forum.runtime import run_scheduled
from forum.services import Services
from moderation.models import AuditEntry
from tests.conftest import PASSWORD, Browser, World
from tests.moderation.conftest import Make
from tests.scale_kit import Inbox, fake_smtp, text_of

LINK_RE = re.compile(r"http://127\.0\.0\.1:8000(/(?:konfirmasi|atur-ulang-sandi)/[A-Za-z0-9_-]+)")
CODE_RE = re.compile(r"\b(\d{6})\b")
NEW_PASSWORD = "sandi-baru-yang-panjang-42"


@pytest.fixture
def mailing(world: World) -> Iterator[tuple[Services, Inbox]]:
    with fake_smtp() as (url, inbox):
        settings = replace(
            world.services.settings, smtp_url=url, email_from="aspirasi@contoh.go.id"
        )
        services = build_services(settings)
        try:
            yield services, inbox
        finally:
            services.close()


@pytest.fixture
def web(mailing: tuple[Services, Inbox]) -> Iterator[Browser]:
    services, _ = mailing
    with TestClient(create_app(services.settings, services=services)) as client:
        yield Browser(client)


def drain(services: Services) -> None:
    for _ in range(3):
        asyncio.run(services.worker.drain())


def register(web: Browser, email: str, name: str = "Warga Baru") -> None:
    response = web.submit(
        "/daftar",
        "/daftar",
        {"name": name, "email": email, "password": PASSWORD, "consent": "on"},
    )
    assert response.status_code == 303, response.text


def account_by_email(services: Services, email: str) -> Account:
    with services.db.read() as db:
        account = db.exec(select(Account).where(Account.email == email)).one()
        db.expunge(account)
        return account


def audit_actions(services: Services, account_id: int) -> list[str]:
    with services.db.read() as db:
        return list(
            db.exec(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "account", AuditEntry.object_id == account_id)
                .order_by(col(AuditEntry.id))
            )
        )


# --- confirmation ---------------------------------------------------------------------------


def test_registration_mails_a_confirmation_and_nothing_else_until_it_is_confirmed(
    web: Browser, mailing: tuple[Services, Inbox], make: Make, world: World
) -> None:
    services, inbox = mailing
    register(web, "baru@contoh.id")
    drain(services)
    mails = inbox.to("baru@contoh.id")
    assert len(mails) == 1
    body = text_of(mails[0])
    link = LINK_RE.search(body)
    code = CODE_RE.search(body)
    assert link and code and link.group(1).startswith("/konfirmasi/")
    # Indonesian first, then English.
    assert body.index("Konfirmasi") < body.index("Confirm it")
    assert mails[0]["Auto-Submitted"] == "auto-generated"
    account = account_by_email(services, "baru@contoh.id")
    assert account.email_confirmed_at is None
    # A notification for this account writes no mail while the address is unconfirmed.
    aspiration = make.aspiration(account)
    with services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, aspiration.id))
    drain(services)
    assert len(inbox.to("baru@contoh.id")) == 1
    # The link shows a page (a mail scanner opening it changes nothing); its button confirms.
    page = web.get(link.group(1))
    assert page.status_code == 200 and "Konfirmasi" in page.text
    assert account_by_email(services, "baru@contoh.id").email_confirmed_at is None
    response = web.submit(link.group(1), link.group(1), {})
    assert response.status_code == 303
    assert account_by_email(services, "baru@contoh.id").email_confirmed_at is not None
    # Used once: the same link no longer works.
    assert web.get(link.group(1)).status_code == 400
    with services.db.write() as db:
        actions.withdraw_aspiration(
            db, db.get(Account, account.id), db.get(Aspiration, aspiration.id)
        )
    other = make.aspiration(account)
    with services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, other.id))
    drain(services)
    assert len(inbox.to("baru@contoh.id")) > 1
    assert {"access-confirm-sent", "access-email-confirmed"} <= set(
        audit_actions(services, account.id or 0)
    )


def test_the_code_confirms_and_guessing_it_locks_it(
    web: Browser, mailing: tuple[Services, Inbox]
) -> None:
    services, inbox = mailing
    register(web, "kode@contoh.id")
    drain(services)
    code = CODE_RE.search(text_of(inbox.to("kode@contoh.id")[0]))
    assert code
    wrong = "000000" if code.group(1) != "000000" else "111111"
    response = web.submit("/saya/konfirmasi", "/saya/konfirmasi", {"code": wrong})
    assert response.status_code == 400
    response = web.submit("/saya/konfirmasi", "/saya/konfirmasi", {"code": code.group(1)})
    assert response.status_code == 303
    assert account_by_email(services, "kode@contoh.id").email_confirmed_at is not None

    register_browser = web
    register_browser.client.cookies.clear()
    register(register_browser, "tebak@contoh.id")
    drain(services)
    right = CODE_RE.search(text_of(inbox.to("tebak@contoh.id")[0]))
    assert right
    tries = services.settings.login_code_max_tries
    for guess in range(tries):
        attempt = f"{guess:06d}" if f"{guess:06d}" != right.group(1) else "999999"
        response = web.submit("/saya/konfirmasi", "/saya/konfirmasi", {"code": attempt})
        assert response.status_code == 400
    # Locked: now even the right code is refused.
    response = web.submit("/saya/konfirmasi", "/saya/konfirmasi", {"code": right.group(1)})
    assert response.status_code == 400
    assert account_by_email(services, "tebak@contoh.id").email_confirmed_at is None


def test_a_confirmation_code_of_another_account_does_not_confirm(
    web: Browser, mailing: tuple[Services, Inbox], new_browser
) -> None:  # type: ignore[no-untyped-def]
    services, inbox = mailing
    register(web, "pemilik@contoh.id")
    web.client.cookies.clear()
    register(web, "penyerang@contoh.id")
    drain(services)
    victim_code = CODE_RE.search(text_of(inbox.to("pemilik@contoh.id")[0]))
    assert victim_code
    response = web.submit("/saya/konfirmasi", "/saya/konfirmasi", {"code": victim_code.group(1)})
    assert response.status_code == 400
    assert account_by_email(services, "penyerang@contoh.id").email_confirmed_at is None
    assert account_by_email(services, "pemilik@contoh.id").email_confirmed_at is None


def test_a_new_address_is_confirmed_before_it_replaces_the_old_which_is_told(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing
    web.login(world.citizen)
    response = web.submit(
        "/saya/profil",
        "/saya/profil",
        {"name": world.citizen.name, "email": "alamat.baru@contoh.id", "phone": "", "locale": "id"},
    )
    assert response.status_code == 303
    account = account_by_email(services, "warga@contoh.id")  # the old address stays
    assert account.pending_email == "alamat.baru@contoh.id"
    drain(services)
    mails = inbox.to("alamat.baru@contoh.id")
    assert len(mails) == 1
    link = LINK_RE.search(text_of(mails[0]))
    assert link
    response = web.submit(link.group(1), link.group(1), {})
    assert response.status_code == 303
    account = account_by_email(services, "alamat.baru@contoh.id")
    assert account.pending_email is None and account.email_confirmed_at is not None
    drain(services)
    notices = inbox.to("warga@contoh.id")
    assert any("alamat.baru@contoh.id" in text_of(m) for m in notices)


def test_unconfirmed_accounts_are_removed_after_the_set_days_their_comments_kept(
    services: Services, world: World, make: Make
) -> None:
    with services.db.write() as db:
        stale = actions.register_citizen(
            db, name="Lama", email="lama@contoh.id", phone=None, password=PASSWORD, consent=True
        )
        stale.created_at = utcnow() - timedelta(days=8)
        fresh = actions.register_citizen(
            db, name="Baru", email="segar@contoh.id", phone=None, password=PASSWORD, consent=True
        )
    aspiration = make.aspiration(stale)
    with services.db.write() as db:
        removed = actions.remove_unconfirmed(
            db, days=7, store=attachments.store_for(services.settings)
        )
    assert removed == 1
    with services.db.read() as db:
        gone = db.get(Account, stale.id)
        kept = db.get(Account, fresh.id)
        assert gone is not None and gone.email is None and gone.deleted_at is not None
        assert kept is not None and kept.deleted_at is None
        # Confirmed accounts (made by the operator) are never touched.
        assert db.get(Account, world.citizen.id).deleted_at is None  # type: ignore[union-attr]
        assert db.get(Aspiration, aspiration.id) is not None
    assert "access-unconfirmed-removed" in audit_actions(services, stale.id or 0)


# --- password reset -------------------------------------------------------------------------


def test_forgotten_password_reset_ends_sessions_and_mails_a_notice(
    web: Browser, mailing: tuple[Services, Inbox], world: World, new_browser
) -> None:  # type: ignore[no-untyped-def]
    services, inbox = mailing
    other_device = Browser(TestClient(web.client.app))
    other_device.login(world.citizen)
    login_page = web.get("/masuk").text
    assert 'href="/lupa-sandi"' in login_page
    response = web.submit("/lupa-sandi", "/lupa-sandi", {"email": "warga@contoh.id"})
    assert response.status_code == 200 and 'id="reset-sent"' in response.text
    drain(services)
    mails = inbox.to("warga@contoh.id")
    assert len(mails) == 1
    link = LINK_RE.search(text_of(mails[0]))
    assert link and link.group(1).startswith("/atur-ulang-sandi/")
    page = web.get(link.group(1))
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    response = web.submit(link.group(1), link.group(1), {"password": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/masuk"
    # Every session ended (the other device is logged out) …
    assert other_device.get("/saya", follow_redirects=False).status_code == 303
    with services.db.read() as db:
        live = db.exec(
            select(WebSession).where(
                WebSession.account_id == world.citizen.id, col(WebSession.revoked_at).is_(None)
            )
        ).all()
        assert live == []
        # … only the hash of the link's token is stored.
        token = link.group(1).rsplit("/", 1)[1]
        assert not db.exec(select(AccountToken).where(AccountToken.token_hash == token)).first()
    # Single use.
    assert web.get(link.group(1)).status_code == 400
    response = web.submit("/lupa-sandi", link.group(1), {"password": "lain-lagi-panjang-77"})
    assert response.status_code == 400
    web.login(world.citizen, NEW_PASSWORD)
    drain(services)
    assert len(inbox.to("warga@contoh.id")) == 2  # the link, then the notice
    assert {"access-reset-asked", "access-password-reset"} <= set(
        audit_actions(services, world.citizen.id or 0)
    )
    other_device.client.close()


def test_a_reset_link_from_before_a_password_change_fails(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing
    web.submit("/lupa-sandi", "/lupa-sandi", {"email": "warga@contoh.id"})
    drain(services)
    link = LINK_RE.search(text_of(inbox.to("warga@contoh.id")[0]))
    assert link
    web.login(world.citizen)
    response = web.submit(
        "/saya/profil", "/saya/kata-sandi", {"current": PASSWORD, "new": NEW_PASSWORD}
    )
    assert response.status_code == 303
    assert web.get(link.group(1)).status_code == 400
    response = web.submit("/lupa-sandi", link.group(1), {"password": "penyerang-ingin-masuk"})
    assert response.status_code == 400


def test_an_expired_reset_link_fails(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing
    web.submit("/lupa-sandi", "/lupa-sandi", {"email": "warga@contoh.id"})
    drain(services)
    link = LINK_RE.search(text_of(inbox.to("warga@contoh.id")[0]))
    assert link
    with services.db.write() as db:
        for row in db.exec(select(AccountToken).where(AccountToken.account_id == world.citizen.id)):
            row.expires_at = utcnow() - timedelta(seconds=1)
            db.add(row)
    response = web.submit("/lupa-sandi", link.group(1), {"password": NEW_PASSWORD})
    assert response.status_code == 400


def test_a_staff_account_still_needs_its_second_factor_after_a_reset(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing
    web.submit("/lupa-sandi", "/lupa-sandi", {"email": "moderator@contoh.id"})
    drain(services)
    link = LINK_RE.search(text_of(inbox.to("moderator@contoh.id")[0]))
    assert link
    response = web.submit(link.group(1), link.group(1), {"password": NEW_PASSWORD})
    assert response.status_code == 303
    assert web.get("/saya", follow_redirects=False).status_code == 303
    response = web.submit(
        "/masuk", "/masuk", {"login": "moderator@contoh.id", "password": NEW_PASSWORD}
    )
    assert response.headers["location"] == "/masuk/kode"


def test_a_reset_request_answers_the_same_for_unknown_addresses(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing

    def answer(email: str) -> str:
        response = web.submit("/lupa-sandi", "/lupa-sandi", {"email": email})
        assert response.status_code == 200
        return response.text.replace(email, "ADDRESS")

    assert answer("warga@contoh.id") == answer("tidak.ada@contoh.id")
    drain(services)
    assert inbox.to("tidak.ada@contoh.id") == []


def test_reset_requests_take_about_as_long_for_unknown_addresses(
    web: Browser, world: World
) -> None:
    """Coarse: the median of either kind within a factor of the other (the mail is sent by
    the outbox, never in the request)."""

    def timed(email: str) -> float:
        page = web.get("/lupa-sandi").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        start = time.perf_counter()
        response = web.client.post(
            "/lupa-sandi", data={"csrf_token": token.group(1), "email": email}
        )
        assert response.status_code == 200
        return time.perf_counter() - start

    timed("warga@contoh.id"), timed("pemanasan@contoh.id")  # warm-up (first queries)
    known, unknown = [], []
    for i in range(8):
        known.append(timed(("tetangga@contoh.id", "admin@contoh.id")[i % 2]))
        unknown.append(timed(f"tidak.ada.{i}@contoh.id"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (known, unknown)


def test_reset_requests_are_limited_per_address_and_per_ip(
    web: Browser, world: World, services: Services
) -> None:
    per_hour = web.services.settings.rate_access_mails_per_hour
    for _ in range(per_hour):
        assert web.submit("/lupa-sandi", "/lupa-sandi", {"email": "x@contoh.id"}).status_code == 200
    assert web.submit("/lupa-sandi", "/lupa-sandi", {"email": "x@contoh.id"}).status_code == 429
    for i in range(per_hour * 10 - per_hour):
        web.submit("/lupa-sandi", "/lupa-sandi", {"email": f"y{i}@contoh.id"})
    response = web.submit("/lupa-sandi", "/lupa-sandi", {"email": "z@contoh.id"})
    assert response.status_code == 429 and "Retry-After" in response.headers


# --- sign-in by a one-time code -------------------------------------------------------------


def ask_code(web: Browser, login: str, next_url: str = "/") -> None:
    response = web.submit(
        "/masuk/dengan-kode",
        "/masuk/dengan-kode",
        {"login": login, "channel": "email", "next": next_url},
    )
    assert response.status_code == 303 and response.headers["location"] == "/kode"


def test_signing_in_with_a_mailed_code_works_once(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing
    ask_code(web, "warga@contoh.id", "/aspirasi")
    drain(services)
    code = CODE_RE.search(text_of(inbox.to("warga@contoh.id")[0]))
    assert code
    response = web.submit("/kode", "/kode", {"code": code.group(1)})
    assert response.status_code == 303 and response.headers["location"] == "/aspirasi"
    assert web.get("/saya").status_code == 200
    # Used: the same code (with a fresh request's cookie or the old one) opens nothing.
    web.client.cookies.clear()
    ask_code(web, "warga@contoh.id")
    response = web.submit("/kode", "/kode", {"code": code.group(1)})
    assert response.status_code == 400
    assert "access-code-used" in audit_actions(services, world.citizen.id or 0)


def test_guessing_a_sign_in_code_locks_it(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing
    ask_code(web, "warga@contoh.id")
    drain(services)
    code = CODE_RE.search(text_of(inbox.to("warga@contoh.id")[0]))
    assert code
    for guess in range(services.settings.login_code_max_tries):
        attempt = f"{guess:06d}" if f"{guess:06d}" != code.group(1) else "999999"
        assert web.submit("/kode", "/kode", {"code": attempt}).status_code == 400
    response = web.submit("/kode", "/kode", {"code": code.group(1)})
    assert response.status_code == 400
    assert web.get("/saya", follow_redirects=False).status_code == 303
    assert "access-code-locked" in audit_actions(services, world.citizen.id or 0)


def test_a_code_request_says_nothing_about_whether_the_account_exists(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing

    def journey(login: str) -> tuple[str, int, str]:
        web.client.cookies.clear()
        response = web.submit(
            "/masuk/dengan-kode", "/masuk/dengan-kode", {"login": login, "channel": "email"}
        )
        page = web.get("/kode")
        wrong = web.submit("/kode", "/kode", {"code": "123456"})
        return (
            response.headers["location"],
            page.status_code,
            wrong.text.replace(login, "X"),
        )

    known, unknown = journey("warga@contoh.id"), journey("tidak.ada@contoh.id")
    assert known[:2] == unknown[:2]
    drain(services)
    assert inbox.to("tidak.ada@contoh.id") == []
    assert re.sub(r'value="[^"]+"', "", known[2]) == re.sub(r'value="[^"]+"', "", unknown[2])


def test_a_code_from_another_request_does_not_sign_in(
    web: Browser, mailing: tuple[Services, Inbox], world: World, new_browser
) -> None:  # type: ignore[no-untyped-def]
    services, inbox = mailing
    ask_code(web, "warga@contoh.id")
    drain(services)
    code = CODE_RE.search(text_of(inbox.to("warga@contoh.id")[0]))
    assert code
    attacker = Browser(TestClient(web.client.app))
    ask_code(attacker, "tetangga@contoh.id")
    assert attacker.submit("/kode", "/kode", {"code": code.group(1)}).status_code == 400
    assert attacker.get("/saya", follow_redirects=False).status_code == 303
    attacker.client.close()


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_the_next_of_a_code_sign_in_never_leaves_the_site(
    web: Browser, mailing: tuple[Services, Inbox], world: World, target: str
) -> None:
    services, inbox = mailing
    ask_code(web, "warga@contoh.id", target)
    drain(services)
    code = CODE_RE.search(text_of(inbox.to("warga@contoh.id")[-1]))
    assert code
    response = web.submit("/kode", "/kode", {"code": code.group(1)})
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = web.get(f"/masuk/dengan-kode?next={target}").text
    assert "evil" not in page


def test_a_staff_account_signing_in_by_code_still_types_its_second_factor(
    web: Browser, mailing: tuple[Services, Inbox], world: World
) -> None:
    services, inbox = mailing
    ask_code(web, "petugas.a@contoh.id")
    drain(services)
    code = CODE_RE.search(text_of(inbox.to("petugas.a@contoh.id")[0]))
    assert code
    response = web.submit("/kode", "/kode", {"code": code.group(1)})
    assert response.headers["location"] == "/masuk/kode"
    assert web.get("/saya", follow_redirects=False).status_code == 303


def test_registering_with_a_code_makes_an_account_without_a_password(
    web: Browser, mailing: tuple[Services, Inbox]
) -> None:
    services, inbox = mailing
    response = web.submit(
        "/daftar/dengan-kode",
        "/daftar/dengan-kode",
        {"name": "Tanpa Sandi", "email": "tanpa.sandi@contoh.id", "consent": "on"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/kode"
    drain(services)
    code = CODE_RE.search(text_of(inbox.to("tanpa.sandi@contoh.id")[0]))
    assert code
    response = web.submit("/kode", "/kode", {"code": code.group(1)})
    assert response.status_code == 303
    account = account_by_email(services, "tanpa.sandi@contoh.id")
    assert account.password_hash is None
    assert account.email_confirmed_at is not None  # the mailed code proved the address
    with services.db.read() as db:
        person = db.get(Account, account.id)
        assert person is not None
        data = export_account_data(db, person)
    assert data["account"]["email_confirmed_at"]
    assert {t["purpose"] for t in data["access_tokens"]} == {"login"}
    assert all("hash" not in key for t in data["access_tokens"] for key in t)


def test_migration_0012_counts_existing_addresses_as_confirmed(world: World) -> None:
    services = world.services
    with services.db.write() as db:
        chat_only = actions.create_chat_account(db, name="Warga Chat")
        self_registered = actions.register_citizen(
            db, name="Belum", email="belum@contoh.id", phone=None, password=PASSWORD, consent=True
        )
    assert self_registered.email_confirmed_at is None
    config = alembic_config(services.settings.database_url)
    config.attributes["rembug_settings"] = services.settings
    with services.db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if services.db.is_sqlite:  # SQLite rebuilds the table to drop a column
            raw.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        with conn.begin():
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
        with conn.begin():
            command.upgrade(config, "heads")
        if services.db.is_sqlite:
            raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    with services.db.read() as db:
        for account in (world.citizen, world.admin, self_registered):
            row = db.get(Account, account.id)
            assert row is not None and row.email_confirmed_at == row.created_at
        row = db.get(Account, chat_only.id)
        assert row is not None and row.email_confirmed_at is None  # no address to confirm


def test_the_scheduler_removes_unconfirmed_accounts_only_when_mail_can_confirm_them(
    services: Services, mailing: tuple[Services, Inbox]
) -> None:
    with services.db.write() as db:
        stale = actions.register_citizen(
            db, name="Lama", email="lama@contoh.id", phone=None, password=PASSWORD, consent=True
        )
        stale.created_at = utcnow() - timedelta(days=30)
    run_scheduled(services)  # no REMBUG_SMTP_URL: nobody could have confirmed
    with services.db.read() as db:
        assert db.get(Account, stale.id).deleted_at is None  # type: ignore[union-attr]
    run_scheduled(mailing[0])
    with services.db.read() as db:
        assert db.get(Account, stale.id).deleted_at is not None  # type: ignore[union-attr]
