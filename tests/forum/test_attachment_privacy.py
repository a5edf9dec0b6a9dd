"""Attachments and the person's data rights (issue 20, UU PDP): the data export carries the
author's files (a ZIP with data.json and the files; removed ones only listed), and deleting
the account removes them as the deletion rules say."""

from __future__ import annotations

import io
import json
import zipfile

from forum import actions, attachments
from forum.models import Attachment
from tests.conftest import Browser, World
from tests.forum.test_attachment_web import gps_photo, posted_aspiration
from tests.forum.test_attachments import encoded, minimal_pdf, two_halves


def test_the_data_export_carries_the_authors_files_and_lists_removed_ones(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    services = world.services
    store = attachments.store_for(services.settings)
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
    # Another citizen's file is not in this export.
    neighbour = new_browser()
    neighbour.login(world.other_citizen)
    _, [other] = posted_aspiration(
        neighbour, world, [("lain.png", encoded(two_halves(), "PNG"), "image/png")]
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
