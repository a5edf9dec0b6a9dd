"""Attachments (issue 20, forum/attachments/): what is accepted and how it is cleaned, what is
refused, the store, the limits, OCR and the migration. Every file is a real one made here
with Pillow, pillow-heif or by hand; nothing of ours is mocked."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
import shutil
import struct
import zlib
from io import BytesIO
from pathlib import Path

import pillow_heif
import pytest
from alembic import command
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import inspect as schema
from sqlmodel import Session

from forum import attachments
from forum.attachments import (
    ActiveContent,
    AttachmentRefused,
    AttachmentStore,
    Damaged,
    LocalStore,
    Prepared,
    QuotaExceeded,
    StoredFile,
    TooLarge,
    TooManyFiles,
    TooManyPixels,
    UnsupportedType,
)
from forum.attachments.s3 import S3Store
from forum.db import alembic_config
from forum.i18n import gettext
from forum.models import Account, Attachment, AttachmentStatus
from forum.services import Services
from forum.settings import Settings, SettingsError
from moderation.screens import ScreenConfig, ScreenInput, personal_data
from tests.s3_server import Bucket

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def photo_exif(orientation: int = 1) -> Image.Exif:
    """What a phone writes: maker, model, orientation and where the photo was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "S", 2: (6.0, 54.0, 30.0), 3: "E", 4: (107.0, 36.0, 0.0)}
    return exif


def two_halves(size: tuple[int, int] = (120, 80)) -> Image.Image:
    """Red on the left, blue on the right: where each ends up shows the rotation."""
    image = Image.new("RGB", size, (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2 - 1, size[1]), fill=(255, 0, 0))
    return image


def encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def assert_no_metadata(data: bytes) -> None:
    image = opened(data)
    assert not image.getexif(), dict(image.getexif())
    assert not image.getexif().get_ifd(GPS_IFD)
    for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "Comment"):
        assert key not in image.info, key
    for marker in (b"Exif\x00\x00", b"PhoneMaker", b"adobe:ns:meta", b"rumah", b"Budi"):
        assert marker not in data, marker


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 200 and pixel[2] < 60


def is_blue(pixel: tuple[int, ...]) -> bool:
    return pixel[2] > 200 and pixel[0] < 60


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def minimal_pdf(body: bytes = b"BT /F1 24 Tf 72 720 Td (Aspirasi warga) Tj ET") -> bytes:
    """A complete one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Times#20New#20Roman >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_of_zeros(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of ``width`` x ``height``: all zeros, so it compresses to
    almost nothing however many pixels it has (the shape of a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then 1 bit per pixel
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> AttachmentStore:
    """Each store test runs on both stores: the folder, and a bucket of the local S3 server."""
    if request.param == "local":
        return LocalStore.for_data_dir(tmp_path)
    bucket: Bucket = request.getfixturevalue("s3_bucket")
    settings = Settings.from_env({"REMBUG_DATA_DIR": str(tmp_path), **SECRET, **bucket.env})
    return attachments.store_for(settings)


SECRET = {"REMBUG_SECRET_KEY": "k" * 40}


def stored(store: AttachmentStore) -> list[str]:
    """What the store holds, as paths in the common layout (ab/cd/<sha256>.<ext>), sorted."""
    if isinstance(store, LocalStore):
        return [p.relative_to(store.root).as_posix() for p in stored_files(store.root)]
    assert isinstance(store, S3Store)
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
    keys = [str(o["Key"]) for page in pages for o in page.get("Contents", [])]
    assert all(k.startswith(store.prefix + "/") for k in keys)
    return sorted(k.removeprefix(store.prefix + "/") for k in keys)


def raw(store: AttachmentStore, path: str) -> bytes:
    """The bytes at ``path`` of the layout, read past the store (the folder or the bucket)."""
    if isinstance(store, LocalStore):
        return (store.root / path).read_bytes()
    assert isinstance(store, S3Store)
    answer = store.client.get_object(Bucket=store.bucket, Key=f"{store.prefix}/{path}")
    return bytes(answer["Body"].read())


def writes(store: AttachmentStore) -> list[object]:
    """Something that changes whenever a stored file is written again: the files' inodes and
    times, or the bucket's object versions (the test buckets keep every version)."""
    if isinstance(store, LocalStore):
        return [(p.stat().st_ino, p.stat().st_mtime_ns) for p in stored_files(store.root)]
    assert isinstance(store, S3Store)
    answer = store.client.list_object_versions(Bucket=store.bucket)
    return sorted((v["Key"], v["VersionId"]) for v in answer.get("Versions", []))


