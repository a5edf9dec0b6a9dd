"""Every citizen flow on WhatsApp through the same conversation as Telegram: menus as reply
buttons and list messages within Meta's limits (the fake Graph API refuses anything else)."""

from __future__ import annotations

import re

from sqlmodel import select

from bots.models import ChatIdentity
from forum import actions
from forum.models import (
    Aspiration,
    AspirationStatus,
    Category,
    Channel,
    Comment,
    ContentStatus,
    Region,
    Visibility,
)
from forum.services import Services
from tests.bots.whatsapp_fake import WA_ID, FakeGraph, WaUser
from tests.conftest import Browser, World

LONG_SECTION = "# Judul\n\n## Bagian panjang\n\n" + "\n\n".join(
    f"Paragraf {i}: " + "kata " * 120 for i in range(20)
)
MANY_SECTIONS = "# Judul\n\n" + "\n\n".join(f"## Pasal {i}\n\nIsi pasal {i}." for i in range(1, 13))


def _identity(services: Services) -> ChatIdentity:
    with services.db.read() as db:
        return db.exec(select(ChatIdentity).where(ChatIdentity.platform_user_id == WA_ID)).one()


def _assert_within_limits(fake: FakeGraph) -> None:
    assert fake.invalid == [], fake.invalid


def test_menu_is_a_list_and_short_menus_are_reply_buttons(
    wa: WaUser, fake_graph: FakeGraph
) -> None:
    texts = wa.send("/start")
    assert texts[0].startswith("Selamat datang di Rembug")
    menu = fake_graph.to(WA_ID)[-1]["interactive"]
    assert menu["type"] == "list" and menu["action"]["button"] == "Pilih"
    assert "Konsultasi terbuka" in [label for label, _ in wa.choices()]
    wa.send("/status")  # back and cancel: two short choices
    assert fake_graph.to(WA_ID)[-1]["interactive"]["type"] == "button"
    assert [label for label, _ in wa.choices()] == ["Kembali", "Batal"]
    assert "Dibatalkan" in wa.press(wa.choice("Batal"))[0]
    assert "tidak mengerti" in wa.send("halo")[0]
    _assert_within_limits(fake_graph)


def test_browse_read_and_comment_on_a_section(
    wa: WaUser, world: World, services: Services, fake_graph: FakeGraph
) -> None:
    consultation = world.consultation()
    wa.send("/start")
    wa.press(wa.choice("Konsultasi terbuka"))
    texts = wa.press(wa.choice(consultation.title[:20]))
    assert consultation.title in texts[0] and "Terbuka untuk komentar sampai" in texts[0]
    assert wa.press(wa.choice("Bagian satu")) == ["Bagian satu\n\nIsi pertama."]
    assert "Isi kedua." in wa.press(wa.choice("Bagian berikutnya"))[0]
    wa.press(wa.choice("Komentari bagian ini"))
    assert "menunggu peninjauan" in wa.send("Mohon bagian kedua memuat tenggat yang jelas.")[0]
    with services.db.read() as db:
        comment = db.exec(select(Comment)).one()
    assert comment.channel == Channel.whatsapp and comment.status == ContentStatus.pending
    assert comment.author_id == _identity(services).account_id
    _assert_within_limits(fake_graph)


def test_long_menus_are_paged_to_ten_rows_and_long_texts_split(
    wa: WaUser, world: World, fake_graph: FakeGraph
) -> None:
    consultation = world.consultation(MANY_SECTIONS)
    wa.press(f"c:{consultation.id}")
    first = [label for label, _ in wa.choices()]
    assert len(first) == 10 and "Bagian lainnya" in first  # 7 sections, more, comment, menu
    wa.press(wa.choice("Bagian lainnya"))
    assert any("Pasal 12" in label for label, _ in wa.choices())
    long = world.consultation(LONG_SECTION)
    wa.press(f"c:{long.id}")
    texts = wa.press(wa.choice("Bagian panjang"))
    assert len(texts) > 2 and all(len(t) <= 4096 for t in texts)
    assert len(texts[-1]) <= 1024 and wa.choices()  # the part with the menu fits Meta's 1,024
    _assert_within_limits(fake_graph)


