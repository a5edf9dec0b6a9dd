"""Every /api/v1 answer is the same with or without a session: the open-data layer shows what
anyone may see, so a moderator's or an official's cookie reveals nothing more (the staff's
search stays on the HTML pages, behind their permission checks)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.testclient import TestClient

from tests.api.seed import Seeded, seed
from tests.conftest import Browser, World

# Words of the confidential aspiration, for the free-text query.
SAMPLE_WORDS = "korupsi pengadaan"


def _path_values(data: Seeded) -> dict[str, list[str]]:
    """What the document's path parameters are filled with: public and non-public items."""
    return {
        "id": [str(data.consultation.id), str(data.draft.id)],
        "ticket": [data.public.ticket, data.anonymous.ticket, data.confidential.ticket],
    }


def requests_of(document: dict[str, Any], data: Seeded) -> list[str]:
    """For EVERY operation of the document: each path parameter with each sample value, the
    defaults, each value of each enumerated query parameter, and words for a free text
    query. A new operation with an unknown path parameter fails here (KeyError) until the
    test learns sample values for it."""
    values = _path_values(data)
    urls: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert method == "get", (path, method)
            parameters = operation.get("parameters", [])
            bases = [path]
            for param in parameters:
                if param["in"] == "path":
                    name = "{" + param["name"] + "}"
                    bases = [b.replace(name, v) for b in bases for v in values[param["name"]]]
            queries = [""]
            for param in parameters:
                if param["in"] != "query":
                    continue
                schema = param["schema"]
                if "enum" in schema:
                    queries += [f"{param['name']}={v}" for v in schema["enum"]]
                elif param["name"] == "q":
                    queries.append(f"q={SAMPLE_WORDS}")
            urls += [base + ("?" + q if q else "") for base in bases for q in queries]
    return urls


def _answer(browser: Browser, url: str) -> tuple[Any, ...]:
    response = browser.get(url)
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.headers.get("access-control-allow-origin"),
        response.content,
    )


def test_every_operation_answers_the_same_for_every_session(world: World, app) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    assert world.services.worker is not None
    asyncio.run(world.services.worker.drain())  # the search index holds every item now
    sessions: dict[str, Browser] = {}
    clients: list[TestClient] = []
    # One address per session: the search's rate limit counts per address.
    for number, (name, account) in enumerate(
        [
            ("anonymous", None),
            ("citizen", world.citizen),
            ("official", world.official),
            ("other official", world.other_official),
            ("moderator", world.moderator),
        ]
    ):
        client = TestClient(app, base_url="http://testserver", client=(f"10.9.0.{number}", 50000))
        clients.append(client)
        browser = Browser(client)
        if account is not None:
            browser.login(account)
            assert "rembug_session" in client.cookies, name
        sessions[name] = browser
    try:
        anonymous = sessions.pop("anonymous")
        document = anonymous.get("/api/v1/openapi.json").json()
        urls = requests_of(document, data)
        # Every operation was asked, and with the cases that matter here.
        assert {u.split("?")[0] for u in urls} >= {p for p in document["paths"] if "{" not in p}
        assert "/api/v1/search?kind=aspiration" in urls
        assert f"/api/v1/aspirations/{data.confidential.ticket}" in urls
        expected = {url: _answer(anonymous, url) for url in urls}
        for url, answer in expected.items():
            assert answer[0] in (200, 404), (url, answer)
        # The anonymous answers hold no confidential aspiration, and the search found one
        # that is public, so the comparisons below compare real results.
        search = anonymous.get("/api/v1/search?kind=aspiration").json()
        assert search["total"] >= 2
        for answer in expected.values():
            assert b"RAHASIA-KONFIDENSIAL" not in answer[3]
        for name, browser in sessions.items():
            for url, answer in expected.items():
                assert _answer(browser, url) == answer, (name, url)
    finally:
        for client in clients:
            client.close()
