"""Every state change of moderation: open a case (with its screens), decide it, flag, appeal,
manage word lists. Publication itself stays a forum action; moderation calls it."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from forum import actions as forum_actions
from forum.attachments import AttachmentStore
from forum.bulk import BulkResult, Skipped, apply_each
from forum.errors import N_, ActionError, Conflict, Invalid, Msg, NotAllowed, NotFound
from forum.i18n import gettext
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Aspiration,
    AspirationStatus,
    Attachment,
    Comment,
    Consultation,
    ContentStatus,
    Role,
    utcnow,
)
from forum.validation import clean_text
from forum.workdays import deadlines_of
from moderation.config import ModerationConfig
from moderation.models import (
    Appeal,
    AuditEntry,
    CaseReason,
    CaseStatus,
    Decision,
    DecisionAction,
    Flag,
    ModerationCase,
    ScreenResult,
    ScreenTerm,
)
from moderation.screens import (
    Hit,
    ScreenConfig,
    ScreenInput,
    fingerprint,
    masked,
    personal_data,
    run_screens,
)

REJECT_REASONS: dict[str, str] = {
    "off-topic": N_("Off-topic"),
    "abusive": N_("Abusive"),
    "spam": N_("Spam"),
    "personal-data": N_("Contains personal data"),
    "duplicate": N_("Duplicate"),
    "other": N_("Other"),
}
FLAG_REASONS: dict[str, str] = {
    "abusive": N_("Abusive or hateful"),
    "spam": N_("Spam or advertising"),
    "personal-data": N_("Shows someone's personal data"),
    "off-topic": N_("Off-topic"),
    "false": N_("False or misleading"),
    "other": N_("Something else"),
}
TERM_KINDS = ("abusive", "blocked-domain")
CAMPAIGN_WINDOW = timedelta(days=30)
DECIDING = "moderation.deciding"  # session.info: ids of the cases decide_case is deciding


def _require_moderator(actor: Account | None) -> Account:
    if actor is None or not actor.is_active or actor.role not in (Role.moderator, Role.admin):
        raise NotAllowed(N_("Your account is not allowed to do this."))
    return actor


def _require_admin(actor: Account | None) -> Account:
    if actor is None or not actor.is_active or actor.role != Role.admin:
        raise NotAllowed(N_("Your account is not allowed to do this."))
    return actor


def audit(
    db: Session,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int,
    *,
    reason: str = "",
    before: object = None,
    after: object = None,
) -> None:
    """Append one audit row (the app never updates or deletes them)."""
    db.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            reason=reason[:500],
            before=None if before is None else json.dumps(before, ensure_ascii=False),
            after=None if after is None else json.dumps(after, ensure_ascii=False),
        )
    )


# --- cases ----------------------------------------------------------------------------------


def _screen_config(db: Session, config: ModerationConfig) -> ScreenConfig:
    terms = db.exec(select(ScreenTerm.kind, ScreenTerm.term)).all()
    return ScreenConfig(
        abusive_words=frozenset(t.lower() for k, t in terms if k == "abusive"),
        blocked_domains=frozenset(t.lower() for k, t in terms if k == "blocked-domain")
        | config.blocked_domains,
        max_links=config.max_links,
    )


def _texts(comment: Comment | None, aspiration: Aspiration | None) -> list[tuple[str, str]]:
    if comment is not None:
        return [("body", comment.body)]
    assert aspiration is not None
    return [("title", aspiration.title), ("body", aspiration.body)]


OTHER_AUTHORS_CAP = 20  # moderation.screens.repeated_text scores up to 20 other authors


def open_case(
    db: Session,
    config: ModerationConfig,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
    reason: CaseReason = CaseReason.new,
    priority_bonus: int = 0,
    now: datetime | None = None,
) -> ModerationCase:
    """Open a case for a contribution and run every screen on it."""
    now = now or utcnow()
    item = comment or aspiration
    assert item is not None and item.id is not None
    texts = _texts(comment, aspiration)
    print_ = fingerprint(" ".join(text for _, text in texts))
    since = now - CAMPAIGN_WINDOW
    # Bounded look-ups over the (fingerprint, opened_at) index — whether this author sent the
    # text before, and up to OTHER_AUTHORS_CAP other authors (the screen's score stops
    # there) — so a case costs the same however big the campaign grows.
    same_text = (ModerationCase.fingerprint == print_, col(ModerationCase.opened_at) >= since)
    mine = col(ModerationCase.author_id) == item.author_id
    same_author = len(db.exec(select(ModerationCase.id).where(*same_text, mine).limit(1)).all())
    others = (
        select(ModerationCase.author_id)
        .where(*same_text, ~mine)
        .distinct()
        .limit(OTHER_AUTHORS_CAP)
        .subquery()
    )
    other_authors = db.exec(select(func.count()).select_from(others)).one()
    screen_config = _screen_config(db, config)
    results: list[tuple[str, Hit]] = []
    for field, text in texts:
        data = ScreenInput(
            text,
            screen_config,
            same_text_same_author=same_author if field == "body" else 0,
            same_text_other_authors=other_authors if field == "body" else 0,
        )
        results.extend((field, hit) for hit in run_screens(data))
    consultation_id = comment.consultation_id if comment is not None else None
    agency_id = aspiration.agency_id if aspiration is not None else None
    if consultation_id is not None:
        consultation = db.get(Consultation, consultation_id)
        agency_id = consultation.agency_id if consultation else None
    case = ModerationCase(
        kind="comment" if comment is not None else "aspiration",
        comment_id=comment.id if comment is not None else None,
        aspiration_id=aspiration.id if aspiration is not None else None,
        author_id=item.author_id,
        channel=item.channel,
        consultation_id=consultation_id,
        agency_id=agency_id,
        reason=reason,
        priority=min(100, sum(hit.score for _, hit in results) + priority_bonus),
        fingerprint=print_,
        opened_at=now,
        due_at=deadlines_of(db.info).calendar.add(now, config.deadline_days),
    )
    db.add(case)
    db.flush()
    for field, hit in results:
        db.add(
            ScreenResult(
                case_id=case.id,  # type: ignore[arg-type]
                screen=hit.screen,
                label=hit.label,
                score=hit.score,
                field=field,
                spans=json.dumps([list(span) for span in hit.spans]),
            )
        )
    return case


def is_established(db: Session, account: Account, config: ModerationConfig) -> bool:
    """Enough published contributions to be trusted (post-moderation, heavier flags)."""
    comments = db.exec(
        select(func.count())
        .select_from(Comment)
        .where(Comment.author_id == account.id, Comment.status == ContentStatus.published)
    ).one()
    aspirations = db.exec(
        select(func.count())
        .select_from(Aspiration)
        .where(
            Aspiration.author_id == account.id,
            col(Aspiration.status).in_(PUBLIC_ASPIRATION_STATUSES),
        )
    ).one()
    return int(comments) + int(aspirations) >= config.trusted_after


def case_item(db: Session, case: ModerationCase) -> Comment | Aspiration:
    item: Comment | Aspiration | None = (
        db.get(Comment, case.comment_id)
        if case.comment_id is not None
        else db.get(Aspiration, case.aspiration_id)
    )
    if item is None:
        raise NotFound(N_("This case does not exist."))
    return item


def reason_text(code: str, note: str, locale: str = "id") -> str:
    """The reason the author reads, in their language: the chosen label and the note."""
    label = REJECT_REASONS.get(code)
    if label is None:
        raise Invalid(field_errors={"reason": Msg(N_("Choose a reason from the list."))})
    note = clean_text(note)[:300]
    if code == "other" and not note:
        raise Invalid(field_errors={"note": Msg(N_("Explain the reason in a few words."))})
    label = gettext(locale, label)
    return f"{label}: {note}" if note else label


def _redacted(text: str, spans: Sequence[tuple[int, int]], phrases: Sequence[str]) -> str:
    all_spans = list(spans)
    for phrase in phrases:
        phrase = phrase.strip()
        if phrase:
            all_spans.extend(m.span() for m in re.finditer(re.escape(phrase), text))
    return forum_actions.redact_text(text, all_spans)


def _publish(db: Session, moderator: Account, case: ModerationCase, item: object) -> None:
    """Make the contribution public, whatever got it into the queue."""
    on_appeal = case.reason == CaseReason.appeal
    if isinstance(item, Comment):
        if item.hidden_at is not None:
            forum_actions.restore_content(db, moderator, comment=item)
        if item.status != ContentStatus.published:
            forum_actions.publish_comment(db, moderator, item, on_appeal=on_appeal)
    elif isinstance(item, Aspiration):
        if item.hidden_at is not None:
            forum_actions.restore_content(db, moderator, aspiration=item)
        if item.status in (AspirationStatus.pending, AspirationStatus.rejected):
            forum_actions.publish_aspiration(db, moderator, item, on_appeal=on_appeal)


PUBLIC_COMMENT = (ContentStatus.published,)
# The states of its contribution in which an open case still asks for a decision: a new
# contribution waits (pending), a post-moderated or flagged one is public, an appeal contests
# a rejection. Anything else (decided by another path, withdrawn, merged) leaves nothing to
# decide; moderation.subscribers closes such a case as soon as its contribution changes.
CASE_STATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # reason: (comment statuses, aspiration statuses)
    CaseReason.new: ((ContentStatus.pending,), (AspirationStatus.pending,)),
    CaseReason.post_moderated: (PUBLIC_COMMENT, tuple(PUBLIC_ASPIRATION_STATUSES)),
    CaseReason.flagged: (PUBLIC_COMMENT, tuple(PUBLIC_ASPIRATION_STATUSES)),
    CaseReason.appeal: ((ContentStatus.rejected,), (AspirationStatus.rejected,)),
}


def contribution_moved_on(case: ModerationCase, item: Comment | Aspiration) -> str | None:
    """Why an open case no longer matches its contribution (a msgid), or None if it does."""
    comment_states, aspiration_states = CASE_STATES.get(case.reason, ((), ()))
    allowed = comment_states if isinstance(item, Comment) else aspiration_states
    if item.status in allowed:
        return None
    if item.status == "withdrawn":
        return N_("The author has withdrawn this contribution.")
    if item.status == AspirationStatus.merged:
        return N_("This aspiration was merged into another.")
    return N_("This contribution has already been decided.")


def refusal(
    moderator: Account, case: ModerationCase, item: Comment | Aspiration
) -> ActionError | None:
    """Why this moderator cannot decide this case now, or None: the one check behind a single
    decision (raised) and a bulk one (the case is skipped with this reason)."""
    if case.status == CaseStatus.decided:
        return Conflict(N_("This case has already been decided."))
    if case.status == CaseStatus.escalated and moderator.role != Role.admin:
        return NotAllowed(N_("This case was escalated: an administrator decides it."))
    if case.excluded_moderator_id == moderator.id:
        return NotAllowed(N_("Another moderator must decide this appeal."))
    moved_on = contribution_moved_on(case, item)
    return Conflict(moved_on) if moved_on else None


def decide_case(
    db: Session,
    config: ModerationConfig,
    moderator: Account | None,
    case: ModerationCase,
    *,
    action: DecisionAction,
    reason_code: str = "",
    note: str = "",
    redact_spans: Sequence[tuple[str, int, int]] = (),
    redact_phrases: Sequence[str] = (),
    duplicate_ticket: str = "",
    now: datetime | None = None,
) -> Decision:
    """Record a moderator's decision and make it take effect through the forum's actions.

    ``redact_spans`` are (field, start, end) triples; ``redact_phrases`` exact phrases."""
    moderator = _require_moderator(moderator)
    now = now or utcnow()
    item = case_item(db, case)
    refused = refusal(moderator, case, item)
    if refused is not None:
        raise refused
    deciding = db.info.setdefault(DECIDING, set())
    deciding.add(case.id)
    try:
        return _decide(
            db,
            moderator,
            case,
            item,
            action=action,
            reason_code=reason_code,
            note=note,
            redact_spans=redact_spans,
            redact_phrases=redact_phrases,
            duplicate_ticket=duplicate_ticket,
            now=now,
        )
    finally:
        deciding.discard(case.id)


def _decide(
    db: Session,
    moderator: Account,
    case: ModerationCase,
    item: Comment | Aspiration,
    *,
    action: DecisionAction,
    reason_code: str,
    note: str,
    redact_spans: Sequence[tuple[str, int, int]],
    redact_phrases: Sequence[str],
    duplicate_ticket: str,
    now: datetime,
) -> Decision:
    decision = Decision(
        case_id=case.id,  # type: ignore[arg-type]
        moderator_id=moderator.id,  # type: ignore[arg-type]
        action=action,
        created_at=now,
    )
    final = True
    if action == DecisionAction.approve:
        _publish(db, moderator, case, item)
    elif action == DecisionAction.reject:
        author = db.get(Account, item.author_id)
        text = reason_text(reason_code, note, author.locale if author else "id")
        decision.reason_code, decision.reason_text = reason_code, text
        if case.reason == CaseReason.appeal:
            decision.action = DecisionAction.uphold
        elif isinstance(item, Comment):
            forum_actions.reject_comment(db, moderator, item, reason=text)
        else:
            forum_actions.reject_aspiration(db, moderator, item, reason=text)
    elif action == DecisionAction.redact:
        spans = {
            field: [(s, e) for f, s, e in redact_spans if f == field] for field in ("title", "body")
        }
        if not redact_spans and not any(p.strip() for p in redact_phrases):
            raise Invalid(field_errors={"redact": Msg(N_("Mark what to redact."))})
        if isinstance(item, Comment):
            decision.original_text = item.body
            new_body = _redacted(item.body, spans["body"], redact_phrases)
            forum_actions.redact_comment(db, moderator, item, body=new_body)
        else:
            decision.original_title, decision.original_text = item.title, item.body
            forum_actions.redact_aspiration(
                db,
                moderator,
                item,
                title=_redacted(item.title, spans["title"], redact_phrases),
                body=_redacted(item.body, spans["body"], redact_phrases),
            )
        _publish(db, moderator, case, item)
    elif action == DecisionAction.duplicate:
        if not isinstance(item, Aspiration):
            raise Invalid(N_("Only an aspiration can be merged into another."))
        original = db.exec(
            select(Aspiration).where(Aspiration.ticket == duplicate_ticket.strip().upper())
        ).first()
        if original is None:
            raise Invalid(field_errors={"original": Msg(N_("No aspiration has this ticket."))})
        forum_actions.merge_duplicate_aspiration(db, moderator, item, original)
        decision.duplicate_of_id = original.id
        decision.reason_code = "duplicate"
    elif action == DecisionAction.escalate:
        decision.reason_text = clean_text(note)[:500] or None
        case.status = CaseStatus.escalated
        final = False
    else:
        raise Invalid(N_("Unknown decision."))
    db.add(decision)
    if final:
        case.status = CaseStatus.decided
        case.decided_at = now
        _settle_flags(db, case, upheld=decision.action in (DecisionAction.reject,))
    db.add(case)
    db.flush()
    audit(
        db,
        moderator.id,
        f"decision:{decision.action}",
        case.kind,
        item.id,  # type: ignore[arg-type]
        reason=decision.reason_text or "",
        after={"case": case.id, "decision": decision.id, "status": case.status},
    )
    return decision


def close_moved_on_cases(
    db: Session,
    *,
    comment_id: int | None = None,
    aspiration_id: int | None = None,
    moderator_id: int | None = None,
    action: DecisionAction | None = None,
    reason_text: str = "",
) -> int:
    """The contribution was decided by another path than its case (a forum action called
    directly: the demo loader, an import, the author withdrawing it): close each of its open
    cases that no longer matches it, so the queue never offers a decision that cannot be
    taken. The decision is recorded when a moderator made it. Returns how many it closed."""
    column = (
        col(ModerationCase.comment_id) == comment_id
        if comment_id is not None
        else col(ModerationCase.aspiration_id) == aspiration_id
    )
    cases = db.exec(
        select(ModerationCase).where(
            column, col(ModerationCase.status).in_((CaseStatus.pending, CaseStatus.escalated))
        )
    ).all()
    deciding = db.info.get(DECIDING, set())
    closed = 0
    for case in cases:
        if case.id in deciding:
            continue  # decide_case is deciding it right now
        item = case_item(db, case)
        why = contribution_moved_on(case, item)
        if why is None:
            continue
        now = utcnow()
        case.status, case.decided_at = CaseStatus.decided, now
        db.add(case)
        if moderator_id is not None and action is not None:
            db.add(
                Decision(
                    case_id=case.id,  # type: ignore[arg-type]
                    moderator_id=moderator_id,
                    action=action,
                    reason_text=reason_text[:500] or None,
                    created_at=now,
                )
            )
        db.flush()
        audit(
            db,
            moderator_id,
            "case-closed",
            case.kind,
            item.id,  # type: ignore[arg-type]
            reason=why,
            after={"case": case.id, "contribution": str(item.status)},
        )
        closed += 1
    return closed


def _settle_flags(db: Session, case: ModerationCase, *, upheld: bool) -> None:
    if case.reason != CaseReason.flagged:
        return
    target = (
        col(Flag.comment_id) == case.comment_id
        if case.comment_id is not None
        else col(Flag.aspiration_id) == case.aspiration_id
    )
    db.execute(update(Flag).where(target, col(Flag.upheld).is_(None)).values(upheld=upheld))


def bulk_decide(
    db: Session,
    config: ModerationConfig,
    moderator: Account | None,
    case_ids: Sequence[int],
    *,
    action: DecisionAction,
    reason_code: str = "",
    note: str = "",
) -> BulkResult:
    """Approve or reject a selection: every case that can be decided is; every other one is
    skipped with its reason (already decided, escalated, your own decision under appeal, its
    contribution already moderated or withdrawn, no such case)."""
    moderator = _require_moderator(moderator)
    check_bulk(action, reason_code, note)
    wanted = list(dict.fromkeys(case_ids))[:500]
    found = {
        case.id: case
        for case in db.exec(select(ModerationCase).where(col(ModerationCase.id).in_(wanted)))
    }
    result = BulkResult(
        skipped=[
            Skipped(f"#{i}", Msg(N_("This case does not exist."))) for i in wanted if i not in found
        ]
    )
    cases = [found[i] for i in wanted if i in found]
    return result.add(
        decide_each(db, config, moderator, cases, action=action, reason_code=reason_code, note=note)
    )


def decide_cluster(
    db: Session,
    config: ModerationConfig,
    moderator: Account | None,
    fingerprint: str,
    *,
    action: DecisionAction,
    reason_code: str = "",
    note: str = "",
) -> BulkResult:
    """Approve or reject every open case of one cluster of identical texts (a copy-paste
    campaign: one queue entry however many accounts sent it), skipping as ``bulk_decide``."""
    moderator = _require_moderator(moderator)
    check_bulk(action, reason_code, note)
    cases = db.exec(
        select(ModerationCase)
        .where(
            ModerationCase.fingerprint == fingerprint,
            col(ModerationCase.status).in_((CaseStatus.pending, CaseStatus.escalated)),
        )
        .order_by(col(ModerationCase.id))
    ).all()
    return decide_each(
        db, config, moderator, cases, action=action, reason_code=reason_code, note=note
    )


def check_bulk(action: DecisionAction, reason_code: str, note: str) -> None:
    if action not in (DecisionAction.approve, DecisionAction.reject):
        raise Invalid(N_("Only approve or reject can be applied to a selection."))
    if action == DecisionAction.reject:
        reason_text(reason_code, note)  # validate once, before touching anything


def decide_each(
    db: Session,
    config: ModerationConfig,
    moderator: Account,
    cases: Sequence[ModerationCase],
    *,
    action: DecisionAction,
    reason_code: str,
    note: str,
) -> BulkResult:
    """Through the shared bulk piece (forum.bulk): the same check as a single decision."""

    def check(case: ModerationCase) -> Msg | None:
        try:
            refused = refusal(moderator, case, case_item(db, case))
        except ActionError as exc:
            refused = exc
        return None if refused is None else Msg(refused.message, refused.params)

    def decide(case: ModerationCase) -> None:
        decide_case(db, config, moderator, case, action=action, reason_code=reason_code, note=note)

    return apply_each(db, cases, decide, label=lambda case: f"#{case.id}", check=check)


# --- attachments ---------------------------------------------------------------------------


def _belongs(attachment: Attachment, item: Comment | Aspiration) -> bool:
    if isinstance(item, Comment):
        return attachment.comment_id == item.id
    return attachment.aspiration_id == item.id


def case_attachment(db: Session, case: ModerationCase, public_key: str) -> Attachment:
    """The attachment ``public_key`` of this case's contribution, or "not found" (a form of
    one case never reaches the file of another contribution)."""
    attachment = db.exec(select(Attachment).where(Attachment.public_key == public_key)).first()
    if attachment is None or not _belongs(attachment, case_item(db, case)):
        raise NotFound(N_("This file does not exist or is not visible to you."))
    return attachment


def remove_attachment(
    db: Session,
    moderator: Account | None,
    case: ModerationCase,
    attachment: Attachment,
    *,
    reason_code: str,
    note: str,
    store: AttachmentStore,
) -> Attachment:
    """Take one file of the case's contribution down, with a reason from the list the author
    reads in their language (the contribution itself is still decided as usual, also when
    the case is decided already: a file can be taken down later)."""
    moderator = _require_moderator(moderator)
    item = case_item(db, case)
    if not _belongs(attachment, item):
        raise NotFound(N_("This file does not exist or is not visible to you."))
    author = db.get(Account, item.author_id)
    text = reason_text(reason_code, note, author.locale if author else "id")
    forum_actions.remove_attachment(db, moderator, attachment, reason=text, store=store)
    assert attachment.id is not None
    audit(
        db,
        moderator.id,
        "attachment-remove",
        "attachment",
        attachment.id,
        reason=text,
        after={"case": case.id, "name": attachment.original_name, "sha256": attachment.sha256},
    )
    return attachment


def publish_attachment(
    db: Session, moderator: Account | None, case: ModerationCase, attachment: Attachment
) -> Attachment:
    """Publish a file a screen held, after looking at it (a separate, explicit decision:
    approving the contribution leaves it held)."""
    moderator = _require_moderator(moderator)
    if not _belongs(attachment, case_item(db, case)):
        raise NotFound(N_("This file does not exist or is not visible to you."))
    forum_actions.publish_attachment(db, moderator, attachment)
    assert attachment.id is not None
    audit(
        db,
        moderator.id,
        "attachment-publish",
        "attachment",
        attachment.id,
        after={"case": case.id, "name": attachment.original_name},
    )
    return attachment


ATTACHMENT_SCREENS = (("personal-data", personal_data),)
# OCR could not read the photo: what the screens cannot see, a moderator must.
UNREAD = Hit("personal-data", "ocr-failed", 20)


def screen_attachment_text(
    db: Session, config: ModerationConfig, attachment: Attachment
) -> list[Hit]:
    """The personal-data screens on the text OCR read in a photo, as on a written text. A hit
    (a NIK or KK number, a phone number, an e-mail address, a bank account) holds the file
    (``forum.actions.hold_attachment``) and flags the contribution's case with what was found,
    in which file, masked; a case already decided on a public contribution gets a new one
    ("already public"), so a moderator looks again. A photo OCR could not read
    (``ocr_text`` None) is held and flagged the same way: nothing unchecked is published
    without a moderator's decision."""
    if attachment.status == "removed" or attachment.ocr_done_at is None:
        return []
    text = attachment.ocr_text
    if text is None:
        hits = [UNREAD]
    elif not text.strip():
        return []
    else:
        hits = run_screens(ScreenInput(text, _screen_config(db, config)), ATTACHMENT_SCREENS)
    if not hits:
        return []
    item: Comment | Aspiration | None = (
        db.get(Comment, attachment.comment_id)
        if attachment.comment_id is not None
        else db.get(Aspiration, attachment.aspiration_id)
    )
    if item is None:
        return []
    column = (
        col(ModerationCase.comment_id)
        if isinstance(item, Comment)
        else col(ModerationCase.aspiration_id)
    )
    case = db.exec(
        select(ModerationCase).where(column == item.id).order_by(col(ModerationCase.id).desc())
    ).first()
    public = (
        item.status in PUBLIC_COMMENT
        if isinstance(item, Comment)
        else item.status in PUBLIC_ASPIRATION_STATUSES
    )
    if case is None or (case.status == CaseStatus.decided and public):
        case = open_case(
            db,
            config,
            comment=item if isinstance(item, Comment) else None,
            aspiration=item if isinstance(item, Aspiration) else None,
            reason=CaseReason.post_moderated,
        )
    assert case.id is not None and attachment.id is not None
    for hit in hits:
        spans = hit.spans or ((0, 0),)
        for start, end in spans:
            db.add(
                ScreenResult(
                    case_id=case.id,
                    screen=hit.screen,
                    label=hit.label,
                    score=hit.score,
                    field="attachment",
                    spans=json.dumps([[start, end]]),
                    attachment_id=attachment.id,
                    detail=masked(text[start:end]) if text and end > start else "",
                )
            )
    case.priority = min(100, case.priority + sum(hit.score for hit in hits))
    db.add(case)
    forum_actions.hold_attachment(db, attachment)
    audit(
        db,
        None,
        "attachment-held",
        "attachment",
        attachment.id,
        reason="personal data in the photo's text",
        after={"case": case.id, "found": sorted({hit.label for hit in hits})},
    )
    return hits


