"""Moderators and attachments (issue 20): the case shows every file of the contribution (its
thumbnail, type, size and OCR state), a moderator removes one file with a reason while the rest
of the contribution is still approved, the author reads the reason and is notified; removed
files are gone for everyone."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from forum import attachments
from forum.models import Attachment, Notification
from moderation.models import AuditEntry
from tests.conftest import CSRF_RE, Browser, World
from tests.forum.test_attachment_web import gps_photo, posted_aspiration, publish
from tests.forum.test_attachments import encoded, minimal_pdf, two_halves
from tests.moderation.conftest import Make


def sent_with_two_files(browser: Browser, world: World) -> tuple[str, list[Attachment]]:
    browser.login(world.citizen)
    return posted_aspiration(
        browser,
        world,
        [("jalan.jpg", gps_photo(), "image/jpeg"), ("surat.pdf", minimal_pdf(), "application/pdf")],
    )


def case_url(make: Make, world: World, ticket: str) -> str:
    from forum.models import Aspiration

    with world.services.db.read() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
    return f"/moderation/kasus/{make.case_of(aspiration).id}"


def test_the_case_shows_every_attachment(
    browser: Browser, new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    ticket, (photo, pdf) = sent_with_two_files(browser, world)
    moderator = new_browser()
    moderator.login(world.moderator)
    queue = moderator.get("/moderation").text
    assert "2 lampiran" in queue
    page = moderator.get(case_url(make, world, ticket)).text
    assert f'src="/lampiran/{photo.public_key}/thumb/320"' in page
    assert f'href="/lampiran/{pdf.public_key}" download' in page
    assert "image/jpeg" in page and "400×300 px" in page
    assert "application/pdf" in page and "1 KB" in page
    assert "OCR: belum dijalankan" in page  # the photo's OCR state; a PDF has none
    assert page.count("OCR:") == 1
    assert moderator.get(f"/lampiran/{photo.public_key}/thumb/320").status_code == 200


def test_a_moderator_removes_one_file_and_the_rest_is_approved(
    browser: Browser, new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    services = world.services
    ticket, (photo, pdf) = sent_with_two_files(browser, world)
    moderator = new_browser()
    moderator.login(world.moderator)
    url = case_url(make, world, ticket)
    removed = moderator.submit(
        url,
        f"{url}/lampiran/{photo.public_key}/hapus",
        {"reason": "personal-data", "note": "Foto memperlihatkan alamat rumah."},
    )
    assert removed.status_code == 303, removed.text
    store = attachments.store_for(services.settings)
    assert not store.exists(photo.sha256, "jpg")  # the file itself is gone
    with services.db.read() as db:
        row = db.get(Attachment, photo.id)
        assert row.status == "removed"
        assert row.removed_reason == "Memuat data pribadi: Foto memperlihatkan alamat rumah."
        assert db.exec(
            select(AuditEntry).where(
                AuditEntry.action == "attachment-remove", AuditEntry.object_id == photo.id
            )
        ).one()
    page = moderator.get(url).text
    assert "Dihapus: Memuat data pribadi" in page
    # The rest of the contribution is still decided as usual.
    approved = moderator.submit(url, url, {"action": "approve"})
    assert approved.status_code == 303
    visitor = new_browser()
    public = visitor.get(f"/aspirasi/{ticket}").text
    assert f"/lampiran/{pdf.public_key}" in public and photo.public_key not in public
    assert "Foto memperlihatkan" not in public  # the reason is the author's to read
    assert visitor.get(f"/lampiran/{pdf.public_key}").status_code == 200
    for viewer in (visitor, browser, moderator):
        assert viewer.get(f"/lampiran/{photo.public_key}").status_code == 404
        assert viewer.get(f"/lampiran/{photo.public_key}/thumb/320").status_code == 404
    own = browser.get(f"/aspirasi/{ticket}").text
    assert "jalan.jpg dihapus oleh moderator: Memuat data pribadi" in own
    # ... and told so, through the notifications every decision uses.
    for _ in range(3):
        asyncio.run(services.worker.drain())  # type: ignore[union-attr]
    with services.db.read() as db:
        notes = db.exec(
            select(Notification).where(Notification.account_id == world.citizen.id)
        ).all()
    assert any(n.message.startswith("A moderator removed %(name)s") for n in notes)
    inbox = browser.get("/notifikasi").text
    assert f"Moderator menghapus jalan.jpg dari aspirasi Anda {ticket}" in inbox


def test_removing_needs_the_csrf_token_a_moderator_and_the_cases_own_file(
    browser: Browser, new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    ticket, (photo, _) = sent_with_two_files(browser, world)
    url = case_url(make, world, ticket)
    moderator = new_browser()
    moderator.login(world.moderator)
    no_token = moderator.client.post(
        f"{url}/lampiran/{photo.public_key}/hapus",
        data={"reason": "personal-data"},
        follow_redirects=False,
    )
    assert no_token.status_code == 403
    # The author (a citizen) cannot use the moderators' form.
    token = CSRF_RE.search(browser.get("/saya").text).group(1)  # type: ignore[union-attr]
    by_citizen = browser.client.post(
        f"{url}/lampiran/{photo.public_key}/hapus",
        data={"csrf_token": token, "reason": "personal-data"},
        follow_redirects=False,
    )
    assert by_citizen.status_code == 403
    # A file of another contribution is not reached through this case.
    # (Through the test's main client: submissions go through its one event loop.)
    assert browser.submit("/saya", "/keluar", {}).status_code == 303
    browser.login(world.other_citizen)
    _, [other_photo] = posted_aspiration(
        browser, world, [("lain.png", encoded(two_halves(), "PNG"), "image/png")]
    )
    wrong = moderator.submit(
        url, f"{url}/lampiran/{other_photo.public_key}/hapus", {"reason": "spam"}
    )
    assert wrong.status_code == 404
    other = moderator.submit(url, f"{url}/lampiran/{photo.public_key}/hapus", {"reason": "other"})
    assert other.status_code == 400  # "other" needs a note: the form says so
    with world.services.db.read() as db:
        statuses = [db.get(Attachment, a.id).status for a in (photo, other_photo)]
    assert statuses == ["pending", "pending"]


def test_a_removed_file_of_a_published_aspiration_is_gone_for_the_public(
    browser: Browser, new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    ticket, (photo, _) = sent_with_two_files(browser, world)
    publish(world, ticket)
    visitor = new_browser()
    thumb = f"/lampiran/{photo.public_key}/thumb/320"
    assert visitor.get(thumb).status_code == 200
    moderator = new_browser()
    moderator.login(world.moderator)
    url = case_url(make, world, ticket)  # decided already: a file can still be taken down
    response = moderator.submit(
        url, f"{url}/lampiran/{photo.public_key}/hapus", {"reason": "abusive"}
    )
    assert response.status_code == 303
    assert visitor.get(thumb).status_code == 404
    assert thumb not in visitor.get(f"/aspirasi/{ticket}").text
