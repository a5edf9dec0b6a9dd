"""Citizens comment on a consultation (a section or the whole), reply and support; every comment
waits for review and the author sees a rejection's reason; thread pages and counts follow what
readers may see (forum/actions/comments.py, forum/actions/support.py)."""

from __future__ import annotations

import re

from sqlmodel import col, func, select

from forum import actions
from forum.models import (
    Channel,
    Comment,
    Consultation,
    Section,
    Support,
)
from tests.conftest import Browser, World


def section_id(world: World, consultation: Consultation, position: int) -> int:
    with world.services.db.read() as db:
        return db.exec(
            select(Section.id).where(
                Section.consultation_id == consultation.id, Section.position == position
            )
        ).one()


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
