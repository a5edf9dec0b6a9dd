"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when REMBUG_TEST_DATABASE_URL is
set), the real app in an in-process client, and helpers that act like a browser (forms carry
the CSRF token of the page they came from). Test data is made through the real actions."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import SQLModel
from starlette.testclient import TestClient

from forum import actions
from forum.app import build_services, create_app
from forum.db import migrate
from forum.models import Account, Agency, Consultation, Role, utcnow
from forum.seeds import upsert_reference_data
from forum.services import Services
from forum.settings import Settings

PASSWORD = "rahasia-sekali-123"
SAMPLE_MARKDOWN = "# Judul\n\n## Bagian satu\n\nIsi pertama.\n\n## Bagian dua\n\nIsi kedua.\n"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


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
    with services.db.write() as db:
        upsert_reference_data(db)
    yield services
    services.db.engine.dispose()


@pytest.fixture
def app(services: Services):  # type: ignore[no-untyped-def]
    return create_app(services.settings, services=services)


class Browser:
    """A TestClient that submits forms the way a browser does: with the page's CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.last_html = ""

    def get(self, path: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        response = self.client.get(path, **kwargs)
        if "text/html" in response.headers.get("content-type", ""):
            self.last_html = response.text
        return response

    def submit(self, page: str, action: str, data: dict[str, Any], **kwargs: Any):  # type: ignore[no-untyped-def]
        """Open ``page``, take its CSRF token, and post ``data`` to ``action``."""
        html = self.get(page).text
        match = CSRF_RE.search(html)
        assert match, f"no form with a CSRF token on {page}"
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(action, data={"csrf_token": match.group(1), **data}, **kwargs)

    def post_raw(self, action: str, data: dict[str, Any]):  # type: ignore[no-untyped-def]
        return self.client.post(action, data=data, follow_redirects=False)

    def login(self, account: Account, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        login = account.email or account.phone
        response = self.submit("/masuk", "/masuk", {"login": login, "password": password})
        assert response.status_code == 303, response.text
        return response


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
