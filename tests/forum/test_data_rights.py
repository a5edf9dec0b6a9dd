"""Data-subject rights (UU PDP No. 27/2022), passwords, and the shared rate limits."""

from __future__ import annotations

import json

from sqlmodel import select

from forum import actions
from forum.models import Account, Aspiration, Comment, Consultation, WebSession
from tests.conftest import PASSWORD, Browser, World


def test_citizen_corrects_profile_and_sees_and_downloads_all_their_data(
    browser: Browser, world: World
) -> None:
    consultation = world.consultation()
    with world.services.db.write() as db:
        actions.submit_comment(
            db, world.citizen, db.get(Consultation, consultation.id), body="Komentar saya"
        )
    browser.login(world.citizen)
    bad = browser.submit(
        "/saya/profil",
        "/saya/profil",
        {"name": "Siti Baru", "email": "petugas.a@contoh.id", "phone": "", "locale": "en"},
    )
    assert bad.status_code == 400 and 'id="email-error"' in bad.text
    ok = browser.submit(
        "/saya/profil",
        "/saya/profil",
        {
            "name": "Siti Baru",
            "email": "siti.baru@contoh.id",
            "phone": "0812 1111 2222",
            "locale": "en",
        },
    )
    assert ok.status_code == 303
    page = browser.get("/saya/data").text
    assert "siti.baru@contoh.id" in page and "+6281211112222" in page and "Komentar saya" in page
    data = json.loads(browser.get("/saya/data.json").text)
    assert data["account"]["name"] == "Siti Baru" and data["account"]["consent_version"]
    assert [c["body"] for c in data["comments"]] == ["Komentar saya"]
    assert data["sessions"] and "password_hash" not in json.dumps(data)


