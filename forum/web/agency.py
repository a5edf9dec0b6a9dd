"""Agencies at work, on the web: the agency desk, the aspiration lifecycle (routing, in
progress, responses and their edits, confirm/reopen), consultation reports, the public
accountability page and in-app notifications."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from starlette.responses import Response
from starlette.routing import Route

from forum import actions, notifications, queries, reports
from forum.errors import N_, Invalid, NotFound
from forum.exports import export_format, export_response
from forum.models import (
    Agency,
    Aspiration,
    Channel,
    Comment,
    Consultation,
    ConsultationStatus,
    OfficialResponse,
    Region,
    Role,
    utcnow,
)
from forum.validation import TICKET_RE, parse_local_datetime
from forum.web.kit import Ctx, checkbox, form_errors, parse_int, path_int, safe_next, view
from forum.web.pages import render_aspiration

STAFF = (Role.official, Role.admin)
CHANNELS = tuple(c.value for c in Channel)  # the desk's channel filter: every channel there is


def _ticket(ctx: Ctx) -> Aspiration:
    ticket = str(ctx.request.path_params["ticket"]).upper()
    if not TICKET_RE.match(ticket):
        raise NotFound(N_("No aspiration with this ticket number is visible to you."))
    return queries.access_aspiration_by_ticket(ctx.db, ctx.user, ticket)


def _back(aspiration: Aspiration) -> str:
    return f"/aspirasi/{aspiration.ticket}"


# --- aspiration lifecycle ------------------------------------------------------------------


@view(login=True)
def confirm(ctx: Ctx) -> Response:
    aspiration = _ticket(ctx)
    assert ctx.user is not None
    actions.confirm_resolution(ctx.db, ctx.user, aspiration)
    return ctx.redirect(_back(aspiration), "confirmed")


@view(login=True)
def reopen(ctx: Ctx) -> Response:
    aspiration = _ticket(ctx)
    assert ctx.user is not None
    try:
        actions.reopen_aspiration(ctx.db, ctx.user, aspiration, reason=ctx.field("reason"))
    except Invalid as exc:
        ctx.db.rollback()
        return render_aspiration(ctx, _ticket(ctx), status_code=400, errors=form_errors(ctx, exc))
    return ctx.redirect(_back(aspiration), "reopened")


@view(login=True)
def route(ctx: Ctx) -> Response:
    """Moderators route; an official of the current agency re-routes with a reason."""
    aspiration = _ticket(ctx)
    assert ctx.user is not None
    try:
        actions.route_aspiration(
            ctx.db,
            ctx.user,
            aspiration,
            agency_id=parse_int(ctx.field("agency"), 0),
            reason=ctx.field("reason"),
        )
    except Invalid as exc:
        ctx.db.rollback()
        return render_aspiration(ctx, _ticket(ctx), status_code=400, errors=form_errors(ctx, exc))
    if ctx.user.role == Role.official:
        return ctx.redirect("/instansi", "routed")
    return ctx.redirect(_back(aspiration), "routed")


@view(roles=STAFF)
def in_progress(ctx: Ctx) -> Response:
    aspiration = _ticket(ctx)
    assert ctx.user is not None
    actions.mark_in_progress(ctx.db, ctx.user, aspiration)
    return ctx.redirect(_back(aspiration), "saved")


@view(roles=STAFF)
def edit_response(ctx: Ctx) -> Response:
    assert ctx.user is not None
    response = ctx.db.get(OfficialResponse, path_int(ctx, "response_id"))
    if response is None or not queries.can_manage_agency(ctx.user, response.agency_id):
        raise NotFound(N_("This page does not exist."))
    actions.edit_official_response(ctx.db, ctx.user, response, body=ctx.field("body"))
    back = "/"
    if response.aspiration_id:
        aspiration = ctx.db.get(Aspiration, response.aspiration_id)
        back = _back(aspiration) if aspiration else "/"
    elif response.comment_id:
        comment = ctx.db.get(Comment, response.comment_id)
        back = f"/konsultasi/{comment.consultation_id}" if comment else "/"
    return ctx.redirect(safe_next(ctx.field("next") or back), "saved")


@view(roles=STAFF)
def respond_many(ctx: Ctx) -> Response:
    """One official response to several aspirations of the official's agency."""
    assert ctx.user is not None and ctx.form is not None
    tickets = [
        str(t).upper() for t in ctx.form.getlist("ticket") if TICKET_RE.match(str(t).upper())
    ]
    aspirations = (
        list(ctx.db.exec(select(Aspiration).where(col(Aspiration.ticket).in_(tickets[:200]))))
        if tickets
        else []
    )
    for aspiration in aspirations:
        if not queries.can_see_aspiration(ctx.user, aspiration):
            raise NotFound(N_("No aspiration with this ticket number is visible to you."))
    result = actions.respond_to_many(ctx.db, ctx.user, aspirations, body=ctx.field("body"))
    return ctx.render(
        "bulk_result.html",
        title=ctx._("One answer to many aspirations"),
        summary=ctx._(
            "%(answered)s answered, %(skipped)s skipped",
            answered=result.done,
            skipped=len(result.skipped),
        ),
        result=result,
        back=safe_next(ctx.field("next") or "/instansi"),
        back_label=ctx._("Back to the agency desk"),
    )


