"""The whole way through a GSM modem (issue 13): an SMS received by the real gammu-smsd (dummy
phone driver) becomes an aspiration in the moderation queue, Rembug's answer with the ticket
number reaches Gammu's sent items, and the network's status report marks it delivered."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlmodel import select

from bots.models import ChatDelivery, DeliveryStatus
from bots.sms.gammu import poll_once
from forum.models import Aspiration, Channel
from forum.services import Services
from forum.settings import Settings
from tests.bots.conftest import bot_settings, drain
from tests.bots.sms.gammu_smsd import GammuSmsd, gammu_smsd
from tests.conftest import World

__all__ = ["gammu_smsd"]  # the fixture, for this module's tests

TICKET = re.compile(r"ASP-\d{4}-\d{6}")
NUMBER, E164 = "081234500777", "+6281234500777"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, gammu_smsd: GammuSmsd) -> Settings:
    return bot_settings(
        database_url,
        tmp_path,
        "http://127.0.0.1:9",
        REMBUG_SMS_GATEWAY="gammu",
        REMBUG_GAMMU_DATABASE_URL=gammu_smsd.database_url,
    )


def test_an_sms_through_the_modem_becomes_an_aspiration_and_the_answer_goes_back(
    services: Services,
    world: World,
    gammu_smsd: GammuSmsd,
    new_browser,  # type: ignore[no-untyped-def]
) -> None:
    text = "ASPIRASI Jalan di depan SDN 2 Sukamaju berlubang dan membahayakan anak sekolah."
    received = gammu_smsd.inbox_count()
    gammu_smsd.receive(NUMBER, text)
    gammu_smsd.wait_for(lambda: gammu_smsd.inbox_count() > received, "the SMS in Gammu's inbox")
    assert asyncio.run(poll_once(services)) == 1
    drain(services)

    with services.db.read() as db:
        [aspiration] = db.exec(select(Aspiration).where(Aspiration.channel == Channel.sms)).all()
    assert aspiration.status == "pending" and "berlubang" in aspiration.body
    moderator = new_browser()
    moderator.login(world.moderator)
    assert aspiration.ticket in moderator.get("/moderation").text

    # The answer, with the ticket number, handed to Gammu and sent by the (dummy) modem.
    gammu_smsd.wait_for(lambda: gammu_smsd.sent_to(E164), "Rembug's answer in sentitems")
    [(message_id, status, answer)] = gammu_smsd.sent_to(E164)
    assert status == "SendingOK" and aspiration.ticket in answer
    with services.db.read() as db:
        delivery = db.exec(select(ChatDelivery).where(ChatDelivery.chat_id == E164)).one()
    assert delivery.status == DeliveryStatus.sent

    gammu_smsd.report(message_id, "Delivered")
    gammu_smsd.wait_for(lambda: gammu_smsd.sent_to(E164)[0][1] == "DeliveryOK", "the status report")
    asyncio.run(poll_once(services))
    drain(services)
    with services.db.read() as db:
        assert db.get(ChatDelivery, delivery.id).status == DeliveryStatus.delivered  # type: ignore[union-attr]


def test_a_sign_in_code_arrives_by_sms_through_the_modem(
    services: Services,
    world: World,
    gammu_smsd: GammuSmsd,
    browser,  # type: ignore[no-untyped-def]
) -> None:
    # Gammu's store still holds the first test's sent SMS and its report for "delivery 1" of a
    # database since made anew: that report must not mark this test's delivery 1 delivered.
    number, e164 = "081234500778", "+6281234500778"
    browser.login(world.citizen)
    page = browser.submit("/saya/chat", "/saya/chat/kode", {}).text
    link_code = re.search(r'<p class="code"><strong>([A-Z0-9]{8})</strong>', page)
    assert link_code
    browser.client.cookies.clear()  # signed out: the code is for the next sign-in
    received = gammu_smsd.inbox_count()
    gammu_smsd.receive(number, f"TAUTKAN {link_code.group(1)}")
    gammu_smsd.wait_for(lambda: gammu_smsd.inbox_count() > received, "the SMS in Gammu's inbox")
    asyncio.run(poll_once(services))
    drain(services)
    gammu_smsd.wait_for(lambda: gammu_smsd.sent_to(e164), "the linking answer")
    assert "tertaut" in gammu_smsd.sent_to(e164)[-1][2]

    assert 'value="sms"' in browser.get("/masuk/dengan-kode").text
    response = browser.submit(
        "/masuk/dengan-kode", "/masuk/dengan-kode", {"login": world.citizen.email, "channel": "sms"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/kode"
    drain(services)
    gammu_smsd.wait_for(lambda: len(gammu_smsd.sent_to(e164)) >= 2, "the code by SMS")
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", gammu_smsd.sent_to(e164)[-1][2])
    assert code, gammu_smsd.sent_to(e164)
    assert browser.submit("/kode", "/kode", {"code": code.group(1)}).status_code == 303
    assert browser.get("/saya").status_code == 200
