"""Citizens comment, reply, support and send aspirations; everything waits for review; the
interim moderation queue publishes or rejects with a reason the author sees."""

from __future__ import annotations

import re

from sqlmodel import col, func, select

from forum import actions
from forum.models import (
    Aspiration,
    Channel,
    Comment,
    Consultation,
    Region,
    Section,
    Support,
    Visibility,
)
from tests.conftest import Browser, World


def section_id(world: World, consultation: Consultation, position: int) -> int:
    with world.services.db.read() as db:
        return db.exec(
            select(Section.id).where(
                Section.consultation_id == consultation.id, Section.position == position
            )
        ).one()


def region_id(world: World, code: str = "32.73") -> int:
    with world.services.db.read() as db:
        return db.exec(select(Region.id).where(Region.code == code)).one()


def category_id(world: World, slug: str = "infrastruktur") -> int:
    from forum.models import Category

    with world.services.db.read() as db:
        return db.exec(select(Category.id).where(Category.slug == slug)).one()


def test_comment_waits_for_review_then_is_published(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}/bagian/2"
    browser.login(world.citizen)
    response = browser.submit(
        page,
        f"/konsultasi/{consultation.id}/komentar",
        {
            "body": "Bagian ini perlu menyebut layanan lewat WhatsApp.",
            "section_id": section_id(world, consultation, 2),
            "next": page,
        },
    )
    assert response.status_code == 303 and response.headers["location"].startswith(page)
    # Not public yet; the author sees it as pending.
    visitor = new_browser()
    assert "layanan lewat WhatsApp" not in visitor.get(page).text
    mine = browser.get("/saya").text
    assert "layanan lewat WhatsApp" in mine and "status-pending" in mine
    # A moderator approves it in the queue.
    moderator = new_browser()
    moderator.login(world.moderator)
    queue = moderator.get("/moderation").text
    assert "layanan lewat WhatsApp" in queue
    case_page = "/moderation/kasus/" + re.search(r"/moderation/kasus/(\d+)", queue).group(1)
    decided = moderator.submit(case_page, case_page, {"action": "approve"})
    assert decided.status_code == 303
    public = visitor.get(page).text
    assert "layanan lewat WhatsApp" in public and "Warga" in public
    assert "status-published" in browser.get("/saya").text


def test_comment_on_whole_consultation_and_reply(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}"
    browser.login(world.citizen)
    browser.submit(page, f"{page}/komentar", {"body": "Secara umum saya setuju."})
    with world.services.db.write() as db:
        root = db.exec(select(Comment)).one()
        assert root.section_id is None
        actions.publish_comment(db, world.moderator, root)
    replier = browser  # the other citizen replies
    replier.submit(page, "/keluar", {})
    replier.login(world.other_citizen)
    response = replier.submit(
        page, f"{page}/komentar", {"body": "Saya juga, tapi perlu contoh.", "parent_id": root.id}
    )
    assert response.status_code == 303
    with world.services.db.write() as db:
        reply = db.exec(select(Comment).where(Comment.parent_id == root.id)).one()
        assert reply.root_id == root.id
        actions.publish_comment(db, world.moderator, reply)
    html = replier.get(page).text
    assert html.index("Secara umum saya setuju.") < html.index("Saya juga, tapi perlu contoh.")
    with world.services.db.read() as db:
        assert db.get(Consultation, consultation.id).comment_count == 2
        assert db.get(Comment, root.id).reply_count == 1


def test_rejected_comment_shows_reason_to_author_only(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}"
    browser.login(world.citizen)
    browser.submit(page, f"{page}/komentar", {"body": "Beli obat murah di toko saya!"})
    moderator = new_browser()
    moderator.login(world.moderator)
    queue = moderator.get("/moderation").text
    case_page = "/moderation/kasus/" + re.search(r"/moderation/kasus/(\d+)", queue).group(1)
    response = moderator.submit(
        case_page, case_page, {"action": "reject", "reason": "spam", "note": "promosi"}
    )
    assert response.status_code == 303
    mine = browser.get("/saya").text
    assert "status-rejected" in mine and "promosi" in mine
    assert "Beli obat murah" not in new_browser().get(page).text


def test_invalid_comment_is_shown_again_and_not_stored(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}/bagian/2"
    browser.login(world.citizen)
    response = browser.submit(
        page,
        f"/konsultasi/{consultation.id}/komentar",
        {"body": "x", "section_id": section_id(world, consultation, 2)},
    )
    assert response.status_code == 400
    assert 'id="body-error"' in response.text
    with world.services.db.read() as db:
        assert db.exec(select(func.count()).select_from(Comment)).one() == 0


def test_visitor_must_log_in_to_comment(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}"
    assert 'action="/konsultasi/' not in browser.get(page).text  # no comment form, a login link
    response = browser.submit("/masuk", f"{page}/komentar", {"body": "Tanpa akun"})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/masuk")