# --- flags and appeals ---------------------------------------------------------------------


def flag_weight(db: Session, account: Account, config: ModerationConfig) -> float:
    """A moderator's flag alone reaches the threshold; an established citizen with a good
    flag record counts more, a new account or a poor record less."""
    if account.role in (Role.moderator, Role.admin):
        return config.flag_threshold
    decided = db.exec(
        select(Flag.upheld).where(Flag.account_id == account.id, col(Flag.upheld).is_not(None))
    ).all()
    upheld = sum(1 for value in decided if value)
    if len(decided) >= 4 and upheld / len(decided) < 0.25:
        return 0.5
    if not is_established(db, account, config):
        return 0.5 if account.created_at > utcnow() - timedelta(days=7) else 1.0
    if upheld >= 2 and upheld / len(decided) >= 0.5:
        return 1.5
    return 1.0


def flag_content(
    db: Session,
    config: ModerationConfig,
    account: Account | None,
    *,
    comment: Comment | None = None,
    aspiration: Aspiration | None = None,
    reason: str,
    text: str = "",
) -> tuple[Flag, bool]:
    """Flag published content once; returns the flag and whether the item got hidden."""
    if account is None or not account.is_active:
        raise NotAllowed(N_("Please log in first."))
    item = comment or aspiration
    assert item is not None and item.id is not None
    if reason not in FLAG_REASONS:
        raise Invalid(field_errors={"reason": Msg(N_("Choose a reason from the list."))})
    if item.author_id == account.id:
        raise Conflict(N_("You cannot flag your own contribution."))
    column = Flag.comment_id if comment is not None else Flag.aspiration_id
    if db.exec(select(Flag.id).where(Flag.account_id == account.id, column == item.id)).first():
        raise Conflict(N_("You have already flagged this."))
    flag = Flag(
        account_id=account.id,  # type: ignore[arg-type]
        comment_id=item.id if comment is not None else None,
        aspiration_id=item.id if aspiration is not None else None,
        reason=reason,
        text=clean_text(text)[:500],
        weight=flag_weight(db, account, config),
    )
    db.add(flag)
    db.flush()
    kind = "comment" if comment is not None else "aspiration"
    audit(db, account.id, "flag", kind, item.id, reason=reason)
    total = db.exec(
        select(func.sum(Flag.weight)).where(column == item.id, col(Flag.upheld).is_(None))
    ).one()
    hidden = False
    if float(total or 0) >= config.flag_threshold and item.hidden_at is None:
        hidden = forum_actions.hide_content(db, None, comment=comment, aspiration=aspiration)
        audit(db, None, "hide", kind, item.id, reason="flag threshold")
        open_case(
            db,
            config,
            comment=comment,
            aspiration=aspiration,
            reason=CaseReason.flagged,
            priority_bonus=20,
        )
    return flag, hidden


