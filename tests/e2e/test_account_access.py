"""Getting back into an account in Chromium, with JavaScript on and off: a citizen registers,
confirms the address with the link of the mail the server sent (read from the suite's SMTP
server), logs out, forgets the password, resets it with the mailed link, and logs in with the
new one. Signing in with a one-time code received on the linked Telegram and WhatsApp chats
(the fake Bot and Graph APIs) and, for a citizen who only ever wrote by SMS, through Gammu's
dummy modem. Every page passes axe-core (Visit.check)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import TypeVar

import httpx
import pytest
from playwright.sync_api import expect

from tests.bots.conftest import SECRET, load_fixture
from tests.bots.whatsapp_fake import sign, text_envelope
from tests.bots.whatsapp_fake import text_of as wa_text
from tests.e2e.conftest import Server, Visit

T = TypeVar("T")
TELEGRAM_USER = 5234567890
WHATSAPP_ID = "6281234509876"  # the citizen's WhatsApp id (their number's digits)
SMS_NUMBER, SMS_E164 = "081234509875", "+6281234509875"
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
NEW_PASSWORD = "sandi-baru-yang-panjang-42"


def _path(server: Server, text: str, prefix: str) -> str:
    found = re.search(re.escape(server.base_url) + f"({prefix}/[A-Za-z0-9_-]+)", text)
    assert found, text
    return found.group(1)


def _wait(what: str, found: Callable[[], T | None], timeout: float = 120) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"no {what} in {timeout} s")


def _ask_for_a_code(citizen: Visit, login: str, channel: str) -> None:
    page = citizen.page
    citizen.goto("/masuk", "login page")
    with page.expect_navigation():
        page.get_by_role("link", name="Masuk dengan kode sekali pakai").click()
    citizen.check("ask for a code")
    page.get_by_label("Email atau nomor HP").fill(login)
    page.get_by_label(channel, exact=True).check()
    citizen.submit("Kirim kode", "enter the code")


def _sign_in_with(citizen: Visit, code: str) -> None:
    citizen.page.get_by_label("Kode", exact=True).fill(code)
    citizen.submit("Masuk", "signed in by code")
    expect(citizen.page.get_by_role("button", name="Keluar")).to_be_visible()


def _link_code(citizen: Visit) -> str:
    """The code a signed-in citizen gets on *Chat* to link a chat to the account."""
    citizen.goto("/saya/chat", "link a chat")
    citizen.submit("Tampilkan kode baru", "link code")
    return str(citizen.page.locator("p.code strong").inner_text())


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_register_confirm_forget_the_password_reset_it_and_log_in(
    visit_factory, server: Server, js: bool
) -> None:  # type: ignore[no-untyped-def]
    email = f"lupa.sandi.{'js' if js else 'nojs'}@contoh.id"
    citizen = visit_factory("citizen-access", js=js)
    citizen.register("Warga Pelupa", email)
    page = citizen.page

    confirm = _path(server, server.mail_text(email, 1), "/konfirmasi")
    citizen.goto(confirm, "confirmation link")
    citizen.submit("Konfirmasi alamat", "address confirmed")
    expect(page.get_by_role("status")).to_contain_text("Alamat email Anda sudah dikonfirmasi")
    citizen.submit("Keluar", "logged out")

    citizen.goto("/masuk", "login page")
    with page.expect_navigation():
        page.get_by_role("link", name="Lupa kata sandi?").click()
    citizen.check("forgot the password")
    page.get_by_label("Email", exact=True).fill(email)
    citizen.submit("Kirim tautan", "reset link sent")
    expect(page.locator("#reset-sent")).to_contain_text(email)

    reset = _path(server, server.mail_text(email, 2), "/atur-ulang-sandi")
    citizen.goto(reset, "reset link")
    page.get_by_label("Kata sandi baru (minimal 8 karakter)").fill(NEW_PASSWORD)
    citizen.submit("Simpan kata sandi baru", "password reset")
    assert page.url.endswith("/masuk")
    expect(page.get_by_role("status")).to_contain_text("Kata sandi baru Anda sudah disimpan")

    citizen.login(email, NEW_PASSWORD)
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()
    # The notice of the reset arrived too; the used link no longer works.
    assert "diatur ulang" in server.mail_text(email, 3)
    response = page.goto(server.url(reset))
    assert response is not None and response.status == 400


def _telegram_says(server: Server, text: str) -> None:
    """The person writes to the bot: an update to the server's real webhook."""
    update = load_fixture("message__text")
    update["update_id"] = int(time.time() * 1000) % 2_000_000_000
    update["message"]["text"] = text
    update["message"]["from"]["id"] = update["message"]["chat"]["id"] = TELEGRAM_USER
    response = httpx.post(
        server.url("/webhooks/telegram"),
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def _telegram_text(server: Server, containing: re.Pattern[str], after: int) -> str:
    return _wait(
        f"Telegram message like {containing.pattern}",
        lambda: next(
            (t for t in server.telegram.texts(TELEGRAM_USER)[after:] if containing.search(t)),
            None,
        ),
    )


def test_sign_in_with_a_code_received_on_the_linked_telegram_chat(
    visit_factory, server: Server
) -> None:  # type: ignore[no-untyped-def]
    email = "kode.telegram@contoh.id"
    citizen = visit_factory("citizen-telegram-code")
    citizen.register("Warga Telegram", email)
    before = len(server.telegram.texts(TELEGRAM_USER))
    _telegram_says(server, f"/tautkan {_link_code(citizen)}")
    _telegram_text(server, re.compile("tertaut"), before)
    citizen.submit("Keluar", "logged out")

    before = len(server.telegram.texts(TELEGRAM_USER))
    _ask_for_a_code(citizen, email, "Telegram")
    code = CODE.search(_telegram_text(server, CODE, before))
    assert code
    _sign_in_with(citizen, code.group(1))


def _whatsapp_says(server: Server, text: str) -> None:
    """The person writes to the business number: a signed envelope to the real webhook."""
    body = json.dumps(text_envelope(text, WHATSAPP_ID)).encode()
    response = httpx.post(
        server.url("/webhooks/whatsapp"),
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_sign_in_with_a_code_received_on_the_linked_whatsapp_chat(
    visit_factory, server: Server
) -> None:  # type: ignore[no-untyped-def]
    email = "kode.whatsapp@contoh.id"
    citizen = visit_factory("citizen-whatsapp-code")
    citizen.register("Warga WhatsApp", email)
    before = len(server.whatsapp.to(WHATSAPP_ID))
    _whatsapp_says(server, f"/tautkan {_link_code(citizen)}")
    _wait(
        "linking answer",
        lambda: any("tertaut" in wa_text(b) for b in server.whatsapp.to(WHATSAPP_ID)[before:]),
    )
    citizen.submit("Keluar", "logged out")

    before = len(server.whatsapp.to(WHATSAPP_ID))
    _ask_for_a_code(citizen, email, "WhatsApp")
    template = _wait(
        "authentication template",
        lambda: next(
            (b for b in server.whatsapp.to(WHATSAPP_ID)[before:] if b["type"] == "template"),
            None,
        ),
    )
    _sign_in_with(citizen, template["template"]["components"][0]["parameters"][0]["text"])


def test_an_sms_only_citizen_signs_in_with_a_code_through_the_gsm_modem(
    visit_factory, server: Server
) -> None:  # type: ignore[no-untyped-def]
    gammu = server.gammu
    assert gammu is not None
    # A citizen with a basic phone sends an aspiration by SMS; the dummy modem receives it,
    # `rembug sms gammu` takes it in, the answer carries its ticket.
    gammu.receive(SMS_NUMBER, "ASPIRASI Lampu jalan di gang Kenanga padam sejak seminggu.")
    answer = _wait("answer by SMS", lambda: gammu.sent_to(SMS_E164))
    ticket = re.search(r"ASP-\d{4}-\d{6}", answer[0][2])
    assert ticket, answer

    # Later, on a shared computer at the village office: the number signs in, by SMS.
    citizen = visit_factory("citizen-sms-code")
    _ask_for_a_code(citizen, SMS_NUMBER, "SMS")
    message = _wait("code by SMS", lambda: gammu.sent_to(SMS_E164)[1:])
    code = CODE.search(message[0][2])
    assert code, message
    _sign_in_with(citizen, code.group(1))
    citizen.goto("/saya", "my contributions")
    expect(citizen.page.get_by_text(ticket.group())).to_be_visible()
