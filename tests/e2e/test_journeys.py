"""The four journeys of issue 9 in a real browser, each with JavaScript on and off: a citizen
takes part on a phone, a moderator decides, an official answers, a visitor searches."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.e2e.conftest import Server, Visit

MODERATOR = "lina.kusumawati@contoh.id"
# The official of the agency the citizen picks (Disdukcapil DKI Jakarta in the demo).
OFFICIAL = "hendra.saputra@contoh.id"
AGENCY = "Dinas Kependudukan dan Pencatatan Sipil Provinsi DKI Jakarta"
REJECT_NOTE = "Komentar ini tidak membahas isi bagian yang dikomentari."


def _comment_on_section(citizen: Visit, body: str) -> None:
    page = citizen.goto("/konsultasi/1", "consultation")
    with page.expect_navigation():
        page.get_by_role("link", name="Kesiapan Memanfaatkan Teknologi Informasi").click()
    citizen.check("section")
    expect(page.locator("h1")).to_have_text("Kesiapan Memanfaatkan Teknologi Informasi")
    citizen.snap("section screen")
    page.get_by_label("Komentar Anda atas bagian ini").fill(body)
    citizen.submit("Kirim komentar", "comment sent")


def aspiration_form_to_send(citizen: Visit, title: str, body: str) -> Page:
    """The form filled in and through the "Lanjut" preview step: on the step that sends."""
    page = citizen.goto("/aspirasi/baru", "aspiration form")
    page.get_by_label("Judul").fill(title)
    page.get_by_label("Aspirasi Anda").fill(body)
    page.get_by_label("Kategori").select_option(label="Kependudukan dan pencatatan sipil")
    page.get_by_label("Wilayah").select_option(label="Kota Administrasi Jakarta Selatan")
    page.get_by_label("Instansi (jika Anda tahu)").select_option(label=AGENCY)
    citizen.submit("Lanjut", "aspiration preview")
    expect(
        page.get_by_role("heading", name="Apakah sudah ada yang menyampaikan hal ini?")
    ).to_be_visible()
    # The preview keeps what was typed.
    expect(page.get_by_label("Judul")).to_have_value(title)
    return page


def send_aspiration(
    citizen: Visit, title: str, body: str, files: list[FilePayload] | None = None
) -> str:
    """Sent through the preview step; ``files`` are chosen on the step that sends."""
    page = aspiration_form_to_send(citizen, title, body)
    if files:
        page.get_by_label("Foto atau dokumen PDF (tidak wajib)").set_input_files(files)
    citizen.submit("Kirim aspirasi", "aspiration sent")
    ticket = re.search(r"ASP-\d{4}-\d{6}", page.content())
    assert ticket, page.content()
    return ticket.group(0)


def open_case(moderator: Visit, link_text: str) -> Page:
    """The moderator finds the case of a contribution in the queue and opens it."""
    page = moderator.goto("/moderation", "moderation queue")
    case = page.get_by_role("link", name=re.compile(re.escape(link_text)))
    # Oldest first: the demo's pending cases come before ours, so page on.
    while not case.count():
        with page.expect_navigation():
            page.locator("a[rel=next]").click()
        moderator.check("moderation queue next page")
    with page.expect_navigation():
        case.click()
    moderator.check("moderation case")
    return page


def _decide(moderator: Visit, link_text: str, approve: bool) -> None:
    page = open_case(moderator, link_text)
    if approve:
        moderator.submit("Setujui", "approved")
    else:
        page.get_by_label("Alasan yang akan dilihat oleh penulis").select_option("other")
        page.get_by_label(re.compile("Catatan untuk penulis")).fill(REJECT_NOTE)
        moderator.submit("Tolak", "rejected")


def _wait_for_search(server: Server, word: str, ticket: str) -> None:
    """The index is fed after commit by the outbox worker: give it a moment."""
    import httpx

    deadline = time.monotonic() + 20
    while ticket not in httpx.get(server.url("/cari"), params={"q": word}).text:
        assert time.monotonic() < deadline, f"{ticket} never reached the search index"
        time.sleep(0.3)


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_citizen_moderator_official_visitor(visit_factory, server: Server, js: bool) -> None:  # type: ignore[no-untyped-def]
    mode = "js" if js else "nojs"
    email = f"warga.{mode}@contoh.id"
    comment = "Di kampung kami sinyal masih lemah, mohon bagian ini menyebut desa" + (
        " dan dusun." if js else " dan pulau kecil."
    )
    # Each run has its own account and texts (the server lives for the whole session).
    name = "Dewi Lestari" if js else "Rudi Hartono"
    title = "Antrean pelayanan KTP elektronik terlalu panjang" + ("" if js else " di kelurahan")
    body = (
        "Setiap pagi antrean pelayanan perekaman KTP elektronik di kecamatan mengular sampai "
        "jalan raya. Mohon ditambah loket dan jadwal daring."
    )

    # 1. A citizen registers, reads a consultation on a phone, comments on a section and
    #    sends an aspiration; both wait for review on /saya.
    citizen = visit_factory("citizen", js=js)
    citizen.register(name, email)
    _comment_on_section(citizen, comment)
    ticket = send_aspiration(citizen, title, body)
    page = citizen.goto("/saya", "my contributions pending")
    mine = page.locator("section[aria-labelledby=h-my-aspirations]")
    expect(mine).to_contain_text(ticket)
    expect(mine).to_contain_text("Menunggu moderasi")
    comments = page.locator("section[aria-labelledby=h-my-comments]")
    expect(comments).to_contain_text(comment)
    expect(comments).to_contain_text("Menunggu moderasi")

    # 2. A moderator approves the aspiration and rejects the comment with a reason.
    moderator = visit_factory("moderator", js=js, viewport={"width": 1280, "height": 900})
    moderator.login(MODERATOR, server.passwords[MODERATOR])
    _decide(moderator, ticket, approve=True)
    _decide(moderator, comment, approve=False)

    # 3. The citizen sees both results and the reason; the official answers; the citizen
    #    reads the answer and confirms it resolved the matter.
    page = citizen.goto("/saya", "my contributions decided")
    comments = page.locator("section[aria-labelledby=h-my-comments]")
    expect(comments).to_contain_text("Tidak diterbitkan")
    expect(comments).to_contain_text(REJECT_NOTE)
    mine = page.locator("section[aria-labelledby=h-my-aspirations]")
    expect(mine).not_to_contain_text("Menunggu moderasi")

    official = visit_factory("official", js=js, viewport={"width": 1280, "height": 900})
    official.login(OFFICIAL, server.passwords[OFFICIAL])
    page = official.goto(f"/aspirasi/{ticket}", "aspiration for the official")
    answer = "Mulai bulan depan kami membuka dua loket tambahan dan antrean daring."
    page.get_by_label("Tanggapan resmi", exact=True).fill(answer)
    official.submit("Terbitkan tanggapan resmi", "official response published")

    page = citizen.goto(f"/aspirasi/{ticket}", "aspiration answered")
    response = page.locator("section.official")
    expect(response).to_contain_text("Tanggapan resmi")
    expect(response).to_contain_text(answer)
    citizen.submit("Ya, masalah saya selesai", "resolution confirmed")
    expect(page.locator("dl.facts")).to_contain_text("Ditutup")

    # 4. A visitor searches with another form of a word in the aspiration ("dilayani":
    #    the analyzer stems it and "pelayanan" to the same root) and finds it.
    _wait_for_search(server, "dilayani", ticket)
    visitor = visit_factory("visitor", js=js)
    page = visitor.goto("/cari?q=dilayani", "search")
    result = page.locator(f'a[href="/aspirasi/{ticket}"]').first
    expect(result).to_be_visible()
    expect(result).to_contain_text(title)
    with page.expect_navigation():
        result.click()
    visitor.check("search result")
    expect(page.locator("h1")).to_have_text(title)
