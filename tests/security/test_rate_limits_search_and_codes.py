"""Rate limits on search (per IP, pages and API together, shared by every web process) and on
asking for chat link codes (per account and per IP): 429 with Retry-After."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func
from sqlmodel import select
from starlette.testclient import TestClient

from forum.app import build_services, create_app
from forum.models import RateEvent, Role
from forum.services import Services
from forum.settings import Settings
from tests.conftest import Browser, World

SEARCHES = 6  # per IP per minute in these tests; a third is each process's free allowance
CODES = 2  # link codes per account per hour in these tests (four times that per IP)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, rate_search_per_minute=SEARCHES, rate_link_codes_per_hour=CODES
    )


def rate_rows(services: Services) -> int:
    with services.db.read() as db:
        return int(db.exec(select(func.count()).select_from(RateEvent)).one())


@contextmanager
def visitor(services: Services, ip: str) -> Iterator[TestClient]:
    app = create_app(services.settings, services=services)
    with TestClient(app, base_url="http://testserver", client=(ip, 4000)) as test_client:
        yield test_client


def test_search_is_limited_per_ip_over_pages_and_api(services: Services) -> None:
    with visitor(services, "10.0.0.1") as one, visitor(services, "10.0.0.2") as other:
        for _ in range(SEARCHES // 3):
            assert one.get("/cari?q=jalan").status_code == 200
        assert rate_rows(services) == 0  # ordinary searching writes nothing
        assert one.get("/search?q=jalan").status_code == 200
        assert one.get("/api/v1/search?q=jalan").status_code == 200
        assert one.get("/cari?q=lampu").status_code == 200
        assert one.get("/api/v1/search?q=lampu").status_code == 200
        refused = one.get("/cari?q=jalan")
        assert refused.status_code == 429
        assert 0 < int(refused.headers["Retry-After"]) <= 61
        assert "Terlalu banyak permintaan" in refused.text
        api = one.get("/api/v1/search?q=jalan")
        assert api.status_code == 429 and "Retry-After" in api.headers
        assert api.json()["error"]
        # Another address is not affected.
        assert other.get("/cari?q=jalan").status_code == 200


def test_the_search_limit_is_shared_by_web_processes(services: Services) -> None:
    second = build_services(services.settings)  # another web process on the same database
    try:
        with visitor(services, "10.0.0.3") as first, visitor(second, "10.0.0.3") as other:
            for _ in range(SEARCHES):
                assert first.get("/cari?q=jalan").status_code == 200
            assert first.get("/cari?q=jalan").status_code == 429
            # The other process has its own small free allowance, then the shared count holds.
            for _ in range(SEARCHES // 3):
                assert other.get("/cari?q=jalan").status_code == 200
            assert other.get("/cari?q=jalan").status_code == 429
    finally:
        second.db.engine.dispose()


def code_response(browser: Browser):  # type: ignore[no-untyped-def]
    return browser.submit("/saya/chat", "/saya/chat/kode", {})


def test_link_codes_are_limited_per_account(world: World, browser: Browser) -> None:
    browser.login(world.citizen)
    for _ in range(CODES):
        assert code_response(browser).status_code == 200
    refused = code_response(browser)
    assert refused.status_code == 429
    assert 3000 < int(refused.headers["Retry-After"]) <= 3601


def test_link_codes_are_limited_per_ip(world: World, new_browser) -> None:  # type: ignore[no-untyped-def]
    for n in range(4):  # four accounts on one address use up its allowance
        browser = new_browser()
        browser.login(world.account(Role.citizen, f"kode{n}@contoh.id"))
        for _ in range(CODES):
            page = code_response(browser)
            assert page.status_code == 200
            assert re.search(r'<p class="code"><strong>[^<]+</strong>', page.text)
    fifth = new_browser()
    fifth.login(world.account(Role.citizen, "kode-lagi@contoh.id"))
    refused = code_response(fifth)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