@view(roles=STAFF)
def dispose(ctx: Ctx) -> Response:
    assert ctx.user is not None
    comment = queries.access_comment(ctx.db, ctx.user, path_int(ctx, "comment_id"))
    actions.set_disposition(
        ctx.db, ctx.user, comment, value=ctx.field("value"), reason=ctx.field("reason")
    )
    return ctx.redirect(
        safe_next(ctx.field("next") or f"/konsultasi/{comment.consultation_id}/laporan"), "saved"
    )


@view(roles=STAFF)
def conclude(ctx: Ctx) -> Response:
    assert ctx.user is not None
    consultation = queries.access_consultation(ctx.db, ctx.user, path_int(ctx, "cid"))
    if not queries.can_manage_agency(ctx.user, consultation.agency_id):
        raise NotFound(N_("This consultation does not exist."))
    actions.conclude_consultation(ctx.db, ctx.user, consultation, summary=ctx.field("summary"))
    return ctx.redirect(f"/konsultasi/{consultation.id}/laporan", "published")


# --- the agency desk ----------------------------------------------------------------------


def _desk_agency(ctx: Ctx) -> Agency:
    assert ctx.user is not None
    if ctx.user.role == Role.official:
        agency = ctx.db.get(Agency, ctx.user.agency_id) if ctx.user.agency_id else None
    else:
        slug = ctx.query("instansi")
        agency = ctx.db.exec(select(Agency).where(Agency.slug == slug)).first() if slug else None
        agency = agency or next(iter(queries.list_agencies(ctx.db)), None)
    if agency is None:
        raise NotFound(N_("This page does not exist."))
    return agency


def _desk_filters(ctx: Ctx) -> reports.DeskFilters:
    return reports.DeskFilters(
        status=ctx.query("status"),
        category_id=ctx.query_int("kategori", 0) or None,
        region_id=ctx.query_int("wilayah", 0) or None,
        channel=ctx.query("kanal") if ctx.query("kanal") in CHANNELS else "",
        consultation_id=ctx.query_int("konsultasi", 0) or None,
    )


