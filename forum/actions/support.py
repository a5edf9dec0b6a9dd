"""Support: one citizen endorsing a comment or an aspiration, and withdrawing it."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from forum import events as ev
from forum.actions.rules import require_citizen_content_author
from forum.errors import N_, Conflict, Invalid, NotFound
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Aspiration,
    Comment,
    ContentStatus,
    Support,
    Visibility,
)


def _support_target(
    comment: Comment | None, aspiration: Aspiration | None
) -> tuple[type[Comment] | type[Aspiration], int, int]:
    if (comment is None) == (aspiration is None):
        raise Invalid(N_("Support one comment or one aspiration."))
    if comment is not None:
        if comment.status != ContentStatus.published or comment.hidden_at is not None:
            raise NotFound(N_("This contribution is not public."))
        return Comment, comment.id, comment.author_id  # type: ignore[return-value]
    assert aspiration is not None
    if aspiration.status not in PUBLIC_ASPIRATION_STATUSES:
        raise NotFound(N_("This contribution is not public."))
    if aspiration.visibility == Visibility.confidential or aspiration.hidden_at is not None:
        raise NotFound(N_("This contribution is not public."))
    return Aspiration, aspiration.id, aspiration.author_id  # type: ignore[return-value]


def add_support(
    db: Session,
    account: Account | None,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
) -> bool:
    """Support a published comment or aspiration; returns False if already supported."""
    account = require_citizen_content_author(account)
    model, target_id, author_id = _support_target(comment, aspiration)
    if author_id == account.id:
        raise Conflict(N_("You cannot support your own contribution."))
    field = Support.comment_id if model is Comment else Support.aspiration_id
    exists = db.exec(
        select(Support.id).where(Support.account_id == account.id, field == target_id)
    ).first()
    if exists:
        return False
    db.add(
        Support(
            account_id=account.id,  # type: ignore[arg-type]
            comment_id=target_id if model is Comment else None,
            aspiration_id=target_id if model is Aspiration else None,
        )
    )
    db.execute(
        update(model)
        .where(col(model.id) == target_id)
        .values(support_count=model.support_count + 1)
    )
    ev.emit(
        db,
        ev.SupportAdded(
            account.id,  # type: ignore[arg-type]
            target_id if model is Comment else None,
            target_id if model is Aspiration else None,
        ),
    )
    return True


def withdraw_support(
    db: Session,
    account: Account | None,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
) -> bool:
    account = require_citizen_content_author(account)
    if (comment is None) == (aspiration is None):
        raise Invalid(N_("Support one comment or one aspiration."))
    model: type[Comment] | type[Aspiration] = Comment if comment is not None else Aspiration
    target_id = (comment or aspiration).id  # type: ignore[union-attr]
    field = Support.comment_id if model is Comment else Support.aspiration_id
    result = db.execute(
        delete(Support).where(col(Support.account_id) == account.id, col(field) == target_id)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    db.execute(
        update(model)
        .where(col(model.id) == target_id)
        .values(support_count=model.support_count - 1)
    )
    ev.emit(
        db,
        ev.SupportWithdrawn(
            account.id,  # type: ignore[arg-type]
            target_id if model is Comment else None,
            target_id if model is Aspiration else None,
        ),
    )
    return True
