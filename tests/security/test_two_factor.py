"""Two-factor authentication (TOTP, RFC 6238) with recovery codes: required for officials,
moderators and administrators, optional for citizens. Codes are computed with pyotp, an
implementation independent of forum/totp.py, as a person's authenticator app would."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from sqlmodel import select

from forum import totp
from forum.cli import main as rembug
from forum.models import Account, Consultation, Role, TotpCredential, WebSession
from moderation.models import AuditEntry
from tests.conftest import (
    CSRF_RE,
    PASSWORD,
    RECOVERY_CODES,
    Browser,
    World,
    current_code,
    enrol,
    next_code,
    two_factor_secret,
)

STAFF_PAGES = ["/moderation", "/kelola/konsultasi", "/admin", "/admin/akun", "/saya", "/"]


def _password_step(browser: Browser, account: Account, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    login = account.email or account.phone
    return browser.submit("/masuk", "/masuk", {"login": login, "password": password})


def _code_step(browser: Browser, code: str):  # type: ignore[no-untyped-def]
    return browser.submit("/masuk/kode", "/masuk/kode", {"code": code})


def _audit(world: World, account: Account) -> list[tuple[str, int | None]]:
    with world.services.db.read() as db:
        rows = db.exec(
            select(AuditEntry)
            .where(AuditEntry.object_type == "account", AuditEntry.object_id == account.id)
            .order_by(AuditEntry.id)  # type: ignore[arg-type]
        ).all()
        return [(r.action, r.actor_id) for r in rows if r.action.startswith("2fa-")]


def _live_sessions(world: World, account: Account) -> int:
    with world.services.db.read() as db:
        rows = db.exec(
            select(WebSession).where(
                WebSession.account_id == account.id,
                WebSession.revoked_at == None,  # noqa: E711
            )
        ).all()
        return len(rows)


# --- the maths ------------------------------------------------------------------------------


def test_codes_match_the_rfc_6238_vectors_and_pyotp() -> None:
    # RFC 6238 appendix B, SHA-1 seed "12345678901234567890" (the last 6 of its 8 digits).
    seed = b"12345678901234567890"
    for unix_time, expected in [
        (59, "287082"),
        (1111111109, "081804"),
        (1234567890, "005924"),
        (2000000000, "279037"),
    ]:
        assert totp.code_at(seed, totp.step_at(unix_time)) == expected
    secret = totp.new_secret()
    app = pyotp.TOTP(totp.b32(secret))
    now = time.time()
    assert totp.code_at(secret, totp.step_at(now)) == app.at(now)
    uri = totp.otpauth_uri(secret, account_name="a@contoh.id", issuer="Rembug contoh.id")
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == totp.b32(secret) and parsed.issuer == "Rembug contoh.id"


def test_the_secret_is_stored_encrypted_and_bound_to_its_account(world: World) -> None:
    secret = two_factor_secret(world.services, world.moderator.id)  # type: ignore[arg-type]
    with world.services.db.read() as db:
        stored = db.get(TotpCredential, world.moderator.id).secret  # type: ignore[union-attr]
    assert secret not in stored and secret.lower() not in stored.lower()
    key = world.services.settings.sealing_keys
    with pytest.raises(totp.SecretUnreadable):
        totp.unseal(stored, account_id=world.admin.id, secret_key=key)  # type: ignore[arg-type]
    with pytest.raises(totp.SecretUnreadable):
        totp.unseal(
            stored, account_id=world.moderator.id, secret_key="another-sealing-key-" + "x" * 32
        )  # type: ignore[arg-type]


# --- the login ------------------------------------------------------------------------------


def test_a_password_alone_gives_no_session_to_a_two_factor_account(
    browser: Browser, world: World
) -> None:
    response = _password_step(browser, world.moderator)
    assert response.status_code == 303 and response.headers["location"] == "/masuk/kode"
    assert "rembug_session" not in browser.client.cookies
    for path in STAFF_PAGES:
        page = browser.get(path, follow_redirects=False)
        # Anonymous everywhere: the login page, or the public page without the account.
        assert page.status_code in (200, 303), path
        if page.status_code == 303:
            assert page.headers["location"].startswith("/masuk"), path
        else:
            assert "Keluar" not in page.text, path
    form = browser.get("/masuk/kode")
    assert form.status_code == 200 and 'autocomplete="one-time-code"' in form.text
    done = _code_step(browser, next_code(world.services, world.moderator.id))  # type: ignore[arg-type]
    assert done.status_code == 303
    assert browser.get("/moderation").status_code == 200
    # The pending login is single use.
    assert browser.get("/masuk/kode", follow_redirects=False).headers["location"] == "/masuk"


def test_the_second_step_keeps_where_the_person_was_going(browser: Browser, world: World) -> None:
    page = browser.get("/moderation", follow_redirects=False)
    assert page.headers["location"] == "/masuk?next=/moderation"
    browser.submit(
        "/masuk?next=/moderation",
        "/masuk",
        {"login": world.moderator.email, "password": PASSWORD, "next": "/moderation"},
    )
    done = _code_step(browser, next_code(world.services, world.moderator.id))  # type: ignore[arg-type]
    assert done.headers["location"] == "/moderation"


def test_a_wrong_code_is_refused_and_a_used_code_is_not_accepted_again(
    new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    first = new_browser()
    _password_step(first, world.official)
    wrong = _code_step(
        first, "000000" if next_code(world.services, world.official.id) != "000000" else "111111"
    )  # type: ignore[arg-type]
    assert wrong.status_code == 400
    assert "Kode salah atau sudah kedaluwarsa" in wrong.text
    assert 'aria-invalid="true"' in wrong.text
    code = next_code(world.services, world.official.id)  # type: ignore[arg-type]
    assert code is not None
    assert _code_step(first, code).status_code == 303

    # Someone who saw the code (over the shoulder, a phishing page) cannot use it again.
    second = new_browser()
    _password_step(second, world.official)
    replay = _code_step(second, code)
    assert replay.status_code == 400
    assert "Kode ini sudah dipakai" in replay.text
    assert "rembug_session" not in second.client.cookies


def test_a_recovery_code_works_once(new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    secret = two_factor_secret(world.services, world.official.id)  # type: ignore[arg-type]
    recovery = RECOVERY_CODES[secret][0]
    browser = new_browser()
    _password_step(browser, world.official)
    done = _code_step(browser, recovery.upper().replace("-", " "))  # typed loosely
    assert done.status_code == 303
    assert browser.get("/kelola/konsultasi").status_code == 200
    again = new_browser()
    _password_step(again, world.official)
    refused = _code_step(again, recovery)
    assert refused.status_code == 400
    assert ("2fa-recovery-code-used", world.official.id) in _audit(world, world.official)
    page = browser.get("/saya/2fa")
    assert "Tersisa 9 kode pemulihan" in page.text


def test_wrong_codes_are_limited_per_account_with_retry_after(
    browser: Browser, world: World
) -> None:
    _password_step(browser, world.admin)
    good = next_code(world.services, world.admin.id)  # type: ignore[arg-type]
    bad = "123456" if good != "123456" else "654321"
    for _ in range(world.services.settings.totp_max_failures):
        assert _code_step(browser, bad).status_code == 400
    throttled = _code_step(browser, good)  # even the right code waits now
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert "Terlalu banyak kode yang salah" in throttled.text
    assert "rembug_session" not in browser.client.cookies


def test_wrong_codes_are_limited_per_ip_address(new_browser, world: World, services) -> None:  # type: ignore[no-untyped-def]
    accounts = [world.admin, world.moderator, world.official, world.other_official]
    for index in range(2):
        extra = world.account(Role.moderator, f"moderator{index}@contoh.id")
        enrol(services, extra)
        accounts.append(extra)
    limit = services.settings.totp_max_failures_per_ip
    assert len(accounts) * 4 >= limit
    sent = 0
    for account in accounts:
        if sent == limit:
            break
        browser = new_browser()
        _password_step(browser, account)
        for _ in range(4):  # below the per-account limit of 5
            if sent == limit:
                break
            assert _code_step(browser, "000001").status_code == 400
            sent += 1
    browser = new_browser()
    _password_step(browser, world.moderator)
    throttled = _code_step(browser, "000001")
    assert throttled.status_code == 429 and throttled.headers["retry-after"]


def test_the_second_step_without_a_pending_login_or_csrf_token(
    browser: Browser, world: World
) -> None:
    assert browser.get("/masuk/kode", follow_redirects=False).headers["location"] == "/masuk"
    expired = _code_step(browser, "123456")
    assert expired.status_code == 409
    _password_step(browser, world.moderator)
    forged = browser.post_raw("/masuk/kode", {"code": "123456"})
    assert forged.status_code == 403


# --- citizens and staff ---------------------------------------------------------------------


def test_citizens_choose_two_factor_through_the_pages(new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    other_device = new_browser()
    other_device.login(world.citizen)
    browser = new_browser()
    assert browser.login(world.citizen).headers["location"] == "/"  # no second step
    assert "Nonaktif: kata sandi saja" in browser.get("/saya/profil").text
    page = browser.get("/saya/2fa")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert '<svg role="img" aria-label="Kode QR' in page.text
    assert "otpauth://totp/" in page.text
    assert "<script" not in page.text
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page.text).group(1)  # type: ignore[union-attr]
    assert browser.get("/saya/2fa").text.count(secret) == 1  # a reload shows the same key
    wrong = browser.submit("/saya/2fa", "/saya/2fa/aktifkan", {"code": "12345"})
    assert wrong.status_code == 400 and 'id="code-error"' in wrong.text
    secret = browser.enrol_two_factor()
    assert ("2fa-enrolled", world.citizen.id) in _audit(world, world.citizen)
    # Other devices are logged out; this one stays.
    assert other_device.get("/saya", follow_redirects=False).status_code == 303
    assert "Aktif: untuk masuk diperlukan kode" in browser.get("/saya/profil").text
    exported = browser.get("/saya/data.json").json()["two_factor"]
    assert exported["enrolled_at"] and exported["recovery_codes_left"] == 10
    assert secret not in browser.get("/saya/data.json").text
    browser.submit("/", "/keluar", {})
    assert browser.login(world.citizen).status_code == 303
    assert browser.get("/saya").status_code == 200

    # Turning it off needs a current code and ends the other sessions.
    disabled = browser.submit(
        "/saya/2fa",
        "/saya/2fa/nonaktifkan",
        {"code": current_code(world.services, world.citizen.id)},  # type: ignore[arg-type]
    )
    assert disabled.status_code == 303
    assert ("2fa-disabled", world.citizen.id) in _audit(world, world.citizen)
    assert _live_sessions(world, world.citizen) == 1
    assert browser.get("/saya").status_code == 200
    assert pyotp.TOTP(secret).now()  # the old key no longer matters:
    assert _password_step(new_browser(), world.citizen).headers["location"] == "/"


def test_staff_without_two_factor_are_sent_to_enrol(new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    newcomer = world.account(Role.official, "petugas.baru@contoh.id", world.agency)
    browser = new_browser()
    response = _password_step(browser, newcomer)
    assert response.headers["location"] == "/saya/2fa"
    for path in STAFF_PAGES:
        page = browser.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/saya/2fa", path
    refused = browser.submit(
        "/saya/2fa", "/kelola/konsultasi/baru", {"title": "Judul", "markdown": "# Judul"}
    )
    assert refused.status_code == 303 and refused.headers["location"] == "/saya/2fa"
    with world.services.db.read() as db:
        assert db.exec(select(Consultation)).first() is None
    page = browser.get("/saya/2fa")
    assert "Peran Anda (petugas, moderator, atau administrator) mewajibkan" in page.text
    browser.enrol_two_factor()
    assert browser.get("/kelola/konsultasi").status_code == 200
    # Logging out is always possible.
    another = new_browser()
    _password_step(another, world.account(Role.moderator, "mod.baru@contoh.id"))
    assert another.submit("/saya/2fa", "/keluar", {}).headers["location"] == "/"


def test_a_role_granted_during_a_session_requires_two_factor_at_the_next_request(
    new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    citizen = new_browser()
    citizen.login(world.citizen)
    assert citizen.get("/saya").status_code == 200
    admin = new_browser()
    admin.login(world.admin)
    granted = admin.submit(
        "/admin/akun", f"/admin/akun/{world.citizen.id}", {"role": "moderator", "agency": ""}
    )
    assert granted.status_code == 303
    page = citizen.get("/moderation", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/saya/2fa"
    citizen.enrol_two_factor()
    assert citizen.get("/moderation").status_code == 200


def test_staff_who_turn_it_off_enrol_again_at_once(browser: Browser, world: World) -> None:
    browser.login(world.moderator)
    page = browser.get("/saya/2fa")
    assert "Peran Anda mewajibkan verifikasi dua langkah" in page.text
    done = browser.submit(
        "/saya/2fa",
        "/saya/2fa/nonaktifkan",
        {"code": current_code(world.services, world.moderator.id)},  # type: ignore[arg-type]
    )
    assert done.status_code == 303
    assert browser.get("/moderation", follow_redirects=False).headers["location"] == "/saya/2fa"
    browser.enrol_two_factor()  # e.g. a new phone
    assert browser.get("/moderation").status_code == 200


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(
    new_browser, world: World
) -> None:  # type: ignore[no-untyped-def]
    old = list(RECOVERY_CODES[two_factor_secret(world.services, world.moderator.id)])  # type: ignore[arg-type]
    browser = new_browser()
    browser.login(world.moderator)
    other = new_browser()
    _password_step(other, world.moderator)
    assert _code_step(other, old[-1]).status_code == 303
    refused = browser.submit("/saya/2fa", "/saya/2fa/kode-pemulihan", {"code": "abc"})
    assert refused.status_code == 400 and 'id="regen-error"' in refused.text
    code = current_code(world.services, world.moderator.id)  # type: ignore[arg-type]
    renewed = browser.submit("/saya/2fa", "/saya/2fa/kode-pemulihan", {"code": code})
    assert renewed.status_code == 200 and renewed.headers["cache-control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", renewed.text)
    assert len(codes) == 10 and not set(codes) & set(old)
    assert other.get("/moderation", follow_redirects=False).status_code == 303
    assert browser.get("/moderation").status_code == 200
    assert ("2fa-recovery-codes-renewed", world.moderator.id) in _audit(world, world.moderator)
    stale = new_browser()
    _password_step(stale, world.moderator)
    assert _code_step(stale, old[0]).status_code == 400
    assert _code_step(stale, codes[0]).status_code == 303


# --- administrators -------------------------------------------------------------------------


def test_an_administrator_resets_a_lost_phone(new_browser, world: World) -> None:  # type: ignore[no-untyped-def]
    moderator = new_browser()
    moderator.login(world.moderator)
    admin = new_browser()
    admin.login(world.admin)
    page = admin.get(f"/admin/akun?q={world.moderator.email}")
    assert "Verifikasi dua langkah" in page.text and 'value="reset-2fa"' in page.text
    # CSRF and the role are checked.
    forged = admin.post_raw(f"/admin/akun/{world.moderator.id}", {"action": "reset-2fa"})
    assert forged.status_code == 403
    official = new_browser()
    official.login(world.official)
    refused = official.submit("/saya", f"/admin/akun/{world.moderator.id}", {"action": "reset-2fa"})
    assert refused.status_code == 403
    done = admin.submit(
        f"/admin/akun?q={world.moderator.email}",
        f"/admin/akun/{world.moderator.id}",
        {"action": "reset-2fa"},
    )
    assert done.status_code == 303
    assert ("2fa-reset", world.admin.id) in _audit(world, world.moderator)
    # The moderator's sessions ended; at the next login they enrol again.
    assert moderator.get("/moderation", follow_redirects=False).status_code == 303
    again = new_browser()
    assert _password_step(again, world.moderator).headers["location"] == "/saya/2fa"
    assert again.get("/moderation", follow_redirects=False).headers["location"] == "/saya/2fa"
    again.enrol_two_factor()
    assert again.get("/moderation").status_code == 200
    # An administrator changes their own authenticator on their own page, not here.
    own = admin.submit("/admin/akun", f"/admin/akun/{world.admin.id}", {"action": "reset-2fa"})
    assert own.status_code == 409


def test_rembug_reset_2fa_unlocks_a_locked_out_administrator(
    browser: Browser, world: World, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    settings = world.services.settings
    monkeypatch.setenv("REMBUG_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REMBUG_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("REMBUG_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("REMBUG_RUN_WORKER", "false")
    assert rembug(["reset-2fa", "ADMIN@contoh.id"]) == 0
    assert "two-factor authentication reset" in capsys.readouterr().out
    assert ("2fa-reset", None) in _audit(world, world.admin)
    assert _password_step(browser, world.admin).headers["location"] == "/saya/2fa"
    browser.enrol_two_factor()
    assert browser.get("/admin").status_code == 200
    assert rembug(["reset-2fa", "tidak-ada@contoh.id"]) == 2


def test_a_changed_server_key_makes_the_secret_unreadable_not_bypassed(
    browser: Browser, world: World
) -> None:
    with world.services.db.write() as db:
        credential = db.get(TotpCredential, world.moderator.id)
        assert credential is not None
        credential.secret = totp.seal(
            totp.new_secret(),
            account_id=world.moderator.id,
            secret_key="a-sealing-key-no-longer-configured-0123456789",
        )
        db.add(credential)
    _password_step(browser, world.moderator)
    refused = _code_step(browser, "123456")
    assert refused.status_code == 409
    assert "administrator harus mengatur ulang" in refused.text.lower()


def test_the_pages_speak_english_too(browser: Browser, world: World) -> None:
    browser.client.cookies.set("rembug_lang", "en")
    _password_step(browser, world.moderator)
    page = browser.get("/masuk/kode")
    assert "Two-factor code" in page.text and "Code from the app, or a recovery code" in page.text
    wrong = _code_step(browser, "99999x")
    assert "The code is wrong or has expired" in wrong.text
    browser.client.cookies.set("rembug_lang", "id")
    page = browser.get("/masuk/kode")
    assert "Kode verifikasi dua langkah" in page.text
    assert CSRF_RE.search(page.text)
