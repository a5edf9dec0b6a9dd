"""Moderation's reactions to forum events, inside the emitting transaction: every new
contribution opens a case (never lost: same transaction), role changes are audited."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from forum import actions as forum_actions
from forum import events as ev
from forum.events import EventBus
from forum.models import (
    Account,
    Aspiration,
    Attachment,
    Comment,
    Consultation,
    OfficialResponse,
    ResponseRevision,
)
from moderation.actions import (
    audit,
    close_moved_on_cases,
    is_established,
    open_case,
    screen_attachment_text,
)
from moderation.config import ModerationConfig
from moderation.models import Appeal, CaseReason, DecisionAction, ModerationCase


def subscribe(bus: EventBus, config: ModerationConfig) -> None:
    def comment_submitted(db: Session, event: ev.CommentSubmitted) -> None:
        comment = db.get(Comment, event.comment_id)
        assert comment is not None
        consultation = db.get(Consultation, comment.consultation_id)
        author = db.get(Account, comment.author_id)
        reason = CaseReason.new
        if (
            consultation is not None
            and consultation.post_moderation
            and author is not None
            and is_established(db, author, config)
        ):
            # Established citizens on a post-moderated consultation: public at once, still
            # screened and reviewed.
            forum_actions.publish_comment(db, None, comment)
            reason = CaseReason.post_moderated
        open_case(db, config, comment=comment, reason=reason, now=comment.created_at)

    def aspiration_submitted(db: Session, event: ev.AspirationSubmitted) -> None:
        aspiration = db.get(Aspiration, event.aspiration_id)
        assert aspiration is not None
        open_case(db, config, aspiration=aspiration, now=aspiration.created_at)

    def role_changed(db: Session, event: ev.RoleChanged) -> None:
        audit(
            db,
            event.actor_id,
            "role-change",
            "account",
            event.account_id,
            before={"role": event.old_role},
            after={"role": event.new_role, "agency_id": event.agency_id},
        )

    bus.subscribe(ev.CommentSubmitted, comment_submitted)

    # A contribution decided without its case (the demo loader, any caller of the forum's
    # actions) or withdrawn by its author: its open case closes, so a pending case never
    # disagrees with its contribution.
    def decided_elsewhere(db: Session, event: ev.Event) -> None:
        if isinstance(event, ev.CommentPublished | ev.CommentRejected | ev.CommentWithdrawn):
            target: dict[str, int] = {"comment_id": event.comment_id}
        elif isinstance(event, ev.AspirationMerged):
            target = {"aspiration_id": event.duplicate_id}
        else:
            assert isinstance(
                event, ev.AspirationPublished | ev.AspirationRejected | ev.AspirationWithdrawn
            )
            target = {"aspiration_id": event.aspiration_id}
        action = {
            ev.CommentPublished: DecisionAction.approve,
            ev.AspirationPublished: DecisionAction.approve,
            ev.CommentRejected: DecisionAction.reject,
            ev.AspirationRejected: DecisionAction.reject,
            ev.AspirationMerged: DecisionAction.duplicate,
        }.get(type(event))
        close_moved_on_cases(
            db,
            **target,
            moderator_id=getattr(event, "moderator_id", None),
            action=action,
            reason_text=getattr(event, "reason", ""),
        )

    for decided in (
        ev.CommentPublished,
        ev.CommentRejected,
        ev.CommentWithdrawn,
        ev.AspirationPublished,
        ev.AspirationRejected,
        ev.AspirationWithdrawn,
        ev.AspirationMerged,
    ):
        bus.subscribe(decided, decided_elsewhere)

    bus.subscribe(ev.AspirationSubmitted, aspiration_submitted)

    def attachment_text_read(db: Session, event: ev.AttachmentTextRead) -> None:
        # In the transaction that stores the text: a photo with a NIK is held before anyone
        # but its author and the staff can see it.
        attachment = db.get(Attachment, event.attachment_id)
        if attachment is not None:
            screen_attachment_text(db, config, attachment)

    bus.subscribe(ev.AttachmentTextRead, attachment_text_read)

    def response_published(db: Session, event: ev.OfficialResponsePublished) -> None:
        # Official responses are not moderated, but every one is on the record.
        response = db.get(OfficialResponse, event.response_id)
        assert response is not None
        audit(
            db,
            response.author_id,
            "response",
            "official_response",
            event.response_id,
            after={
                "agency_id": response.agency_id,
                "aspiration_id": event.aspiration_id,
                "comment_id": event.comment_id,
                "body": response.body,
            },
        )

    def response_edited(db: Session, event: ev.OfficialResponseEdited) -> None:
        response = db.get(OfficialResponse, event.response_id)
        assert response is not None
        previous = db.exec(
            select(ResponseRevision)
            .where(ResponseRevision.response_id == event.response_id)
            .order_by(col(ResponseRevision.id).desc())
        ).first()
        audit(
            db,
            previous.edited_by_id if previous else None,
            "response-edit",
            "official_response",
            event.response_id,
            before={"body": previous.body if previous else None},
            after={"body": response.body},
        )

    bus.subscribe(ev.RoleChanged, role_changed)

    def two_factor_changed(db: Session, event: ev.TwoFactorChanged) -> None:
        audit(db, event.actor_id, f"2fa-{event.change}", "account", event.account_id)

    bus.subscribe(ev.TwoFactorChanged, two_factor_changed)

    def account_access(db: Session, event: ev.AccountAccess) -> None:
        """Who asked (actor), from where (IP), what happened (change), by which channel."""
        audit(
            db,
            event.actor_id,
            f"access-{event.change}"[:30],
            "account",
            event.account_id,
            after={"ip": event.ip, "channel": event.channel},
        )

    bus.subscribe(ev.AccountAccess, account_access)

    def accounts_merged(db: Session, event: ev.AccountsMerged) -> None:
        """The cases and appeals of a chat-only account follow its contributions into the web
        account it was merged into (the audit keeps the ids it recorded then)."""
        for model in (ModerationCase, Appeal):
            db.execute(
                update(model)
                .where(col(model.author_id) == event.from_account_id)
                .values(author_id=event.into_account_id)
            )
        audit(
            db,
            event.into_account_id,
            "account-merged",
            "account",
            event.into_account_id,
            before={"account_id": event.from_account_id},
            after={"account_id": event.into_account_id},
        )

    bus.subscribe(ev.AccountsMerged, accounts_merged)
    bus.subscribe(ev.OfficialResponsePublished, response_published)
    bus.subscribe(ev.OfficialResponseEdited, response_edited)