def test_support_and_withdraw_support(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    with world.services.db.write() as db:
        comment = actions.submit_comment(
            db, world.citizen, db.get(Consultation, consultation.id), body="Perlu layanan 24 jam."
        )
        actions.publish_comment(db, world.moderator, comment)
    page = f"/konsultasi/{consultation.id}"
    browser.login(world.other_citizen)
    data = {"kind": "comment", "id": comment.id, "next": page}
    assert browser.submit(page, "/dukung", data).status_code == 303
    assert browser.submit(page, "/dukung", data).status_code == 303  # twice is still one
    with world.services.db.read() as db:
        assert db.get(Comment, comment.id).support_count == 1
        assert db.exec(select(func.count()).select_from(Support)).one() == 1
    assert browser.submit(page, "/dukung", {**data, "action": "withdraw"}).status_code == 303
    with world.services.db.read() as db:
        assert db.get(Comment, comment.id).support_count == 0


def test_cannot_support_own_or_unpublished_content(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    with world.services.db.write() as db:
        mine = actions.submit_comment(
            db, world.citizen, db.get(Consultation, consultation.id), body="Komentar saya sendiri"
        )
        actions.publish_comment(db, world.moderator, mine)
        pending = actions.submit_comment(
            db, world.other_citizen, db.get(Consultation, consultation.id), body="Belum terbit"
        )
    page = f"/konsultasi/{consultation.id}"
    browser.login(world.citizen)
    assert browser.submit(page, "/dukung", {"kind": "comment", "id": mine.id}).status_code == 409
    assert browser.submit(page, "/dukung", {"kind": "comment", "id": pending.id}).status_code == 404


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


def test_thread_pages_use_a_fixed_number_of_queries(
    browser: Browser, world: World, count_queries
) -> None:  # type: ignore[no-untyped-def]
    consultation = world.consultation()
    with world.services.db.write() as db:
        c = db.get(Consultation, consultation.id)
        for i in range(45):
            root = actions.submit_comment(db, world.citizen, c, body=f"Komentar nomor {i}")
            actions.publish_comment(db, world.moderator, root)
            reply = actions.submit_comment(
                db, world.other_citizen, c, body=f"Balasan {i}", parent_id=root.id
            )
            actions.publish_comment(db, world.moderator, reply)
    page = f"/konsultasi/{consultation.id}"
    first = browser.get(page).text
    assert (
        "Komentar nomor 0" in first
        and "Komentar nomor 19" in first
        and "Komentar nomor 20" not in first
    )
    count_queries.count = 0
    third = browser.get(page + "?halaman=3").text
    assert "Komentar nomor 44" in third and "Balasan 44" in third
    assert count_queries.count <= 12
    assert browser.get(page + "?halaman=999").status_code == 200  # clamped to the last page


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


def test_chat_only_citizen_can_contribute(world: World) -> None:
    consultation = world.consultation()
    with world.services.db.write() as db:
        account = actions.create_chat_account(db, name="Pak Darto", locale="id")
        assert account.email is None and account.phone is None and account.password_hash is None
        comment = actions.submit_comment(
            db,
            account,
            db.get(Consultation, consultation.id),
            body="Dari Telegram",
            channel=Channel.telegram,
        )
    assert comment.status == "pending" and comment.channel == "telegram"


def test_published_counts_follow_what_readers_see_when_a_thread_root_goes(
    world: World, browser: Browser
) -> None:
    """A hidden, taken-down or withdrawn root hides its whole thread from the page, so the
    consultation's and section's counts drop by the root and its visible replies, and come
    back with them; a reply published under a hidden root does not count until it shows."""
    consultation = world.consultation()
    db_write = world.services.db.write

    def counts() -> tuple[int, int]:
        with world.services.db.read() as db:
            c = db.get(Consultation, consultation.id)
            s = db.exec(
                select(Section)
                .where(Section.consultation_id == consultation.id)
                .order_by(col(Section.id))
            ).first()
            assert c is not None and s is not None
            return c.comment_count, s.comment_count

    with db_write() as db:
        live = db.get(Consultation, consultation.id)
        section = db.exec(
            select(Section)
            .where(Section.consultation_id == consultation.id)
            .order_by(col(Section.id))
        ).first()
        root = actions.submit_comment(
            db, world.citizen, live, body="Akar utas tentang pasal satu.", section_id=section.id
        )
        actions.publish_comment(db, world.moderator, root)
        for n in range(2):
            reply = actions.submit_comment(
                db,
                world.other_citizen,
                live,
                body=f"Balasan nomor {n} untuk akar utas.",
                section_id=section.id,
                parent_id=root.id,
            )
            actions.publish_comment(db, world.moderator, reply)
    assert counts() == (3, 3)
    with db_write() as db:
        actions.hide_content(db, world.moderator, comment=db.get(Comment, root.id))
    assert counts() == (0, 0)
    with db_write() as db:  # a late reply approved while its thread is hidden
        late = actions.submit_comment(
            db,
            world.other_citizen,
            db.get(Consultation, consultation.id),
            body="Balasan yang disetujui saat utas disembunyikan.",
            section_id=section.id,
            parent_id=root.id,
        )
        actions.publish_comment(db, world.moderator, late)
    assert counts() == (0, 0)
    with db_write() as db:
        actions.restore_content(db, world.moderator, comment=db.get(Comment, root.id))
    assert counts() == (4, 4)
    with db_write() as db:
        actions.withdraw_comment(db, world.citizen, db.get(Comment, root.id))
    assert counts() == (0, 0)
