"""Linking a chat to a web account with a one-time code: single use, 10 minutes, throttled."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bots import actions as bot_actions
from bots.models import ChatIdentity
from forum.models import Comment
from forum.services import Services
from tests.bots.conftest import Chat
from tests.conftest import Browser, World

CODE_RE = re.compile(r'<p class="code"><strong>([A-Z0-9]{8})</strong>')


def _code(browser: Browser) -> str:
    response = browser.submit("/saya/chat", "/saya/chat/kode", {})
    assert response.status_code == 200
    match = CODE_RE.search(response.text)
    assert match, response.text
    return match.group(1)


def test_link_with_a_code_from_the_profile(
    chat: Chat, world: World, services: Services, browser: Browser
) -> None:
    browser.login(world.citizen)
    assert "/saya/chat" in browser.get("/saya").text  # offered on "My contributions"
    code = _code(browser)
    texts = chat.send(f"/tautkan {code.lower()}")
    assert "tertaut ke akun web Warga" in texts[0]
    consultation = world.consultation()
    chat.press(f"cm:{consultation.id}:0")
    chat.send("Komentar dari Telegram setelah ditautkan.")
    with services.db.read() as db:
        comment = db.exec(select(Comment)).one()
    assert comment.author_id == world.citizen.id  # one identity
    assert "Telegram" in browser.get("/saya/chat").text
    # Single use.
    other = Chat(chat.client, services, chat.fake, user_id=5777777777)
    assert "salah, sudah dipakai" in other.send(f"/link {code}")[0]


def test_codes_expire_after_ten_minutes(services: Services, world: World, chat: Chat) -> None:
    chat.send("/start")
    with services.db.write() as db:
        identity = db.exec(select(ChatIdentity)).one()
        past = bot_actions.utcnow() - timedelta(minutes=11)
        code = bot_actions.create_link_code(db, world.citizen, now=past)
    assert "kedaluwarsa" in chat.send(f"/tautkan {code}")[0]
    with services.db.read() as db:
        assert db.get(ChatIdentity, identity.id).account_id is None  # type: ignore[union-attr]


def test_wrong_codes_are_throttled(
    chat: Chat, world: World, browser: Browser, services: Services
) -> None:
    for _ in range(5):
        assert "salah" in chat.send("/tautkan AAAAAAAA")[0]
    browser.login(world.citizen)
    code = _code(browser)
    # Past 5 wrong codes in 15 minutes even the right code is refused: guessing is hopeless.
    assert "Terlalu banyak kode yang salah" in chat.send(f"/tautkan {code}")[0]
    with services.db.read() as db:
        identity = db.exec(
            select(ChatIdentity).where(ChatIdentity.platform_user_id == str(chat.user_id))
        ).one()
        assert identity.account_id is None
    # The limit is per chat identity: another person's chat links with a valid code.
    other = Chat(chat.client, services, chat.fake, user_id=5888888888)
    assert "tertaut ke akun web Warga" in other.send(f"/tautkan {code}")[0]


def test_asking_for_codes_is_throttled_and_needs_a_login(
    world: World, browser: Browser, new_browser
) -> None:  # type: ignore[no-untyped-def]
    anonymous: Browser = new_browser()
    assert anonymous.get("/saya/chat", follow_redirects=False).status_code == 303
    browser.login(world.citizen)
    for _ in range(5):
        _code(browser)
    response = browser.submit("/saya/chat", "/saya/chat/kode", {})
    assert response.status_code == 429
    # The form needs its CSRF token.
    assert browser.post_raw("/saya/chat/kode", {}).status_code == 403


def test_link_command_without_a_code_explains(chat: Chat) -> None:
    assert "Tautkan chat" in chat.send("/tautkan")[0]
