"""schemathesis generates requests from /api/v1/openapi.json and sends them to the app in
process (ASGI), over the demo data, with all its checks (as `schemathesis run --checks all`):
no server error, nothing undocumented, what the document allows accepted and what it forbids
rejected, undeclared methods answered 405 with Allow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from schemathesis.engine import Status, events, from_schema
from starlette.testclient import TestClient

from forum.api import ENDPOINTS
from forum.app import build_services, create_app
from forum.demo import load_demo
from forum.seeds import upsert_reference_data
from forum.services import Services
from forum.settings import Settings
from tests.conftest import _empty_tables


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


def test_api_passes_every_schemathesis_check(demo_app) -> None:  # type: ignore[no-untyped-def]
    """What `schemathesis run --checks all` does, in process: every phase (examples, the
    coverage phase's edge cases — empty and repeated values, values just outside a bound,
    undeclared methods such as TRACE —, fuzzing positive and negative data, stateful links)
    and every check: no server error; statuses, content types, headers and bodies as
    documented; every request the document allows accepted (2xx), every one it forbids
    rejected (4xx); an undeclared method answered 405 with `Allow`."""
    # schemathesis' own pytest loader does not run on pytest 9.2 (it sets a private node
    # attribute that pytest removed), so its engine is driven from here, as its CLI does.
    config = schemathesis.Config()
    project = config.projects.override
    project.checks.update(included_check_names=["all"])
    project.generation.update(
        max_examples=25,
        deterministic=True,  # the same examples on every run: a failure reproduces
        database="none",  # no .hypothesis folder; every run starts from the same budget
    )
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", demo_app, config=config)
    failures: list[str] = []
    tested: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {event}")
        if not isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            continue
        label = getattr(event, "label", None)
        if label:
            tested.add(label)
        for case_id, checks in event.recorder.checks.items():
            for check in checks:
                if check.status == Status.FAILURE and check.failure_info is not None:
                    case = event.recorder.cases[case_id].value
                    failures.append(
                        f"{check.name}: {case.method} {case.formatted_path} "
                        f"query={case.query} -> {check.failure_info.failure}"
                    )
    assert not failures, "\n\n".join(sorted(set(failures))[:20])
    # Every operation was exercised (the document itself is what the run was loaded from).
    assert {f"GET {path}" for path in PATHS if path != "/api/v1/openapi.json"} <= tested


def test_the_demo_data_is_there(demo_app) -> None:  # type: ignore[no-untyped-def]
    """The generated requests above ran against real rows, not an empty database."""
    with TestClient(demo_app) as client:
        for path in ("/api/v1/consultations", "/api/v1/aspirations", "/api/v1/responses"):
            assert client.get(path).json()["total"] > 0, path
        assert client.get("/api/v1/consultations/1").status_code == 200
