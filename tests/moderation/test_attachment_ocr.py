"""The text in a photo goes through the personal-data screens (issue 20): after the
acknowledgement the worker reads each new photo with OCR (tesseract, ind+eng), the screens
that catch a typed NIK catch it in the photo; the case says which file and what kind of
number, masked; such a file is held: a plain approval of the contribution leaves it
unpublished until a moderator publishes that file explicitly. A photo is public only once
its text was checked."""

from __future__ import annotations

import shutil

import pytest
from sqlmodel import select

from forum.models import Aspiration, Attachment
from moderation.models import AuditEntry, CaseReason, CaseStatus, ModerationCase, ScreenResult
from moderation.screens import masked
from tests.conftest import Browser, World
from tests.forum.test_attachment_web import posted_aspiration, run_jobs
from tests.forum.test_attachments import encoded, ktp_like_card, two_halves
from tests.moderation.conftest import Make

NIK = "3273012501900003"

needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None,
    reason="Debian's tesseract-ocr and tesseract-ocr-ind (bash scripts/test installs them)",
)


def ktp_photo() -> bytes:
    return encoded(ktp_like_card(), "JPEG", quality=92)


def road_photo() -> bytes:
    return encoded(two_halves((400, 300)), "JPEG")


def case_of(make: Make, world: World, ticket: str) -> ModerationCase:
    with world.services.db.read() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
    return make.case_of(aspiration)


def test_the_screens_mask_what_they_show() -> None:
    assert masked(NIK) == "3273********0003"
    assert masked("0812-3456-7890") == "0812-****-7890"
    assert masked("budi.santoso@contoh.id") == "b***@contoh.id"


