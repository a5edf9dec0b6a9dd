"""Moderation pages: the queue, a case and its decision, bulk decisions, flags, appeals, the
audit trail and the word lists."""

from __future__ import annotations

from datetime import timedelta

from markupsafe import Markup, escape
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from forum import ratelimit
from forum.attachments import store_for
from forum.errors import N_, Invalid, NotFound
from forum.exports import export_format, export_response
from forum.extensions import CASE_NOTES
from forum.i18n import Formatter
from forum.models import Account, Aspiration, Comment, Role, utcnow
from forum.queries import access_comment, can_see_aspiration
from forum.validation import parse_local_datetime
from forum.web.kit import Ctx, form_errors, parse_int, safe_next, view
from moderation import actions, bulk_jobs, queries
from moderation.config import ModerationConfig
from moderation.models import BulkJob, DecisionAction, ModerationCase, ScreenTerm

MODERATORS = (Role.moderator, Role.admin)
ADMIN = (Role.admin,)
SCREEN_LABELS = {
    "nik-kk": N_("NIK/KK number"),
    "phone": N_("Phone number"),
    "email": N_("Email address"),
    "bank-account": N_("Bank account number"),
    "blocked-domain": N_("Blocked link"),
    "many-links": N_("Many links"),
    "same-author": N_("Same text sent before"),
    "many-authors": N_("Same text from other people"),
    "very-short": N_("Very short"),
    "very-long": N_("Very long"),
    "all-caps": N_("ALL CAPS"),
    "abusive": N_("Abusive words"),
    "screen-error": N_("A screen could not run"),
    "ocr-failed": N_("The text in the photo could not be read: check it yourself"),
}
BULK_STATES = {
    "queued": N_("Waiting for the worker"),
    "running": N_("Running"),
    "done": N_("Finished"),
    "failed": N_("Stopped"),
}
ATTACHMENT_STATES = {
    "pending": N_("Shown with the contribution once it is public"),
    "held": N_("Held: personal data found, not public until you publish it"),
    "approved": N_("Published by a moderator"),
    "removed": N_("Removed"),
}
REASON_LABELS = {
    "new": N_("New"),
    "post-moderated": N_("Already public"),
    "flagged": N_("Flagged, hidden"),
    "appeal": N_("Appeal"),
}


def _config(ctx: Ctx) -> ModerationConfig:
    config: ModerationConfig = ctx.services.extensions["moderation.config"]
    return config


def _filters(ctx: Ctx) -> queries.QueueFilters:
    view_name = ctx.query("lihat", "pending")
    sort = ctx.query("urut", "oldest")
    return queries.QueueFilters(
        view=view_name if view_name in queries.VIEWS else "pending",
        sort=sort if sort in queries.SORTS else "oldest",
        channel=ctx.query("kanal") if ctx.query("kanal") in ("web", "telegram", "whatsapp") else "",
        consultation_id=ctx.query_int("konsultasi", 0) or None,
        agency_id=ctx.query_int("instansi", 0) or None,
        cluster=ctx.query("kluster")[:64] if ctx.query("kluster").isalnum() else "",
    )


@view(roles=MODERATORS)
def queue(ctx: Ctx) -> Response:
    assert ctx.user is not None
    filters = _filters(ctx)
    result = queries.list_queue(
        ctx.db, ctx.user, filters, page=ctx.query_int("halaman", 1), per_page=_config(ctx).page_size
    )
    query_string = "&".join(
        f"{k}={v}"
        for k, v in (
            ("lihat", filters.view),
            ("urut", filters.sort),
            ("kanal", filters.channel),
            ("konsultasi", filters.consultation_id or ""),
            ("instansi", filters.agency_id or ""),
            ("kluster", filters.cluster),
        )
        if v
    )
    return ctx.render(
        "moderation/queue.html",
        q=result,
        filters=filters,
        counts=queries.queue_counts(ctx.db, utcnow()),
        base="/moderation?" + query_string,
        now=utcnow(),
        screen_labels=SCREEN_LABELS,
        reason_labels=REASON_LABELS,
        reasons=actions.REJECT_REASONS,
        errors={},
        bulk_jobs=bulk_jobs.active_jobs(ctx.db),
        busy=bulk_jobs.busy_cases(ctx.db, [c.id for c in result.page.items]),
    )


