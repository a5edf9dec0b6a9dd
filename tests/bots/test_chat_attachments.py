"""Photos and documents sent to the Telegram and WhatsApp bots while writing an aspiration
(issue 20): downloaded through the real client code from the loopback fakes (getFile and the
file URL; Meta's media URL and the bearer download), checked and stored by
``forum.attachments.accept_files``, attached with the aspiration, OCR queued; refusals named."""

from __future__ import annotations

from io import BytesIO

from PIL import Image
from sqlmodel import col, select

from bots.models import ChatIdentity
from forum import actions
from forum.actions import OCR_JOB
from forum.attachments import LocalStore, store_for
from forum.models import Aspiration, Attachment, AttachmentKind, OutboxJob
from forum.services import Services
from tests.bots.conftest import Chat, FakeTelegram, drain
from tests.bots.whatsapp_fake import WA_ID, FakeGraph, WaUser, choices_of
from tests.conftest import World

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
ELEVEN_MB = 11 * 1024 * 1024


def jpeg(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def pdf() -> bytes:
    from tests.forum.test_attachments import minimal_pdf

    return minimal_pdf()


def _aspiration_files(services: Services) -> tuple[Aspiration, list[Attachment]]:
    with services.db.read() as db:
        aspiration = db.exec(select(Aspiration)).one()
        rows = list(
            db.exec(
                select(Attachment)
                .where(Attachment.aspiration_id == aspiration.id)
                .order_by(col(Attachment.id))
            )
        )
    return aspiration, rows


def _ocr_jobs(services: Services) -> list[str]:
    with services.db.read() as db:
        return [j.payload for j in db.exec(select(OutboxJob).where(OutboxJob.kind == OCR_JOB))]


def _state(services: Services, user_id: str) -> ChatIdentity:
    with services.db.read() as db:
        return db.exec(select(ChatIdentity).where(ChatIdentity.platform_user_id == user_id)).one()


def _finish_telegram(chat: Chat) -> list[str]:
    chat.press(chat.last_buttons()[0][1])  # the first category
    chat.send("Bandung")
    chat.press(chat.button("Kota Bandung"))
    return chat.press(chat.button("Publik, nama saya disembunyikan"))


def test_telegram_photo_and_pdf_during_the_aspiration_become_its_attachments(
    chat: Chat, world: World, services: Services, fake_telegram: FakeTelegram
) -> None:
    chat.press("a")
    # A caption where the step expects text: the photo's caption is the title.
    texts = chat.send_photo(jpeg(), caption="Jalan berlubang di depan Pasar Baru")
    assert any("Langkah 2 dari 5" in t for t in texts)
    assert any(t.startswith("Foto 1 dari 4 diterima: foto-") for t in texts), texts
    texts = chat.send_document(pdf(), "surat-kelurahan.pdf")
    assert texts == ["Dokumen 2 dari 4 diterima: surat-kelurahan.pdf."]
    chat.send("Sudah tiga bulan jalan berlubang dan membahayakan pengendara motor.")
    texts = _finish_telegram(chat)
    assert "nomor tiket ASP-" in texts[0] and "Berkas terlampir: 2." in texts[0]

    aspiration, rows = _aspiration_files(services)
    assert aspiration.title == "Jalan berlubang di depan Pasar Baru"
    assert [(r.kind, r.media_type) for r in rows] == [
        (AttachmentKind.image, "image/jpeg"),
        (AttachmentKind.pdf, "application/pdf"),
    ]
    assert rows[1].original_name == "surat-kelurahan.pdf" and rows[1].byte_size == len(pdf())
    assert all(r.account_id == aspiration.author_id for r in rows)
    store = LocalStore.for_data_dir(services.settings.data_dir)
    assert all(store.exists(r.sha256, "jpg" if r.kind == "image" else "pdf") for r in rows)
    assert [f'{{"attachment_id": {rows[0].id}}}'] == _ocr_jobs(services)  # the photo only
    assert "getFile" in fake_telegram.methods()


def test_telegram_refuses_svg_html_and_too_large_and_names_them(
    chat: Chat, world: World, services: Services, fake_telegram: FakeTelegram
) -> None:
    chat.press("a")
    chat.send("Jalan berlubang di depan Pasar Baru")
    texts = chat.send_document(SVG, "ktp.svg")
    assert texts == [
        "ktp.svg tidak dapat dilampirkan: hanya foto (JPEG, PNG, WebP, HEIC) dan dokumen PDF "
        "yang diterima."
    ]
    assert "halaman.html tidak dapat dilampirkan" in chat.send_document(HTML, "halaman.html")[0]
    # Telegram says the size in the update: refused without being downloaded.
    downloads = len(fake_telegram.downloads)
    texts = chat.send_document(b"%PDF-1.4", "besar.pdf", size=ELEVEN_MB)
    assert texts == ["besar.pdf lebih besar dari 10 MB: kirim berkas yang lebih kecil."]
    assert len(fake_telegram.downloads) == downloads
    # getFile says more than the update did: not downloaded either.
    fake_telegram.sizes["AgACbig"] = ELEVEN_MB
    assert "lebih besar dari 10 MB" in chat.send_photo(jpeg(), file_id="AgACbig")[0]
    assert "AgACbig" not in fake_telegram.downloads
    assert _state(services, str(chat.user_id)).state == "asp_body"  # still writing
    chat.send("Sudah tiga bulan jalan berlubang dan membahayakan pengendara motor.")
    assert "Berkas terlampir" not in _finish_telegram(chat)[0]
    assert _aspiration_files(services)[1] == []


def test_telegram_a_failed_download_asks_to_send_again_and_keeps_the_text(
    chat: Chat, world: World, services: Services, fake_telegram: FakeTelegram
) -> None:
    chat.press("a")
    chat.send("Lampu jalan mati di kompleks")
    fake_telegram.broken.add("AgACbroken")
    texts = chat.send_photo(jpeg(), file_id="AgACbroken")
    assert texts == [
        "foto-13.jpg tidak dapat diterima. Silakan kirim lagi; teks Anda tetap tersimpan."
    ]
    identity = _state(services, str(chat.user_id))
    assert identity.state == "asp_body" and "Lampu jalan mati" in identity.data
    assert "Foto 1 dari 4 diterima" in chat.send_photo(jpeg())[0]  # sent again: received


def test_telegram_a_fifth_file_is_one_too_many(
    chat: Chat, world: World, services: Services
) -> None:
    chat.press("a")
    chat.send("Jalan berlubang di depan Pasar Baru")
    for n in range(1, 5):
        assert chat.send_photo(jpeg((n * 40, 0, 0)))[0].startswith(f"Foto {n} dari 4 diterima")
    texts = chat.send_document(pdf(), "kelima.pdf")
    assert texts == ["kelima.pdf tidak dilampirkan. Paling banyak 4 berkas dapat dilampirkan."]


def test_telegram_a_photo_outside_an_aspiration_says_how_to_attach_one(
    chat: Chat, services: Services, fake_telegram: FakeTelegram
) -> None:
    texts = chat.send_photo(jpeg(), caption="lihat ini")
    assert len(texts) == 1 and "mulailah aspirasi dulu (/aspirasi)" in texts[0]
    assert ("Sampaikan aspirasi", "a") in chat.last_buttons()
    assert fake_telegram.downloads == [] and "getFile" not in fake_telegram.methods()


def test_whatsapp_image_and_document_during_the_aspiration(
    wa: WaUser, world: World, services: Services, fake_graph: FakeGraph
) -> None:
    wa.press("a")
    wa.send("Jalan berlubang di depan Pasar Baru")
    texts = wa.send_media(jpeg(), caption="Sudah tiga bulan jalan berlubang, membahayakan motor.")
    assert any("Langkah 3 dari 5" in t for t in texts)  # the caption was the description
    assert any(t.startswith("Foto 1 dari 4 diterima: foto-") for t in texts), texts
    texts = wa.send_media(SVG, kind="document", name="peta.svg")
    assert texts == [
        "peta.svg tidak dapat dilampirkan: hanya foto (JPEG, PNG, WebP, HEIC) dan dokumen PDF "
        "yang diterima."
    ]
    # Meta's media URL says the size: a larger file is not downloaded.
    downloads = len(fake_graph.downloads)
    big = wa.personalise("message__document")
    message = big["entry"][0]["changes"][0]["value"]["messages"][0]
    message["document"]["id"] = "9900000000001"
    fake_graph.media["9900000000001"] = b"%PDF-1.4"
    fake_graph.sizes["9900000000001"] = ELEVEN_MB
    assert wa._deliver(big) == [
        "surat-kelurahan.pdf lebih besar dari 10 MB: kirim berkas yang lebih kecil."
    ]
    assert len(fake_graph.downloads) == downloads
    fake_graph.broken.add("9900000000002")
    message["document"]["id"] = "9900000000002"
    message["id"] = "wamid.TESTbroken"
    fake_graph.media["9900000000002"] = pdf()
    assert "tidak dapat diterima. Silakan kirim lagi" in wa._deliver(big)[0]
    assert wa.send_media(pdf(), kind="document", name="surat.pdf") == [
        "Dokumen 2 dari 4 diterima: surat.pdf."
    ]
    # The notices of the files came after the category list: choose from that list.
    menus = [choices_of(b) for b in fake_graph.to(WA_ID) if choices_of(b)]
    wa.press(menus[-1][0][1])
    wa.send("Bandung")
    wa.press(wa.choice("Kota Bandung"))
    texts = wa.press(wa.choice("Publik, nama saya"))
    assert "Berkas terlampir: 2." in texts[0]
    aspiration, rows = _aspiration_files(services)
    assert aspiration.body == "Sudah tiga bulan jalan berlubang, membahayakan motor."
    assert [r.kind for r in rows] == [AttachmentKind.image, AttachmentKind.pdf]
    assert [f'{{"attachment_id": {rows[0].id}}}'] == _ocr_jobs(services)
    assert fake_graph.invalid == []


def test_whatsapp_image_outside_an_aspiration(wa: WaUser, fake_graph: FakeGraph) -> None:
    texts = wa.send_media(jpeg())
    assert len(texts) == 1 and "mulailah aspirasi dulu" in texts[0]
    assert fake_graph.downloads == [] and WA_ID


def test_telegram_the_author_is_told_on_the_chat_when_a_moderator_removes_a_file(
    chat: Chat, world: World, services: Services, fake_telegram: FakeTelegram
) -> None:
    chat.press("a")
    chat.send_photo(jpeg(), caption="Jalan berlubang di depan Pasar Baru")
    chat.send_document(pdf(), "surat-kelurahan.pdf")
    chat.send("Sudah tiga bulan jalan berlubang dan membahayakan pengendara motor.")
    _finish_telegram(chat)
    aspiration, rows = _aspiration_files(services)
    with services.db.write() as db:
        row = db.get(Attachment, rows[1].id)
        actions.remove_attachment(
            db,
            world.moderator,
            row,
            reason="Memuat data pribadi.",
            store=store_for(services.settings),
        )
    drain(services)
    assert fake_telegram.texts(chat.user_id)[-1] == (
        f"Moderator menghapus surat-kelurahan.pdf dari aspirasi Anda {aspiration.ticket}: "
        "Memuat data pribadi."
    )
