"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when REMBUG_TEST_DATABASE_URL is
set), the real app in an in-process client, and helpers that act like a browser (forms carry
the CSRF token of the page they came from). Test data is made through the real actions."""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy import create_engine, event, make_url, text
from sqlmodel import SQLModel
from starlette.testclient import TestClient

from forum import actions, submissions, totp
from forum.app import build_services, create_app
from forum.db import migrate
from forum.intake import batcher, process_batch
from forum.models import Account, Agency, Consultation, Role, TotpCredential, utcnow
from forum.seeds import upsert_reference_data
from forum.services import Services
from forum.settings import Settings
from forum.spool import FileSpool, spool

PASSWORD = "rahasia-sekali-123"
SAMPLE_MARKDOWN = "# Judul\n\n## Bagian satu\n\nIsi pertama.\n\n## Bagian dua\n\nIsi kedua.\n"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET_RE = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')
RECOVERY_RE = re.compile(r"<li><code>([a-z0-9-]+)</code></li>")
CODE_LIMITS = actions.CodeLimits(per_account=5, per_ip=20, window=timedelta(minutes=15))
# Recovery codes of the accounts the tests enrolled, by their base32 secret: a login helper
# that has used every code of the current time window (no code is accepted twice) uses one.
RECOVERY_CODES: dict[str, list[str]] = {}


def two_factor_secret(services: Services, account_id: int) -> str:
    """The enrolled base32 secret of an account, as its authenticator app holds it."""
    with services.db.read() as db:
        credential = db.get(TotpCredential, account_id)
        assert credential is not None, "two-factor authentication is not set up"
        secret = totp.unseal(
            credential.secret, account_id=account_id, secret_key=services.settings.sealing_keys
        )
    return totp.b32(secret)


def next_code(services: Services, account_id: int) -> str | None:
    """What the person's authenticator app shows (pyotp, an implementation independent of
    ours): a code of the accepted window (now ±30 s) not used yet, or None when all three are."""
    with services.db.read() as db:
        credential = db.get(TotpCredential, account_id)
        assert credential is not None
        last = credential.last_step
    app = pyotp.TOTP(two_factor_secret(services, account_id))
    now_step = int(time.time() // 30)
    for step in (now_step - 1, now_step, now_step + 1):
        if (last is None or step > last) and (step >= now_step or not _step_ending()):
            return app.at(step * 30)
    return None


def _step_ending() -> bool:
    """The current 30 s step ends within 5 s: the previous step's code might be out of the
    accepted window (now ±1) by the time the server checks it."""
    return time.time() % 30 > 25


def previous_step_time() -> float:
    """A time in the previous step (still accepted, and leaves the next two codes for the
    logins that follow), or now when the step is about to end."""
    return time.time() if _step_ending() else time.time() - 30


def current_code(services: Services, account_id: int) -> str:
    """An unused code, waiting for the app's next one if this window's are all used (only
    tests that use one account's codes several times in a row ever wait)."""
    while (code := next_code(services, account_id)) is None:
        time.sleep(1)
    return code


def second_factor(services: Services, account_id: int) -> str:
    """A code for the login's second step: from the app, else one of the saved recovery codes."""
    code = next_code(services, account_id)
    if code is not None:
        return code
    return RECOVERY_CODES[two_factor_secret(services, account_id)].pop()


def enrol(services: Services, account: Account) -> str:
    """Set up two-factor authentication through the real actions; returns the secret."""
    with services.db.write() as db:
        person = db.get(Account, account.id)
        assert person is not None
        secret = totp.b32(
            actions.start_enrolment(db, person, secret_key=services.settings.sealing_keys)
        )
    code = pyotp.TOTP(secret).at(previous_step_time())  # logins get the next two codes
    with services.db.write() as db:
        person = db.get(Account, account.id)
        assert person is not None
        RECOVERY_CODES[secret] = actions.confirm_enrolment(
            db,
            person,
            code=code,
            secret_key=services.settings.sealing_keys,
            ip="127.0.0.1",
            limits=CODE_LIMITS,
        )
    return secret


def fresh_postgres_database(url: str, name: str) -> str:
    """A new empty database ``name`` on the PostgreSQL server of ``url`` (dropped first if an
    earlier run left it); its URL, password kept."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("REMBUG_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "REMBUG_DATA_DIR": str(tmp_path),
            "REMBUG_DATABASE_URL": database_url,
            "REMBUG_SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
            "REMBUG_RUN_WORKER": "false",
            "REMBUG_COMMENTS_PER_PAGE": "20",
            # Tests read pages right after writes made outside the web layer; the page cache
            # has its own test.
            "REMBUG_PAGE_CACHE_SECONDS": "0",
            # Cheap hashes keep the suite fast; production keeps the documented defaults.
            "REMBUG_PASSWORD_HASH_TIME_COST": "1",
            "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
        }
    )


def _empty_tables(services: Services) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with services.db.engine.begin() as conn:
        if services.db.is_sqlite:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = build_services(settings)
    _empty_tables(services)
    store = spool(services)
    if isinstance(store, FileSpool):
        store.clear()  # beside the session's test database, emptied like its tables
    with services.db.write() as db:
        upsert_reference_data(db)
    yield services
    services.close()


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    return create_app(services.settings, services=services)


def settle_intake(services: Services) -> int:
    """Store what the web intake acknowledged (forum.submissions), as the worker's drain job
    does right after the answer; chat updates stay for their own tests to drain. Returns how
    many submissions were processed."""
    assert batcher(services).wait_settled(), "the intake never nudged its drain job"
    done = 0
    while True:
        rows = [r for r in spool(services).pending(500) if r.channel in submissions.CHANNELS]
        if not rows:
            return done
        _, finished = process_batch(services, rows)
        if not finished:
            return done  # only submissions waiting for a retry are left
        done += finished


class Browser:
    """A TestClient that submits forms the way a browser does: with the page's CSRF token.
    After each post the web intake's submissions are stored, as the worker would at once."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.last_html = ""

    def get(self, path: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        response = self.client.get(path, **kwargs)
        if "text/html" in response.headers.get("content-type", ""):
            self.last_html = response.text
        return response

    def submit(
        self, page: str, action: str, data: dict[str, Any], *, settle: bool = True, **kwargs: Any
    ):  # type: ignore[no-untyped-def]
        """Open ``page``, take its CSRF token, and post ``data`` to ``action``; ``settle=False``
        leaves what the intake acknowledged unprocessed (a worker that has not run yet)."""
        html = self.get(page).text
        match = CSRF_RE.search(html)
        assert match, f"no form with a CSRF token on {page}"
        kwargs.setdefault("follow_redirects", False)
        response = self.client.post(action, data={"csrf_token": match.group(1), **data}, **kwargs)
        if settle:
            settle_intake(self.services)
        return response

    def post_raw(self, action: str, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        response = self.client.post(action, data=data, follow_redirects=False)
        settle_intake(self.services)
        return response

    @property
    def services(self) -> Services:
        return self.client.app.state.services  # type: ignore[attr-defined,no-any-return]

    def login(self, account: Account, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        """Log in like a person: the password, then for two-factor accounts the code from
        their app; staff without two-factor authentication set it up on the page they are
        sent to (as a new official would)."""
        login = account.email or account.phone
        response = self.submit("/masuk", "/masuk", {"login": login, "password": password})
        assert response.status_code == 303, response.text
        if response.headers["location"] == "/masuk/kode":
            assert account.id is not None
            code = second_factor(self.services, account.id)
            response = self.submit("/masuk/kode", "/masuk/kode", {"code": code})
            assert response.status_code == 303, response.text
        elif response.headers["location"] == "/saya/2fa":
            self.enrol_two_factor()
        return response

    def enrol_two_factor(self) -> str:
        """Set up two-factor authentication on /saya/2fa as a person would: read the key,
        type the app's code; keeps the recovery codes shown. Returns the secret."""
        page = self.get("/saya/2fa")
        assert page.status_code == 200, page.text
        match = SECRET_RE.search(page.text)
        assert match, "no two-factor key on /saya/2fa"
        secret = match.group(1).replace(" ", "")
        # The previous step's code (still accepted): the logins that follow get the next two.
        code = pyotp.TOTP(secret).at(previous_step_time())
        response = self.submit("/saya/2fa", "/saya/2fa/aktifkan", {"code": code})
        assert response.status_code == 200, response.text
        RECOVERY_CODES[secret] = [html.unescape(c) for c in RECOVERY_RE.findall(response.text)]
        assert len(RECOVERY_CODES[secret]) == 10
        return secret


@pytest.fixture
def browser(app) -> Iterator[Browser]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as client:
        yield Browser(client)


@pytest.fixture
def new_browser(app):  # type: ignore[no-untyped-def]
    clients: list[TestClient] = []

    def make() -> Browser:
        client = TestClient(app, base_url="http://testserver")
        clients.append(client)
        return Browser(client)

    yield make
    for client in clients:
        client.close()


@dataclass
class World:
    """Accounts and agencies most tests need, made through the actions."""

    services: Services
    admin: Account
    moderator: Account
    citizen: Account
    other_citizen: Account
    agency: Agency
    other_agency: Agency
    official: Account
    other_official: Account

    def account(self, role: Role, email: str, agency: Agency | None = None) -> Account:
        with self.services.db.write() as db:
            return actions.create_account(
                db,
                name=email.split("@")[0].title(),
                email=email,
                password=PASSWORD,
                role=role,
                agency_id=agency.id if agency else None,
                consent=True,
            )

    def consultation(
        self,
        markdown: str = SAMPLE_MARKDOWN,
        *,
        agency: Agency | None = None,
        publish: bool = True,
        opens_in: timedelta = timedelta(days=-1),
        closes_in: timedelta = timedelta(days=30),
    ) -> Consultation:
        agency = agency or self.agency
        official = self.official if agency.id == self.agency.id else self.other_official
        now = utcnow()
        with self.services.db.write() as db:
            consultation = actions.create_consultation_from_markdown(
                db,
                official,
                agency_id=agency.id,  # type: ignore[arg-type]
                markdown=markdown,
                title="Rancangan Peraturan Layanan Digital",
                opens_at=now + opens_in,
                closes_at=now + closes_in,
            )
            if publish:
                actions.publish_consultation(db, official, consultation)
            return consultation


@pytest.fixture
def world(services: Services) -> World:
    with services.db.write() as db:
        agency = Agency(slug="dinas-a", name="Dinas Komunikasi Kota A", short_name="Diskominfo A")
        other = Agency(slug="dinas-b", name="Dinas Kesehatan Kota B", short_name="Dinkes B")
        db.add_all([agency, other])
        db.flush()
    partial = World(services, *([None] * 4), agency, other, None, None)  # type: ignore[arg-type]
    partial.admin = partial.account(Role.admin, "admin@contoh.id")
    partial.moderator = partial.account(Role.moderator, "moderator@contoh.id")
    partial.citizen = partial.account(Role.citizen, "warga@contoh.id")
    partial.other_citizen = partial.account(Role.citizen, "tetangga@contoh.id")
    partial.official = partial.account(Role.official, "petugas.a@contoh.id", agency)
    partial.other_official = partial.account(Role.official, "petugas.b@contoh.id", other)
    # Staff must use two-factor authentication: set up through the real actions, as each
    # would on their first login (Browser.login then types the app's code).
    for staff in (partial.admin, partial.moderator, partial.official, partial.other_official):
        enrol(services, staff)
    return partial


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1


@pytest.fixture
def count_queries(services: Services):  # type: ignore[no-untyped-def]
    counter = QueryCounter()
    event.listen(services.db.engine, "before_cursor_execute", counter)
    yield counter
    event.remove(services.db.engine, "before_cursor_execute", counter)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server on loopback (tests/s3_server.py), for the session."""
    from tests import s3_server

    yield from s3_server.start()


@pytest.fixture
def s3_bucket(s3_endpoint: str):  # type: ignore[no-untyped-def]
    """A fresh bucket on it, with the REMBUG_S3_* settings that use it."""
    from tests import s3_server

    return s3_server.new_bucket(s3_endpoint)
