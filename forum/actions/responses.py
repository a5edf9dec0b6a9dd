"""Official responses (tindak lanjut): publishing, editing with history, answering many at
once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from forum import events as ev
from forum.actions.rules import invalid, require_agency
from forum.bulk import BulkResult, apply_each
from forum.errors import N_, Conflict, Invalid
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Aspiration,
    AspirationStatus,
    Comment,
    Consultation,
    ContentStatus,
    OfficialResponse,
    ResponseRevision,
    utcnow,
)
from forum.validation import (
    ASPIRATION_BODY_MAX,
    COMMENT_MIN,
    clean_text,
    text_length_error,
)
from forum.workdays import deadlines_of


def edit_official_response(
    db: Session, official: Account, response: OfficialResponse, *, body: str
) -> OfficialResponse:
    """Change an official response; the earlier wording stays visible as history."""
    require_agency(official, response.agency_id)
    body = clean_text(body)
    invalid(body=text_length_error(body, COMMENT_MIN, ASPIRATION_BODY_MAX))
    if body == response.body:
        return response
    db.add(
        ResponseRevision(
            response_id=response.id,  # type: ignore[arg-type]
            body=response.body,
            edited_by_id=official.id,  # type: ignore[arg-type]
        )
    )
    response.body = body
    response.updated_at = utcnow()
    db.add(response)
    ev.emit(db, ev.OfficialResponseEdited(response.id))  # type: ignore[arg-type]
    return response


def respond_to_many(
    db: Session, official: Account, aspirations: Sequence[Aspiration], *, body: str
) -> BulkResult:
    """One answer to a set of similar aspirations of the official's agency, through the shared
    bulk piece: each one that can be answered is (every author is notified: each response
    emits its own event); each other one (another agency's, not routed, not published) is
    skipped with its reason."""
    if not aspirations:
        raise Invalid(N_("Select at least one aspiration."))
    body = clean_text(body)
    invalid(body=text_length_error(body, COMMENT_MIN, ASPIRATION_BODY_MAX))
    return apply_each(
        db,
        aspirations,
        lambda aspiration: publish_official_response(
            db, official, body=body, aspiration=aspiration
        ),
        label=lambda aspiration: aspiration.ticket,
    )


def publish_official_response(
    db: Session,
    official: Account,
    *,
    body: str,
    aspiration: Aspiration | None = None,
    comment: Comment | None = None,
    now: datetime | None = None,
) -> OfficialResponse:
    """An official answers an aspiration routed to their agency, or a comment on one of their
    agency's consultations. Not moderated; shown with the agency's name."""
    if (aspiration is None) == (comment is None):
        raise Invalid(N_("Answer one comment or one aspiration."))
    now = now or utcnow()
    if aspiration is not None:
        if aspiration.agency_id is None:
            raise Conflict(N_("Route this aspiration to an agency first."))
        agency_id = aspiration.agency_id
        if aspiration.status not in PUBLIC_ASPIRATION_STATUSES:
            raise Conflict(N_("Only a published aspiration can be answered."))
    else:
        assert comment is not None
        consultation = db.get(Consultation, comment.consultation_id)
        assert consultation is not None
        agency_id = consultation.agency_id
        if comment.status != ContentStatus.published:
            raise Conflict(N_("Only a published comment can be answered."))
    require_agency(official, agency_id)
    body = clean_text(body)
    invalid(body=text_length_error(body, COMMENT_MIN, ASPIRATION_BODY_MAX))
    response = OfficialResponse(
        agency_id=agency_id,
        author_id=official.id,  # type: ignore[arg-type]
        aspiration_id=aspiration.id if aspiration else None,
        comment_id=comment.id if comment else None,
        body=body,
        created_at=now,
    )
    db.add(response)
    if aspiration is not None and aspiration.status != AspirationStatus.closed:
        deadlines = deadlines_of(db.info)
        aspiration.status = AspirationStatus.responded
        aspiration.first_response_at = aspiration.first_response_at or now
        aspiration.responded_at = aspiration.updated_at = now
        aspiration.auto_close_at = deadlines.calendar.add(now, deadlines.auto_close_days)
        db.add(aspiration)
    db.flush()
    ev.emit(
        db,
        ev.OfficialResponsePublished(
            response.id,  # type: ignore[arg-type]
            response.aspiration_id,
            response.comment_id,
        ),
    )
    return response
