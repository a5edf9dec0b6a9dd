"""Chat notifications for an aspiration's later status changes, and unlinking chats when the
account is deleted (the events come from the forum core)."""

from __future__ import annotations

from sqlmodel import select

from bots.models import ChatDelivery, ChatIdentity
from forum import actions, attachments
from forum.models import Account, Aspiration
from tests.conftest import PASSWORD, World
from tests.moderation.conftest import Make


def linked_chat(world: World) -> int:
    with world.services.db.write() as db:
        identity = ChatIdentity(
            channel="telegram", platform_user_id="777", chat_id="777", account_id=world.citizen.id
        )
        db.add(identity)
        db.flush()
        assert identity.id is not None
        return identity.id


def notifications(world: World) -> list[str]:
    with world.services.db.read() as db:
        return [d.text for d in db.exec(select(ChatDelivery).order_by(ChatDelivery.id))]


def test_in_progress_rerouted_and_auto_closed_reach_the_chat(world: World, make: Make) -> None:
    linked_chat(world)
    aspiration = make.aspiration(world.citizen)
    with world.services.db.write() as db:
        actions.publish_aspiration(db, world.moderator, db.get(Aspiration, aspiration.id))
        actions.mark_in_progress(db, world.official, db.get(Aspiration, aspiration.id))
    with world.services.db.write() as db:
        actions.route_aspiration(
            db,
            world.official,
            db.get(Aspiration, aspiration.id),
            agency_id=world.other_agency.id,
            reason="Urusan kesehatan",
        )
    with world.services.db.write() as db:
        stored = db.get(Aspiration, aspiration.id)
        actions.publish_official_response(
            db, world.other_official, body="Sudah ditangani.", aspiration=stored
        )
        close_at = stored.auto_close_at
    with world.services.db.write() as db:
        from datetime import timedelta

        actions.run_deadlines(db, close_at + timedelta(minutes=1))
    texts = notifications(world)
    assert any(
        aspiration.ticket in t and "Dinas Komunikasi Kota A" in t and "diproses" in t for t in texts
    )
    assert any("Dinas Kesehatan Kota B" in t and aspiration.ticket in t for t in texts[2:])
    assert any("kembali satu kali" in t for t in texts)  # closed after the answer


def test_deleting_the_account_unlinks_its_chats(world: World) -> None:
    identity_id = linked_chat(world)
    with world.services.db.write() as db:
        actions.delete_account(
            db,
            db.get(Account, world.citizen.id),
            password=PASSWORD,
            contributions="anonymise",
            store=attachments.store_for(world.services.settings),
        )
    with world.services.db.read() as db:
        identity = db.get(ChatIdentity, identity_id)
        assert identity.account_id is None and identity.notify is False