# --- photos: accepted and cleaned ---------------------------------------------------------


def test_a_jpeg_comes_out_without_gps_exif_xmp_or_comment(store: AttachmentStore) -> None:
    sent = encoded(
        two_halves(),
        "JPEG",
        exif=photo_exif(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">rumah Budi</x:xmpmeta>',
        comment=b"rumah Budi, Jl. Merdeka 1",
    )
    assert opened(sent).getexif().get_ifd(GPS_IFD)  # the test photo does carry a location

    prepared = attachments.inspect(sent, "IMG_0001.JPG")

    assert (prepared.kind, prepared.media_type, prepared.extension) == (
        "image",
        "image/jpeg",
        "jpg",
    )
    assert (prepared.width, prepared.height) == (120, 80)
    assert prepared.sha256 == hashlib.sha256(prepared.data).hexdigest()
    assert prepared.byte_size == len(prepared.data)
    assert_no_metadata(prepared.data)
    assert opened(prepared.data).format == "JPEG"
    store.put(prepared)
    assert store.read(prepared.sha256, "jpg") == prepared.data


def test_a_photo_taken_sideways_comes_out_upright(store: AttachmentStore) -> None:
    # Orientation 6: the camera held sideways; shown rotated 90 degrees clockwise, so the
    # stored picture's left half (red) is the top of what people see.
    sent = encoded(two_halves((120, 80)), "JPEG", exif=photo_exif(orientation=6), quality=95)

    prepared = attachments.inspect(sent, "miring.jpg")

    upright = opened(prepared.data).convert("RGB")
    assert upright.size == (80, 120) == (prepared.width, prepared.height)
    assert is_red(upright.getpixel((40, 10)))  # type: ignore[arg-type]
    assert is_blue(upright.getpixel((40, 110)))  # type: ignore[arg-type]
    assert ORIENTATION not in opened(prepared.data).getexif()
    thumb = opened(prepared.thumbnails[320])
    assert thumb.format == "WEBP" and thumb.size == (80, 120)  # never enlarged


def test_a_heic_photo_from_a_phone_is_stored_as_jpeg() -> None:
    pillow_heif.register_heif_opener()
    sent = encoded(two_halves((160, 96)), "HEIF", exif=photo_exif(), quality=90)
    assert sent[4:12] == b"ftypheic"

    prepared = attachments.inspect(sent, "IMG_4032.HEIC")

    assert prepared.source_format == "heif"
    assert (prepared.media_type, prepared.extension) == ("image/jpeg", "jpg")
    image = opened(prepared.data)
    assert image.format == "JPEG" and image.size == (160, 96)
    assert is_red(image.convert("RGB").getpixel((10, 48)))  # type: ignore[arg-type]
    assert_no_metadata(prepared.data)


def test_png_stays_png_and_webp_stays_webp_without_their_metadata() -> None:
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Comment", "rumah Budi")
    png = attachments.inspect(encoded(two_halves(), "PNG", pnginfo=text), "layar.png")
    assert (png.media_type, opened(png.data).format) == ("image/png", "PNG")
    assert_no_metadata(png.data)

    webp = attachments.inspect(encoded(two_halves(), "WEBP", exif=photo_exif()), "a.webp")
    assert (webp.media_type, opened(webp.data).format) == ("image/webp", "WEBP")
    assert_no_metadata(webp.data)

    palette = attachments.inspect(encoded(two_halves().convert("P"), "PNG"), "p.png")
    assert opened(palette.data).mode == "RGB"
    cmyk = attachments.inspect(encoded(two_halves().convert("CMYK"), "JPEG"), "cetak.jpg")
    assert opened(cmyk.data).mode == "RGB"


def test_thumbnails_are_made_on_the_long_side() -> None:
    prepared = attachments.inspect(encoded(two_halves((2000, 1000)), "JPEG"), "besar.jpg")
    assert set(prepared.thumbnails) == set(attachments.THUMBNAIL_SIDES) == {320, 1024}
    assert opened(prepared.thumbnails[320]).size == (320, 160)
    assert opened(prepared.thumbnails[1024]).size == (1024, 512)


def test_the_file_name_is_kept_as_text_only() -> None:
    data = encoded(two_halves(), "PNG")
    assert (
        attachments.inspect(data, "C:\\Users\\Budi\\Foto KTP.png").original_name == "Foto KTP.png"
    )
    assert attachments.inspect(data, "../../etc/passwd").original_name == "passwd"
    assert attachments.inspect(data, "a\x00b\nc.png").original_name == "abc.png"
    assert len(attachments.inspect(data, "x" * 500 + ".png").original_name) == 200


# --- refused -------------------------------------------------------------------------------


def jpeg_html_polyglot() -> bytes:
    """A JPEG that opens as a photo and, read as HTML, runs a script (in its comment)."""
    return encoded(two_halves(), "JPEG", comment=b"<html><body><SCRIPT>alert(1)</SCRIPT>")


REFUSED = {
    "jpeg-html-polyglot": (jpeg_html_polyglot, "foto.jpg", ActiveContent),
    "jpeg-with-html-appended": (
        lambda: encoded(two_halves(), "JPEG") + b"<!DOCTYPE html><iframe src=x>",
        "foto.jpg",
        ActiveContent,
    ),
    "pdf-html-polyglot": (
        lambda: minimal_pdf().replace(b"%\xe2\xe3\xcf\xd3", b"%<html><script>alert(1)</script>"),
        "surat.pdf",
        ActiveContent,
    ),
    "svg-with-script": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "gambar.png",
        UnsupportedType,
    ),
    "svg-with-xml-declaration": (
        lambda: b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "gambar.svg",
        UnsupportedType,
    ),
    "html-named-jpg": (
        lambda: b"<!doctype html><html><body>Halo</body></html>",
        "foto.jpg",
        UnsupportedType,
    ),
    "elf-executable": (
        lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 200,
        "foto.jpg",
        UnsupportedType,
    ),
    "windows-executable": (
        lambda: b"MZ\x90\x00\x03" + b"\x00" * 200 + b"This program cannot be run in DOS mode",
        "foto.jpg",
        UnsupportedType,
    ),
    "shell-script": (lambda: b"#!/bin/sh\nrm -rf /\n", "foto.png", UnsupportedType),
    "zip-or-office": (lambda: b"PK\x03\x04" + b"\x00" * 100, "laporan.pdf", UnsupportedType),
    "unknown": (lambda: b"hanya teks biasa", "catatan.jpg", UnsupportedType),
    "mp4-video": (
        lambda: b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64,
        "video.heic",
        UnsupportedType,
    ),
    "truncated-jpeg": (lambda: encoded(two_halves(), "JPEG")[:300], "foto.jpg", Damaged),
    "pdf-without-end": (lambda: minimal_pdf()[:-7], "surat.pdf", Damaged),
    "pdf-with-javascript": (
        lambda: minimal_pdf().replace(
            b"/Pages 2 0 R", b"/Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
        ),
        "surat.pdf",
        ActiveContent,
    ),
    "pdf-with-escaped-javascript": (
        lambda: minimal_pdf().replace(b"/Pages 2 0 R", b"/Pages 2 0 R /AA << /S /J#61vaScript >>"),
        "surat.pdf",
        ActiveContent,
    ),
    "pdf-with-data-after-its-end": (
        lambda: minimal_pdf() + b"PK\x03\x04 a zip after the end",
        "surat.pdf",
        ActiveContent,
    ),
    "decompression-bomb": (lambda: png_of_zeros(20_000, 20_000), "kecil.png", TooManyPixels),
    "just-over-the-pixel-limit": (lambda: png_of_zeros(7_000, 6_000), "besar.png", TooManyPixels),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_files_are_never_stored(case: str, store: AttachmentStore) -> None:
    make, name, error = REFUSED[case]
    data = make()
    with pytest.raises(error) as refused:
        store.put(attachments.inspect(data, name))
    assert isinstance(refused.value, AttachmentRefused)
    assert refused.value.status_code == 400
    assert refused.value.params["name"] == name
    assert stored(store) == []


def test_the_bomb_is_small_on_disk_and_refused_before_it_is_decoded() -> None:
    bomb = png_of_zeros(20_000, 20_000)
    assert len(bomb) < 200_000
    with pytest.raises(TooManyPixels) as refused:
        attachments.inspect(bomb, "kecil.png")
    assert refused.value.params["limit"] == 40


def test_a_file_over_the_size_limit_is_refused() -> None:
    data = encoded(two_halves(), "PNG")
    with pytest.raises(TooLarge) as refused:
        attachments.inspect(
            data + b"\x00" * (2 * 1024 * 1024), "besar.png", max_bytes=2 * 1024 * 1024
        )
    assert refused.value.params == {"name": "besar.png", "limit": 2}


def test_refusals_say_why_in_indonesian() -> None:
    with pytest.raises(UnsupportedType) as refused:
        attachments.inspect(b"\x7fELF" + b"\x00" * 60, "foto.jpg")
    error = refused.value
    assert error.reason == "elf"
    indonesian = gettext("id", error.message, **error.params)
    assert "foto.jpg" in indonesian and indonesian != gettext("en", error.message, **error.params)
    assert "hanya foto" in indonesian
    with pytest.raises(ActiveContent) as active:
        attachments.inspect(jpeg_html_polyglot(), "foto.jpg")
    message, params = active.value.message, active.value.params
    assert gettext("id", message, **params) != gettext("en", message, **params)


# --- PDF and the store -----------------------------------------------------------------------


def test_a_pdf_is_stored_byte_for_byte(store: AttachmentStore) -> None:
    pdf = minimal_pdf()
    prepared = attachments.inspect(pdf, "Surat Pengantar RT.pdf")

    assert (prepared.kind, prepared.media_type, prepared.extension) == (
        "pdf",
        "application/pdf",
        "pdf",
    )
    assert prepared.data == pdf and prepared.thumbnails == {}
    assert prepared.width is None and prepared.height is None
    store.put(prepared)
    sha = hashlib.sha256(pdf).hexdigest()
    assert stored(store) == [f"{sha[:2]}/{sha[2:4]}/{sha}.pdf"]
    assert raw(store, f"{sha[:2]}/{sha[2:4]}/{sha}.pdf") == pdf == store.read(sha, "pdf")
    with store.open(sha, "pdf") as fh:
        assert fh.read(5) == b"%PDF-"
        assert fh.read() == pdf[5:]  # read as a stream, in parts


def test_storing_the_same_content_twice_writes_it_once(store: AttachmentStore) -> None:
    prepared = attachments.inspect(encoded(two_halves(), "JPEG", exif=photo_exif()), "a.jpg")
    store.put(prepared)
    sha = prepared.sha256
    folder = f"{sha[:2]}/{sha[2:4]}"
    assert stored(store) == [
        f"{folder}/{sha}.1024.webp",
        f"{folder}/{sha}.320.webp",
        f"{folder}/{sha}.jpg",
    ]
    before = writes(store)
    assert len(before) == 3

    again = attachments.inspect(encoded(two_halves(), "JPEG", exif=photo_exif()), "b.jpg")
    assert again.sha256 == sha  # the same photo sent again: the same stored bytes
    store.put(again)

    assert writes(store) == before
    assert store.read(sha, "jpg", thumbnail=320) == prepared.thumbnails[320]
    assert raw(store, f"{folder}/{sha}.1024.webp") == prepared.thumbnails[1024]
    assert store.exists(sha, "jpg") and not store.exists(sha, "png")


def test_deleting_a_photo_removes_its_thumbnails_too(store: AttachmentStore) -> None:
    photo = attachments.inspect(encoded(two_halves(), "PNG"), "a.png")
    pdf = attachments.inspect(minimal_pdf(), "surat.pdf")
    store.put(photo)
    store.put(pdf)
    store.delete(photo.sha256, "png")
    assert not store.exists(photo.sha256, "png")
    with pytest.raises(FileNotFoundError):
        store.read(photo.sha256, "png", thumbnail=320)
    sha = pdf.sha256
    assert stored(store) == [f"{sha[:2]}/{sha[2:4]}/{sha}.pdf"]  # the other file is kept
    store.delete(photo.sha256, "png")  # deleting what is gone already is no error


def test_a_file_whose_thumbnails_were_lost_is_stored_again_whole(store: AttachmentStore) -> None:
    """The main file is written last: without it, nothing counts as stored, and put writes
    the thumbnails again (after a crash half-way, or a delete that stopped half-way)."""
    photo = attachments.inspect(encoded(two_halves(), "WEBP"), "a.webp")
    store.put(photo)
    store.delete(photo.sha256, "webp")
    store.put(photo)
    assert store.read(photo.sha256, "webp") == photo.data
    assert store.read(photo.sha256, "webp", thumbnail=1024) == photo.thumbnails[1024]


def test_the_store_makes_no_path_from_outside_names(store: AttachmentStore) -> None:
    for sha, ext in (("../" * 5 + "etc/passwd", "jpg"), ("a" * 64, "html"), ("A" * 64, "jpg")):
        with pytest.raises(ValueError):
            store.read(sha, ext)
        with pytest.raises(ValueError):
            store.exists(sha, ext)
        with pytest.raises(ValueError):
            store.delete(sha, ext)
    with pytest.raises(ValueError):
        store.read("a" * 64, "jpg", thumbnail=-1)
    with pytest.raises(FileNotFoundError):
        store.read("0" * 64, "jpg")
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64, "jpg", thumbnail=320)


