"""schemathesis generates requests from /api/v1/openapi.json and sends them to the app in
process (ASGI), over the demo data: no server error, no undocumented status or content type,
no body that violates its documented schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from forum.api import ENDPOINTS
from forum.app import build_services, create_app
from forum.demo import load_demo
from forum.seeds import upsert_reference_data
from forum.services import Services
from forum.settings import Settings
from tests.conftest import _empty_tables

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def demo_services(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    data_dir: Path = tmp_path_factory.mktemp("schemathesis")
    services = build_services(
        Settings.from_env(
            {
                "REMBUG_DATA_DIR": str(data_dir),
                "REMBUG_DATABASE_URL": database_url,
                "REMBUG_SECRET_KEY": "test-secret-key-with-enough-entropy-0123456789",
                "REMBUG_RUN_WORKER": "false",
                "REMBUG_PAGE_CACHE_SECONDS": "0",
                "REMBUG_PASSWORD_HASH_TIME_COST": "1",
                "REMBUG_PASSWORD_HASH_MEMORY_KIB": "1024",
            }
        )
    )
    _empty_tables(services)
    with services.db.write() as db:
        upsert_reference_data(db)
    load_demo(services.db, say=lambda _line: None, secret_key=services.settings.sealing_keys)
    yield services
    services.db.engine.dispose()


@pytest.fixture(scope="module")
def demo_app(demo_services: Services):  # type: ignore[no-untyped-def]
    return create_app(demo_services.settings, services=demo_services)


# Every operation of the document; the test fails if one is missing from what is served.
PATHS = sorted({e.path for e in ENDPOINTS} | {"/api/v1/openapi.json", "/api/v1/search"})


@pytest.mark.parametrize("path", PATHS)
def test_api_conforms_to_its_openapi_document(demo_app, path: str) -> None:  # type: ignore[no-untyped-def]
    # schemathesis' own pytest fixture loader does not run on pytest 9.2 (it sets a private
    # node attribute that pytest removed), so the Hypothesis test is driven from here.
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", demo_app)
    operation = schema[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=100,
        deadline=None,
        database=None,  # no .hypothesis folder; every run starts from the same budget
        derandomize=True,  # the same examples on every run: a failure reproduces
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def conforms(case) -> None:  # type: ignore[no-untyped-def]
        case.call_and_validate(checks=CHECKS)

    conforms()


def test_the_demo_data_is_there(demo_app) -> None:  # type: ignore[no-untyped-def]
    """The generated requests above ran against real rows, not an empty database."""
    with TestClient(demo_app) as client:
        for path in ("/api/v1/consultations", "/api/v1/aspirations", "/api/v1/responses"):
            assert client.get(path).json()["total"] > 0, path
        assert client.get("/api/v1/consultations/1").status_code == 200