@view(roles=STAFF)
def desk(ctx: Ctx) -> Response:
    agency = _desk_agency(ctx)
    assert agency.id is not None
    filters = _desk_filters(ctx)
    kind = "komentar" if ctx.query("jenis") == "komentar" else "aspirasi"
    page = ctx.query_int("halaman", 1)
    aspirations = (
        reports.desk_aspirations(ctx.db, agency.id, filters, page=page)
        if kind == "aspirasi"
        else None
    )
    comments = (
        reports.desk_comments(ctx.db, agency.id, filters, page=page) if kind == "komentar" else None
    )
    query = str(ctx.request.query_params).replace("halaman=", "_=")
    return ctx.render(
        "agency/desk.html",
        agency=agency,
        channels=CHANNELS,
        agencies=queries.list_agencies(ctx.db) if ctx.user and ctx.user.role == Role.admin else [],
        kind=kind,
        filters=filters,
        aspirations=aspirations,
        comments=comments,
        counts=reports.desk_counts(ctx.db, agency.id, utcnow()),
        categories=queries.list_categories(ctx.db),
        region_groups=queries.regions_grouped(ctx.db) if kind == "aspirasi" else [],
        regions=queries.lookup_names(
            ctx.db, [a.region_id for a in aspirations.items] if aspirations else [], Region
        ),
        category_names={c.id: c for c in queries.list_categories(ctx.db, active_only=False)},
        consultations=[
            c
            for c in queries.list_agency_consultations(ctx.db, agency.id)
            if c.status != ConsultationStatus.draft
        ],
        now=utcnow(),
        base=f"/instansi?{query}",
        csv_url=f"/instansi.csv?{ctx.request.url.query}",
        xlsx_url=f"/instansi.xlsx?{ctx.request.url.query}",
    )


@view(roles=STAFF)
def desk_csv(ctx: Ctx) -> Response:
    agency = _desk_agency(ctx)
    assert agency.id is not None
    filters = _desk_filters(ctx)
    table: list[list[Any]] = []
    if ctx.query("jenis") == "komentar":
        table.append(
            ["comment_id", "consultation", "section_id", "published_at", "supports", "text"]
        )
        page = 1
        while True:
            rows = reports.desk_comments(ctx.db, agency.id, filters, page=page, per_page=500)
            for comment, consultation in rows.items:
                table.append(
                    [
                        comment.id,
                        consultation.title,
                        comment.section_id or "",
                        comment.published_at.isoformat() if comment.published_at else "",
                        comment.support_count,
                        comment.body,
                    ]
                )
            if not rows.has_next:
                break
            page += 1
    else:
        table.append(
            [
                "ticket",
                "title",
                "status",
                "category",
                "region",
                "channel",
                "routed_at",
                "due_at",
                "overdue",
                "supports",
                "visibility",
            ]
        )
        categories = {c.id: c.slug for c in queries.list_categories(ctx.db, active_only=False)}
        regions = {r.id: r.code for r in queries.list_regions(ctx.db)}
        now, page = utcnow(), 1
        while True:
            result = reports.desk_aspirations(ctx.db, agency.id, filters, page=page, per_page=500)
            for a in result.items:
                table.append(
                    [
                        a.ticket,
                        a.title,
                        a.status,
                        categories.get(a.category_id, ""),
                        regions.get(a.region_id, ""),
                        a.channel,
                        a.routed_at.isoformat() if a.routed_at else "",
                        a.due_at.isoformat() if a.due_at else "",
                        "yes" if a.due_at and a.due_at < now else "no",
                        a.support_count,
                        a.visibility,
                    ]
                )
            if not result.has_next:
                break
            page += 1
    return export_response(table, f"rembug-{agency.slug}", export_format(ctx.request.url.path))


# --- reports and accountability -------------------------------------------------------------


def _report_data(ctx: Ctx) -> tuple[Consultation, Agency, list[reports.ReportSection]]:
    consultation = queries.access_consultation(ctx.db, ctx.user, path_int(ctx, "cid"))
    if consultation.status not in (ConsultationStatus.closed, ConsultationStatus.concluded):
        raise NotFound(N_("The report is published after the consultation closes."))
    if consultation.status != ConsultationStatus.concluded and not queries.can_manage_agency(
        ctx.user, consultation.agency_id
    ):
        raise NotFound(N_("The report is published after the consultation closes."))
    agency = ctx.db.get(Agency, consultation.agency_id)
    assert agency is not None
    return consultation, agency, reports.consultation_report(ctx.db, consultation)


@view()
def report(ctx: Ctx) -> Response:
    consultation, agency, sections = _report_data(ctx)
    return ctx.render(
        "agency/report.html",
        consultation=consultation,
        agency=agency,
        sections=sections,
        dispositions=actions.DISPOSITIONS,
        can_manage=queries.can_manage_agency(ctx.user, consultation.agency_id),
        printable=ctx.request.url.path.endswith("/cetak"),
        errors={},
    )


