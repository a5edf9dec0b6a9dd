"""Linking a chat to a web account with a one-time code: single use, 10 minutes, throttled."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from bots import actions as bot_actions
from bots.models import ChatIdentity
from forum import actions as forum_actions
from forum.models import Account, Aspiration, Category, Comment, Region, Support, Visibility
from forum.services import Services
from moderation.models import ModerationCase
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


def _chat_account(services: Services, user_id: int) -> int | None:
    with services.db.read() as db:
        identity = db.exec(
            select(ChatIdentity).where(ChatIdentity.platform_user_id == str(user_id))
        ).one()
        return identity.account_id


def test_linking_merges_what_the_chat_did_before_into_the_web_account(
    chat: Chat, world: World, services: Services, browser: Browser
) -> None:
    consultation = world.consultation()
    with services.db.write() as db:
        category = db.exec(select(Category)).first()
        region = db.exec(select(Region)).first()
        theirs = forum_actions.submit_aspiration(
            db,
            world.other_citizen,
            title="Lampu jalan padam di gang sempit",
            body="Lampu jalan di gang sempit sudah padam sebulan, rawan kejahatan malam hari.",
            category_id=category.id,  # type: ignore[union-attr]
            region_id=region.id,  # type: ignore[union-attr]
            agency_id=world.agency.id,
            visibility=Visibility.public,
        )
        forum_actions.publish_aspiration(db, world.moderator, theirs)
        web_citizen = db.get(Account, world.citizen.id)
        forum_actions.add_support(db, web_citizen, aspiration=theirs)  # supported on the web
    # Before linking, the person takes part from the chat only (a chat-only account).
    chat.press(f"cm:{consultation.id}:0")
    chat.send("Komentar dari Telegram sebelum ditautkan ke akun web.")
    assert chat.press(f"sp:a:{theirs.id}")[0] == "Terima kasih atas dukungan Anda."
    chat_only = _chat_account(services, chat.user_id)
    assert chat_only is not None and chat_only != world.citizen.id
    with services.db.read() as db:
        assert db.get(Aspiration, theirs.id).support_count == 2  # type: ignore[union-attr]
    browser.login(world.citizen)
    texts = chat.send(f"/tautkan {_code(browser)}")
    assert "tertaut ke akun web Warga" in texts[0]
    assert "Kontribusi sebelumnya dari chat ini dipindahkan ke akun itu: 1." in texts[0]
    with services.db.read() as db:
        comment = db.exec(select(Comment)).one()
        assert comment.author_id == world.citizen.id
        # One person, one support: the repeated support was dropped and the count follows.
        supports = db.exec(select(Support).where(Support.aspiration_id == theirs.id)).all()
        assert [s.account_id for s in supports] == [world.citizen.id]
        assert db.get(Aspiration, theirs.id).support_count == 1  # type: ignore[union-attr]
        retired = db.get(Account, chat_only)
        assert retired is not None and not retired.is_active
        # The comment's moderation case follows it, so the queue names the web account.
        case = db.exec(select(ModerationCase).where(ModerationCase.comment_id == comment.id)).one()
        assert case.author_id == world.citizen.id
    assert _chat_account(services, chat.user_id) == world.citizen.id
    # The web profile shows the earlier chat comment among "My comments".
    assert "Komentar dari Telegram sebelum ditautkan" in browser.get("/saya").text
    # The chat keeps working as the web account.
    assert "Anda belum mengirim apa pun." not in chat.send("/saya")[0]


def test_a_chat_acting_as_a_web_account_is_not_merged_into_another(
    chat: Chat, world: World, services: Services, browser: Browser, new_browser
) -> None:  # type: ignore[no-untyped-def]
    browser.login(world.citizen)
    chat.send(f"/tautkan {_code(browser)}")
    assert _chat_account(services, chat.user_id) == world.citizen.id
    other: Browser = new_browser()
    other.login(world.other_citizen)
    texts = chat.send(f"/tautkan {_code(other)}")
    assert "sudah tertaut ke akun web lain" in texts[0]
    assert _chat_account(services, chat.user_id) == world.citizen.id
    with services.db.read() as db:
        assert db.get(Account, world.citizen.id).is_active  # type: ignore[union-attr]


def test_only_chat_only_accounts_can_be_merged(services: Services, world: World) -> None:
    from forum.errors import NotAllowed

    with services.db.write() as db:
        official = db.get(Account, world.official.id)
        citizen = db.get(Account, world.citizen.id)
        chat_only = forum_actions.create_chat_account(db, name="Warga Chat")
        for source in (official, citizen):  # staff, and a web account with a password
            with pytest.raises(NotAllowed):
                forum_actions.merge_chat_account(db, source, chat_only)  # type: ignore[arg-type]
        assert forum_actions.merge_chat_account(db, chat_only, citizen) == {  # type: ignore[arg-type]
            "comment": 0,
            "aspiration": 0,
            "support": 0,
            "follow": 0,
            "notification": 0,
        }
        assert not chat_only.is_active
