"""The server keeps the contract its OpenAPI document and docs/api.md state, also where the
document says nothing a generator would notice: 405 with Allow (web pages too), errors from
the router in the API's format, empty values, periods and dates the document allows, the
search like every other endpoint, and a server URL that joins its paths."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from tests.api.seed import seed
from tests.conftest import World

API_ERROR_KEYS = {"error", "detail", "parameter"}


def _api_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["access-control-allow-origin"] == "*"
    body: dict[str, Any] = response.json()
    assert set(body) == API_ERROR_KEYS and body["error"] == code, body
    assert body["detail"], body
    return body


def test_an_undeclared_method_is_405_with_allow_on_every_operation(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    document = browser.get("/api/v1/openapi.json").json()
    data = seed(world)
    for path, item in document["paths"].items():
        assert set(item) == {"get"}
        url = path.replace("{id}", str(data.consultation.id)).replace(
            "{ticket}", data.public.ticket
        )
        for method in ("TRACE", "POST", "DELETE", "PUT", "PATCH"):
            response = browser.client.request(method, url)
            _api_error(response, 405, "method_not_allowed")
            assert response.headers["allow"] == "GET, HEAD", (method, url)
            assert "GET" in response.json()["detail"]


def test_web_pages_and_static_files_name_their_methods_on_405(browser) -> None:  # type: ignore[no-untyped-def]
    expected = {
        ("TRACE", "/konsultasi"): "GET, HEAD",
        ("POST", "/aspirasi"): "GET, HEAD",
        # Two routes share the path (the form and its submission): both are named.
        ("DELETE", "/aspirasi/baru"): "GET, HEAD, POST",
        ("PUT", "/masuk"): "GET, HEAD, POST",
        ("GET", "/keluar"): "POST",
        ("POST", "/static/rembug.css"): "GET, HEAD",
    }
    for (method, path), allow in expected.items():
        response = browser.client.request(method, path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == allow, (method, path)


def test_an_unknown_api_path_is_json_not_found(browser) -> None:  # type: ignore[no-untyped-def]
    for path in ("/api/v1", "/api/v1/nothing", "/api/v1/consultations/1/nothing", "/api/v2"):
        response = browser.get(path)
        if path == "/api/v2":  # not the API: the site's page
            assert response.status_code == 404
            assert response.headers["content-type"].startswith("text/html")
            continue
        _api_error(response, 404, "not_found")


def test_every_period_the_document_allows_is_answered(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    seed(world)
    now = browser.get("/api/v1/accountability").json()
    assert {r["agency"]["slug"]: r["received"] for r in now["agencies"]}["dinas-a"] == 4
    # Longer than ten years: answered, with everything routed in it.
    long = browser.get("/api/v1/accountability?since=2000-01-01&until=2199-12-31")
    assert long.status_code == 200
    rows = {r["agency"]["slug"]: r for r in long.json()["agencies"]}
    assert rows["dinas-a"]["received"] == 4
    # Upside down: an empty period, every count 0 (a parameter cannot declare its relation
    # to another, so the server does not refuse it).
    upside_down = browser.get("/api/v1/accountability?since=2026-02-01&until=2026-01-01")
    assert upside_down.status_code == 200
    body = upside_down.json()
    assert (body["since"], body["until"]) == ("2026-02-01", "2026-01-01")
    assert all(r["received"] == 0 for r in body["agencies"])
    # A single day far ahead, and the 90 days before a past day.
    ahead = browser.get("/api/v1/accountability?since=2189-11-21").json()
    assert (ahead["since"], ahead["until"]) == ("2189-11-21", "2189-11-21")
    past = browser.get("/api/v1/accountability?until=2001-03-31").json()
    assert (past["since"], past["until"]) == ("2000-12-31", "2001-03-31")


def test_empty_values_are_what_the_document_says(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    seed(world)
    # Not a number, a date or one of a list: 400, as for any other value the document forbids.
    for path, parameter in {
        "/api/v1/consultations?status=": "status",
        "/api/v1/aspirations?per_page=": "per_page",
        "/api/v1/search?to=": "to",
        "/api/v1/search?kind=": "kind",
        "/api/v1/search?page=": "page",
    }.items():
        assert _api_error(browser.get(path), 400, "invalid_parameter")["parameter"] == parameter
    # A free text may be empty: no filter.
    everything = browser.get("/api/v1/aspirations").json()
    assert browser.get("/api/v1/aspirations?agency=&region=").json() == everything
    assert browser.get("/api/v1/search?q=").status_code == 200


def test_the_search_follows_the_same_contract_as_the_other_endpoints(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    assert world.services.worker is not None
    asyncio.run(world.services.worker.drain())  # the search index catches up
    found = browser.get("/api/v1/search", params={"q": "lampu jalan"})
    assert found.status_code == 200
    assert found.headers["access-control-allow-origin"] == "*"
    results = found.json()["results"]
    assert results
    base = world.services.settings.base_url
    for result in results:
        assert result["url"].startswith(base + "/"), result["url"]
    assert f"{base}/aspirasi/{data.public.ticket}" in {r["url"] for r in results}
    # The error format of every endpoint, the repeated parameter refused.
    for path, parameter in {
        "/api/v1/search?per_page=51": "per_page",
        "/api/v1/search?q=a&q=b": "q",
        "/api/v1/search?kind=nothing": "kind",
        "/api/v1/search?from=2026-13-45": "from",
    }.items():
        body = _api_error(browser.get(path), 400, "invalid_parameter")
        assert body["parameter"] == parameter
        assert body["detail"].startswith("Parameter"), body  # Indonesian, as the others
    # Every year the document allows for a date is accepted (2000-2199).
    for day in ("2000-01-01", "2150-06-30", "2199-12-31"):
        for name in ("from", "to"):
            assert browser.get("/api/v1/search", params={name: day}).status_code == 200, day


def test_the_server_url_and_the_paths_join_without_a_double_slash(browser) -> None:  # type: ignore[no-untyped-def]
    document = browser.get("/api/v1/openapi.json").json()
    (server,) = document["servers"]
    for path in document["paths"]:
        address = urlsplit(server["url"] + path)
        assert "//" not in address.path, address
        assert address.path == path