def account(db: Session, name: str = "Warga") -> int:
    person = Account(name=name)
    db.add(person)
    db.flush()
    assert person.id is not None
    return person.id


def stored_row(
    db: Session, store: AttachmentStore, prepared: Prepared, account_id: int
) -> Attachment:
    row = StoredFile.of(prepared).row(account_id)
    db.add(row)
    db.flush()
    store.put(prepared)
    return row


def test_a_file_is_deleted_only_when_no_row_uses_it(
    services: Services, store: AttachmentStore
) -> None:
    prepared = attachments.inspect(minimal_pdf(), "surat.pdf")
    with services.db.write() as db:
        first, second = account(db, "Satu"), account(db, "Dua")
        rows = [stored_row(db, store, prepared, first), stored_row(db, store, prepared, second)]
        assert rows[0].public_key != rows[1].public_key and len(rows[0].public_key) >= 20
        assert rows[0].status == AttachmentStatus.pending

        rows[0].status = AttachmentStatus.removed
        db.flush()
        assert not attachments.delete_unreferenced(db, store, prepared.sha256, "pdf")
        assert store.exists(prepared.sha256, "pdf")

        rows[1].status = AttachmentStatus.removed
        db.flush()
        assert attachments.delete_unreferenced(db, store, prepared.sha256, "pdf")
    assert not store.exists(prepared.sha256, "pdf")
    assert stored(store) == []


