"""Test data for the open-data tests, made through the real actions: public items, and items
that must never leak (confidential, anonymous author, pending, rejected, hidden, draft)."""

from __future__ import annotations

from dataclasses import dataclass, field

from forum import actions
from forum.models import (
    Account,
    Aspiration,
    Category,
    Comment,
    Consultation,
    Region,
    Visibility,
)
from forum.queries import list_categories, list_regions
from tests.conftest import PASSWORD, World

# Strings that must never appear in any public output.
NIK = "3273012345678901"
SECRETS = (
    "RAHASIA-KONFIDENSIAL",
    "JAWABAN-ATAS-RAHASIA",
    "MENUNGGU-MODERASI",
    "DITOLAK-MODERATOR",
    "DISEMBUNYIKAN-FLAG",
    "KOMENTAR-PENDING",
    "KOMENTAR-TERSEMBUNYI",
    "BALASAN-ATAS-TERSEMBUNYI",
    "TANGGAPAN-ATAS-TERSEMBUNYI",
    "DRAF-RAHASIA",
    NIK,
)
ANONYMOUS_NAME = "Kartini Anonimwati"
PUBLIC_NAME = "Budi Terbuka"
PHONE = "+6281234567890"
FORBIDDEN_KEYS = {"email", "phone", "author_id", "account_id", "password_hash", "nik"}


@dataclass
class Seeded:
    world: World
    consultation: Consultation
    draft: Consultation
    public: Aspiration
    anonymous: Aspiration
    confidential: Aspiration
    category: Category
    region: Region
    comments: list[Comment] = field(default_factory=list)

    @property
    def personal(self) -> tuple[str, ...]:
        """Personal data of the accounts involved (never in any public output)."""
        return (
            ANONYMOUS_NAME,
            PHONE,
            "@contoh.id",
            self.world.official.name,  # officials answer as their agency, not by name
        )


def _citizen(world: World, name: str, email: str, phone: str | None = None) -> Account:
    with world.services.db.write() as db:
        return actions.create_account(
            db, name=name, email=email, phone=phone, password=PASSWORD, consent=True
        )


def _aspiration(
    world: World,
    author: Account,
    title: str,
    body: str,
    visibility: Visibility,
    *,
    category: Category,
    region: Region,
    publish: bool = True,
    respond: str | None = None,
) -> Aspiration:
    with world.services.db.write() as db:
        aspiration = actions.submit_aspiration(
            db,
            db.merge(author),
            title=title,
            body=body,
            category_id=category.id,
            region_id=region.id,
            agency_id=world.agency.id,
            visibility=visibility,
        )
        if publish:
            actions.publish_aspiration(db, db.merge(world.moderator), aspiration)
        if respond:
            actions.publish_official_response(
                db, db.merge(world.official), body=respond, aspiration=aspiration
            )
        return aspiration


def seed(world: World) -> Seeded:
    with world.services.db.read() as db:
        category = list_categories(db)[0]
        region = next(r for r in list_regions(db) if r.kind != "province")
    public_author = _citizen(world, PUBLIC_NAME, "budi.terbuka@contoh.id")
    anonymous_author = _citizen(world, ANONYMOUS_NAME, "kartini@contoh.id", PHONE)
    kw = {"category": category, "region": region}

    public = _aspiration(
        world,
        public_author,
        "Lampu jalan padam di Jalan Merdeka",
        "Sudah dua minggu lampu jalan di Jalan Merdeka padam setiap malam.",
        Visibility.public,
        respond="Petugas kami akan memperbaiki lampu jalan minggu ini.",
        **kw,
    )
    anonymous = _aspiration(
        world,
        anonymous_author,
        "Pungutan liar di kantor kelurahan",
        f"Saya diminta membayar untuk surat pengantar. NIK saya {NIK}, mohon ditindak.",
        Visibility.anonymous,
        **kw,
    )
    with world.services.db.write() as db:
        # The moderator redacts the NIK before anyone reads it.
        redacted = db.merge(anonymous)
        actions.redact_aspiration(
            db,
            db.merge(world.moderator),
            redacted,
            title=redacted.title,
            body=redacted.body.replace(NIK, "[disunting]"),
        )
    confidential = _aspiration(
        world,
        anonymous_author,
        "RAHASIA-KONFIDENSIAL laporan korupsi pengadaan",
        "Bukti pengadaan fiktif RAHASIA-KONFIDENSIAL di dinas.",
        Visibility.confidential,
        respond="JAWABAN-ATAS-RAHASIA kami tindak lanjuti.",
        **kw,
    )
    _aspiration(
        world,
        public_author,
        "MENUNGGU-MODERASI trotoar rusak",
        "Trotoar rusak MENUNGGU-MODERASI di depan pasar.",
        Visibility.public,
        publish=False,
        **kw,
    )
    rejected = _aspiration(
        world,
        public_author,
        "DITOLAK-MODERATOR iklan jualan",
        "Jual pulsa murah DITOLAK-MODERATOR hubungi saya.",
        Visibility.public,
        publish=False,
        **kw,
    )
    hidden = _aspiration(
        world,
        public_author,
        "DISEMBUNYIKAN-FLAG keluhan kasar",
        "Keluhan DISEMBUNYIKAN-FLAG yang dilaporkan banyak warga.",
        Visibility.public,
        **kw,
    )
    with world.services.db.write() as db:
        moderator = db.merge(world.moderator)
        actions.reject_aspiration(db, moderator, db.merge(rejected), reason="Iklan.")
        actions.hide_content(db, moderator, aspiration=db.merge(hidden))

    consultation = world.consultation()
    draft = world.consultation("# DRAF-RAHASIA\n\n## Bagian\n\nIsi DRAF-RAHASIA.\n", publish=False)
    comments: list[Comment] = []
    with world.services.db.write() as db:
        moderator = db.merge(world.moderator)
        official = db.merge(world.official)
        author = db.merge(public_author)
        c = db.merge(consultation)
        visible = actions.submit_comment(db, author, c, body="Komentar yang terbit, mendukung.")
        actions.publish_comment(db, moderator, visible)
        reply = actions.submit_comment(
            db, db.merge(world.citizen), c, body="Balasan yang terbit.", parent_id=visible.id
        )
        actions.publish_comment(db, moderator, reply)
        actions.publish_official_response(
            db, official, body="Terima kasih atas masukannya.", comment=visible
        )
        actions.submit_comment(db, author, c, body="KOMENTAR-PENDING belum diperiksa.")
        doomed = actions.submit_comment(db, author, c, body="KOMENTAR-TERSEMBUNYI kasar.")
        actions.publish_comment(db, moderator, doomed)
        doomed_reply = actions.submit_comment(
            db, db.merge(world.citizen), c, body="BALASAN-ATAS-TERSEMBUNYI.", parent_id=doomed.id
        )
        actions.publish_comment(db, moderator, doomed_reply)
        actions.publish_official_response(
            db, official, body="TANGGAPAN-ATAS-TERSEMBUNYI.", comment=doomed
        )
        actions.hide_content(db, moderator, comment=doomed)
        comments = [visible, reply]
    return Seeded(
        world, consultation, draft, public, anonymous, confidential, category, region, comments
    )


def every_key(value: object) -> set[str]:
    """All object keys anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in every_key(v)}
    if isinstance(value, list):
        return {k for v in value for k in every_key(v)}
    return set()