def test_password_change_ends_every_other_session(
    browser: Browser, new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    other_device = new_browser()
    other_device.login(world.citizen)
    browser.login(world.citizen)
    wrong = browser.submit(
        "/saya/profil",
        "/saya/kata-sandi",
        {"current": "salah-sekali-1", "new": "kata-sandi-baru-99"},
    )
    assert wrong.status_code == 400 and 'id="current-error"' in wrong.text
    common = browser.submit(
        "/saya/profil", "/saya/kata-sandi", {"current": PASSWORD, "new": "Indonesia123"}
    )
    assert common.status_code == 400 and 'id="new-error"' in common.text
    changed = browser.submit(
        "/saya/profil", "/saya/kata-sandi", {"current": PASSWORD, "new": "kata-sandi-baru-99"}
    )
    assert changed.status_code == 303
    assert (
        browser.get("/saya", follow_redirects=False).status_code == 200
    )  # this browser: new session
    assert other_device.get("/saya", follow_redirects=False).status_code == 303  # logged out
    with world.services.db.read() as db:
        live = [s for s in db.exec(select(WebSession)) if s.revoked_at is None]
        assert len(live) == 1


def test_common_passwords_are_refused_at_registration(browser: Browser, world: World) -> None:
    response = browser.submit(
        "/daftar",
        "/daftar",
        {"name": "Budi", "email": "budi@contoh.id", "password": "password123", "consent": "on"},
    )
    assert response.status_code == 400 and 'id="password-error"' in response.text


def test_delete_account_anonymises_or_withdraws_contributions(new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    consultation = world.consultation()
    with world.services.db.write() as db:
        kept = actions.submit_comment(
            db, world.citizen, db.get(Consultation, consultation.id), body="Tetap tayang tanpa nama"
        )
        actions.publish_comment(db, world.moderator, kept)
        gone = actions.submit_comment(
            db,
            world.other_citizen,
            db.get(Consultation, consultation.id),
            body="Ditarik bersama akun",
        )
        actions.publish_comment(db, world.moderator, gone)
    first = new_browser()
    first.login(world.citizen)
    refused = first.submit(
        "/saya/profil", "/saya/hapus", {"contributions": "anonymise", "password": "bukan-sandi-1"}
    )
    assert refused.status_code == 400
    assert (
        first.submit(
            "/saya/profil", "/saya/hapus", {"contributions": "anonymise", "password": PASSWORD}
        ).status_code
        == 303
    )
    second = new_browser()
    second.login(world.other_citizen)
    assert (
        second.submit(
            "/saya/profil", "/saya/hapus", {"contributions": "delete", "password": PASSWORD}
        ).status_code
        == 303
    )
    page = new_browser().get(f"/konsultasi/{consultation.id}").text
    assert "Tetap tayang tanpa nama" in page and "Akun dihapus" in page and "Warga" not in page
    assert "Ditarik bersama akun" not in page
    with world.services.db.read() as db:
        account = db.get(Account, world.citizen.id)
        assert account.email is None and account.password_hash is None and not account.is_active
        assert db.get(Comment, gone.id).status == "withdrawn"
    again = new_browser()
    assert (
        again.submit(
            "/masuk", "/masuk", {"login": "warga@contoh.id", "password": PASSWORD}
        ).status_code
        == 400
    )


def test_admin_exports_an_accounts_data_for_a_breach_report(new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = new_browser()
    admin.login(world.admin)
    response = admin.get(f"/admin/akun/{world.citizen.id}/data.json")
    assert (
        response.status_code == 200
        and json.loads(response.text)["account"]["email"] == "warga@contoh.id"
    )
    citizen = new_browser()
    citizen.login(world.citizen)
    assert citizen.get(f"/admin/akun/{world.other_citizen.id}/data.json").status_code == 403


def test_new_accounts_post_once_per_30_seconds_and_registration_is_limited_per_ip(
    browser: Browser, world: World
) -> None:
    consultation = world.consultation()
    page = f"/konsultasi/{consultation.id}"
    browser.login(world.citizen)  # created seconds ago: a new account
    assert (
        browser.submit(page, f"{page}/komentar", {"body": "Komentar pertama saya"}).status_code
        == 303
    )
    second = browser.submit(page, f"{page}/komentar", {"body": "Komentar kedua langsung"})
    assert second.status_code == 429 and int(second.headers["retry-after"]) > 0
    assert "30" in second.text or "detik" in second.text
    with world.services.db.read() as db:
        assert len(db.exec(select(Comment)).all()) == 1
    browser.submit("/", "/keluar", {})
    limit = world.services.settings.rate_register_per_hour
    for i in range(limit):
        response = browser.submit(
            "/daftar",
            "/daftar",
            {
                "name": f"Warga {i}",
                "email": f"w{i}@contoh.id",
                "password": PASSWORD,
                "consent": "on",
            },
        )
        assert response.status_code == 303, i
        browser.submit("/", "/keluar", {})
    refused = browser.submit(
        "/daftar",
        "/daftar",
        {"name": "Satu lagi", "email": "lagi@contoh.id", "password": PASSWORD, "consent": "on"},
    )
    assert refused.status_code == 429
    with world.services.db.read() as db:
        assert db.exec(select(Account).where(Account.email == "lagi@contoh.id")).first() is None
        assert db.exec(select(Aspiration)).first() is None


def test_sessions_end_after_idle_time_and_absolute_lifetime(browser: Browser, world: World) -> None:
    from datetime import timedelta

    from forum.models import utcnow

    browser.login(world.citizen)
    assert browser.get("/saya", follow_redirects=False).status_code == 200
    idle = timedelta(hours=world.services.settings.session_idle_hours)
    with world.services.db.write() as db:
        session = db.exec(select(WebSession)).one()
        session.last_seen_at = utcnow() - idle + timedelta(minutes=10)  # recently enough
        db.add(session)
    assert browser.get("/saya", follow_redirects=False).status_code == 200
    with world.services.db.read() as db:
        assert db.exec(select(WebSession)).one().last_seen_at > utcnow() - timedelta(minutes=1)
    with world.services.db.write() as db:
        session = db.exec(select(WebSession)).one()
        session.last_seen_at = utcnow() - idle - timedelta(minutes=1)
        db.add(session)
    assert browser.get("/saya", follow_redirects=False).status_code == 303  # idle too long
    browser.login(world.citizen)
    with world.services.db.write() as db:
        for s in db.exec(select(WebSession).where(WebSession.revoked_at.is_(None))):  # type: ignore[union-attr]
            s.expires_at = utcnow() - timedelta(seconds=1)
            db.add(s)
    assert browser.get("/saya", follow_redirects=False).status_code == 303  # absolute lifetime


def test_login_rotates_the_session_id(browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    first = browser.client.cookies.get("rembug_session")
    browser.login(world.citizen)
    assert browser.client.cookies.get("rembug_session") != first
