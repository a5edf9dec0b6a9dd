"""Signing in with a code sent to the chat linked to the account (Telegram, WhatsApp): the
forum asks through its extension point, the bots send through their delivery path; the code
never stays in the delivery log, and WhatsApp sends it as the authentication template. A
citizen who uses WhatsApp or SMS only is found by the number they write from."""

from __future__ import annotations

import re

from sqlmodel import select

from bots.models import ChatDelivery, DeliveryKind
from forum.models import Account, Comment
from forum.services import Services
from tests.bots.conftest import Chat, drain
from tests.bots.sms_fake import NUMBER as SMS_NUMBER
from tests.bots.sms_fake import FakeTwilio, SmsUser
from tests.bots.whatsapp_fake import WA_ID, FakeGraph, WaUser
from tests.conftest import Browser, World

LINK_CODE_RE = re.compile(r'<p class="code"><strong>([A-Z0-9]{8})</strong>')
CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def _link(browser: Browser, world: World) -> str:
    browser.login(world.citizen)
    page = browser.submit("/saya/chat", "/saya/chat/kode", {}).text
    match = LINK_CODE_RE.search(page)
    assert match
    browser.client.cookies.clear()  # signed out again: the code is for a later sign-in
    return match.group(1)


def _ask(browser: Browser, login: str, channel: str) -> None:
    response = browser.submit(
        "/masuk/dengan-kode", "/masuk/dengan-kode", {"login": login, "channel": channel}
    )
    assert response.status_code == 303 and response.headers["location"] == "/kode"


def test_a_sign_in_code_arrives_on_the_linked_telegram_chat(
    chat: Chat, world: World, services: Services, browser: Browser
) -> None:
    assert "tertaut" in chat.send(f"/tautkan {_link(browser, world)}")[0]
    page = browser.get("/masuk/dengan-kode").text
    assert 'value="telegram"' in page and 'value="whatsapp"' in page
    before = len(chat.fake.texts(chat.user_id))
    _ask(browser, "warga@contoh.id", "telegram")
    drain(services)
    texts = chat.fake.texts(chat.user_id)[before:]
    assert len(texts) == 1 and "Rembug" in texts[0]
    code = CODE_RE.search(texts[0])
    assert code
    with services.db.read() as db:
        delivery = db.exec(
            select(ChatDelivery).where(ChatDelivery.kind == DeliveryKind.login_code)
        ).one()
        assert code.group(1) not in delivery.text  # the log keeps no code once sent
    response = browser.submit("/kode", "/kode", {"code": code.group(1)})
    assert response.status_code == 303
    assert browser.get("/saya").status_code == 200


def test_no_linked_chat_no_message_and_the_same_answer(
    chat: Chat, world: World, services: Services, browser: Browser
) -> None:
    before = len(chat.fake.calls)
    _ask(browser, "tetangga@contoh.id", "telegram")  # has no linked chat
    drain(services)
    assert len(chat.fake.calls) == before
    assert browser.submit("/kode", "/kode", {"code": "123456"}).status_code == 400


def test_a_sign_in_code_on_whatsapp_is_the_authentication_template(
    wa: WaUser, world: World, services: Services, browser: Browser, fake_graph: FakeGraph
) -> None:
    assert "tertaut" in wa.send(f"/tautkan {_link(browser, world)}")[0]
    _ask(browser, "warga@contoh.id", "whatsapp")
    drain(services)
    body = fake_graph.to(WA_ID)[-1]
    assert body["type"] == "template"
    assert body["template"]["name"] == "rembug_kode_masuk"
    code = body["template"]["components"][0]["parameters"][0]["text"]
    assert re.fullmatch(r"\d{6}", code)
    assert body["template"]["components"][1]["parameters"][0]["text"] == code
    response = browser.submit("/kode", "/kode", {"code": code})
    assert response.status_code == 303
    assert browser.get("/saya").status_code == 200


def test_a_whatsapp_only_citizen_signs_in_with_the_number_they_write_from(
    wa: WaUser, world: World, services: Services, browser: Browser, fake_graph: FakeGraph
) -> None:
    # A citizen who only ever used WhatsApp: their comment made an account without email or
    # phone; the number they write from (typed the Indonesian way, 08…) finds it.
    consultation = world.consultation()
    wa.send("/start")
    wa.press(wa.choice("Konsultasi terbuka"))
    wa.press(wa.choice(consultation.title[:20]))
    wa.press(wa.choice("Bagian satu"))
    wa.press(wa.choice("Komentari bagian ini"))
    assert "menunggu peninjauan" in wa.send("Mohon tenggatnya ditulis dengan jelas.")[0]
    with services.db.read() as db:
        author = db.exec(select(Comment.author_id)).one()
        account = db.get(Account, author)
        assert account is not None and account.email is None and account.phone is None
    local = "0" + WA_ID.removeprefix("62")
    before = len(fake_graph.to(WA_ID))
    _ask(browser, local, "sms")  # no SMS chat for the number: nothing is sent, same answer
    _ask(browser, local, "whatsapp")
    drain(services)
    sent = fake_graph.to(WA_ID)[before:]
    assert len(sent) == 1 and sent[0]["type"] == "template"
    code = sent[0]["template"]["components"][0]["parameters"][0]["text"]
    assert browser.submit("/kode", "/kode", {"code": code}).status_code == 303
    mine = browser.get("/saya")
    assert mine.status_code == 200 and account.name in mine.text


def test_a_number_nobody_writes_from_gets_nothing_and_the_same_answer(
    wa: WaUser, services: Services, browser: Browser, fake_graph: FakeGraph
) -> None:
    wa.send("/start")  # a chat without an account (nothing contributed yet) signs in nobody
    calls = len(fake_graph.sent) + len(fake_graph.refused)
    _ask(browser, "0" + WA_ID.removeprefix("62"), "whatsapp")
    _ask(browser, "081298765432", "whatsapp")
    drain(services)
    assert len(fake_graph.sent) + len(fake_graph.refused) == calls
    assert browser.submit("/kode", "/kode", {"code": "123456"}).status_code == 400


def test_an_sms_only_citizen_signs_in_with_their_number_by_sms(
    sms: SmsUser, services: Services, browser: Browser, fake_twilio: FakeTwilio
) -> None:
    [reply] = sms.send("ASPIRASI Lampu jalan di gang Melati padam sejak seminggu.")
    ticket = re.search(r"ASP-\d{4}-\d{6}", reply)
    assert ticket
    before = len(fake_twilio.to(SMS_NUMBER))
    _ask(browser, "0" + SMS_NUMBER.removeprefix("+62"), "sms")
    drain(services)
    [message] = fake_twilio.to(SMS_NUMBER)[before:]
    code = CODE_RE.search(message["Body"])
    assert code, message
    assert browser.submit("/kode", "/kode", {"code": code.group(1)}).status_code == 303
    assert ticket.group() in browser.get("/saya").text  # their aspiration, on the web