@view(roles=MODERATORS)
def bulk(ctx: Ctx) -> Response:
    assert ctx.form is not None
    ids = [parse_int(str(v), 0) for v in ctx.form.getlist("case")]
    ids = [i for i in ids if i]
    clusters = [
        str(v) for v in ctx.form.getlist("kluster")[:50] if str(v).isalnum() and len(str(v)) <= 64
    ]
    action = ctx.field("action")
    if not (ids or clusters) or action not in ("approve", "reject"):
        raise Invalid(N_("Select cases and an action."))
    back = safe_next(ctx.field("next") or "/moderation")
    outcome = bulk_jobs.decide_in_bulk(
        ctx.db,
        _config(ctx),
        ctx.user,
        ids,
        clusters,
        action=DecisionAction(action),
        reason_code=ctx.field("reason"),
        note=ctx.field("note"),
        back=back,
    )
    if isinstance(outcome, BulkJob):  # too large for one request: the worker decides it
        return ctx.redirect(f"/moderation/massal/{outcome.id}")
    return ctx.render(
        "bulk_result.html",
        title=ctx._("Bulk decision"),
        summary=_summary(ctx, outcome.done, len(outcome.skipped)),
        result=outcome,
        back=back,
        back_label=ctx._("Back to the moderation queue"),
    )


def _summary(ctx: Ctx, decided: int, skipped: int) -> str:
    return ctx._(
        "%(decided)s decided, %(skipped)s skipped",
        decided=_number(ctx, decided),
        skipped=_number(ctx, skipped),
    )


def _number(ctx: Ctx, value: int) -> str:
    return Formatter(ctx.locale, ctx.settings.timezone).number(value)


def _bulk_progress(ctx: Ctx) -> bulk_jobs.Progress:
    found = bulk_jobs.progress(ctx.db, int(ctx.request.path_params["job_id"]))
    if found is None:
        raise NotFound(N_("This bulk decision does not exist."))
    return found


