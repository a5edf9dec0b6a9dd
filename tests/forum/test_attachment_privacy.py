"""Attachments and the person's data rights (issue 20, UU PDP): the data export carries the
author's files (a ZIP with data.json and the files; removed ones only listed), and deleting
the account removes them as the deletion rules say."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlmodel import select

from forum import actions, attachments
from forum.attachments import StoredFile
from forum.models import Account, Aspiration, Attachment, Consultation, utcnow
from tests.conftest import PASSWORD, Browser, World
from tests.forum.test_attachment_web import gps_photo, posted_aspiration, publish
from tests.forum.test_attachments import encoded, minimal_pdf, two_halves


def sent_by(
    browser: Browser, author: Account, world: World, *files: tuple[str, bytes]
) -> Attachment:
    """``author`` sends an aspiration with ``files`` through ``browser``, then signs out; the
    first file's row."""
    browser.login(author)
    _, rows = posted_aspiration(browser, world, [(name, data, "image/png") for name, data in files])
    assert browser.submit("/saya", "/keluar", {}).status_code == 303
    return rows[0]


def commented(world: World, author: Account, file: tuple[str, bytes]) -> Attachment:
    """A published comment of ``author`` carrying ``file``, through the actions the intake runs
    (stored, then its row with the comment)."""
    prepared = attachments.inspect(file[1], file[0], max_bytes=10 << 20)
    attachments.store_for(world.services.settings).put(prepared)
    consultation = world.consultation()
    with world.services.db.write() as db:
        comment = actions.submit_comment(
            db,
            db.get(Account, author.id),
            db.get(Consultation, consultation.id),
            body="Lihat foto.",
        )
        [row] = actions.attach_files(
            db, db.get(Account, author.id), [StoredFile.of(prepared)], comment=comment
        )
        actions.publish_comment(db, world.moderator, comment)
    return row


