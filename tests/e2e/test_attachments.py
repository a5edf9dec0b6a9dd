"""Photos on aspirations in a real browser (issue 20): a citizen attaches a photo, it waits
for review with its aspiration, a moderator approves, a visitor sees the thumbnail; a photo
of a KTP card is read by the worker's OCR job (tesseract in the server's own worker), held
with the NIK masked in the case, and stays unpublished after the aspiration is approved.

The citizens send the plain multipart form (JavaScript off: the core flow); the moderator
and the visitor browse with JavaScript on, so axe-core checks the case and the gallery."""

from __future__ import annotations

import re
import shutil
import time

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.e2e.conftest import Server, Visit
from tests.e2e.test_journeys import MODERATOR, open_case, send_aspiration
from tests.forum.test_attachments import encoded, ktp_like_card, two_halves

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="Debian's tesseract-ocr and tesseract-ocr-ind (bash scripts/test installs them)",
)

BODY = (
    "Jalan di depan pasar berlubang besar sejak musim hujan dan sudah dua motor jatuh. "
    "Foto terlampir, mohon segera diperbaiki."
)
MASKED_NIK = "3273********0003"  # the NIK printed on tests.forum.test_attachments.ktp_like_card


def road_photo() -> FilePayload:
    """A real JPEG (Pillow), as a phone's gallery hands it over."""
    data = encoded(two_halves((1200, 900)), "JPEG", quality=88)
    return {"name": "jalan-berlubang.jpg", "mimeType": "image/jpeg", "buffer": data}


def ktp_photo() -> FilePayload:
    data = encoded(ktp_like_card(), "JPEG", quality=92)
    return {"name": "ktp-saya.jpg", "mimeType": "image/jpeg", "buffer": data}


def assert_says_one_file_came(page: Page, name: str) -> None:
    """The page after sending: the "received" page ("1 berkas") while the intake's drain job
    has not stored the aspiration yet, else already the author's aspiration page with the
    photo. Which one the browser lands on depends on the worker's timing."""
    main = page.locator("main")
    expect(main).to_contain_text("Terima kasih! Aspirasi Anda sedang menunggu moderasi.")
    expect(main).to_contain_text(re.compile(rf"1 berkas|Foto: {re.escape(name)}|{re.escape(name)}"))


def author_sees_it_pending(citizen: Visit, ticket: str, name: str) -> None:
    """Once stored, the author's page shows the photo (its thumbnail loads) while the
    aspiration awaits review."""
    page = citizen.page
    deadline = time.monotonic() + 30
    while True:
        citizen.goto(f"/aspirasi/{ticket}", "aspiration pending")
        if page.locator("ul.attachments img").count():
            break
        assert time.monotonic() < deadline, "the drain job never stored the aspiration"
        time.sleep(0.5)
    expect(page.locator("main")).to_contain_text("Menunggu moderasi")
    gallery = page.locator("ul.attachments")
    expect(gallery).to_contain_text(name)
    thumb = gallery.locator("img")
    expect(thumb).to_have_attribute("alt", f"Foto: {name}")
    assert thumb.get_attribute("src", timeout=1000) is not None


def file_urls(page: Page) -> tuple[str, str]:
    """The photo's own URL and its 320 px thumbnail's, from the gallery's link."""
    href = page.locator("ul.attachments a").first.get_attribute("href")
    assert href and re.fullmatch(r"/lampiran/[A-Za-z0-9_-]{20,}", href), href
    return href, href + "/thumb/320"


def wait_for_ocr(moderator: Visit, page: Page) -> None:
    """The worker reads the photo after the acknowledgement: the case says when it has."""
    deadline = time.monotonic() + 90
    ocr = page.locator("ul.moderation-attachments .ocr")
    while "belum dijalankan" in (ocr.first.text_content() or ""):
        assert time.monotonic() < deadline, "the OCR job never ran"
        time.sleep(1)
        page.reload()
        moderator.check("moderation case reloaded")
    expect(ocr.first).to_have_text(re.compile(r"OCR: (tidak ada teks|teks terbaca)"))


def status_of(server: Server, path: str) -> int:
    """What a visitor without any cookie gets for ``path``."""
    import httpx

    return httpx.get(server.url(path), follow_redirects=False).status_code


