"""Pages for officials: their agency's consultations (create, edit in draft, publish, close)
and official responses. Every object is checked against the official's agency."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from forum import actions, queries
from forum.errors import N_, Invalid, Msg, NotFound
from forum.models import Agency, Consultation, ConsultationStatus, Role, Section
from forum.validation import parse_local_datetime
from forum.web.kit import Ctx, form_errors, parse_int, path_int, safe_next, view

STAFF = (Role.official, Role.admin)


def _managed_consultation(ctx: Ctx) -> Consultation:
    consultation = queries.access_consultation(ctx.db, ctx.user, path_int(ctx, "cid"))
    if not queries.can_manage_agency(ctx.user, consultation.agency_id):
        # Same answer as for a missing one: officials learn nothing about other agencies.
        raise NotFound(N_("This consultation does not exist."))
    return consultation


def _agency_choices(ctx: Ctx) -> list[Agency]:
    assert ctx.user is not None
    if ctx.user.role == Role.admin:
        return queries.list_agencies(ctx.db)
    agency = ctx.db.get(Agency, ctx.user.agency_id) if ctx.user.agency_id else None
    return [agency] if agency else []


@view(roles=STAFF)
def manage_list(ctx: Ctx) -> Response:
    assert ctx.user is not None
    agency_id = None if ctx.user.role == Role.admin else ctx.user.agency_id
    return ctx.render(
        "manage/list.html",
        consultations=queries.list_agency_consultations(ctx.db, agency_id),
        agencies={a.id: a for a in queries.list_agencies(ctx.db, active_only=False)},
    )


def _new_form(ctx: Ctx, status_code: int = 200, errors: dict[str, str] | None = None) -> Response:
    return ctx.render(
        "manage/new.html",
        status_code=status_code,
        agencies=_agency_choices(ctx),
        errors=errors or {},
        values={
            n: ctx.field(n)
            for n in ("title", "summary", "markdown", "opens_at", "closes_at", "agency")
        },
    )


@view(roles=STAFF)
def new_form(ctx: Ctx) -> Response:
    return _new_form(ctx)


@view(roles=STAFF)
def create(ctx: Ctx) -> Response:
    assert ctx.user is not None
    agency_id = parse_int(ctx.field("agency"), 0) or ctx.user.agency_id or 0
    kwargs = {
        "agency_id": agency_id,
        "opens_at": parse_local_datetime(ctx.field("opens_at"), ctx.settings.timezone),
        "closes_at": parse_local_datetime(ctx.field("closes_at"), ctx.settings.timezone),
    }
    try:
        if not agency_id or ctx.db.get(Agency, agency_id) is None:
            raise Invalid(field_errors={"agency": Msg(N_("Unknown agency."))})
        if ctx.field("markdown").strip():
            consultation = actions.create_consultation_from_markdown(
                ctx.db,
                ctx.user,
                markdown=ctx.field("markdown"),
                title=ctx.field("title"),
                summary=ctx.field("summary"),
                **kwargs,  # type: ignore[arg-type]
            )
        else:
            consultation = actions.create_consultation(
                ctx.db,
                ctx.user,
                title=ctx.field("title"),
                summary=ctx.field("summary"),
                **kwargs,  # type: ignore[arg-type]
            )
    except Invalid as exc:
        return _new_form(ctx, 400, form_errors(ctx, exc))
    return ctx.redirect(f"/kelola/konsultasi/{consultation.id}/ubah", "saved")


def _edit_page(
    ctx: Ctx, consultation: Consultation, status_code: int = 200, **extra: object
) -> Response:
    return ctx.render(
        "manage/edit.html",
        status_code=status_code,
        consultation=consultation,
        agency=ctx.db.get(Agency, consultation.agency_id),
        sections=queries.list_sections(ctx.db, consultation.id),  # type: ignore[arg-type]
        is_draft=consultation.status == ConsultationStatus.draft,
        errors=extra.pop("errors", {}),
        **extra,
    )


@view(roles=STAFF)
def edit_form(ctx: Ctx) -> Response:
    return _edit_page(ctx, _managed_consultation(ctx))


@view(roles=STAFF)
def edit(ctx: Ctx) -> Response:
    consultation = _managed_consultation(ctx)
    assert ctx.user is not None
    try:
        actions.update_consultation(
            ctx.db,
            ctx.user,
            consultation,
            title=ctx.field("title"),
            summary=ctx.field("summary"),
            opens_at=parse_local_datetime(ctx.field("opens_at"), ctx.settings.timezone),
            closes_at=parse_local_datetime(ctx.field("closes_at"), ctx.settings.timezone),
        )
    except Invalid as exc:
        ctx.db.rollback()
        consultation = _managed_consultation(ctx)
        return _edit_page(ctx, consultation, 400, errors=form_errors(ctx, exc))
    return ctx.redirect(f"/kelola/konsultasi/{consultation.id}/ubah", "saved")


@view(roles=STAFF)
def save_section(ctx: Ctx) -> Response:
    consultation = _managed_consultation(ctx)
    assert ctx.user is not None
    section_id = parse_int(ctx.field("section_id"), 0)
    section = ctx.db.get(Section, section_id) if section_id else None
    if section_id and (section is None or section.consultation_id != consultation.id):
        raise NotFound(N_("This section does not exist."))
    try:
        if ctx.field("action") == "delete" and section is not None:
            actions.delete_section(ctx.db, ctx.user, consultation, section)
        else:
            actions.save_section(
                ctx.db,
                ctx.user,
                consultation,
                section=section,
                heading=ctx.field("heading"),
                body=ctx.field("body"),
                level=parse_int(ctx.field("level"), 2),
            )
    except Invalid as exc:
        ctx.db.rollback()
        consultation = _managed_consultation(ctx)
        return _edit_page(
            ctx,
            consultation,
            400,
            errors={
                f"section-{section_id or 'new'}-{k}": v for k, v in form_errors(ctx, exc).items()
            },
        )
    return ctx.redirect(f"/kelola/konsultasi/{consultation.id}/ubah#bagian", "saved")


@view(roles=STAFF)
def publish(ctx: Ctx) -> Response:
    consultation = _managed_consultation(ctx)
    assert ctx.user is not None
    try:
        actions.publish_consultation(ctx.db, ctx.user, consultation)
    except Invalid as exc:
        ctx.db.rollback()
        consultation = _managed_consultation(ctx)
        return _edit_page(ctx, consultation, 400, errors=form_errors(ctx, exc))
    return ctx.redirect(f"/konsultasi/{consultation.id}", "published")


@view(roles=STAFF)
def close(ctx: Ctx) -> Response:
    consultation = _managed_consultation(ctx)
    assert ctx.user is not None
    actions.close_consultation(ctx.db, ctx.user, consultation)
    return ctx.redirect(f"/konsultasi/{consultation.id}", "closed")


@view(roles=STAFF)
def respond(ctx: Ctx) -> Response:
    """An official response to an aspiration (by ticket) or a comment (by id)."""
    assert ctx.user is not None
    kind, target = ctx.field("kind"), ctx.field("target")
    if kind == "aspiration":
        aspiration = queries.access_aspiration_by_ticket(ctx.db, ctx.user, target)
        actions.publish_official_response(
            ctx.db, ctx.user, body=ctx.field("body"), aspiration=aspiration
        )
        back = f"/aspirasi/{aspiration.ticket}"
    elif kind == "comment":
        comment = queries.access_comment(ctx.db, ctx.user, parse_int(target, 0))
        actions.publish_official_response(ctx.db, ctx.user, body=ctx.field("body"), comment=comment)
        back = ctx.field("next") or f"/konsultasi/{comment.consultation_id}"
    else:
        raise Invalid(N_("Answer one comment or one aspiration."))
    return ctx.redirect(safe_next(back), "responded")


routes = [
    Route("/kelola/konsultasi", manage_list),
    Route("/kelola/konsultasi/baru", new_form, methods=["GET"]),
    Route("/kelola/konsultasi/baru", create, methods=["POST"]),
    Route("/kelola/konsultasi/{cid}/ubah", edit_form, methods=["GET"]),
    Route("/kelola/konsultasi/{cid}/ubah", edit, methods=["POST"]),
    Route("/kelola/konsultasi/{cid}/bagian", save_section, methods=["POST"]),
    Route("/kelola/konsultasi/{cid}/terbitkan", publish, methods=["POST"]),
    Route("/kelola/konsultasi/{cid}/tutup", close, methods=["POST"]),
    Route("/kelola/tanggapan", respond, methods=["POST"]),
]