# --- limits --------------------------------------------------------------------------------


def test_the_quota_refuses_what_would_go_over_it(services: Services) -> None:
    settings = dataclasses.replace(services.settings, attachment_quota_mb=1)
    megabyte = 1024 * 1024
    with services.db.write() as db:
        person, other = account(db), account(db, "Lain")
        for size, status in ((600_000, "pending"), (300_000, "pending"), (900_000, "removed")):
            row = Attachment(
                account_id=person,
                kind="image",
                media_type="image/jpeg",
                byte_size=size,
                sha256=f"{size:064x}",
                status=status,
            )
            db.add(row)
        db.flush()
        assert attachments.used_bytes(db, person) == 900_000  # the removed one does not count
        attachments.check_quota(db, person, megabyte - 900_000, settings)
        with pytest.raises(QuotaExceeded) as refused:
            attachments.check_quota(db, person, megabyte - 900_000 + 1, settings)
        assert refused.value.params == {"limit": 1}
        assert "1 MB" in gettext("id", refused.value.message, **refused.value.params)
        attachments.check_quota(db, other, megabyte, settings)  # another account's own quota


def test_the_number_of_files_per_contribution_is_limited(settings: Settings) -> None:
    attachments.check_count(4, settings)
    with pytest.raises(TooManyFiles):
        attachments.check_count(5, settings)


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def test_accept_files_one_by_one_keeps_the_good_ones_and_names_the_others(
    services: Services,
) -> None:
    """The chat and email path: each file on its own; the refused ones named with why, the
    accepted ones in the store, described for their rows."""
    settings = dataclasses.replace(services.settings, attachment_max_files=3)
    store = LocalStore.for_data_dir(settings.data_dir)
    jpeg = encoded(two_halves(), "JPEG")
    sent = [("jalan.jpg", jpeg), ("ktp.svg", SVG), ("surat.pdf", minimal_pdf()), ("x.png", jpeg)]
    with services.db.write() as db:
        person = account(db)
        accepted = attachments.accept_files(db, person, sent, settings, store=store, whole=False)
    assert [f.name for f in accepted.files] == ["jalan.jpg", "surat.pdf"]
    assert [(r.name, r.error.reason) for r in accepted.refused] == [
        ("ktp.svg", "svg"),
        ("x.png", "too-many-files"),  # 3 at most: the fourth is one too many
    ]
    for stored in accepted.files:
        assert store.exists(stored.sha256, stored.extension)
    # One already carried: only two more fit.
    with services.db.read() as db:
        again = attachments.accept_files(
            db, person, sent[:1] * 3, settings, store=store, already=1, whole=False
        )
    assert len(again.files) == 2 and [r.error.reason for r in again.refused] == ["too-many-files"]


