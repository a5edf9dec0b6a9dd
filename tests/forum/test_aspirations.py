"""Citizens send aspirations: a ticket number, review first, anonymity and confidentiality,
the official's response, withdrawal and support; the interim moderation queue is for
moderators (forum/actions/aspirations.py, forum/actions/responses.py)."""

from __future__ import annotations

import re

from sqlmodel import func, select

from forum import actions
from forum.models import (
    Aspiration,
    Region,
    Visibility,
)
from tests.conftest import Browser, World


def region_id(world: World, code: str = "32.73") -> int:
    with world.services.db.read() as db:
        return db.exec(select(Region.id).where(Region.code == code)).one()


def category_id(world: World, slug: str = "infrastruktur") -> int:
    from forum.models import Category

    with world.services.db.read() as db:
        return db.exec(select(Category.id).where(Category.slug == slug)).one()


def submit_aspiration(browser: Browser, world: World, **overrides: object):  # type: ignore[no-untyped-def]
    data = {
        "title": "Lampu jalan mati di Jalan Antapani",
        "body": "Sudah dua minggu lampu jalan mati, rawan kecelakaan malam hari.",
        "category": category_id(world),
        "region": region_id(world),
        "agency": world.agency.id,
        "visibility": "public",
        "step": "send",  # skip the preview step that a search plugin may add
        **overrides,
    }
    return browser.submit("/aspirasi/baru", "/aspirasi/baru", data)


def test_submit_aspiration_gets_ticket_and_waits_for_review(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    response = submit_aspiration(browser, world)
    assert response.status_code == 303
    ticket = response.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"ASP-\d{4}-\d{6}", ticket)
    own = browser.get(f"/aspirasi/{ticket}").text
    assert ticket in own and "status-pending" in own
    # The public cannot see it before review, not even by ticket.
    visitor = new_browser()
    assert visitor.get(f"/aspirasi/{ticket}").status_code == 404
    assert visitor.get(f"/tiket?nomor={ticket}").status_code == 404
    # Approved: public, routed to the chosen agency, findable by ticket number.
    with world.services.db.write() as db:
        aspiration = db.exec(select(Aspiration)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)
    lookup = visitor.get(f"/tiket?nomor={ticket.lower()}", follow_redirects=False)
    assert lookup.status_code == 303 and lookup.headers["location"] == f"/aspirasi/{ticket}"
    public = visitor.get(f"/aspirasi/{ticket}").text
    assert (
        "Lampu jalan mati" in public
        and "Dinas Komunikasi Kota A" in public
        and "status-routed" in public
    )
    assert "Lampu jalan mati" in visitor.get("/aspirasi").text


def test_ticket_numbers_are_sequential_per_year(world: World) -> None:
    with world.services.db.write() as db:
        tickets = [
            actions.submit_aspiration(
                db,
                world.citizen,
                title=f"Aspirasi nomor {i}",
                body="Isi aspirasi yang cukup panjang.",
                category_id=category_id(world),
                region_id=region_id(world),
                agency_id=None,
                visibility=Visibility.public,
            ).ticket
            for i in range(3)
        ]
    serials = [int(t.rsplit("-", 1)[1]) for t in tickets]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]


def test_invalid_aspiration_keeps_input_and_stores_nothing(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    response = submit_aspiration(
        browser, world, title="Lam", body="pendek", category="", region="999999", visibility="semua"
    )
    assert response.status_code == 400
    for name in ("title", "body", "category", "region", "visibility"):
        assert f'id="{name}-error"' in response.text, name
    assert "pendek" in response.text  # the citizen's text is not lost
    with world.services.db.read() as db:
        assert db.exec(select(func.count()).select_from(Aspiration)).one() == 0


def publish_by_ticket(world: World, ticket: str) -> None:
    with world.services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)