@view(roles=MODERATORS)
def bulk_job(ctx: Ctx) -> Response:
    """A bulk decision's progress ("N of M"), reloaded every 2 s while it runs; then its
    result as the answer to a small one shows it."""
    found = _bulk_progress(ctx)
    job = found.job
    response = ctx.render(
        "moderation/bulk_job.html",
        p=found,
        job=job,
        state_labels=BULK_STATES,
        reasons=actions.REJECT_REASONS,
        summary=_summary(ctx, job.done, job.skipped),
        moderator=ctx.db.get(Account, job.moderator_id),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@view(roles=MODERATORS)
def bulk_job_json(ctx: Ctx) -> Response:
    """The same progress for a script: state and counts."""
    found = _bulk_progress(ctx)
    job = found.job
    return JSONResponse(
        {
            "id": job.id,
            "state": job.state,
            "state_label": ctx._(BULK_STATES[job.state]),
            "total": job.total,
            "handled": found.handled,
            "decided": job.done,
            "skipped": job.skipped,
            "finished": not found.active,
        },
        headers={"Cache-Control": "no-store"},
    )


def _highlight(
    text: str, spans: list[tuple[int, int, str]], labels: dict[str, str], ctx: Ctx
) -> Markup:
    """Escaped text with each screen's matches in <mark> (labelled for screen readers)."""
    out, cursor = [], 0
    for start, end, label in spans:
        if start < cursor:
            continue
        out.append(escape(text[cursor:start]))
        title = ctx._(labels.get(label, label))
        out.append(
            Markup('<mark title="{0}">{1}<span class="sr-only"> ({0})</span></mark>').format(
                title, text[start:end]
            )
        )
        cursor = end
    out.append(escape(text[cursor:]))
    return Markup("").join(out)


def _case_page(
    ctx: Ctx, case_id: int, status_code: int = 200, errors: dict[str, str] | None = None
) -> Response:
    case = queries.get_case(ctx.db, case_id)
    if case is None:
        raise NotFound(N_("This case does not exist."))
    case_view = queries.case_view(ctx.db, case)
    notes = [
        line
        for hook in ctx.services.extensions.get(CASE_NOTES, [])
        for line in hook(ctx.db, case_view.item, ctx.locale)
    ]
    return ctx.render(
        "moderation/case.html",
        status_code=status_code,
        v=case_view,
        notes=notes,
        fields=[
            (h, _highlight(h.text, h.spans, SCREEN_LABELS, ctx)) for h in case_view.highlighted()
        ],
        screen_labels=SCREEN_LABELS,
        reason_labels=REASON_LABELS,
        reasons=actions.REJECT_REASONS,
        attachment_states=ATTACHMENT_STATES,
        errors=errors or {},
        now=utcnow(),
    )


@view(roles=MODERATORS)
def case_page(ctx: Ctx) -> Response:
    return _case_page(ctx, parse_int(str(ctx.request.path_params["case_id"]), 0))


@view(roles=MODERATORS)
def decide(ctx: Ctx) -> Response:
    assert ctx.form is not None
    case_id = parse_int(str(ctx.request.path_params["case_id"]), 0)
    case = queries.get_case(ctx.db, case_id)
    if case is None:
        raise NotFound(N_("This case does not exist."))
    action = ctx.field("action")
    if action not in {a.value for a in DecisionAction}:
        raise Invalid(N_("Unknown decision."))
    spans = []
    for value in ctx.form.getlist("span"):
        field, _, rest = str(value).partition(":")
        start, _, end = rest.partition("-")
        if field in ("title", "body") and start.isdigit() and end.isdigit():
            spans.append((field, int(start), int(end)))
    try:
        actions.decide_case(
            ctx.db,
            _config(ctx),
            ctx.user,
            case,
            action=DecisionAction(action),
            reason_code=ctx.field("reason"),
            note=ctx.field("note"),
            redact_spans=spans,
            redact_phrases=ctx.field("phrases").splitlines(),
            duplicate_ticket=ctx.field("original"),
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _case_page(ctx, case_id, 400, form_errors(ctx, exc))
    return ctx.redirect("/moderation", "saved")


def _case_or_404(ctx: Ctx) -> tuple[int, ModerationCase]:
    case_id = parse_int(str(ctx.request.path_params["case_id"]), 0)
    case = queries.get_case(ctx.db, case_id)
    if case is None:
        raise NotFound(N_("This case does not exist."))
    return case_id, case


@view(roles=MODERATORS)
def remove_attachment(ctx: Ctx) -> Response:
    """Take one file of the case's contribution down, with the reason its author reads."""
    case_id, case = _case_or_404(ctx)
    key = str(ctx.request.path_params["key"])
    attachment = actions.case_attachment(ctx.db, case, key)
    try:
        actions.remove_attachment(
            ctx.db,
            ctx.user,
            case,
            attachment,
            reason_code=ctx.field("reason"),
            note=ctx.field("note"),
            store=store_for(ctx.settings),
        )
    except Invalid as exc:
        ctx.db.rollback()
        errors = {f"{key}-{name}": text for name, text in form_errors(ctx, exc).items()}
        return _case_page(ctx, case_id, 400, errors)
    return ctx.redirect(f"/moderation/kasus/{case_id}#h-attachments", "saved")


@view(roles=MODERATORS)
def publish_attachment(ctx: Ctx) -> Response:
    """Publish a file a screen held, explicitly (approving the contribution does not)."""
    case_id, case = _case_or_404(ctx)
    attachment = actions.case_attachment(ctx.db, case, str(ctx.request.path_params["key"]))
    actions.publish_attachment(ctx.db, ctx.user, case, attachment)
    return ctx.redirect(f"/moderation/kasus/{case_id}#h-attachments", "published")


# --- flags and appeals (any logged-in user) ------------------------------------------------


def _flag_target(ctx: Ctx, source: str) -> tuple[Comment | None, Aspiration | None]:
    kind = ctx.field("kind") if source == "form" else ctx.query("jenis")
    item_id = parse_int(ctx.field("id") if source == "form" else ctx.query("id"), 0)
    if kind == "comment" and item_id:
        return access_comment(ctx.db, None, item_id), None
    if kind == "aspiration" and item_id:
        aspiration = ctx.db.get(Aspiration, item_id)
        if aspiration is not None and can_see_aspiration(None, aspiration):
            return None, aspiration
    raise NotFound(N_("This contribution is not public."))


@view(login=True)
def flag_form(ctx: Ctx) -> Response:
    comment, aspiration = _flag_target(ctx, "query")
    return ctx.render(
        "moderation/flag.html",
        comment=comment,
        aspiration=aspiration,
        reasons=actions.FLAG_REASONS,
        errors={},
        next=safe_next(ctx.query("next") or "/"),
    )


@view(login=True)
def flag(ctx: Ctx) -> Response:
    comment, aspiration = _flag_target(ctx, "form")
    assert ctx.user is not None
    ratelimit.hit(
        ctx.db,
        f"flag:{ctx.user.id}",
        limit=ctx.settings.rate_flags_per_hour,
        window=timedelta(hours=1),
    )
    try:
        actions.flag_content(
            ctx.db,
            _config(ctx),
            ctx.user,
            comment=comment,
            aspiration=aspiration,
            reason=ctx.field("reason"),
            text=ctx.field("text"),
        )
    except Invalid as exc:
        return ctx.render(
            "moderation/flag.html",
            status_code=400,
            comment=comment,
            aspiration=aspiration,
            reasons=actions.FLAG_REASONS,
            errors=form_errors(ctx, exc),
            next=safe_next(ctx.field("next") or "/"),
        )
    return ctx.redirect(safe_next(ctx.field("next") or "/"), "flagged")


@view(login=True)
def my_rejections(ctx: Ctx) -> Response:
    assert ctx.user is not None and ctx.user.id is not None
    rows = queries.list_my_rejections(ctx.db, ctx.user.id)
    items = {
        case.id: ctx.db.get(Comment, case.comment_id)
        if case.comment_id
        else ctx.db.get(Aspiration, case.aspiration_id)
        for case, _, _ in rows
    }
    return ctx.render("moderation/appeals.html", rows=rows, items=items, errors={})


@view(login=True)
def appeal(ctx: Ctx) -> Response:
    case = queries.get_case(ctx.db, parse_int(str(ctx.request.path_params["case_id"]), 0))
    if case is None:
        raise NotFound(N_("This case does not exist."))
    try:
        actions.appeal_decision(ctx.db, _config(ctx), ctx.user, case, text=ctx.field("text"))
    except Invalid as exc:
        ctx.db.rollback()
        assert ctx.user is not None and ctx.user.id is not None
        rows = queries.list_my_rejections(ctx.db, ctx.user.id)
        items = {
            c.id: ctx.db.get(Comment, c.comment_id)
            if c.comment_id
            else ctx.db.get(Aspiration, c.aspiration_id)
            for c, _, _ in rows
        }
        errors = {f"{case.id}-{k}": v for k, v in form_errors(ctx, exc).items()}
        return ctx.render(
            "moderation/appeals.html", status_code=400, rows=rows, items=items, errors=errors
        )
    return ctx.redirect("/moderation/banding", "appealed")


# --- administrators -------------------------------------------------------------------------


def _audit_filters(ctx: Ctx) -> queries.AuditFilters:
    tz = ctx.settings.timezone
    return queries.AuditFilters(
        actor_id=ctx.query_int("pelaku", 0) or None,
        action=ctx.query("tindakan")[:30],
        since=parse_local_datetime(ctx.query("dari"), tz) if ctx.query("dari") else None,
        until=parse_local_datetime(ctx.query("sampai"), tz) if ctx.query("sampai") else None,
    )


@view(roles=ADMIN)
def audit_page(ctx: Ctx) -> Response:
    filters = _audit_filters(ctx)
    page = queries.list_audit(ctx.db, filters, page=ctx.query_int("halaman", 1))
    from forum.queries import lookup_names

    return ctx.render(
        "moderation/audit.html",
        page=page,
        filters=filters,
        actors=lookup_names(ctx.db, [e.actor_id for e in page.items if e.actor_id], Account),
        query=str(ctx.request.url.query),
        raw={k: ctx.query(k) for k in ("pelaku", "tindakan", "dari", "sampai")},
    )


@view(roles=ADMIN)
def audit_csv(ctx: Ctx) -> Response:
    # Rows become plain values inside the request's transaction; the download streams them.
    rows = [
        [
            e.id,
            e.created_at.isoformat(),
            e.actor_id or "",
            e.action,
            e.object_type,
            e.object_id,
            e.reason,
            e.before or "",
            e.after or "",
        ]
        for e in queries.iter_audit(ctx.db, _audit_filters(ctx))
    ]
    header = [
        "id",
        "created_at",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "reason",
        "before",
        "after",
    ]

    return export_response(
        [header, *rows], "rembug-audit", export_format(ctx.request.url.path), sheet="Audit"
    )


def _terms_page(ctx: Ctx, status_code: int = 200, errors: dict[str, str] | None = None) -> Response:
    from sqlmodel import col, select

    terms = list(
        ctx.db.exec(select(ScreenTerm).order_by(col(ScreenTerm.kind), col(ScreenTerm.term)))
    )
    return ctx.render(
        "moderation/terms.html",
        status_code=status_code,
        terms=terms,
        errors=errors or {},
        values={"term": ctx.field("term"), "kind": ctx.field("kind")},
    )


@view(roles=ADMIN)
def terms(ctx: Ctx) -> Response:
    return _terms_page(ctx)


@view(roles=ADMIN)
def save_term(ctx: Ctx) -> Response:
    if ctx.field("action") == "remove":
        term = ctx.db.get(ScreenTerm, parse_int(ctx.field("id"), 0) or 0)
        if term is None:
            raise NotFound(N_("This page does not exist."))
        actions.remove_term(ctx.db, ctx.user, term)
        return ctx.redirect("/moderation/kata", "saved")
    try:
        actions.add_term(
            ctx.db,
            ctx.user,
            kind=ctx.field("kind"),
            term=ctx.field("term"),
            language=ctx.field("language") or "id",
        )
    except Invalid as exc:
        return _terms_page(ctx, 400, form_errors(ctx, exc))
    return ctx.redirect("/moderation/kata", "saved")


routes = [
    Route("/moderation", queue),
    Route("/moderation/massal", bulk, methods=["POST"]),
    Route("/moderation/massal/{job_id:int}", bulk_job, methods=["GET"]),
    Route("/moderation/massal/{job_id:int}.json", bulk_job_json, methods=["GET"]),
    Route("/moderation/kasus/{case_id}", case_page, methods=["GET"]),
    Route("/moderation/kasus/{case_id}", decide, methods=["POST"]),
    Route("/moderation/kasus/{case_id}/lampiran/{key}/hapus", remove_attachment, methods=["POST"]),
    Route(
        "/moderation/kasus/{case_id}/lampiran/{key}/terbitkan",
        publish_attachment,
        methods=["POST"],
    ),
    Route("/moderation/laporkan", flag_form, methods=["GET"]),
    Route("/moderation/laporkan", flag, methods=["POST"]),
    Route("/moderation/banding", my_rejections, methods=["GET"]),
    Route("/moderation/banding/{case_id}", appeal, methods=["POST"]),
    Route("/moderation/audit", audit_page),
    Route("/moderation/audit.csv", audit_csv),
    Route("/moderation/audit.xlsx", audit_csv),
    Route("/moderation/kata", terms, methods=["GET"]),
    Route("/moderation/kata", save_term, methods=["POST"]),
]