def test_the_data_export_carries_the_authors_files_and_lists_removed_ones(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    services = world.services
    store = attachments.store_for(services.settings)
    # Another citizen's file is not in this export. (Submissions go through the test's main
    # client: its one event loop gets the intake's nudge.)
    other = sent_by(browser, world.other_citizen, world, ("lain.png", encoded(two_halves(), "PNG")))
    browser.login(world.citizen)
    ticket, (photo, pdf) = posted_aspiration(
        browser,
        world,
        [("jalan.jpg", gps_photo(), "image/jpeg"), ("surat.pdf", minimal_pdf(), "application/pdf")],
    )
    with services.db.write() as db:
        actions.remove_attachment(
            db,
            world.moderator,
            db.get(Attachment, pdf.id),
            reason="Memuat data pribadi.",
            store=store,
        )

    page = browser.get("/saya/data").text
    assert 'href="/saya/data.zip"' in page
    assert "jalan.jpg" in page and "surat.pdf" in page and "lain.png" not in page

    response = browser.get("/saya/data.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert 'filename="rembug-data-saya.zip"' in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    assert names == sorted(["data.json", f"lampiran/{photo.public_key}.jpg"])
    assert archive.read(f"lampiran/{photo.public_key}.jpg") == store.read(photo.sha256, "jpg")
    data = json.loads(archive.read("data.json"))
    listed = {entry["name"]: entry for entry in data["attachments"]}
    assert set(listed) == {"jalan.jpg", "surat.pdf"}
    assert listed["jalan.jpg"] == {
        "name": "jalan.jpg",
        "kind": "image",
        "media_type": "image/jpeg",
        "byte_size": photo.byte_size,
        "width": 400,
        "height": 300,
        "state": "pending",
        "removed_reason": None,
        "removed_at": None,
        "aspiration_ticket": ticket,
        "comment_id": None,
        "created_at": listed["jalan.jpg"]["created_at"],
        "ocr_text": None,
        "file": f"lampiran/{photo.public_key}.jpg",
    }
    removed = listed["surat.pdf"]
    assert removed["state"] == "removed" and removed["file"] is None
    assert removed["removed_reason"] == "Memuat data pribadi." and removed["removed_at"]
    # The JSON download lists the same files; the rest of the data is the same as the ZIP's.
    plain = json.loads(browser.get("/saya/data.json").text)
    assert plain["attachments"] == data["attachments"]
    assert plain["aspirations"] == data["aspirations"]

    # Only the person's own data, only when signed in.
    assert new_browser().get("/saya/data.zip", follow_redirects=False).status_code == 303
    neighbour = new_browser()
    neighbour.login(world.other_citizen)
    theirs = zipfile.ZipFile(io.BytesIO(neighbour.get("/saya/data.zip").content))
    assert sorted(theirs.namelist()) == sorted(["data.json", f"lampiran/{other.public_key}.png"])


def test_a_file_missing_from_the_store_is_listed_without_a_path(
    browser: Browser, world: World
) -> None:
    store = attachments.store_for(world.services.settings)
    browser.login(world.citizen)
    _, [photo] = posted_aspiration(browser, world, [("jalan.jpg", gps_photo(), "image/jpeg")])
    store.delete(photo.sha256, "jpg")  # e.g. a restore without the attachments folder
    response = browser.get("/saya/data.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["data.json"]
    [entry] = json.loads(archive.read("data.json"))["attachments"]
    assert entry["name"] == "jalan.jpg" and entry["file"] is None


# --- account deletion --------------------------------------------------------------------------


@pytest.mark.parametrize("contributions", ["anonymise", "delete"])
def test_deleting_the_account_removes_its_files_whichever_way_its_texts_go(
    contributions: str, browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    services = world.services
    store = attachments.store_for(services.settings)
    # The neighbour sent the same PDF: that content stays in the store for their row.
    shared = sent_by(browser, world.other_citizen, world, ("surat-tetangga.pdf", minimal_pdf()))
    browser.login(world.citizen)
    ticket, (photo, pdf) = posted_aspiration(
        browser,
        world,
        [("rumah.jpg", gps_photo(), "image/jpeg"), ("surat.pdf", minimal_pdf(), "application/pdf")],
    )
    own = commented(world, world.citizen, ("halaman.png", encoded(two_halves(), "PNG")))
    publish(world, ticket)
    visitor = new_browser()
    urls = [
        f"/lampiran/{photo.public_key}",
        f"/lampiran/{photo.public_key}/thumb/320",
        f"/lampiran/{pdf.public_key}",
        f"/lampiran/{own.public_key}",
    ]
    assert all(visitor.get(url).status_code == 200 for url in urls)
    assert store.exists(own.sha256, "png")

    page = browser.get("/saya/profil").text
    assert "foto dan dokumen yang Anda lampirkan" in page  # the person is told before
    deleted = browser.submit(
        "/saya/profil", "/saya/hapus", {"contributions": contributions, "password": PASSWORD}
    )
    assert deleted.status_code == 303

    moderator = new_browser()
    moderator.login(world.moderator)
    for viewer in (visitor, moderator):
        for url in urls:
            assert viewer.get(url).status_code == 404, url
    # The files are gone from the store (thumbnails too)...
    assert not store.exists(photo.sha256, "jpg") and not store.exists(own.sha256, "png")
    with pytest.raises(FileNotFoundError):
        store.read(photo.sha256, "jpg", thumbnail=320)
    # ... but not a content another person's row still uses.
    assert store.exists(shared.sha256, "pdf")
    neighbour = new_browser()
    neighbour.login(world.other_citizen)
    assert neighbour.get(f"/lampiran/{shared.public_key}").status_code == 200
    with services.db.read() as db:
        rows = [db.get(Attachment, a.id) for a in (photo, pdf, own)]
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        assert db.get(Attachment, shared.id).status == "pending"
    assert {(r.status, r.removed_reason) for r in rows} == {
        ("removed", "Akun pengirimnya telah dihapus.")
    }
    assert all(r.removed_at is not None for r in rows)
    public = visitor.get(f"/aspirasi/{ticket}")
    if contributions == "anonymise":  # the text stays, without a name and without the files
        assert public.status_code == 200 and aspiration.status != "withdrawn"
        assert "Akun dihapus" in public.text and photo.public_key not in public.text
    else:
        assert aspiration.status == "withdrawn" and photo.public_key not in public.text


def test_an_unconfirmed_account_removed_by_the_scheduler_loses_its_files(
    browser: Browser, world: World
) -> None:
    services = world.services
    store = attachments.store_for(services.settings)
    photo = sent_by(browser, world.citizen, world, ("jalan.png", encoded(two_halves(), "PNG")))
    with services.db.write() as db:
        account = db.get(Account, world.citizen.id)
        account.email_confirmed_at = None
        account.created_at = utcnow() - timedelta(days=30)
        db.add(account)
    with services.db.write() as db:
        assert actions.remove_unconfirmed(db, days=7, store=store) == 1
    assert not store.exists(photo.sha256, "png")
    with services.db.read() as db:
        assert db.get(Attachment, photo.id).status == "removed"