@needs_tesseract
def test_a_photo_of_a_ktp_is_flagged_and_stays_unpublished_after_a_plain_approval(
    browser: Browser, new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    services = world.services
    browser.login(world.citizen)
    ticket, (ktp, road) = posted_aspiration(
        browser,
        world,
        [("ktp.jpg", ktp_photo(), "image/jpeg"), ("jalan.jpg", road_photo(), "image/jpeg")],
    )
    moderator = new_browser()
    moderator.login(world.moderator)
    case = case_of(make, world, ticket)
    before = moderator.get(f"/moderation/kasus/{case.id}").text
    assert before.count("OCR: belum dijalankan") == 2

    run_jobs(services)  # the worker, after the answer

    with services.db.read() as db:
        ktp_row, road_row = db.get(Attachment, ktp.id), db.get(Attachment, road.id)
        assert NIK in "".join(c for c in ktp_row.ocr_text if c.isdigit())
        assert ktp_row.ocr_done_at is not None and road_row.ocr_done_at is not None
        assert (ktp_row.status, road_row.status) == ("held", "pending")
        found = db.exec(select(ScreenResult).where(ScreenResult.case_id == case.id)).all()
        flagged = [r for r in found if r.attachment_id is not None]
        assert {(r.label, r.field, r.attachment_id) for r in flagged} == {
            ("nik-kk", "attachment", ktp.id)
        }
        assert [r.detail for r in flagged] == ["3273********0003"]
        assert db.get(ModerationCase, case.id).priority >= 30
        assert db.exec(select(AuditEntry).where(AuditEntry.action == "attachment-held")).one()
    page = moderator.get(f"/moderation/kasus/{case.id}").text
    assert "Nomor NIK/KK" in page or "NIK/KK" in page
    assert "3273********0003" in page and NIK not in page  # masked, never in full
    assert "Ditahan" in page and "Tetap terbitkan berkas ini" in page
    assert "NIK/KK" in moderator.get("/moderation").text  # the queue shows the flag too

    # A plain approval publishes the aspiration and its clean photo, not the KTP.
    assert (
        moderator.submit(
            f"/moderation/kasus/{case.id}", f"/moderation/kasus/{case.id}", {"action": "approve"}
        ).status_code
        == 303
    )
    visitor = new_browser()
    public = visitor.get(f"/aspirasi/{ticket}").text
    assert f"/lampiran/{road.public_key}/thumb/320" in public
    assert ktp.public_key not in public
    assert visitor.get(f"/lampiran/{ktp.public_key}").status_code == 404
    assert visitor.get(f"/lampiran/{ktp.public_key}/thumb/320").status_code == 404
    own = browser.get(f"/aspirasi/{ticket}").text
    assert ktp.public_key in own and "Tidak publik" in own  # its author sees why
    assert browser.get(f"/lampiran/{ktp.public_key}").status_code == 200

    # Only the separate, explicit decision publishes it.
    published = moderator.submit(
        f"/moderation/kasus/{case.id}",
        f"/moderation/kasus/{case.id}/lampiran/{ktp.public_key}/terbitkan",
        {},
    )
    assert published.status_code == 303
    assert visitor.get(f"/lampiran/{ktp.public_key}").status_code == 200
    with services.db.read() as db:
        assert db.get(Attachment, ktp.id).status == "approved"


@needs_tesseract
def test_a_photo_is_public_only_once_its_text_was_checked(
    browser: Browser, new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket, [ktp] = posted_aspiration(browser, world, [("ktp.jpg", ktp_photo(), "image/jpeg")])
    case = case_of(make, world, ticket)
    moderator = new_browser()
    moderator.login(world.moderator)
    # Approved before the worker read it: the photo waits.
    moderator.submit(
        f"/moderation/kasus/{case.id}", f"/moderation/kasus/{case.id}", {"action": "approve"}
    )
    visitor = new_browser()
    assert visitor.get(f"/lampiran/{ktp.public_key}").status_code == 404
    assert "Sedang diperiksa" in browser.get(f"/aspirasi/{ticket}").text

    run_jobs(world.services)

    # The NIK found after the decision: held, and the decided case gets a new one.
    assert visitor.get(f"/lampiran/{ktp.public_key}").status_code == 404
    with world.services.db.read() as db:
        aspiration = db.exec(select(Aspiration).where(Aspiration.ticket == ticket)).one()
        cases = db.exec(
            select(ModerationCase)
            .where(ModerationCase.aspiration_id == aspiration.id)
            .order_by(ModerationCase.id)  # type: ignore[arg-type]
        ).all()
        assert [(c.status, c.reason) for c in cases] == [
            (CaseStatus.decided, CaseReason.new),
            (CaseStatus.pending, CaseReason.post_moderated),
        ]
        assert db.exec(
            select(ScreenResult).where(
                ScreenResult.case_id == cases[1].id, ScreenResult.attachment_id == ktp.id
            )
        ).first()
        assert db.get(Attachment, ktp.id).status == "held"


@needs_tesseract
def test_a_photo_without_personal_data_is_published_with_its_aspiration(
    browser: Browser, new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket, [road] = posted_aspiration(browser, world, [("jalan.jpg", road_photo(), "image/jpeg")])
    run_jobs(world.services)
    case = case_of(make, world, ticket)
    moderator = new_browser()
    moderator.login(world.moderator)
    page = moderator.get(f"/moderation/kasus/{case.id}").text
    assert "OCR: tidak ada teks" in page
    moderator.submit(
        f"/moderation/kasus/{case.id}", f"/moderation/kasus/{case.id}", {"action": "approve"}
    )
    assert new_browser().get(f"/lampiran/{road.public_key}").status_code == 200


def test_publishing_a_held_file_needs_the_csrf_token_and_a_held_file(
    browser: Browser, new_browser, world: World, make: Make
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    ticket, [road] = posted_aspiration(browser, world, [("jalan.jpg", road_photo(), "image/jpeg")])
    case = case_of(make, world, ticket)
    url = f"/moderation/kasus/{case.id}/lampiran/{road.public_key}/terbitkan"
    moderator = new_browser()
    moderator.login(world.moderator)
    assert moderator.client.post(url, data={}, follow_redirects=False).status_code == 403
    not_held = moderator.submit(f"/moderation/kasus/{case.id}", url, {})
    assert not_held.status_code == 409  # nothing held: no bypass of the OCR check this way
    with world.services.db.read() as db:
        assert db.get(Attachment, road.id).status == "pending"


def test_migration_moderation_0004_adds_and_drops_the_attachment_columns(world: World) -> None:
    from alembic import command
    from sqlalchemy import inspect as schema

    from forum.db import alembic_config

    services = world.services
    config = alembic_config(services.settings.database_url)
    config.attributes["rembug_settings"] = services.settings
    with services.db.engine.connect() as conn:
        with conn.begin():
            config.attributes["connection"] = conn
            command.downgrade(config, "moderation_0003")
            columns = {c["name"] for c in schema(conn).get_columns("moderation_screen_result")}
            assert not columns & {"attachment_id", "detail"}
        with conn.begin():
            command.upgrade(config, "heads")
            columns = {c["name"] for c in schema(conn).get_columns("moderation_screen_result")}
    assert {"attachment_id", "detail"} <= columns


def test_a_photo_ocr_could_not_read_is_held_for_a_moderator(
    browser: Browser,
    new_browser,
    world: World,
    make: Make,
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    # A worker machine without tesseract (or one that fails or times out): what no screen
    # could read must not be published on the strength of an approval alone.
    browser.login(world.citizen)
    ticket, [photo] = posted_aspiration(browser, world, [("ktp.jpg", ktp_photo(), "image/jpeg")])
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract on this PATH
    run_jobs(world.services)
    monkeypatch.undo()

    case = case_of(make, world, ticket)
    with world.services.db.read() as db:
        row = db.get(Attachment, photo.id)
        assert row.ocr_done_at is not None and row.ocr_text is None
        assert row.status == "held"
        assert [
            r.label
            for r in db.exec(select(ScreenResult).where(ScreenResult.attachment_id == photo.id))
        ] == ["ocr-failed"]
    moderator = new_browser()
    moderator.login(world.moderator)
    page = moderator.get(f"/moderation/kasus/{case.id}").text
    assert "OCR: foto tidak dapat dibaca" in page
    assert "Tetap terbitkan berkas ini" in page
    moderator.submit(
        f"/moderation/kasus/{case.id}", f"/moderation/kasus/{case.id}", {"action": "approve"}
    )
    assert new_browser().get(f"/lampiran/{photo.public_key}").status_code == 404
