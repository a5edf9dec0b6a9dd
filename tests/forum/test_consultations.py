"""Officials create, edit, publish and close consultations of their own agency only; the
scheduler opens and closes them at their dates; visitors read them section by section."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from forum import actions
from forum.errors import NotAllowed
from forum.events import ConsultationClosed, ConsultationOpened
from forum.models import Consultation, Section, utcnow
from tests.conftest import Browser, World

POLICY = Path(__file__).resolve().parents[3] / "shared" / "data" / "inpres-3-2003-egovernment.md"
if not POLICY.exists():
    POLICY = (
        Path(__file__).resolve().parents[2]
        / "forum/seeds/demo/consultations/inpres-3-2003-egovernment.md"
    )


def form_dates(opens: timedelta, closes: timedelta) -> dict[str, str]:
    from zoneinfo import ZoneInfo

    now = utcnow().astimezone(ZoneInfo("Asia/Jakarta"))
    return {
        "opens_at": (now + opens).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + closes).strftime("%Y-%m-%dT%H:%M"),
    }


def test_official_creates_consultation_from_markdown(
    browser: Browser, world: World, services
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.official)
    response = browser.submit(
        "/kelola/konsultasi/baru",
        "/kelola/konsultasi/baru",
        {
            "agency": str(world.agency.id),
            "summary": "Kami meminta masukan warga.",
            "markdown": POLICY.read_text(encoding="utf-8"),
            **form_dates(timedelta(hours=-1), timedelta(days=30)),
        },
    )
    assert response.status_code == 303, response.text
    with services.db.read() as db:
        consultation = db.exec(select(Consultation)).one()
        sections = db.exec(select(Section).order_by(Section.position)).all()
    # The front matter's title is used, and every heading became a section, in order.
    assert consultation.title == "Kebijakan dan Strategi Nasional Pengembangan E-Government"
    assert consultation.status == "draft"
    headings = [s.heading for s in sections]
    assert headings[0] == "Pendahuluan"
    assert "Tujuan Pengembangan *E-Government*" in headings
    assert headings[-1] == "*Sistem Manajemen & Kelembagaan Back Office*"
    assert [s.position for s in sections] == list(range(1, len(sections) + 1))
    # A draft is invisible to the public, visible to its agency.
    assert "Kebijakan dan Strategi" in browser.get(f"/konsultasi/{consultation.id}").text
    visitor = browser.client.__class__(browser.client.app)
    assert visitor.get(f"/konsultasi/{consultation.id}").status_code == 404


def test_official_builds_consultation_section_by_section(
    browser: Browser, world: World, services
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.official)
    response = browser.submit(
        "/kelola/konsultasi/baru",
        "/kelola/konsultasi/baru",
        {
            "title": "Rancangan Perda Air Bersih",
            **form_dates(timedelta(hours=-1), timedelta(days=10)),
        },
    )
    edit = response.headers["location"]
    cid = int(edit.split("/")[3])
    for heading, body in (("Ketentuan umum", "Pasal 1 ..."), ("Tarif", "Pasal 2 ...")):
        added = browser.submit(
            edit, f"/kelola/konsultasi/{cid}/bagian", {"heading": heading, "body": body}
        )
        assert added.status_code == 303
    # Edit the first section, delete the second, add it again.
    with services.db.read() as db:
        first, second = db.exec(
            select(Section).where(Section.consultation_id == cid).order_by(Section.position)
        ).all()
    browser.submit(
        edit,
        f"/kelola/konsultasi/{cid}/bagian",
        {"section_id": first.id, "heading": "Ketentuan Umum", "body": "Pasal 1 diubah"},
    )
    browser.submit(
        edit,
        f"/kelola/konsultasi/{cid}/bagian",
        {"section_id": second.id, "action": "delete", "heading": "x"},
    )
    with services.db.read() as db:
        sections = db.exec(select(Section).where(Section.consultation_id == cid)).all()
    assert [(s.position, s.heading, s.body) for s in sections] == [
        (1, "Ketentuan Umum", "Pasal 1 diubah")
    ]
    # Edit the draft's dates and title.
    changed = browser.submit(
        edit,
        edit,
        {
            "title": "Rancangan Perda Air Minum",
            "summary": "",
            **form_dates(timedelta(hours=-2), timedelta(days=20)),
        },
    )
    assert changed.status_code == 303
    published = browser.submit(edit, f"/kelola/konsultasi/{cid}/terbitkan", {})
    assert published.status_code == 303
    page = browser.get(f"/konsultasi/{cid}").text
    assert "Rancangan Perda Air Minum" in page
    # Published consultations can no longer be edited.
    refused = browser.submit(
        edit, f"/kelola/konsultasi/{cid}/bagian", {"heading": "Baru", "body": ""}
    )
    assert refused.status_code == 409


def test_invalid_consultation_form_stores_nothing(browser: Browser, world: World, services) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.official)
    response = browser.submit(
        "/kelola/konsultasi/baru",
        "/kelola/konsultasi/baru",
        {"title": "", "opens_at": "2026-12-10T10:00", "closes_at": "2026-12-01T10:00"},
    )
    assert response.status_code == 400
    assert 'id="title-error"' in response.text and 'id="closes_at-error"' in response.text
    with services.db.read() as db:
        assert db.exec(select(Consultation)).first() is None


def test_official_cannot_touch_another_agencys_consultation(browser: Browser, world: World) -> None:
    theirs = world.consultation(agency=world.other_agency, publish=False)
    browser.login(world.official)
    # Not visible (a draft of another agency), not editable, not publishable, not closable.
    assert browser.get(f"/kelola/konsultasi/{theirs.id}/ubah").status_code == 404
    own = world.consultation(publish=False)
    page = f"/kelola/konsultasi/{own.id}/ubah"
    for action in ("ubah", "bagian", "terbitkan", "tutup"):
        response = browser.submit(
            page,
            f"/kelola/konsultasi/{theirs.id}/{action}",
            {"title": "Diambil alih", "heading": "x"},
        )
        assert response.status_code == 404, action
    # And a published one of another agency: visible, but not closable.
    published = world.consultation(agency=world.other_agency)
    assert browser.get(f"/konsultasi/{published.id}").status_code == 200
    assert browser.submit(page, f"/kelola/konsultasi/{published.id}/tutup", {}).status_code == 404


def test_official_actions_refuse_another_agency(world: World) -> None:
    theirs = world.consultation(agency=world.other_agency, publish=False)
    with world.services.db.write() as db:
        consultation = db.get(Consultation, theirs.id)
        try:
            actions.publish_consultation(db, world.official, consultation)
        except NotAllowed:
            pass
        else:
            raise AssertionError("an official published another agency's consultation")


def test_citizen_cannot_open_management_pages(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    assert browser.get("/kelola/konsultasi").status_code == 403
    assert browser.get("/kelola/konsultasi/baru").status_code == 403


def test_visitor_is_sent_to_login_for_management(browser: Browser) -> None:
    response = browser.get("/kelola/konsultasi", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/masuk?next=/kelola/konsultasi")


def test_publish_in_future_is_scheduled_then_opens_and_closes_by_itself(
    world: World, services
) -> None:  # type: ignore[no-untyped-def]
    seen: list[object] = []
    services.bus.subscribe_after_commit(ConsultationOpened, seen.append)
    services.bus.subscribe_after_commit(ConsultationClosed, seen.append)
    consultation = world.consultation(opens_in=timedelta(days=2), closes_in=timedelta(days=5))
    with services.db.read() as db:
        assert db.get(Consultation, consultation.id).status == "scheduled"
    with services.db.write() as db:
        assert actions.advance_consultations(db, utcnow() + timedelta(days=1)) == 0
    with services.db.write() as db:
        assert actions.advance_consultations(db, utcnow() + timedelta(days=3)) == 1
        assert db.get(Consultation, consultation.id).status == "open"
    with services.db.write() as db:
        assert actions.advance_consultations(db, utcnow() + timedelta(days=6)) == 1
        closed = db.get(Consultation, consultation.id)
        assert closed.status == "closed" and closed.closed_at is not None
    assert [type(e).__name__ for e in seen] == ["ConsultationOpened", "ConsultationClosed"]


def test_close_early(browser: Browser, new_browser, world: World, services) -> None:  # type: ignore[no-untyped-def]
    consultation = world.consultation()
    browser.login(world.official)
    page = f"/kelola/konsultasi/{consultation.id}/ubah"
    assert (
        browser.submit(page, f"/kelola/konsultasi/{consultation.id}/tutup", {}).status_code == 303
    )
    with services.db.read() as db:
        assert db.get(Consultation, consultation.id).status == "closed"
    # Comments are no longer accepted.
    citizen = new_browser()
    citizen.login(world.citizen)
    page = f"/konsultasi/{consultation.id}"
    response = citizen.submit(page, f"{page}/komentar", {"body": "Terlambat?"})
    assert response.status_code == 409


def test_home_lists_open_consultations_closing_soonest_first(
    browser: Browser, world: World
) -> None:
    later = world.consultation(closes_in=timedelta(days=40))
    with world.services.db.write() as db:
        c = db.get(Consultation, later.id)
        c.title = "Konsultasi yang tutup belakangan"
        db.add(c)
    sooner = world.consultation(closes_in=timedelta(days=3))
    with world.services.db.write() as db:
        c = db.get(Consultation, sooner.id)
        c.title = "Konsultasi yang tutup duluan"
        db.add(c)
    past = world.consultation()
    with world.services.db.write() as db:
        actions.close_consultation(db, world.official, db.get(Consultation, past.id))
    page = browser.get("/").text
    assert page.index("tutup duluan") < page.index("tutup belakangan")
    assert f'/konsultasi/{past.id}"' in page  # in "recently closed"


def test_consultation_page_shows_sections_with_comment_counts(
    browser: Browser, world: World
) -> None:
    consultation = world.consultation()
    with world.services.db.write() as db:
        c = db.get(Consultation, consultation.id)
        sections = db.exec(
            select(Section).where(Section.consultation_id == c.id).order_by(Section.position)
        ).all()
        for body in ("Setuju dengan bagian satu.", "Bagian satu perlu diperjelas."):
            comment = actions.submit_comment(
                db, world.citizen, c, body=body, section_id=sections[1].id
            )
            actions.publish_comment(db, world.moderator, comment)
        actions.submit_comment(
            db, world.citizen, c, body="Masih menunggu moderasi", section_id=sections[1].id
        )
    page = browser.get(f"/konsultasi/{consultation.id}").text
    assert f"/konsultasi/{consultation.id}/bagian/2" in page
    assert "2 komentar" in page or "2 comments" in page
    section_page = browser.get(f"/konsultasi/{consultation.id}/bagian/2").text
    assert "Setuju dengan bagian satu." in section_page
    assert "Masih menunggu moderasi" not in section_page
    assert browser.get(f"/konsultasi/{consultation.id}/bagian/99").status_code == 404


def test_huge_and_malformed_ids_are_404_not_500(browser: Browser) -> None:
    for path in (
        "/konsultasi/99999999999999999999",
        "/konsultasi/-1",
        "/konsultasi/abc",
        "/konsultasi/1/bagian/99999999999999999",
        "/aspirasi/ASP-2026-99999999999",
    ):
        assert browser.get(path).status_code == 404, path