def test_accept_files_over_the_quota_refuses_only_what_does_not_fit(
    services: Services,
) -> None:
    pdf = minimal_pdf()
    settings = dataclasses.replace(services.settings, attachment_quota_mb=1)
    store = LocalStore.for_data_dir(settings.data_dir)
    with services.db.write() as db:
        person = account(db)
        db.add(
            Attachment(
                account_id=person,
                kind="pdf",
                media_type="application/pdf",
                byte_size=1024 * 1024 - len(pdf) - 10,
                sha256="f" * 64,
            )
        )
        db.flush()
        one_by_one = attachments.accept_files(
            db, person, [("a.pdf", pdf), ("b.pdf", pdf)], settings, store=store, whole=False
        )
        whole = attachments.accept_files(
            db, person, [("a.pdf", pdf), ("b.pdf", pdf)], settings, store=None
        )
    assert [f.name for f in one_by_one.files] == ["a.pdf"]
    assert [(r.name, r.error.reason) for r in one_by_one.refused] == [("b.pdf", "quota")]
    assert whole.files == [] and isinstance(whole.first_refusal, QuotaExceeded)


def test_attachment_settings_have_defaults_and_bounds(tmp_path: Path) -> None:
    base = {"REMBUG_DATA_DIR": str(tmp_path), "REMBUG_SECRET_KEY": "k" * 40}
    defaults = Settings.from_env(base)
    assert (defaults.attachment_max_files, defaults.attachment_max_mb) == (4, 10)
    assert defaults.attachment_quota_mb == 200
    assert defaults.attachment_max_bytes == 10 * 1024 * 1024
    custom = Settings.from_env({**base, "REMBUG_ATTACHMENT_MAX_MB": "25"})
    assert custom.attachment_max_bytes == 25 * 1024 * 1024
    for name, value in (
        ("REMBUG_ATTACHMENT_MAX_FILES", "0"),
        ("REMBUG_ATTACHMENT_MAX_MB", "101"),
        ("REMBUG_ATTACHMENT_QUOTA_MB", "banyak"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**base, name: value})


