"""Site-wide behaviour: health check, error pages, language switch, escaping, headers."""

from __future__ import annotations

import re

from sqlmodel import select

from forum import actions
from forum.models import Account, Comment, Consultation
from tests.conftest import Browser, World


def test_healthz_checks_the_database(browser: Browser) -> None:
    response = browser.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok"}


def test_friendly_404_in_indonesian_by_default(browser: Browser) -> None:
    response = browser.get("/tidak-ada-halaman-ini")
    assert response.status_code == 404
    assert '<html lang="id">' in response.text
    assert "Halaman" in response.text and 'href="/"' in response.text


def test_language_switch_to_english_and_back(browser: Browser) -> None:
    response = browser.get("/bahasa/en?next=/konsultasi", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/konsultasi"
    page = browser.get("/konsultasi").text
    assert '<html lang="en">' in page and "Consultations" in page
    browser.get("/bahasa/id?next=https://evil.example", follow_redirects=False)
    page = browser.get("/konsultasi").text
    assert '<html lang="id">' in page and "Konsultasi" in page


def test_security_headers_on_every_response(browser: Browser) -> None:
    for path in ("/", "/tidak-ada", "/healthz"):
        headers = browser.get(path).headers
        csp = headers["content-security-policy"]
        assert (
            "object-src 'none'" in csp
            and "base-uri 'none'" in csp
            and "frame-ancestors 'none'" in csp
        )
        assert "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_user_text_is_escaped_and_markdown_sanitised(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    attack = (
        "<script>alert(1)</script> **tebal** [klik](javascript:alert(2)) "
        "<img src=x onerror=alert(3)> [situs](https://contoh.id)"
    )
    with world.services.db.write() as db:
        comment = actions.submit_comment(
            db, world.citizen, db.get(Consultation, consultation.id), body=attack
        )
        actions.publish_comment(db, world.moderator, comment)
        account = db.get(Account, world.citizen.id)
        account.name = '<b onmouseover="x">Warga</b>'
        db.add(account)
    html = browser.get(f"/konsultasi/{consultation.id}").text
    assert "<script>alert(1)" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, not run
    assert "<strong>tebal</strong>" in html
    assert 'href="https://contoh.id"' in html and 'rel="nofollow ugc noopener noreferrer"' in html
    assert "&lt;b onmouseover=&#34;x&#34;&gt;Warga&lt;/b&gt;" in html or "&lt;b onmouseover" in html


def test_static_assets_are_served_compressed(browser: Browser) -> None:
    response = browser.get("/static/rembug.css", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip"


def test_oversized_form_is_refused(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    response = browser.submit("/saya", "/aspirasi/baru", {"body": "x" * 1_100_000})
    assert response.status_code == 413


def test_pages_answer_without_a_logged_in_user(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    for path in (
        "/",
        "/konsultasi",
        f"/konsultasi/{consultation.id}",
        f"/konsultasi/{consultation.id}/bagian/1",
        "/aspirasi",
        "/tiket",
        "/daftar",
        "/masuk",
    ):
        assert browser.get(path).status_code == 200, path
    assert browser.get("/tiket?nomor=bukan-tiket").status_code == 400
    with world.services.db.read() as db:
        assert db.exec(select(Consultation)).first() is not None


def test_anonymous_page_cache_serves_without_queries_and_empties_on_change(
    services, world: World, count_queries
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from starlette.testclient import TestClient

    from forum.app import create_app
    from forum.web.kit import PageCache

    services.page_cache = PageCache(60)
    services.bus.on_commit(services.page_cache.clear)
    app = create_app(replace(services.settings, page_cache_seconds=60), services=services)
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}"
    with TestClient(app) as visitor:
        first = visitor.get(page)
        count_queries.count = 0
        second = visitor.get(page)
        assert second.text == first.text and count_queries.count == 0  # from the cache
        with world.services.db.write() as db:
            comment = actions.submit_comment(
                db,
                world.citizen,
                db.get(Consultation, consultation.id),
                body="Komentar baru tayang",
            )
        # Waiting for moderation changes no public page: a burst of submissions keeps the
        # cache (and the pages it serves) warm.
        count_queries.count = 0
        assert visitor.get(page).text == first.text and count_queries.count == 0
        with world.services.db.write() as db:
            actions.publish_comment(db, world.moderator, db.get(Comment, comment.id))
        assert "Komentar baru tayang" in visitor.get(page).text  # the commit emptied it
        citizen = Browser(TestClient(app))
        citizen.login(world.citizen)
        html = citizen.get(page).text
        assert 'name="csrf_token"' in html and "Warga" in html  # logged in: never the cache
        assert 'name="csrf_token"' not in visitor.get(page).text


def test_only_pages_with_a_form_set_the_csrf_cookie(browser: Browser, world: World) -> None:
    """An anonymous page without a form (home, a consultation, the API, a feed) answers without
    Set-Cookie, so a cache in front may keep it; a page with a form sets the cookie its token
    is bound to, and that form then works."""
    consultation = world.consultation()
    for path in ("/", f"/konsultasi/{consultation.id}", "/api/v1/consultations", "/healthz"):
        response = browser.client.get(path)
        assert response.status_code == 200, path
        assert "set-cookie" not in response.headers, path
    page = browser.client.get("/masuk")
    assert "rembug_csrf=" in page.headers["set-cookie"]
    assert 'name="csrf_token"' in page.text
    browser.login(world.citizen)
    assert browser.client.get("/saya").status_code == 200


def test_time_elements_carry_a_valid_machine_readable_moment(
    browser: Browser, world: World
) -> None:
    """HTML allows at most three fractional digits in <time datetime>; the database keeps
    microseconds. Every <time> comes from one helper (Formatter.time)."""
    consultation = world.consultation()
    with world.services.db.write() as db:
        comment = actions.submit_comment(
            db, world.citizen, db.get(Consultation, consultation.id), body="Komentar bertanggal."
        )
        actions.publish_comment(db, world.moderator, comment)
        comment.published_at = comment.published_at.replace(microsecond=123456)  # type: ignore[union-attr]
        db.add(comment)
        actions.publish_official_response(
            db, world.official, body="Terima kasih atas masukannya.", comment=comment
        )
    page = browser.get(f"/konsultasi/{consultation.id}").text
    moments = re.findall(r'<time datetime="([^"]*)"', page)
    assert len(moments) >= 2, page
    for moment in moments:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", moment), moment
