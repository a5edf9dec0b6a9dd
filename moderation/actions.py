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
from forum.errors import N_, Conflict, Invalid, Msg, NotAllowed, NotFound
from forum.i18n import gettext
from forum.models import (
    PUBLIC_ASPIRATION_STATUSES,
    Account,
    Aspiration,
    AspirationStatus,
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
from moderation.screens import Hit, ScreenConfig, ScreenInput, fingerprint, run_screens

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
    if case.status == CaseStatus.decided:
        raise Conflict(N_("This case has already been decided."))
    if case.status == CaseStatus.escalated and moderator.role != Role.admin:
        raise NotAllowed(N_("This case was escalated: an administrator decides it."))
    if case.excluded_moderator_id == moderator.id:
        raise NotAllowed(N_("Another moderator must decide this appeal."))
    item = case_item(db, case)
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
) -> tuple[int, int]:
    """Approve or reject a selection; cases this moderator may not decide are skipped.
    Returns (decided, skipped)."""
    moderator = _require_moderator(moderator)
    if action not in (DecisionAction.approve, DecisionAction.reject):
        raise Invalid(N_("Only approve or reject can be applied to a selection."))
    if action == DecisionAction.reject:
        reason_text(reason_code, note)  # validate once, before touching anything
    cases = db.exec(
        select(ModerationCase).where(col(ModerationCase.id).in_(list(case_ids)[:500]))
    ).all()
    decided = _decide_each(
        db, config, moderator, cases, action=action, reason_code=reason_code, note=note
    )
    return decided, len(case_ids) - decided


def decide_cluster(
    db: Session,
    config: ModerationConfig,
    moderator: Account | None,
    fingerprint: str,
    *,
    action: DecisionAction,
    reason_code: str = "",
    note: str = "",
) -> tuple[int, int]:
    """Approve or reject every open case of one cluster of identical texts (a copy-paste
    campaign: one queue entry however many accounts sent it). Returns (decided, skipped)."""
    moderator = _require_moderator(moderator)
    if action not in (DecisionAction.approve, DecisionAction.reject):
        raise Invalid(N_("Only approve or reject can be applied to a selection."))
    if action == DecisionAction.reject:
        reason_text(reason_code, note)
    cases = db.exec(
        select(ModerationCase)
        .where(
            ModerationCase.fingerprint == fingerprint,
            col(ModerationCase.status).in_((CaseStatus.pending, CaseStatus.escalated)),
        )
        .order_by(col(ModerationCase.id))
    ).all()
    decided = _decide_each(
        db, config, moderator, cases, action=action, reason_code=reason_code, note=note
    )
    return decided, len(cases) - decided


def _decide_each(
    db: Session,
    config: ModerationConfig,
    moderator: Account,
    cases: Sequence[ModerationCase],
    *,
    action: DecisionAction,
    reason_code: str,
    note: str,
) -> int:
    """Decide each case this moderator may decide in a bulk action; returns how many."""
    decided = 0
    for case in cases:
        if (
            case.status == CaseStatus.decided
            or case.excluded_moderator_id == moderator.id
            or (case.status == CaseStatus.escalated and moderator.role != Role.admin)
        ):
            continue
        decide_case(db, config, moderator, case, action=action, reason_code=reason_code, note=note)
        decided += 1
    return decided


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