# --- OCR -----------------------------------------------------------------------------------

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="Debian's tesseract-ocr and tesseract-ocr-ind (bash scripts/test installs them)",
)


def ktp_like_card() -> Image.Image:
    """A card the size of a KTP (85.6 x 54 mm at about 20 px/mm), printed in large type."""
    card = Image.new("RGB", (1712, 1080), "white")
    draw = ImageDraw.Draw(card)
    title, label = ImageFont.truetype(FONT, 64), ImageFont.truetype(FONT, 56)
    draw.text((420, 60), "PROVINSI JAWA BARAT", font=title, fill="black")
    draw.text((80, 260), "NIK : 3273012501900003", font=title, fill="black")
    draw.text((80, 420), "Nama", font=label, fill="black")
    draw.text((520, 420), ": BUDI SANTOSO", font=label, fill="black")
    draw.text((80, 540), "Tempat/Tgl Lahir", font=label, fill="black")
    draw.text((620, 540), ": BANDUNG", font=label, fill="black")
    return card


@needs_tesseract
def test_ocr_reads_the_nik_on_a_photo_of_an_id_card() -> None:
    prepared = attachments.inspect(encoded(ktp_like_card(), "JPEG", quality=92), "ktp.jpg")

    text = attachments.ocr_text(prepared.data)

    assert "PROVINSI" in text.upper()
    assert "3273012501900003" in re.sub(r"\D", "", text), text
    # What the next step wires: the personal-data screen already flags it in this text.
    hits = personal_data(ScreenInput(text=text, config=ScreenConfig()))
    assert "nik-kk" in {hit.label for hit in hits}, text


