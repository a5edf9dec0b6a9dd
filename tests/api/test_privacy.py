"""No personal data and nothing non-public ever leaves through the API, its CSV exports or
the feeds: not for visitors, and not for an official logged in (the API is public)."""

from __future__ import annotations

from typing import Any

from tests.api.seed import FORBIDDEN_KEYS, NIK, SECRETS, Seeded, every_key, seed
from tests.conftest import World

LISTS = (
    "/api/v1/consultations",
    "/api/v1/aspirations",
    "/api/v1/responses",
    "/api/v1/agencies",
)


def _outputs(browser, data: Seeded) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Every public output of the open-data layer, as text (and JSON where it is JSON)."""
    cid, draft = data.consultation.id, data.draft.id
    paths = [
        *(f"{path}?per_page=100" for path in LISTS),
        *(f"{path}?format=csv" for path in LISTS),
        f"/api/v1/consultations/{cid}",
        f"/api/v1/consultations/{cid}/comments?per_page=100",
        f"/api/v1/consultations/{cid}/comments?format=csv",
        f"/api/v1/consultations/{draft}",
        f"/api/v1/consultations/{draft}/comments",
        "/api/v1/accountability",
        "/api/v1/accountability?format=csv",
        *(f"/api/v1/aspirations?status={s}&format=csv" for s in ("routed", "responded")),
        "/feeds/konsultasi.atom",
        "/feeds/tanggapan.atom",
        f"/konsultasi/{cid}/komentar.atom",
        f"/konsultasi/{draft}/komentar.atom",
    ]
    tickets = [a["ticket"] for a in browser.get("/api/v1/aspirations").json()["items"]]
    paths += [f"/api/v1/aspirations/{t}" for t in tickets]
    return {path: browser.get(path) for path in paths}


def _assert_nothing_leaks(outputs: dict[str, Any], data: Seeded) -> None:
    for path, response in outputs.items():
        assert response.status_code in (200, 404), path
        text = response.text
        for secret in (*SECRETS, *data.personal):
            assert secret not in text, (path, secret)
        if response.headers["content-type"] == "application/json":
            assert not every_key(response.json()) & FORBIDDEN_KEYS, path


def test_nothing_personal_or_non_public_in_api_csv_or_feeds(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    outputs = _outputs(browser, data)
    _assert_nothing_leaks(outputs, data)
    # The public items are there, so the checks above looked at real rows.
    aspirations = outputs["/api/v1/aspirations?per_page=100"].json()
    assert aspirations["total"] == 2
    assert "[disunting]" in outputs[f"/api/v1/aspirations/{data.anonymous.ticket}"].text
    for path in (
        f"/api/v1/consultations/{data.draft.id}",
        f"/api/v1/aspirations/{data.confidential.ticket}",
    ):
        assert browser.get(path).status_code == 404


def test_confidential_items_are_absent_for_every_official(world: World, new_browser) -> None:  # type: ignore[no-untyped-def]
    """Even the agency the confidential aspiration belongs to does not get it through the
    open-data layer; the other agency's official learns nothing either."""
    data = seed(world)
    for official in (world.official, world.other_official, world.moderator):
        browser = new_browser()
        browser.login(official)
        outputs = _outputs(browser, data)
        _assert_nothing_leaks(outputs, data)
        confidential = browser.get(f"/api/v1/aspirations/{data.confidential.ticket}")
        assert confidential.status_code == 404
        assert confidential.json()["error"] == "not_found"
        # The same answer as a ticket that was never issued: nothing to learn from it.
        never = browser.get("/api/v1/aspirations/ASP-2000-999999")
        assert never.json() == confidential.json()


def test_pages_with_feed_links_do_not_leak(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    data = seed(world)
    for path in ("/", "/konsultasi", "/aspirasi", f"/konsultasi/{data.consultation.id}"):
        html = browser.get(path).text
        for secret in (*SECRETS, "Kartini Anonimwati", NIK):
            assert secret not in html, (path, secret)
