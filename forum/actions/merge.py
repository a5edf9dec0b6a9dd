"""Merging a chat-only account into the web account it links to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from forum import events as ev
from forum.errors import N_, Conflict, NotAllowed
from forum.models import (
    Account,
    Aspiration,
    Comment,
    Follow,
    Notification,
    Role,
    RoutingEvent,
    Support,
    utcnow,
)


def is_chat_only(account: Account) -> bool:
    """A citizen account made for a chat: no email, phone or password, never logged in."""
    return (
        account.role == Role.citizen
        and account.email is None
        and account.phone is None
        and account.password_hash is None
        and account.deleted_at is None
    )


def merge_chat_account(db: Session, source: Account, target: Account) -> dict[str, int]:
    """Move everything a chat-only account did to ``target`` (the person linked their chat to
    their web account), in the caller's transaction, then retire it. Supports and follows
    that would repeat one of ``target``'s, or support ``target``'s own contribution, are
    dropped (one support per person). Returns what was moved, by kind (for the audit)."""
    if source.id is None or target.id is None or source.id == target.id:
        raise Conflict(N_("These accounts cannot be merged."))
    if not is_chat_only(source):
        raise NotAllowed(
            N_("Only an account made in a chat can be merged; this one has a login or a role.")
        )
    if not source.is_active or not target.is_active or target.deleted_at is not None:
        raise NotAllowed(N_("This account is not active."))
    moved: dict[str, int] = {}
    for name, model in (("comment", Comment), ("aspiration", Aspiration)):
        result = db.execute(
            update(model).where(col(model.author_id) == source.id).values(author_id=target.id)
        )
        moved[name] = int(result.rowcount)  # type: ignore[attr-defined]
    moved["support"] = _merge_supports(db, source.id, target.id)
    kept = select(Follow.aspiration_id).where(Follow.account_id == target.id)
    db.execute(
        delete(Follow).where(
            col(Follow.account_id) == source.id, col(Follow.aspiration_id).in_(kept)
        )
    )
    result = db.execute(
        update(Follow).where(col(Follow.account_id) == source.id).values(account_id=target.id)
    )
    moved["follow"] = int(result.rowcount)  # type: ignore[attr-defined]
    result = db.execute(
        update(Notification)
        .where(col(Notification.account_id) == source.id)
        .values(account_id=target.id)
    )
    moved["notification"] = int(result.rowcount)  # type: ignore[attr-defined]
    db.execute(
        update(RoutingEvent)
        .where(col(RoutingEvent.actor_id) == source.id)
        .values(actor_id=target.id)
    )
    source.is_active = False
    source.name = "Akun digabung"
    source.deleted_at = utcnow()
    db.add(source)
    ev.emit(db, ev.AccountsMerged(source.id, target.id))
    return moved


def _merge_supports(db: Session, source_id: int, target_id: int) -> int:
    """The source's supports go to the target unless the target already supports the item
    or wrote it; a dropped support lowers the item's count."""
    moved = 0
    for support in list(db.exec(select(Support).where(Support.account_id == source_id))):
        model: type[Comment] | type[Aspiration] = (
            Comment if support.comment_id is not None else Aspiration
        )
        item_id = support.comment_id if support.comment_id is not None else support.aspiration_id
        field = Support.comment_id if model is Comment else Support.aspiration_id
        item = db.get(Comment, item_id) if model is Comment else db.get(Aspiration, item_id)
        duplicate = db.exec(
            select(Support.id).where(Support.account_id == target_id, field == item_id)
        ).first()
        if duplicate is not None or item is None or item.author_id == target_id:
            db.delete(support)
            db.execute(
                update(model)
                .where(col(model.id) == item_id)
                .values(support_count=model.support_count - 1)
            )
            continue
        support.account_id = target_id
        db.add(support)
        moved += 1
    # Items the source wrote and the target supported: the person would support their own.
    for model, field in ((Comment, Support.comment_id), (Aspiration, Support.aspiration_id)):
        own = select(model.id).where(col(model.author_id) == target_id)
        for support in list(
            db.exec(select(Support).where(Support.account_id == target_id, col(field).in_(own)))
        ):
            db.delete(support)
            db.execute(
                update(model)
                .where(col(model.id) == (support.comment_id or support.aspiration_id))
                .values(support_count=model.support_count - 1)
            )
    db.flush()
    return moved


@dataclass(frozen=True)
class Resealed:
    resealed: int  # now sealed with the first key of REMBUG_SEALING_KEYS
    current: int  # already were
    unreadable: int  # open with none of the keys (an administrator resets these accounts)