def test_ocr_without_tesseract_says_it_could_not_read(caplog: pytest.LogCaptureFixture) -> None:
    data = encoded(two_halves(), "PNG")
    with caplog.at_level(logging.WARNING, logger="forum.attachments.ocr"):
        assert attachments.ocr_text(data, command="rembug-no-such-tesseract") is None
    assert "not installed" in caplog.text


@needs_tesseract
def test_ocr_of_something_that_is_no_image_could_not_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="forum.attachments.ocr"):
        assert attachments.ocr_text(b"bukan gambar") is None
    assert attachments.ocr_text(encoded(two_halves(), "PNG")) == ""  # read: no text in it
    assert "OCR skipped" in caplog.text


# --- migration ------------------------------------------------------------------------------


def test_migration_0014_creates_and_drops_the_attachment_table(services: Services) -> None:
    config = alembic_config(services.settings.database_url)
    config.attributes["rembug_settings"] = services.settings
    with services.db.engine.connect() as conn:
        with conn.begin():
            config.attributes["connection"] = conn
            command.downgrade(config, "0013")
            assert "attachment" not in schema(conn).get_table_names()
        with conn.begin():
            command.upgrade(config, "heads")
            tables = schema(conn)
            assert "attachment" in tables.get_table_names()
            indexes = {i["name"]: i for i in tables.get_indexes("attachment")}
    assert indexes["ix_attachment_public_key"]["unique"]
    assert indexes["ix_attachment_account"]["column_names"] == ["account_id", "status"]