def test_aspiration_step_by_step_with_lists_back_and_typed_region(
    wa: WaUser, world: World, services: Services, fake_graph: FakeGraph
) -> None:
    wa.send("/start")
    wa.press(wa.choice("Sampaikan aspirasi"))
    assert "minimal 5 karakter" in wa.send("Jal")[0]
    assert "Langkah 2 dari 5" in wa.send("Jalan rusak di depan pasar")[0]
    assert "Langkah 1 dari 5" in wa.press("ab")[0]
    wa.send("Jalan berlubang di depan Pasar Baru 🚧")
    assert (
        "Langkah 3 dari 5" in wa.send("Sudah tiga bulan jalan berlubang — membahayakan motor.")[0]
    )
    assert "Langkah 4 dari 5" in wa.press(wa.choices()[0][1])[0]
    wa.press(wa.choice("Lainnya"))  # the next page of provinces
    wa.press(wa.choice("Jawa Barat"))
    assert len(wa.choices()) == 10
    assert "Langkah 3 dari 5" in wa.press(wa.choice("Kembali"))[0]  # back to the categories
    wa.press(wa.choices()[0][1])
    assert "Yang mana" in wa.send("Bandung")[0]
    assert "Langkah 5 dari 5" in wa.press(wa.choice("Kota Bandung"))[0]
    texts = wa.press(wa.choice("Publik, nama saya"))
    assert "nomor tiket ASP-" in texts[0]
    with services.db.read() as db:
        aspiration = db.exec(select(Aspiration)).one()
    assert aspiration.title == "Jalan berlubang di depan Pasar Baru 🚧"
    assert aspiration.channel == Channel.whatsapp and aspiration.visibility == Visibility.anonymous
    assert aspiration.status == AspirationStatus.pending and aspiration.ticket in texts[0]
    _assert_within_limits(fake_graph)


def test_ticket_search_support_and_my_items(
    wa: WaUser, world: World, services: Services, fake_graph: FakeGraph
) -> None:
    world.consultation()
    with services.db.write() as db:
        category = db.exec(select(Category)).first()
        region = db.exec(select(Region)).first()
        other = actions.submit_aspiration(
            db,
            world.other_citizen,
            title="Sampah menumpuk di sungai",
            body="Sampah menumpuk di sungai dekat jembatan.",
            category_id=category.id,  # type: ignore[union-attr]
            region_id=region.id,  # type: ignore[union-attr]
            agency_id=world.agency.id,
            visibility=Visibility.public,
        )
        actions.publish_aspiration(db, world.moderator, other)
    assert wa.send(f"/status {other.ticket}")[0].startswith(f"{other.ticket} · Sampah menumpuk")
    assert wa.press(wa.choice("Dukung")) == ["Terima kasih atas dukungan Anda."]
    wa.send("/cari")
    assert "Hasil untuk" in wa.send("sampah sungai")[0]
    assert any(other.ticket in label for label, _ in wa.choices())
    assert "Anda belum mengirim apa pun." in wa.send("/saya")[0]
    _assert_within_limits(fake_graph)


def test_link_with_a_one_time_code_then_stop_and_resume(
    wa: WaUser, world: World, services: Services, browser: Browser
) -> None:
    browser.login(world.citizen)
    page = browser.submit("/saya/chat", "/saya/chat/kode", {}).text
    code = re.search(r'<p class="code"><strong>([A-Z0-9]{8})</strong>', page).group(1)  # type: ignore[union-attr]
    assert "tertaut ke akun web Warga" in wa.send(f"/tautkan {code}")[0]
    assert _identity(services).account_id == world.citizen.id
    assert "WhatsApp" in browser.get("/saya/chat").text
    assert "Notifikasi dimatikan" in wa.send("/berhenti")[0]
    assert _identity(services).notify is False
    wa.press(wa.choice("Menu"))
    assert "Notifikasi menyala" in wa.press(wa.choice("Nyalakan notifikasi"))[0]
    assert _identity(services).notify is True
