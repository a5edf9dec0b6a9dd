"""Moderation's reactions to forum events, inside the emitting transaction: every new
contribution opens a case (never lost: same transaction), role changes are audited."""

from __future__ import annotations

from sqlmodel import Session

from forum import actions as forum_actions
from forum import events as ev
from forum.events import EventBus
from forum.models import Account, Aspiration, Comment, Consultation
from moderation.actions import audit, is_established, open_case
from moderation.config import ModerationConfig
from moderation.models import CaseReason


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
    bus.subscribe(ev.AspirationSubmitted, aspiration_submitted)
    bus.subscribe(ev.RoleChanged, role_changed)
