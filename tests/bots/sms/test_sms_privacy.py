"""A person's SMS number is in their data export (with the consent they gave or withdrew) and
is erased with their account."""

from __future__ import annotations

import re

from sqlmodel import select

from bots.models import ChatDelivery, ChatIdentity
from bots.sms.models import SmsNumber
from forum import actions, attachments
from forum.models import Account
from forum.services import Services
from tests.bots.sms_fake import NUMBER, SmsUser
from tests.conftest import PASSWORD, Browser, World


def _link(sms: SmsUser, browser: Browser, world: World) -> None:
    browser.login(world.citizen)
    page = browser.submit("/saya/chat", "/saya/chat/kode", {})
    code = re.search(r"/tautkan ([A-Z0-9]{8})", page.text)
    assert code is not None
    assert world.citizen.name in sms.send(f"TAUTKAN {code.group(1)}")[0]


def test_the_number_and_its_consent_are_in_the_data_export(
    sms: SmsUser, browser: Browser, world: World
) -> None:
    _link(sms, browser, world)
    sms.send("BERHENTI")
    page = browser.get("/saya/data").text
    assert "chats" in page and NUMBER in page and "chat_messages" in page
    data = browser.get("/saya/data.json").json()
    (chat,) = data["chats"]
    assert chat["channel"] == "sms" and chat["platform_user_id"] == NUMBER
    assert chat["sms_consent_withdrawn_at"] is not None
    assert any("MULAI" in m["text"] for m in data["chat_messages"])


def test_deleting_the_account_erases_the_number(
    sms: SmsUser, browser: Browser, world: World, services: Services
) -> None:
    _link(sms, browser, world)
    with services.db.write() as db:
        account = db.get(Account, world.citizen.id)
        assert account is not None
        actions.delete_account(
            db,
            account,
            password=PASSWORD,
            contributions="anonymise",
            store=attachments.store_for(services.settings),
        )
    with services.db.read() as db:
        identity = db.exec(select(ChatIdentity).where(ChatIdentity.channel == "sms")).one()
        deliveries = db.exec(select(ChatDelivery).where(ChatDelivery.channel == "sms")).all()
        numbers = db.exec(select(SmsNumber)).all()
    assert identity.platform_user_id != NUMBER and identity.account_id is None
    assert deliveries and all(d.chat_id != NUMBER for d in deliveries)
    assert numbers == []
    # The number writing again is a new person to the service.
    assert "ASPIRASI" in sms.send("BANTUAN")[0]
