"""Every citizen flow in Telegram, end to end through the webhook, the shared conversation,
the forum actions and the fake Bot API."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bots.models import ChatIdentity
from forum import actions
from forum.models import (
    Aspiration,
    AspirationStatus,
    Category,
    Channel,
    Comment,
    Consultation,
    ContentStatus,
    Region,
    Section,
    Visibility,
)
from forum.services import Services
from tests.bots.conftest import Chat, FakeTelegram
from tests.conftest import World

LONG_SECTION = "# Judul\n\n## Bagian panjang\n\n" + "\n\n".join(
    f"Paragraf {i}: " + "kata " * 120 for i in range(20)
)


def _identity(services: Services, user_id: int) -> ChatIdentity:
    with services.db.read() as db:
        identity = db.exec(
            select(ChatIdentity).where(ChatIdentity.platform_user_id == str(user_id))
        ).one()
        return identity


def test_browse_read_sections_and_comment_on_a_section(
    chat: Chat, world: World, services: Services
) -> None:
    consultation = world.consultation()
    chat.send("/start")
    chat.press("cl")
    assert consultation.title in [label for label, _ in chat.last_buttons()]
    texts = chat.press(f"c:{consultation.id}")
    assert consultation.title in texts[0] and "Terbuka untuk komentar sampai" in texts[0]
    texts = chat.press(chat.button("Bagian satu"))
    assert texts == ["Bagian satu\n\nIsi pertama."]
    texts = chat.press(chat.button("Bagian berikutnya"))
    assert "Isi kedua." in texts[0]
    chat.press(chat.button("Komentari bagian ini"))
    texts = chat.send("Mohon bagian kedua memuat tenggat yang jelas.")
    assert "menunggu peninjauan" in texts[0]
    with services.db.read() as db:
        comment = db.exec(select(Comment)).one()
    assert comment.status == ContentStatus.pending and comment.channel == Channel.telegram
    assert comment.section_id is not None and comment.body.startswith("Mohon bagian kedua")
    assert comment.author_id == _identity(services, chat.user_id).account_id


def test_long_sections_are_split_at_paragraphs(chat: Chat, world: World) -> None:
    consultation = world.consultation(LONG_SECTION)
    chat.press(f"c:{consultation.id}")
    texts = chat.press(chat.button("Bagian panjang"))
    assert len(texts) > 1
    assert all(len(t) <= 4096 for t in texts)
    assert all(t.rstrip().endswith("kata") for t in texts[:-1])  # cut between paragraphs
    assert texts[1].startswith("Paragraf")
    assert chat.last_buttons()  # the buttons come with the last part


def test_reply_to_a_published_comment_and_support_it(
    chat: Chat, world: World, services: Services
) -> None:
    consultation = world.consultation()
    with services.db.write() as db:
        section = db.exec(
            select(Section).where(
                Section.consultation_id == consultation.id,
                Section.heading == "Bagian satu",
            )
        ).one()
        comment = actions.submit_comment(
            db,
            world.other_citizen,
            consultation,
            body="Setuju dengan bagian ini.",
            section_id=section.id,
        )
        actions.publish_comment(db, world.moderator, comment)
    chat.press(f"c:{consultation.id}")
    chat.press(chat.button("Bagian satu"))
    texts = chat.press(chat.button("Baca komentar"))
    assert any("Setuju dengan bagian ini." in t for t in texts), texts
    texts = chat.press(f"sp:c:{comment.id}")
    assert texts[0] == "Terima kasih atas dukungan Anda."
    assert chat.press(f"sp:c:{comment.id}")[0] == "Anda sudah mendukung ini."
    chat.press(f"rc:{comment.id}")
    chat.send("Saya juga setuju, terutama soal tenggat.")
    with services.db.read() as db:
        reply = db.exec(select(Comment).where(Comment.parent_id == comment.id)).one()
        assert db.get(Comment, comment.id).support_count == 1  # type: ignore[union-attr]
    assert reply.status == ContentStatus.pending and reply.root_id == comment.id


def test_aspiration_step_by_step_with_back_and_typed_region(
    chat: Chat, world: World, services: Services
) -> None:
    chat.send("/start")
    chat.press(chat.button("Sampaikan aspirasi"))
    assert "minimal 5 karakter" in chat.send("Jal")[0]  # too short: asked again
    assert "Langkah 2 dari 5" in chat.send("Jalan rusak di depan pasar")[0]
    assert "Langkah 1 dari 5" in chat.press("ab")[0]  # back
    assert "Langkah 2 dari 5" in chat.send("Jalan berlubang di depan Pasar Baru")[0]
    assert (
        "Langkah 3 dari 5"
        in chat.send("Sudah tiga bulan jalan berlubang dan membahayakan pengendara motor.")[0]
    )
    category = chat.last_buttons()[0][1]
    assert "Langkah 4 dari 5" in chat.press(category)[0]
    texts = chat.send("Bandung")
    assert "Yang mana" in texts[0]  # Kabupaten Bandung, Kota Bandung, Bandung Barat
    kota = chat.button("Kota Bandung")
    assert "Langkah 5 dari 5" in chat.press(kota)[0]
    texts = chat.press(chat.button("Publik, nama saya disembunyikan"))
    assert "nomor tiket ASP-" in texts[0]
    with services.db.read() as db:
        aspiration = db.exec(select(Aspiration)).one()
        region = db.get(Region, aspiration.region_id)
    assert aspiration.title == "Jalan berlubang di depan Pasar Baru"
    assert aspiration.visibility == Visibility.anonymous and aspiration.channel == Channel.telegram
    assert (
        aspiration.status == AspirationStatus.pending
        and region is not None
        and region.name == "Kota Bandung"
    )
    assert aspiration.ticket in texts[0]
    assert _identity(services, chat.user_id).state == "idle"


def test_aspiration_by_province_buttons_and_cancel(
    chat: Chat, world: World, services: Services
) -> None:
    chat.press("a")
    chat.send("Lampu jalan mati")
    chat.send("Lampu jalan di kompleks kami mati sejak dua minggu.")
    chat.press(chat.last_buttons()[0][1])
    chat.press(chat.button("Lainnya"))  # the next page of provinces
    chat.press(chat.button("Jawa Barat"))
    assert chat.button("Seluruh provinsi")
    chat.press(chat.button("Kembali"))  # back from the regency list to categories
    texts = chat.press(chat.button("Batal"))
    assert "tidak dikirim" in texts[0]
    with services.db.read() as db:
        assert db.exec(select(Aspiration)).first() is None


def test_ticket_status_my_items_and_search(chat: Chat, world: World, services: Services) -> None:
    consultation = world.consultation()
    with services.db.write() as db:
        category = db.exec(select(Category)).first()
        region = db.exec(select(Region)).first()
        other = actions.submit_aspiration(
            db,
            world.other_citizen,
            title="Sampah menumpuk di sungai",
            body="Sampah menumpuk di sungai dekat jembatan.",
            category_id=category.id,
            region_id=region.id,
            agency_id=world.agency.id,
            visibility=Visibility.public,  # type: ignore[union-attr]
        )
        actions.publish_aspiration(db, world.moderator, other)
    texts = chat.send(f"/status {other.ticket}")
    assert texts[0].startswith(f"{other.ticket} · Sampah menumpuk di sungai\nStatus: ")
    assert "Dinas Komunikasi Kota A" in texts[0]
    assert chat.press(f"sp:a:{other.id}")[0] == "Terima kasih atas dukungan Anda."
    assert "Anda belum mengirim apa pun." in chat.send("/saya")[0]
    texts = chat.send("/status ASP-2026-999999")
    assert texts[0].startswith("Tidak ada aspirasi dengan nomor tiket ini")
    texts = chat.send("/cari sampah sungai")
    assert "Hasil untuk" in texts[0]
    assert any(other.ticket in label for label, _ in chat.last_buttons())
    chat.send("/cari layanan digital")
    assert any(data == f"c:{consultation.id}" for _, data in chat.last_buttons())
    assert "Tidak ditemukan" in chat.send("/cari zzzqqq")[0]
    # My items lists what this chat sent, with status.
    chat.press("a")
    chat.send("Trotoar rusak")
    chat.send("Trotoar di jalan utama rusak dan membahayakan pejalan kaki.")
    chat.press(chat.last_buttons()[0][1])
    chat.press(f"ar:{region.id}")  # type: ignore[union-attr]
    chat.press("av:public")
    texts = chat.send("/saya")
    assert "Kiriman Anda" in texts[0]
    assert any(
        "Menunggu peninjauan" in label or "ASP-" in label for label, _ in chat.last_buttons()
    )


def test_restart_in_the_middle_of_a_conversation(
    chat: Chat, world: World, services: Services, settings, fake_telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from forum.app import build_services, create_app

    chat.press("a")
    chat.send("Air PDAM keruh")
    # The process restarts: new services and app on the same database.
    fresh = build_services(settings)
    with TestClient(create_app(settings, services=fresh)) as client:
        again = Chat(client, fresh, fake_telegram)
        texts = again.send("Air PDAM di rumah kami keruh dan berbau sejak minggu lalu.")
        assert "Langkah 3 dari 5" in texts[0]
    fresh.db.engine.dispose()


def test_stop_and_resume_notifications(chat: Chat, services: Services) -> None:
    assert "Notifikasi dimatikan" in chat.send("/berhenti")[0]
    assert _identity(services, chat.user_id).notify is False
    assert "Notifikasi menyala" in chat.send("/lanjut")[0]
    assert _identity(services, chat.user_id).notify is True


def test_unknown_text_and_commands_get_the_menu(chat: Chat) -> None:
    assert "tidak mengerti" in chat.send("halo")[0]
    assert "tidak dikenal" in chat.send("/entahapa")[0]
    assert "tidak berlaku" in chat.press("zz:1")[0]
    assert chat.last_buttons()


def test_deep_links_open_a_consultation_or_a_ticket(
    chat: Chat, world: World, services: Services
) -> None:
    consultation = world.consultation()
    texts = chat.send(f"/start k{consultation.id}")
    assert consultation.title in texts[0]
    texts = chat.send("/start tASP-2026-000001")
    assert texts[0].startswith("Tidak ada aspirasi dengan nomor tiket ini")


def test_comment_on_a_closed_consultation_is_refused(
    chat: Chat, world: World, services: Services
) -> None:
    consultation = world.consultation(closes_in=timedelta(days=30))
    chat.press(f"cm:{consultation.id}:0")
    with services.db.write() as db:
        actions.close_consultation(db, world.official, db.get(Consultation, consultation.id))  # type: ignore[arg-type]
    texts = chat.send("Komentar setelah ditutup.")
    assert texts[0] == "Konsultasi ini sedang tidak dibuka untuk komentar."
    with services.db.read() as db:
        assert db.exec(select(Comment)).first() is None


def test_search_from_chat_uses_the_search_index_with_stemming(
    chat: Chat, world: World, services: Services
) -> None:
    with services.db.write() as db:
        category = db.exec(select(Category)).first()
        region = db.exec(select(Region)).first()
        queue = actions.submit_aspiration(
            db,
            world.other_citizen,
            title="Antrean panjang di kantor kecamatan",
            body="Pelayanan KTP elektronik sangat lambat, warga menunggu seharian.",
            category_id=category.id,  # type: ignore[union-attr]
            region_id=region.id,  # type: ignore[union-attr]
            agency_id=world.agency.id,
            visibility=Visibility.public,
        )
        actions.publish_aspiration(db, world.moderator, queue)
    chat.send("/menu")  # the worker indexes the published aspiration
    # "layanan" is nowhere in the title; the index finds "pelayanan" in the text by its root.
    texts = chat.send("/cari layanan")
    assert "Hasil untuk" in texts[0]
    assert any(queue.ticket in label for label, _ in chat.last_buttons())
