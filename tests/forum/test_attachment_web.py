"""Attachments on the web forms (issue 20, forum/web/attachments.py): a citizen attaches photos
and PDFs to an aspiration or a comment as a browser does (multipart/form-data); the files are
checked and stored before the acknowledgement, their rows made by the intake's drain job with
the contribution; whatever is refused comes back as a 400 naming the file, the text kept and
nothing stored. Every file is a real one made by the helpers of tests/forum/test_attachments."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from forum import attachments
from forum.intake import pending_count
from forum.models import Aspiration, Attachment, Comment
from forum.services import Services
from forum.settings import Settings
from tests.conftest import CSRF_RE, Browser, World, settle_intake
from tests.forum.test_aspirations import category_id, region_id
from tests.forum.test_attachments import (
    GPS_IFD,
    assert_no_metadata,
    encoded,
    jpeg_html_polyglot,
    minimal_pdf,
    opened,
    photo_exif,
    png_of_zeros,
    stored_files,
    two_halves,
)

TITLE = "Saluran air tersumbat di Jalan Kiaracondong"
BODY = "Saluran air di depan pasar tersumbat sampah, air meluap setiap hujan deras."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small limits, so a file over them is quick to make: 3 files of 1 MB each.
    return dataclasses.replace(settings, attachment_max_files=3, attachment_max_mb=1)


def gps_photo() -> bytes:
    data = encoded(two_halves((400, 300)), "JPEG", exif=photo_exif())
    assert opened(data).getexif().get_ifd(GPS_IFD)  # the photo as sent does carry a place
    return data


def aspiration_form(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "title": TITLE,
        "body": BODY,
        "category": category_id(world),
        "region": region_id(world),
        "agency": world.agency.id,
        "visibility": "public",
        "step": "send",
        **overrides,
    }


def send_aspiration(
    browser: Browser,
    world: World,
    files: list[tuple[str, bytes, str]],
    *,
    settle: bool = True,
    **overrides: Any,
):  # type: ignore[no-untyped-def]
    """Post the aspiration form with ``files`` in its file input, as a browser sends it."""
    return browser.submit(
        "/aspirasi/baru",
        "/aspirasi/baru",
        aspiration_form(world, **overrides),
        files=[("attachments", file) for file in files],
        settle=settle,
    )


def store_root(services: Services) -> Path:
    return services.settings.data_dir / "attachments"


def count(services: Services, model: type) -> int:
    with services.db.read() as db:
        return int(db.exec(select(func.count()).select_from(model)).one())


def test_a_gps_tagged_photo_is_acknowledged_and_stored_without_exif(
    browser: Browser, world: World
) -> None:
    services = world.services
    browser.login(world.citizen)
    # The step that sends (after the preview of similar aspirations) has the file input.
    page = browser.submit("/aspirasi/baru", "/aspirasi/baru", aspiration_form(world, step="")).text
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file"' in page and 'name="attachments"' in page and "multiple" in page
    assert 'accept="image/*,application/pdf"' in page

    response = send_aspiration(
        browser,
        world,
        [("IMG_2041.JPG", gps_photo(), "image/jpeg"), ("surat.pdf", minimal_pdf(), "text/plain")],
        settle=False,
    )

    assert response.status_code == 303, response.text
    ticket = response.headers["location"].rsplit("/", 1)[1]
    # Acknowledged: the files are in the store already, their rows come with the aspiration.
    assert len([p for p in stored_files(store_root(services)) if p.suffix != ".webp"]) == 2
    assert pending_count(services) == 1 and count(services, Attachment) == 0
    assert "2 berkas" in browser.get(f"/aspirasi/{ticket}").text
    assert settle_intake(services) == 1
    with services.db.read() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        rows = db.exec(select(Attachment).order_by(Attachment.id)).all()
    assert [(r.original_name, r.kind, r.aspiration_id) for r in rows] == [
        ("IMG_2041.JPG", "image", aspiration.id),
        ("surat.pdf", "pdf", aspiration.id),
    ]
    photo, pdf = rows
    assert (photo.media_type, photo.width, photo.height) == ("image/jpeg", 400, 300)
    assert photo.account_id == world.citizen.id and photo.status == "pending"
    store = attachments.store_for(services.settings)
    kept = store.read(photo.sha256, "jpg")
    assert_no_metadata(kept)  # no EXIF, no GPS position of the citizen's home
    assert len(kept) == photo.byte_size
    assert store.read(pdf.sha256, "pdf") == minimal_pdf()  # the type came from the content


def _svg() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


REFUSED = {
    "polyglot": ("foto.jpg", jpeg_html_polyglot, "image/jpeg"),
    "svg-with-script": ("gambar.svg", _svg, "image/svg+xml"),
    "renamed-executable": ("foto.jpg", lambda: b"MZ\x90\x00\x03" + b"\x00" * 300, "image/jpeg"),
    "decompression-bomb": ("kecil.png", lambda: png_of_zeros(20_000, 20_000), "image/png"),
    "over-the-size-limit": (
        "besar.png",
        lambda: encoded(two_halves(), "PNG") + b"\x00" * (1024 * 1024),
        "image/png",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_file_comes_back_with_the_text_kept_and_nothing_stored(
    case: str, browser: Browser, world: World
) -> None:
    services = world.services
    name, make, content_type = REFUSED[case]
    browser.login(world.citizen)

    response = send_aspiration(
        browser,
        world,
        [("jalan.jpg", gps_photo(), "image/jpeg"), (name, make(), content_type)],
    )

    assert response.status_code == 400
    assert TITLE in response.text and BODY in response.text  # the text is not lost
    assert 'id="attachments-error"' in response.text
    error = response.text.split('id="attachments-error">', 1)[1].split("</p>", 1)[0]
    assert name in error  # says which file
    assert "Pilih ulang berkas Anda" in error  # and that the browser does not keep them
    assert stored_files(store_root(services)) == []  # not even the good photo
    assert pending_count(services) == 0
    assert count(services, Attachment) == 0 and count(services, Aspiration) == 0


def test_more_files_than_allowed_are_refused_with_the_text_kept(
    browser: Browser, world: World
) -> None:
    browser.login(world.citizen)
    photo = encoded(two_halves(), "PNG")
    response = send_aspiration(
        browser, world, [(f"foto{i}.png", photo, "image/png") for i in range(4)]
    )
    assert response.status_code == 400
    assert TITLE in response.text and "Paling banyak 3 berkas" in response.text
    assert stored_files(store_root(world.services)) == [] and pending_count(world.services) == 0


def test_a_text_error_and_a_file_error_are_both_shown(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    response = send_aspiration(
        browser, world, [("foto.jpg", jpeg_html_polyglot(), "image/jpeg")], title="Lam"
    )
    assert response.status_code == 400
    assert 'id="title-error"' in response.text and 'id="attachments-error"' in response.text
    assert BODY in response.text


def test_the_files_count_against_the_account_quota(
    browser: Browser, world: World, settings: Settings
) -> None:
    services = world.services
    services.settings = dataclasses.replace(settings, attachment_quota_mb=1)
    with services.db.write() as db:
        db.add(
            Attachment(
                account_id=world.citizen.id,  # type: ignore[arg-type]
                kind="image",
                media_type="image/jpeg",
                byte_size=1024 * 1024 - 100,
                sha256="0" * 64,
            )
        )
    browser.login(world.citizen)
    response = send_aspiration(browser, world, [("jalan.jpg", gps_photo(), "image/jpeg")])
    assert response.status_code == 400 and "1 MB" in response.text and TITLE in response.text
    assert count(services, Aspiration) == 0


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(
    browser: Browser, world: World
) -> None:
    browser.login(world.citizen)
    page = browser.get("/aspirasi/baru").text
    token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    huge = b"\x00" * (3 * 1024 * 1024 + 1_100_000)  # over 3 files of 1 MB plus the form
    response = browser.client.post(
        "/aspirasi/baru",
        data={"csrf_token": token, **aspiration_form(world)},
        files=[("attachments", ("besar.jpg", huge, "image/jpeg"))],
    )
    assert response.status_code == 413
    assert "3 berkas" in response.text and "1 MB" in response.text
    assert stored_files(store_root(world.services)) == [] and pending_count(world.services) == 0


def test_the_upload_form_needs_its_csrf_token(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    response = browser.client.post(
        "/aspirasi/baru",
        data=aspiration_form(world),
        files=[("attachments", ("jalan.jpg", gps_photo(), "image/jpeg"))],
    )
    assert response.status_code == 403
    assert stored_files(store_root(world.services)) == [] and pending_count(world.services) == 0
    assert count(services=world.services, model=Aspiration) == 0


def test_other_forms_still_take_no_file(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    response = browser.submit(
        "/saya",
        "/keluar",
        {},
        files=[("attachments", ("jalan.jpg", gps_photo(), "image/jpeg"))],
    )
    assert response.status_code == 400  # the parser refuses any file on a form without uploads
    assert stored_files(store_root(world.services)) == []


def test_a_preview_step_puts_the_file_input_on_the_step_that_sends(
    browser: Browser, world: World
) -> None:
    from forum.extensions import SIMILAR_ASPIRATIONS

    world.services.extensions[SIMILAR_ASPIRATIONS] = lambda db, viewer, title, body, limit: []
    browser.login(world.citizen)
    first = browser.get("/aspirasi/baru").text
    assert 'type="file"' not in first and 'value="preview"' in first
    preview = browser.submit("/aspirasi/baru", "/aspirasi/baru", aspiration_form(world, step=""))
    assert preview.status_code == 200
    assert 'type="file"' in preview.text and 'value="send"' in preview.text
    sent = send_aspiration(browser, world, [("jalan.jpg", gps_photo(), "image/jpeg")])
    assert sent.status_code == 303 and count(world.services, Attachment) == 1


def test_a_comment_carries_its_photo(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    browser.login(world.citizen)
    page = f"/konsultasi/{consultation.id}"
    html = browser.get(page).text
    assert 'enctype="multipart/form-data"' in html and 'name="attachments"' in html
    response = browser.submit(
        page,
        f"{page}/komentar",
        {"body": "Pasal ini perlu foto kondisi jalan seperti ini.", "next": page},
        files=[("attachments", ("jalan.jpg", gps_photo(), "image/jpeg"))],
    )
    assert response.status_code == 303, response.text
    with world.services.db.read() as db:
        comment = db.exec(select(Comment)).one()
        row = db.exec(select(Attachment)).one()
    assert (row.comment_id, row.aspiration_id, row.original_name) == (comment.id, None, "jalan.jpg")


def test_a_refused_file_on_a_comment_keeps_the_draft(browser: Browser, world: World) -> None:
    consultation = world.consultation()
    browser.login(world.citizen)
    page = f"/konsultasi/{consultation.id}"
    draft = "Komentar saya yang panjang tentang bagian ini."
    response = browser.submit(
        page,
        f"{page}/komentar",
        {"body": draft, "next": page},
        files=[("attachments", ("skrip.jpg", b"#!/bin/sh\nrm -rf /\n", "image/jpeg"))],
    )
    assert response.status_code == 400
    assert draft in response.text and "skrip.jpg" in response.text
    assert count(world.services, Comment) == 0 and stored_files(store_root(world.services)) == []


# --- serving, with the access rules ----------------------------------------------------------


def posted_aspiration(
    browser: Browser, world: World, files: list[tuple[str, bytes, str]], **overrides: Any
) -> tuple[str, list[Attachment]]:
    """An aspiration sent with ``files`` and stored by the drain job: its ticket and rows."""
    response = send_aspiration(browser, world, files, **overrides)
    assert response.status_code == 303, response.text
    ticket = response.headers["location"].rsplit("/", 1)[1]
    with world.services.db.read() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        rows = list(
            db.exec(
                select(Attachment)
                .where(Attachment.aspiration_id == aspiration.id)
                .order_by(Attachment.id)  # type: ignore[arg-type]
            )
        )
    return ticket, rows


def run_jobs(services: Services) -> None:
    """What the worker does after the answer: here, read the text in the new photos (OCR)."""
    for _ in range(2):
        asyncio.run(services.worker.drain())  # type: ignore[union-attr]


def publish(world: World, ticket: str) -> None:
    """A moderator approves it once the worker has read its photos."""
    from forum import actions

    run_jobs(world.services)
    with world.services.db.write() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        actions.publish_aspiration(db, world.moderator, aspiration)


def assert_safe_headers(response, *, restricted: bool) -> None:  # type: ignore[no-untyped-def]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers.get_list("content-security-policy") == ["default-src 'none'; sandbox"]
    cache = response.headers["cache-control"]
    assert ("private" in cache) == restricted and ("public" in cache) != restricted


def test_a_pending_photo_is_seen_by_its_author_and_the_moderators_only(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket, [photo] = posted_aspiration(browser, world, [("jalan.jpg", gps_photo(), "image/jpeg")])
    file_url, thumb_url = f"/lampiran/{photo.public_key}", f"/lampiran/{photo.public_key}/thumb/320"
    # The address names neither the row, the content's hash nor the citizen's file name.
    assert len(photo.public_key) >= 20 and "jalan" not in file_url
    assert photo.sha256[:8] not in file_url
    assert browser.get(f"/lampiran/{photo.id}").status_code == 404
    assert browser.get(f"/lampiran/{photo.sha256}").status_code == 404

    own = browser.get(file_url)
    assert own.status_code == 200 and own.headers["content-type"] == "image/jpeg"
    assert own.content == attachments.store_for(world.services.settings).read(photo.sha256, "jpg")
    assert own.headers["content-disposition"].startswith("inline;")
    assert_safe_headers(own, restricted=True)
    thumb = browser.get(thumb_url)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert opened(thumb.content).size == (320, 240)
    page = browser.get(f"/aspirasi/{ticket}").text
    assert f'src="{thumb_url}"' in page and f'href="{file_url}"' in page

    neighbour, visitor, moderator = new_browser(), new_browser(), new_browser()
    neighbour.login(world.other_citizen)
    moderator.login(world.moderator)
    for other in (neighbour, visitor):
        assert other.get(file_url).status_code == 404
        assert other.get(thumb_url).status_code == 404
    seen = moderator.get(file_url)
    assert seen.status_code == 200 and seen.content == own.content
    assert moderator.get(thumb_url).status_code == 200


def test_after_approval_the_public_sees_the_thumbnail(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket, [photo] = posted_aspiration(browser, world, [("jalan.jpg", gps_photo(), "image/jpeg")])
    publish(world, ticket)
    visitor = new_browser()
    page = visitor.get(f"/aspirasi/{ticket}").text
    thumb_url = f"/lampiran/{photo.public_key}/thumb/320"
    assert f'src="{thumb_url}"' in page and 'alt="Foto: jalan.jpg"' in page
    thumb = visitor.get(thumb_url)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert_safe_headers(thumb, restricted=False)
    big = visitor.get(f"/lampiran/{photo.public_key}/thumb/1024")
    assert big.status_code == 200 and opened(big.content).size == (400, 300)  # never enlarged
    again = visitor.get(thumb_url, headers={"if-none-match": thumb.headers["etag"]})
    assert again.status_code == 304 and not again.content
    for wrong in ("/thumb/999", "/thumb/0", "/thumb/abc"):
        assert visitor.get(f"/lampiran/{photo.public_key}{wrong}").status_code == 404
    assert visitor.get("/lampiran/" + "A" * 22).status_code == 404
    assert visitor.get("/lampiran/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_a_confidential_aspirations_file_is_only_for_author_agency_and_moderators(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket, [photo] = posted_aspiration(
        browser,
        world,
        [("rumah.png", encoded(two_halves(), "PNG"), "image/png")],
        visibility="confidential",
    )
    publish(world, ticket)  # routed to world.agency
    url = f"/lampiran/{photo.public_key}"
    neighbour, visitor, official, other_official = (new_browser() for _ in range(4))
    neighbour.login(world.other_citizen)
    official.login(world.official)
    other_official.login(world.other_official)
    assert neighbour.get(url).status_code == 404
    assert visitor.get(url).status_code == 404
    assert other_official.get(url).status_code == 404
    seen = official.get(url)
    assert seen.status_code == 200
    assert_safe_headers(seen, restricted=True)
    assert browser.get(url).status_code == 200


def test_a_pdf_is_always_a_download_with_a_safe_name(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    name = "Surat <RT> & 05; Ö.pdf"
    ticket, [pdf] = posted_aspiration(browser, world, [(name, minimal_pdf(), "text/html")])
    publish(world, ticket)
    response = new_browser().get(f"/lampiran/{pdf.public_key}")
    assert response.status_code == 200 and response.content == minimal_pdf()
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.endswith(".pdf") and not set(fallback) & set('"<>\\/;')
    assert "filename*=UTF-8''" in disposition and "%C3%96.pdf" in disposition
    assert_safe_headers(response, restricted=False)
    assert new_browser().get(f"/lampiran/{pdf.public_key}/thumb/320").status_code == 404
    page = new_browser().get(f"/aspirasi/{ticket}").text
    assert "Surat &lt;RT&gt; &amp; 05; Ö.pdf" in page  # the name is text, escaped


def test_a_comments_photo_shows_under_it_once_published(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    from forum import actions

    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}"
    browser.login(world.citizen)
    browser.submit(
        page,
        f"{page}/komentar",
        {"body": "Foto kondisi halte yang rusak di dekat pasar.", "next": page},
        files=[
            (
                "attachments",
                (
                    "halte<img src=x onerror=alert(1)>.png",
                    encoded(two_halves(), "PNG"),
                    "image/png",
                ),
            )
        ],
    )
    with world.services.db.read() as db:
        comment = db.exec(select(Comment)).one()
        photo = db.exec(select(Attachment)).one()
    visitor = new_browser()
    thumb_url = f"/lampiran/{photo.public_key}/thumb/320"
    assert visitor.get(thumb_url).status_code == 404 and thumb_url not in visitor.get(page).text
    run_jobs(world.services)
    with world.services.db.write() as db:
        actions.publish_comment(db, world.moderator, db.get(Comment, comment.id))
    html = visitor.get(page).text
    assert f'src="{thumb_url}"' in html
    assert "<img src=x" not in html
    assert "halte&lt;img src=x onerror=alert(1)&gt;.png" in html
    assert visitor.get(thumb_url).status_code == 200


def test_a_body_sent_without_a_length_is_cut_off_at_the_limit(
    browser: Browser, world: World
) -> None:
    browser.login(world.citizen)
    token = CSRF_RE.search(browser.get("/saya").text).group(1)  # type: ignore[union-attr]

    def chunks():  # type: ignore[no-untyped-def]
        yield f"csrf_token={token}&body=".encode()
        for _ in range(40):
            yield b"x" * 100_000

    response = browser.client.post(
        "/keluar",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