def test_anonymous_aspiration_hides_the_name_from_the_public(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket = (
        submit_aspiration(browser, world, visibility="anonymous")
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    publish_by_ticket(world, ticket)
    assert "Warga" in browser.get(f"/aspirasi/{ticket}").text  # the author sees their name
    public = new_browser().get(f"/aspirasi/{ticket}").text
    assert "Lampu jalan mati" in public and "Warga" not in public
    moderator = new_browser()
    moderator.login(world.moderator)
    assert "Warga" in moderator.get(f"/aspirasi/{ticket}").text


def test_confidential_aspiration_is_seen_by_its_agency_only(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket = (
        submit_aspiration(browser, world, visibility="confidential")
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    publish_by_ticket(world, ticket)
    assert new_browser().get(f"/aspirasi/{ticket}").status_code == 404
    assert "Lampu jalan mati" not in new_browser().get("/aspirasi").text
    own_agency = new_browser()
    own_agency.login(world.official)
    assert own_agency.get(f"/aspirasi/{ticket}").status_code == 200
    other_agency = new_browser()
    other_agency.login(world.other_official)
    assert other_agency.get(f"/aspirasi/{ticket}").status_code == 404
    # ...and cannot answer it either.
    page = "/"
    response = other_agency.submit(
        page, "/kelola/tanggapan", {"kind": "aspiration", "target": ticket, "body": "Kami tangani."}
    )
    assert response.status_code == 404


def test_official_response_on_aspiration(browser: Browser, new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket = submit_aspiration(browser, world).headers["location"].rsplit("/", 1)[1]
    publish_by_ticket(world, ticket)
    official = new_browser()
    official.login(world.official)
    response = official.submit(
        f"/aspirasi/{ticket}",
        "/kelola/tanggapan",
        {"kind": "aspiration", "target": ticket, "body": "Tim kami memperbaiki lampu pekan ini."},
    )
    assert response.status_code == 303
    public = new_browser().get(f"/aspirasi/{ticket}").text
    assert "Tim kami memperbaiki lampu" in public and "status-responded" in public
    assert "Tim kami memperbaiki lampu" in new_browser().get("/").text  # latest responses
    # An official of another agency cannot answer it.
    other = new_browser()
    other.login(world.other_official)
    refused = other.submit(
        f"/aspirasi/{ticket}",
        "/kelola/tanggapan",
        {"kind": "aspiration", "target": ticket, "body": "Bukan urusan kami."},
    )
    assert refused.status_code == 403


def test_citizen_withdraws_own_aspiration(browser: Browser, new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket = submit_aspiration(browser, world).headers["location"].rsplit("/", 1)[1]
    publish_by_ticket(world, ticket)
    other = new_browser()
    other.login(world.other_citizen)
    assert other.submit(f"/aspirasi/{ticket}", f"/aspirasi/{ticket}/tarik", {}).status_code == 403
    assert browser.submit(f"/aspirasi/{ticket}", f"/aspirasi/{ticket}/tarik", {}).status_code == 303
    assert new_browser().get(f"/aspirasi/{ticket}").status_code == 404


def test_support_aspiration(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    ticket = submit_aspiration(browser, world).headers["location"].rsplit("/", 1)[1]
    publish_by_ticket(world, ticket)
    browser.submit("/", "/keluar", {})
    browser.login(world.other_citizen)
    with world.services.db.read() as db:
        aspiration = db.exec(select(Aspiration)).one()
    page = f"/aspirasi/{ticket}"
    assert (
        browser.submit(
            page, "/dukung", {"kind": "aspiration", "id": aspiration.id, "next": page}
        ).status_code
        == 303
    )
    assert "(1)" in browser.get(page).text
    with world.services.db.read() as db:
        assert db.get(Aspiration, aspiration.id).support_count == 1


def test_moderation_queue_is_for_moderators(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    assert browser.get("/moderation").status_code == 403
    with world.services.db.write() as db:
        aspiration = actions.submit_aspiration(
            db,
            world.citizen,
            title="Jalan berlubang",
            body="Jalan berlubang besar di depan sekolah.",
            category_id=category_id(world),
            region_id=region_id(world),
            agency_id=None,
            visibility=Visibility.public,
        )
    from moderation.models import ModerationCase

    with world.services.db.read() as db:
        case_id = db.exec(select(ModerationCase.id)).one()
    response = browser.submit("/saya", f"/moderation/kasus/{case_id}", {"action": "approve"})
    assert response.status_code == 403
    with world.services.db.read() as db:
        assert db.get(Aspiration, aspiration.id).status == "pending"


def test_preview_step_offers_similar_aspirations_when_a_plugin_finds_them(
    browser: Browser, world: World
) -> None:
    """With a SIMILAR_ASPIRATIONS provider installed, the form first shows look-alikes
    (nothing stored), then sends on the second step."""
    from forum.extensions import SIMILAR_ASPIRATIONS

    with world.services.db.write() as db:
        existing = actions.submit_aspiration(
            db,
            world.other_citizen,
            title="Lampu jalan padam di Antapani",
            body="Lampu jalan di Antapani padam sejak minggu lalu.",
            category_id=category_id(world),
            region_id=region_id(world),
            agency_id=None,
            visibility=Visibility.public,
        )
        actions.publish_aspiration(db, world.moderator, existing)
    seen: list[str] = []

    def similar(db, viewer, title, body, limit):  # type: ignore[no-untyped-def]
        seen.append(title)
        return [db.get(Aspiration, existing.id)]

    world.services.extensions[SIMILAR_ASPIRATIONS] = similar
    browser.login(world.citizen)
    preview = submit_aspiration(browser, world, step="preview")
    assert preview.status_code == 200 and seen == ["Lampu jalan mati di Jalan Antapani"]
    assert existing.ticket in preview.text and 'value="send"' in preview.text
    with world.services.db.read() as db:
        assert db.exec(select(func.count()).select_from(Aspiration)).one() == 1
    sent = submit_aspiration(browser, world, step="send")
    assert sent.status_code == 303
    with world.services.db.read() as db:
        assert db.exec(select(func.count()).select_from(Aspiration)).one() == 2