def appeal_decision(
    db: Session,
    config: ModerationConfig,
    author: Account | None,
    case: ModerationCase,
    *,
    text: str,
) -> ModerationCase:
    """The author of a rejected contribution appeals once; a different moderator decides."""
    if author is None or author.id != case.author_id:
        raise NotFound(N_("This case does not exist."))
    last = db.exec(
        select(Decision).where(Decision.case_id == case.id).order_by(col(Decision.id).desc())
    ).first()
    if case.status != CaseStatus.decided or last is None or last.action != DecisionAction.reject:
        raise Conflict(N_("Only a rejected contribution can be appealed."))
    if db.exec(select(Appeal.id).where(Appeal.case_id == case.id)).first():
        raise Conflict(N_("You have already appealed this decision."))
    text = clean_text(text)
    if not 10 <= len(text) <= 1000:
        raise Invalid(field_errors={"text": Msg(N_("Write between 10 and 1000 characters."))})
    db.add(Appeal(case_id=case.id, author_id=author.id, text=text))  # type: ignore[arg-type]
    item = case_item(db, case)
    comment = item if isinstance(item, Comment) else None
    aspiration = item if isinstance(item, Aspiration) else None
    new_case = open_case(
        db,
        config,
        comment=comment,
        aspiration=aspiration,
        reason=CaseReason.appeal,
        priority_bonus=10,
    )
    new_case.excluded_moderator_id = last.moderator_id
    db.add(new_case)
    audit(db, author.id, "appeal", case.kind, item.id, reason=text)  # type: ignore[arg-type]
    return new_case


