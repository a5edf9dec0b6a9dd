"""Two-factor authentication in Chromium, with JavaScript on and off: a citizen turns it on
(QR code, key, a wrong code first, the recovery codes), logs in with the app's code, and an
administrator resets it from the accounts page. Every page passes axe-core (Visit.check)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CITIZEN_PASSWORD as PASSWORD
from tests.e2e.conftest import Server

ADMIN = "rahmat.hidayat@contoh.id"


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_a_citizen_turns_on_two_factor_and_an_administrator_resets_it(
    visit_factory, server: Server, js: bool
) -> None:  # type: ignore[no-untyped-def]
    email = f"dua.langkah.{'js' if js else 'nojs'}@contoh.id"
    citizen = visit_factory("citizen-2fa", js=js)
    citizen.register("Warga Dua Langkah", email, PASSWORD)
    page = citizen.page

    citizen.goto("/saya/profil", "profile")
    with page.expect_navigation():
        page.get_by_role("link", name="Kelola verifikasi dua langkah").click()
    citizen.check("two-factor enrolment")
    expect(page.get_by_role("img", name=re.compile("Kode QR"))).to_be_visible()
    key = page.locator("code.secret").inner_text().replace(" ", "")
    field = page.get_by_label("Masukkan kode 6 angka yang sekarang tampil di aplikasi")
    field.fill("12345")
    citizen.submit("Aktifkan verifikasi dua langkah", "enrolment with a wrong code")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("^Kode salah"))
    step = int(time.time() // 30)
    field.fill(pyotp.TOTP(key).at(step * 30))
    citizen.submit("Aktifkan verifikasi dua langkah", "recovery codes")
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    with page.expect_navigation():
        page.get_by_role("link", name="Sudah saya simpan, lanjutkan").click()
    citizen.check("after enrolment")
    citizen.submit("Keluar", "logged out")

    # The login now asks for the code; the server's pages are checked on the way.
    server.two_factor_keys[email] = key
    server.used_steps[email] = step
    citizen.login(email, PASSWORD)
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()

    admin = visit_factory("admin-2fa", js=js, viewport={"width": 1280, "height": 900})
    admin.login(ADMIN, server.passwords[ADMIN])
    page = admin.goto(f"/admin/akun?q={email}", "accounts with two-factor")
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("Aktif")
    with page.expect_navigation():
        row.get_by_role("button", name="Atur ulang").click()
    admin.check("two-factor reset")
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text("Nonaktif")

    # The citizen's sessions ended; the password alone logs in again.
    citizen.goto("/saya/profil", "profile after the reset")
    assert "/masuk" in citizen.page.url
    citizen.login(email, PASSWORD)
    assert not citizen.page.url.endswith("/masuk/kode")