@view()
def report_csv(ctx: Ctx) -> Response:
    consultation, _agency, sections = _report_data(ctx)
    table: list[list[Any]] = []
    table.append(
        [
            "section",
            "comment_id",
            "supports",
            "comment",
            "disposition",
            "reason",
            "official_response",
        ]
    )
    for block in sections:
        heading = block.section.heading if block.section else "(whole draft)"
        for item in block.comments:
            d = item.disposition
            table.append(
                [
                    heading,
                    item.comment.id,
                    item.comment.support_count,
                    item.comment.body,
                    d.value if d else "",
                    d.reason if d else "",
                    " | ".join(r.body for r in item.responses),
                ]
            )
    return export_response(
        table, f"rembug-laporan-{consultation.id}", export_format(ctx.request.url.path)
    )


def _period(ctx: Ctx) -> tuple[datetime, datetime, str, str]:
    tz = ctx.settings.timezone
    today = utcnow().astimezone(ZoneInfo(tz)).date()
    since_text = ctx.query("dari") or (today - timedelta(days=90)).isoformat()
    until_text = ctx.query("sampai") or today.isoformat()
    since = parse_local_datetime(since_text, tz)
    until = parse_local_datetime(until_text, tz)
    if since is None or until is None or until < since:
        raise Invalid(N_("Choose a valid period."))
    return since, until + timedelta(days=1), since_text, until_text


@view()
def accountability(ctx: Ctx) -> Response:
    since, until, since_text, until_text = _period(ctx)
    figures = reports.accountability(ctx.db, since=since, until=until, now=utcnow())
    widest = max([f.received for f in figures] + [1])
    return ctx.render(
        "agency/accountability.html",
        figures=figures,
        widest=widest,
        since=since_text,
        until=until_text,
        response_days=ctx.settings.response_days,
    )


# --- notifications ------------------------------------------------------------------------


@view(login=True)
def notification_page(ctx: Ctx) -> Response:
    assert ctx.user is not None and ctx.user.id is not None
    import json

    items = notifications.list_notifications(ctx.db, ctx.user.id)
    return ctx.render(
        "agency/notifications.html",
        items=[(n, json.loads(n.params)) for n in items],
    )


@view(login=True)
def notification_update(ctx: Ctx) -> Response:
    assert ctx.user is not None and ctx.user.id is not None
    if ctx.field("action") == "preferences":
        actions.set_notification_preferences(ctx.db, ctx.user, email=checkbox(ctx, "email"))
    else:
        notifications.mark_all_read(ctx.db, ctx.user.id)
    return ctx.redirect("/notifikasi", "saved")


routes = [
    Route("/aspirasi/{ticket}/konfirmasi", confirm, methods=["POST"]),
    Route("/aspirasi/{ticket}/buka-kembali", reopen, methods=["POST"]),
    Route("/aspirasi/{ticket}/disposisi", route, methods=["POST"]),
    Route("/aspirasi/{ticket}/proses", in_progress, methods=["POST"]),
    Route("/kelola/tanggapan/{response_id}/ubah", edit_response, methods=["POST"]),
    Route("/kelola/komentar/{comment_id}/disposisi", dispose, methods=["POST"]),
    Route("/kelola/konsultasi/{cid}/laporan", conclude, methods=["POST"]),
    Route("/instansi", desk),
    Route("/instansi.csv", desk_csv),
    Route("/instansi.xlsx", desk_csv),
    Route("/instansi/jawab-banyak", respond_many, methods=["POST"]),
    Route("/konsultasi/{cid}/laporan", report),
    Route("/konsultasi/{cid}/laporan/cetak", report),
    Route("/konsultasi/{cid}/laporan.csv", report_csv),
    Route("/konsultasi/{cid}/laporan.xlsx", report_csv),
    Route("/akuntabilitas", accountability),
    Route("/notifikasi", notification_page, methods=["GET"]),
    Route("/notifikasi", notification_update, methods=["POST"]),
]