def test_a_photo_waits_for_review_and_is_public_with_its_aspiration(
    visit_factory, server: Server
) -> None:  # type: ignore[no-untyped-def]
    # 1. A citizen sends an aspiration with a photo; the answer says the file came, and the
    #    aspiration page shows it to its author while it awaits review.
    citizen = visit_factory("citizen", js=False)
    citizen.register("Agus Pratama", "agus.foto@contoh.id")
    title = "Jalan berlubang di depan Pasar Minggu"
    photo = road_photo()
    ticket = send_aspiration(citizen, title, BODY, [photo])
    assert_says_one_file_came(citizen.page, photo["name"])
    author_sees_it_pending(citizen, ticket, photo["name"])
    file_url, thumb_url = file_urls(citizen.page)
    assert citizen.page.request.get(server.url(thumb_url)).status == 200

    # 2. Before approval a visitor sees neither the aspiration nor its file.
    visitor = visit_factory("visitor")
    assert status_of(server, f"/aspirasi/{ticket}") == 404
    assert status_of(server, file_url) == 404
    assert status_of(server, thumb_url) == 404

    # 3. The moderator sees the photo in the case, waits for the worker's OCR and approves.
    moderator = visit_factory("moderator", viewport={"width": 1280, "height": 900})
    moderator.login(MODERATOR, server.passwords[MODERATOR])
    page = open_case(moderator, ticket)
    files = page.locator("ul.moderation-attachments")
    expect(files).to_contain_text(photo["name"])
    expect(files).to_contain_text("image/jpeg")
    expect(files).to_contain_text("1200×900 px")
    wait_for_ocr(moderator, page)
    expect(files.locator(".tag")).to_have_count(0)  # no personal data found in it
    moderator.submit("Setujui", "approved")

    # 4. A visitor sees the thumbnail (the browser loaded it) and opens the photo.
    page = visitor.goto(f"/aspirasi/{ticket}", "aspiration with a photo")
    expect(page.locator("h1")).to_have_text(title)
    thumb = page.locator("ul.attachments img")
    expect(thumb).to_have_attribute("alt", f"Foto: {photo['name']}")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert page.evaluate("img => img.naturalWidth", thumb.element_handle()) == 320
    with page.expect_navigation():
        page.locator("ul.attachments a").first.click()
    assert page.url == server.url(file_url)
    shown = page.evaluate("() => [document.contentType, document.images[0].naturalWidth]")
    assert shown == ["image/jpeg", 1200]
    assert status_of(server, file_url) == 200


def test_a_photo_of_a_ktp_is_flagged_and_not_published(visit_factory, server: Server) -> None:  # type: ignore[no-untyped-def]
    # 1. A citizen "proves who they are" with a photo of their KTP card.
    citizen = visit_factory("citizen", js=False)
    citizen.register("Budi Santoso", "budi.ktp@contoh.id")
    title = "Data KTP elektronik saya belum diperbarui"
    photo = ktp_photo()
    body = (
        "Alamat saya di KTP elektronik belum berubah padahal sudah pindah sejak tahun lalu. "
        "Saya lampirkan foto kartu saya sebagai bukti."
    )
    ticket = send_aspiration(citizen, title, body, [photo])
    assert_says_one_file_came(citizen.page, photo["name"])
    author_sees_it_pending(citizen, ticket, photo["name"])
    file_url, thumb_url = file_urls(citizen.page)

    # 2. After the OCR job the case shows the file held, with the number masked.
    moderator = visit_factory("moderator", viewport={"width": 1280, "height": 900})
    moderator.login(MODERATOR, server.passwords[MODERATOR])
    page = open_case(moderator, ticket)
    wait_for_ocr(moderator, page)
    files = page.locator("ul.moderation-attachments")
    expect(files.locator(".ocr")).to_have_text("OCR: teks terbaca")
    expect(files).to_contain_text("Ditahan: ditemukan data pribadi")
    finding = files.locator(".tag").filter(has_text="NIK/KK")
    expect(finding.locator("code")).to_have_text(MASKED_NIK)
    expect(page.locator("main")).not_to_contain_text("3273012501900003")
    expect(files.get_by_role("button", name="Tetap terbitkan berkas ini")).to_be_visible()

    # 3. The moderator approves the aspiration, not the file: a visitor reads the text and
    #    gets no photo, and the file's URLs answer 404.
    moderator.submit("Setujui", "approved")
    visitor = visit_factory("visitor")
    page = visitor.goto(f"/aspirasi/{ticket}", "aspiration without its held photo")
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("ul.attachments")).to_have_count(0)
    expect(page.locator("main img")).to_have_count(0)
    assert status_of(server, file_url) == 404
    assert status_of(server, thumb_url) == 404

    # 4. Its author still sees it, with the note that a moderator checks it.
    page = citizen.goto(f"/aspirasi/{ticket}", "author sees the held photo")
    expect(page.locator("ul.attachments")).to_contain_text(
        "Tidak publik: moderator memeriksanya karena mungkin memuat data pribadi."
    )
