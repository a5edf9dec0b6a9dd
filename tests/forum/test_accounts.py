"""Registration, login/logout, throttling, sessions and CSRF, through the real pages."""

from __future__ import annotations

from sqlmodel import func, select

from forum.models import Account, RateEvent, WebSession
from tests.conftest import PASSWORD, Browser, World


def count(services, model) -> int:  # type: ignore[no-untyped-def]
    with services.db.read() as db:
        return int(db.exec(select(func.count()).select_from(model)).one())


def test_citizen_registers_and_is_logged_in(browser: Browser, services) -> None:  # type: ignore[no-untyped-def]
    response = browser.submit(
        "/daftar",
        "/daftar",
        {"name": "Siti Rahma", "email": "Siti@Contoh.id", "password": PASSWORD, "consent": "on"},
    )
    assert response.status_code == 303
    home = browser.get("/")
    assert "Siti Rahma" in home.text
    with services.db.read() as db:
        account = db.exec(select(Account)).one()
    assert account.email == "siti@contoh.id"  # normalised
    assert account.role == "citizen"
    assert account.consent_version and account.consent_at is not None
    assert account.password_hash and PASSWORD not in account.password_hash
    assert account.password_hash.startswith("$argon2id$")


def test_register_with_phone_number(browser: Browser, services) -> None:  # type: ignore[no-untyped-def]
    response = browser.submit(
        "/daftar",
        "/daftar",
        {"name": "Budi", "phone": "0812-3456-7890", "password": PASSWORD, "consent": "on"},
    )
    assert response.status_code == 303
    with services.db.read() as db:
        assert db.exec(select(Account.phone)).one() == "+6281234567890"


def test_invalid_registration_shows_messages_and_stores_nothing(browser: Browser, services) -> None:  # type: ignore[no-untyped-def]
    response = browser.submit(
        "/daftar", "/daftar", {"name": "B", "email": "bukan-email", "password": "pendek"}
    )
    assert response.status_code == 400
    page = response.text
    assert "Perbaiki isian yang ditandai" in page or "aria-invalid" in page
    assert 'id="email-error"' in page and 'id="password-error"' in page
    assert 'id="consent-error"' in page
    assert count(services, Account) == 0


def test_duplicate_email_is_refused(browser: Browser, world: World, services) -> None:  # type: ignore[no-untyped-def]
    before = count(services, Account)
    response = browser.submit(
        "/daftar",
        "/daftar",
        {"name": "Lagi", "email": "warga@contoh.id", "password": PASSWORD, "consent": "on"},
    )
    assert response.status_code == 400
    assert 'id="email-error"' in response.text
    assert count(services, Account) == before


def test_login_logout(browser: Browser, world: World, services) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    assert "Warga" in browser.get("/saya").text
    cookie = browser.client.cookies.get("rembug_session")
    assert cookie
    response = browser.submit("/", "/keluar", {})
    assert response.status_code == 303
    assert browser.get("/saya", follow_redirects=False).status_code == 303  # back to login
    with services.db.read() as db:
        session = db.exec(select(WebSession)).one()
    assert session.revoked_at is not None  # the server-side session is revoked


def test_session_cookie_flags(browser: Browser, world: World) -> None:
    response = browser.login(world.citizen)
    header = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "rembug_session" in v
    )
    assert "HttpOnly" in header and "SameSite=lax" in header.replace("Lax", "lax")
    assert "Secure" not in header  # base URL is http in tests


def test_wrong_password_is_refused_with_clear_message(browser: Browser, world: World) -> None:
    response = browser.submit(
        "/masuk", "/masuk", {"login": "warga@contoh.id", "password": "salah-salah"}
    )
    assert response.status_code == 400
    assert "salah" in response.text.lower()
    assert "rembug_session" not in response.headers.get("set-cookie", "")


def test_login_is_throttled_per_account(browser: Browser, world: World, services) -> None:  # type: ignore[no-untyped-def]
    for _ in range(services.settings.login_max_failures):
        browser.submit("/masuk", "/masuk", {"login": "warga@contoh.id", "password": "salah-salah"})
    # Even the right password is refused now, with a 429, Retry-After and a clear message.
    response = browser.submit(
        "/masuk", "/masuk", {"login": "warga@contoh.id", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "15" in response.text  # "try again in 15 minutes"
    assert count(services, RateEvent) == services.settings.login_max_failures * 2


def test_login_is_throttled_per_ip(browser: Browser, world: World, services) -> None:  # type: ignore[no-untyped-def]
    for index in range(services.settings.login_max_failures_per_ip):
        browser.submit(
            "/masuk", "/masuk", {"login": f"tidak-ada-{index}@contoh.id", "password": "x" * 9}
        )
    response = browser.submit(
        "/masuk", "/masuk", {"login": "warga@contoh.id", "password": PASSWORD}
    )
    assert response.status_code == 429


def test_disabled_account_loses_its_sessions(browser: Browser, new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    admin = new_browser()
    admin.login(world.admin)
    response = admin.submit("/admin/akun", f"/admin/akun/{world.citizen.id}", {"action": "disable"})
    assert response.status_code == 303
    assert browser.get("/saya", follow_redirects=False).status_code == 303
    again = browser.submit("/masuk", "/masuk", {"login": "warga@contoh.id", "password": PASSWORD})
    assert again.status_code == 403


def test_form_without_csrf_token_is_refused_and_stores_nothing(browser: Browser, services) -> None:  # type: ignore[no-untyped-def]
    browser.get("/daftar")  # has the CSRF cookie, but posts no token
    data = {"name": "Siti", "email": "siti@contoh.id", "password": PASSWORD, "consent": "on"}
    response = browser.post_raw("/daftar", data)
    assert response.status_code == 403
    assert count(services, Account) == 0
    forged = browser.post_raw("/daftar", {**data, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert count(services, Account) == 0


def test_csrf_token_of_another_visitor_is_refused(new_browser, services) -> None:  # type: ignore[no-untyped-def]
    attacker, victim = new_browser(), new_browser()
    html = attacker.get("/daftar").text
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    victim.get("/")
    data = {
        "csrf_token": token,
        "name": "X Y",
        "email": "x@contoh.id",
        "password": PASSWORD,
        "consent": "on",
    }
    assert victim.post_raw("/daftar", data).status_code == 403
    assert count(services, Account) == 0


def test_login_redirect_only_to_local_paths(browser: Browser, world: World) -> None:
    html = browser.get("/masuk?next=https://evil.example/").text
    assert 'name="next" value="/"' in html
    response = browser.submit(
        "/masuk",
        "/masuk",
        {"login": "warga@contoh.id", "password": PASSWORD, "next": "//evil.example"},
    )
    assert response.headers["location"] == "/"
