"""What caches in front of Rembug (a browser, nginx, a CDN) may keep, and the validators that
turn a repeat visit into a 304 (forum/web/http_cache.py)."""

from __future__ import annotations

from forum import actions
from tests.conftest import Browser, World


def test_anonymous_pages_feeds_and_api_are_shared_and_revalidated(
    browser: Browser, world: World
) -> None:
    consultation = world.consultation()
    for path in (
        "/",
        f"/konsultasi/{consultation.id}",
        "/feeds/konsultasi.atom",
        "/api/v1/consultations",
    ):
        first = browser.client.get(path)
        assert first.status_code == 200, path
        # The suite's REMBUG_PAGE_CACHE_SECONDS is 0: shared, but asked again every time.
        assert first.headers["cache-control"] == "public, no-cache", path
        assert "Cookie" in first.headers["vary"], path
        etag = first.headers["etag"]
        assert etag.startswith('W/"'), path
        again = browser.client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b"" and again.headers["etag"] == etag, path
        other = browser.client.get(path, headers={"If-None-Match": 'W/"something-else"'})
        assert other.status_code == 200 and other.content == first.content, path


def test_a_change_gives_a_new_validator(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}"
    etag = browser.client.get(page).headers["etag"]
    with world.services.db.write() as db:
        live = db.merge(consultation)
        comment = actions.submit_comment(
            db, world.citizen, live, body="Pasal ini perlu batas waktu yang jelas."
        )
        actions.publish_comment(db, world.moderator, comment)
    changed = browser.client.get(page, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "batas waktu yang jelas" in changed.text
    assert changed.headers["etag"] != etag


def test_personal_answers_are_never_shared(browser: Browser, new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    # A form carries a token bound to this visitor's cookie: not for anyone else.
    form = new_browser().client.get("/masuk")
    assert form.headers["cache-control"] == "private, no-cache"
    browser.login(world.citizen)
    for path in ("/", "/saya"):
        response = browser.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "private, no-cache", path
    # An answer that chose its own policy keeps it.
    assert browser.client.get("/static/rembug.css").headers["cache-control"] == "no-cache"