# --- word lists ----------------------------------------------------------------------------


def add_term(
    db: Session, admin: Account | None, *, kind: str, term: str, language: str = "id"
) -> ScreenTerm:
    admin = _require_admin(admin)
    term = clean_text(term).lower()
    if kind not in TERM_KINDS:
        raise Invalid(field_errors={"kind": Msg(N_("Choose a list."))})
    if not 2 <= len(term) <= 100 or "\n" in term:
        raise Invalid(
            field_errors={"term": Msg(N_("Write one word or domain (2–100 characters)."))}
        )
    if db.exec(
        select(ScreenTerm.id).where(ScreenTerm.kind == kind, ScreenTerm.term == term)
    ).first():
        raise Invalid(field_errors={"term": Msg(N_("This is already on the list."))})
    row = ScreenTerm(kind=kind, term=term, language=language[:5], created_by_id=admin.id)
    db.add(row)
    db.flush()
    assert row.id is not None
    audit(db, admin.id, "term-add", "term", row.id, after={"kind": kind, "term": term})
    return row


def remove_term(db: Session, admin: Account | None, term: ScreenTerm) -> None:
    admin = _require_admin(admin)
    assert term.id is not None
    before = {"kind": term.kind, "term": term.term}
    audit(db, admin.id, "term-remove", "term", term.id, before=before)
    db.delete(term)
