"""Pages for visitors and citizens: home, consultations, comments, aspirations, accounts."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from forum import actions, queries, ratelimit, submissions
from forum.errors import N_, Invalid, NotFound
from forum.extensions import MORE_LIKE_THIS, PROFILE_LINKS, SIMILAR_ASPIRATIONS
from forum.models import (
    Account,
    Agency,
    Aspiration,
    AttachmentStatus,
    Category,
    Comment,
    ConsultationStatus,
    Region,
    Visibility,
    utcnow,
)
from forum.validation import TICKET_RE, clean_text
from forum.web.attachments import FIELD, accept_uploads
from forum.web.kit import (
    LANG_COOKIE,
    LOGIN_STEP_COOKIE,
    SESSION_COOKIE,
    TWO_FACTOR_PAGE,
    AfterIntake,
    Ctx,
    access_rules,
    checkbox,
    error_page,
    form_errors,
    parse_int,
    path_int,
    safe_next,
    view,
)

ONE_YEAR = 365 * 24 * 3600


@view(cache=True)
def home(ctx: Ctx) -> Response:
    db = ctx.db
    open_now = queries.list_open_consultations(db, limit=10)
    agencies = {a.id: a for a in queries.list_agencies(db, active_only=False)}
    return ctx.render(
        "pages/home.html",
        open_consultations=open_now,
        upcoming=queries.list_upcoming_consultations(db, limit=5),
        past=queries.list_past_consultations(db, limit=5),
        responses=queries.list_latest_responses(db, limit=5),
        agencies=agencies,
    )


@view()
def consultations(ctx: Ctx) -> Response:
    db = ctx.db
    return ctx.render(
        "pages/consultations.html",
        open_consultations=queries.list_open_consultations(db, limit=100),
        upcoming=queries.list_upcoming_consultations(db, limit=50),
        past=queries.list_past_consultations(db, limit=50),
        agencies={a.id: a for a in queries.list_agencies(db, active_only=False)},
    )


def _consultation_page(
    ctx: Ctx, position: int | None, status_code: int = 200, **extra: Any
) -> Response:
    db = ctx.db
    consultation = queries.access_consultation(db, ctx.user, path_int(ctx, "cid"))
    sections = queries.list_sections(db, consultation.id)  # type: ignore[arg-type]
    section = None
    if position is not None:
        section = next((s for s in sections if s.position == position), None)
        if section is None:
            raise NotFound(N_("This section does not exist."))
    threads = queries.comment_threads(
        db,
        consultation.id,  # type: ignore[arg-type]
        section_id=section.id if section else None,
        whole_consultation=section is None,
        page=ctx.query_int("halaman", 1),
        per_page=ctx.settings.comments_per_page,
        viewer=ctx.user,
    )
    agency = db.get(Agency, consultation.agency_id)
    index = sections.index(section) if section else -1
    return ctx.render(
        "pages/section.html" if section else "pages/consultation.html",
        status_code=status_code,
        consultation=consultation,
        agency=agency,
        sections=sections,
        section=section,
        prev_section=sections[index - 1] if section and index > 0 else None,
        next_section=sections[index + 1] if section and index + 1 < len(sections) else None,
        threads=threads,
        can_comment=consultation.status == ConsultationStatus.open,
        can_manage=queries.can_manage_agency(ctx.user, consultation.agency_id),
        errors=extra.pop("errors", {}),
        files_sent=extra.pop("files_sent", False),
        **extra,
    )


@view(cache=True)
def consultation_page(ctx: Ctx) -> Response:
    return _consultation_page(ctx, None)


@view(cache=True)
def section_page(ctx: Ctx) -> Response:
    return _consultation_page(ctx, path_int(ctx, "position"))


@view(login=True, write=False, uploads=True)
def post_comment(ctx: Ctx) -> Response | AfterIntake:
    """Checked here (read only), stored by the intake's drain job (forum.submissions); the
    answer waits until the comment is on disk in the intake (and its files in the store)."""
    db = ctx.db
    consultation = queries.access_consultation(db, ctx.user, path_int(ctx, "cid"))
    section_id = parse_int(ctx.field("section_id"), 0) or None
    parent_id = parse_int(ctx.field("parent_id"), 0) or None
    back = safe_next(ctx.field("next") or f"/konsultasi/{consultation.id}")
    assert ctx.user is not None and consultation.id is not None
    uploads = ctx.uploads(FIELD)
    errors: dict[str, str] = {}
    body = ""
    try:
        body, _, _ = actions.check_comment(
            db, consultation, body=ctx.field("body"), section_id=section_id, parent_id=parent_id
        )
        ctx.limit_posting("comment")
    except Invalid as exc:
        errors = form_errors(ctx, exc)
    files = accept_uploads(ctx, uploads, errors)
    if errors:
        position = None
        if section_id is not None:
            sections = queries.list_sections(db, consultation.id or 0)
            position = next((s.position for s in sections if s.id == section_id), None)
        return _consultation_page(
            ctx,
            position,
            status_code=400,
            errors=errors,
            draft=ctx.field("body"),
            draft_parent=parent_id,
            files_sent=bool(uploads),
        )
    incoming = submissions.comment_incoming(
        ctx.user,
        consultation.id,
        key=secrets.token_hex(16),
        body=body,
        section_id=section_id,
        parent_id=parent_id,
        attachments=files,
    )
    return AfterIntake(ctx.redirect(back.split("#")[0], "comment-submitted"), incoming)


def _support_target(ctx: Ctx) -> tuple[Comment | None, Aspiration | None]:
    kind = ctx.field("kind")
    target_id = parse_int(ctx.field("id"), 0)
    if kind == "comment":
        return queries.access_comment(ctx.db, ctx.user, target_id), None
    if kind == "aspiration":
        aspiration = ctx.db.get(Aspiration, target_id) if target_id else None
        if aspiration is None or not queries.can_see_aspiration(ctx.user, aspiration):
            raise NotFound(N_("This contribution is not public."))
        return None, aspiration
    raise Invalid(N_("Support one comment or one aspiration."))


@view(login=True)
def support(ctx: Ctx) -> Response:
    comment, aspiration = _support_target(ctx)
    back = safe_next(ctx.field("next") or "/")
    if ctx.field("action") == "withdraw":
        actions.withdraw_support(ctx.db, ctx.user, comment=comment, aspiration=aspiration)
        return ctx.redirect(back, "support-withdrawn")
    actions.add_support(ctx.db, ctx.user, comment=comment, aspiration=aspiration)
    return ctx.redirect(back, "supported")


@view(login=True)
def withdraw_comment(ctx: Ctx) -> Response:
    comment = queries.access_comment(ctx.db, ctx.user, path_int(ctx, "comment_id"))
    assert ctx.user is not None
    actions.withdraw_comment(ctx.db, ctx.user, comment)
    return ctx.redirect("/saya", "withdrawn")


# --- aspirations ----------------------------------------------------------------------------


@view()
def aspirations(ctx: Ctx) -> Response:
    db = ctx.db
    page = queries.list_public_aspirations(db, page=ctx.query_int("halaman", 1))
    return ctx.render(
        "pages/aspirations.html",
        page=page,
        categories=queries.lookup_names(db, [a.category_id for a in page.items], Category),
        regions=queries.lookup_names(db, [a.region_id for a in page.items], Region),
        agencies=queries.lookup_names(db, [a.agency_id for a in page.items if a.agency_id], Agency),
    )


def _aspiration_form(
    ctx: Ctx,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    similar: list[Aspiration] | None = None,
    previewed: bool = False,
    files_sent: bool = False,
    sending: bool = False,
) -> Response:
    db = ctx.db
    return ctx.render(
        "pages/aspiration_new.html",
        status_code=status_code,
        similar=similar or [],
        previewed=previewed,
        files_sent=files_sent,
        # The step that sends (the only one with the file input): no preview step, the
        # preview shown, or a sent form that came back.
        sending=sending or previewed or SIMILAR_ASPIRATIONS not in ctx.services.extensions,
        has_preview=SIMILAR_ASPIRATIONS in ctx.services.extensions,
        categories=queries.list_categories(db),
        regions=queries.regions_grouped(db),
        agencies=queries.list_agencies(db),
        errors=errors or {},
        values={
            name: ctx.field(name)
            for name in ("title", "body", "category", "region", "agency", "visibility")
        },
    )


@view(login=True)
def aspiration_form(ctx: Ctx) -> Response:
    return _aspiration_form(ctx)


@view(login=True, write=False, uploads=True)
def submit_aspiration(ctx: Ctx) -> Response | AfterIntake:
    """Send, or (when a plugin can find similar aspirations) first preview the similar ones
    so the citizen may support an existing aspiration instead of filing a duplicate (the file
    input is on the form of the step that sends: a browser cannot carry files over a step).
    Sending checks the form and the files here (read only), puts the files in the store and
    hands the rest to the intake with its ticket number (forum.submissions); the answer
    waits until it is on disk there."""
    visibility = ctx.field("visibility", Visibility.public)
    fields: dict[str, Any] = {
        "title": ctx.field("title"),
        "body": ctx.field("body"),
        "category_id": parse_int(ctx.field("category"), 0) or None,
        "region_id": parse_int(ctx.field("region"), 0) or None,
        "agency_id": parse_int(ctx.field("agency"), 0) or None,
        "visibility": Visibility(visibility) if visibility in set(Visibility) else None,
    }
    find_similar = ctx.services.extensions.get(SIMILAR_ASPIRATIONS)
    if find_similar is not None and ctx.field("step") != "send":
        try:
            actions.check_aspiration(ctx.db, **fields)
        except Invalid as exc:
            return _aspiration_form(ctx, 400, form_errors(ctx, exc))
        similar = find_similar(ctx.db, ctx.user, fields["title"], fields["body"], 5)
        return _aspiration_form(ctx, similar=similar, previewed=True)
    uploads = ctx.uploads(FIELD)
    errors: dict[str, str] = {}
    try:
        fields["title"], fields["body"] = clean_text(fields["title"]), clean_text(fields["body"])
        actions.check_aspiration(ctx.db, **fields)
        ctx.limit_posting("aspiration")
    except Invalid as exc:
        errors = form_errors(ctx, exc)
    files = accept_uploads(ctx, uploads, errors)
    if errors:
        return _aspiration_form(ctx, 400, errors, files_sent=bool(uploads), sending=True)
    assert ctx.user is not None
    # The ticket block may need a write: give this request's connection back first (a
    # thread holding one must never wait for another, or a busy pool runs dry).
    ctx.db.close()
    ticket, incoming = submissions.aspiration_incoming(
        ctx.services, ctx.user, fields, attachments=files
    )
    return AfterIntake(ctx.redirect(f"/aspirasi/{ticket}", "aspiration-submitted"), incoming)


def render_aspiration(
    ctx: Ctx, aspiration: Aspiration, status_code: int = 200, errors: dict[str, str] | None = None
) -> Response:
    """The aspiration page, with the actions the viewer may take on it."""
    db = ctx.db
    can_respond = aspiration.agency_id is not None and queries.can_manage_agency(
        ctx.user, aspiration.agency_id
    )
    more_like_this = ctx.services.extensions.get(MORE_LIKE_THIS)
    similar = []
    if more_like_this is not None and (can_respond or queries.is_moderator(ctx.user)):
        similar = more_like_this(db, ctx.user, aspiration, 5)
    routing = queries.list_routing(db, aspiration.id)  # type: ignore[arg-type]
    # Officials of any agency it passed through see its routing history.
    staff_view = (
        can_respond
        or queries.is_moderator(ctx.user)
        or (
            ctx.user is not None
            and ctx.user.role == "official"
            and any(ctx.user.agency_id in (e.from_agency_id, e.to_agency_id) for e, _, _ in routing)
        )
    )
    files = queries.list_attachments(db, aspiration_id=aspiration.id)
    is_author = ctx.user is not None and ctx.user.id == aspiration.author_id
    return ctx.render(
        "pages/aspiration.html",
        status_code=status_code,
        attachments=[a for a in files if queries.can_see_attachment(ctx.user, a, aspiration)],
        removed_attachments=[a for a in files if a.status == AttachmentStatus.removed]
        if is_author
        else [],
        similar=[s for s in similar if s.agency_id == aspiration.agency_id]
        if can_respond
        else similar,
        aspiration=aspiration,
        author=db.get(Account, aspiration.author_id),
        author_shown=queries.author_shown(ctx.user, aspiration),
        category=db.get(Category, aspiration.category_id),
        region=db.get(Region, aspiration.region_id),
        agency=db.get(Agency, aspiration.agency_id) if aspiration.agency_id else None,
        responses=queries.list_aspiration_responses(db, aspiration.id),  # type: ignore[arg-type]
        revisions=queries.list_revisions(db, aspiration_id=aspiration.id),  # type: ignore[arg-type]
        routing=routing if staff_view else [],
        all_agencies=queries.list_agencies(db)
        if can_respond or queries.is_moderator(ctx.user)
        else [],
        supported=queries.has_supported(db, ctx.user, aspiration_id=aspiration.id),  # type: ignore[arg-type]
        can_respond=can_respond,
        can_route=queries.is_moderator(ctx.user),
        is_author=is_author,
        now=utcnow(),
        errors=errors or {},
    )


@view()
def aspiration_page(ctx: Ctx) -> Response:
    ticket = str(ctx.request.path_params["ticket"]).upper()
    if not TICKET_RE.match(ticket):
        raise NotFound(N_("No aspiration with this ticket number is visible to you."))
    try:
        aspiration = queries.access_aspiration_by_ticket(ctx.db, ctx.user, ticket)
    except NotFound:
        # Received by the intake, not processed yet: its author sees that, nobody else.
        waiting = submissions.waiting_aspiration(ctx.services, ctx.db, ticket)
        if waiting is None or ctx.user is None or ctx.user.id != waiting.author_id:
            raise
        return ctx.render("pages/aspiration_received.html", waiting=waiting)
    return render_aspiration(ctx, aspiration)


@view(login=True)
def withdraw_aspiration(ctx: Ctx) -> Response:
    aspiration = queries.access_aspiration_by_ticket(
        ctx.db, ctx.user, str(ctx.request.path_params["ticket"])
    )
    assert ctx.user is not None
    actions.withdraw_aspiration(ctx.db, ctx.user, aspiration)
    return ctx.redirect("/saya", "withdrawn")


@view()
def ticket_lookup(ctx: Ctx) -> Response:
    number = ctx.query("nomor").strip().upper().replace(" ", "")
    if not number:
        return ctx.render("pages/ticket.html", number="", error=None)
    if not TICKET_RE.match(number):
        return ctx.render(
            "pages/ticket.html",
            status_code=400,
            number=number,
            error=ctx._("A ticket number looks like ASP-2026-000123."),
        )
    try:
        queries.access_aspiration_by_ticket(ctx.db, ctx.user, number)
    except NotFound:
        return ctx.render(
            "pages/ticket.html",
            status_code=404,
            number=number,
            error=ctx._("No aspiration with this ticket number is visible to you."),
        )
    return ctx.redirect(f"/aspirasi/{number}")


# --- accounts -------------------------------------------------------------------------------


@view(write=False)
def register_form(ctx: Ctx) -> Response:
    return ctx.render(
        "account/register.html", errors={}, values=dict.fromkeys(("name", "email", "phone"), "")
    )


@view()
def register(ctx: Ctx) -> Response:
    values = {name: ctx.field(name) for name in ("name", "email", "phone")}
    ratelimit.hit(
        ctx.db,
        f"register-ip:{ctx.client_ip()}",
        limit=ctx.settings.rate_register_per_hour,
        window=timedelta(hours=1),
    )
    try:
        actions.register_citizen(
            ctx.db,
            name=values["name"],
            email=values["email"].strip() or None,
            phone=values["phone"].strip() or None,
            password=ctx.field("password"),
            consent=checkbox(ctx, "consent"),
            locale=ctx.locale,
            rules=access_rules(ctx),
            ip=ctx.client_ip(),
        )
        token = _log_in(ctx, values["email"].strip() or values["phone"].strip()).token
    except Invalid as exc:
        return ctx.render(
            "account/register.html", status_code=400, errors=form_errors(ctx, exc), values=values
        )
    ctx.set_cookie(SESSION_COOKIE, token, ctx.settings.session_days * 24 * 3600)
    return ctx.redirect(safe_next(ctx.field("next") or "/"), "registered")


def _log_in(ctx: Ctx, login: str, next_url: str = "/") -> actions.LoginResult:
    settings = ctx.settings
    return actions.log_in(
        ctx.db,
        login=login,
        password=ctx.field("password"),
        ip=ctx.client_ip(),
        user_agent=ctx.request.headers.get("user-agent", ""),
        max_failures=settings.login_max_failures,
        max_failures_per_ip=settings.login_max_failures_per_ip,
        window=timedelta(minutes=settings.login_window_minutes),
        session_days=settings.session_days,
        next_url=next_url,
    )


@view(write=False)
def login_form(ctx: Ctx) -> Response:
    return ctx.render(
        "account/login.html", error=None, login="", next=safe_next(ctx.query("next") or "/")
    )


@view()
def login(ctx: Ctx) -> Response:
    next_url = safe_next(ctx.field("next") or "/")
    try:
        result = _log_in(ctx, ctx.field("login"), next_url)
    except Invalid as exc:
        # The failed attempt must count even though this response rolls back: record it in
        # its own transaction.
        ctx.db.commit()
        return ctx.render(
            "account/login.html",
            status_code=400,
            error=ctx._(exc.message),
            login=ctx.field("login"),
            next=next_url,
        )
    if result.second_step:
        # Two-factor account: no session yet, only the pending login the code page accepts.
        lifetime = int(actions.LOGIN_CHALLENGE_LIFETIME.total_seconds())
        ctx.set_cookie(LOGIN_STEP_COOKIE, result.token, lifetime)
        return ctx.redirect("/masuk/kode")
    ctx.set_cookie(SESSION_COOKIE, result.token, ctx.settings.session_days * 24 * 3600)
    if actions.two_factor_required(result.account):
        # Staff without two-factor authentication: this session reaches nothing but the
        # enrolment page until it is set up (see kit.view).
        return ctx.redirect(TWO_FACTOR_PAGE)
    return ctx.redirect(next_url, "logged-in")


@view(two_factor_setup=True)
def logout(ctx: Ctx) -> Response:
    token = ctx.request.cookies.get(SESSION_COOKIE, "")
    if token:
        actions.log_out(ctx.db, token)
    ctx.set_cookie(SESSION_COOKIE, "", 0)
    return ctx.redirect("/", "logged-out")


@view(login=True)
def my_contributions(ctx: Ctx) -> Response:
    assert ctx.user is not None and ctx.user.id is not None
    return ctx.render(
        "account/me.html",
        profile_links=ctx.services.extensions.get(PROFILE_LINKS, []),
        comments=queries.list_my_comments(ctx.db, ctx.user.id),
        aspirations=queries.list_my_aspirations(ctx.db, ctx.user.id),
    )


async def set_language(request: Request) -> Response:
    from starlette.responses import RedirectResponse

    lang = request.path_params["lang"]
    response = RedirectResponse(safe_next(request.query_params.get("next", "/")), status_code=303)
    if lang in ("id", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=ONE_YEAR, path="/", samesite="lax")
    return response


async def healthz(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    services = request.app.state.services
    try:
        await run_in_threadpool(services.db.ping)
    except Exception:
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def not_found(ctx: Ctx) -> Response:
    return error_page(ctx, 404, N_("This page does not exist."))


routes = [
    Route("/", home),
    Route("/healthz", healthz),
    Route("/bahasa/{lang}", set_language),
    Route("/konsultasi", consultations),
    Route("/konsultasi/{cid}", consultation_page),
    Route("/konsultasi/{cid}/bagian/{position}", section_page),
    Route("/konsultasi/{cid}/komentar", post_comment, methods=["POST"]),
    Route("/komentar/{comment_id}/tarik", withdraw_comment, methods=["POST"]),
    Route("/dukung", support, methods=["POST"]),
    Route("/aspirasi", aspirations),
    Route("/aspirasi/baru", aspiration_form, methods=["GET"]),
    Route("/aspirasi/baru", submit_aspiration, methods=["POST"]),
    Route("/aspirasi/{ticket}", aspiration_page),
    Route("/aspirasi/{ticket}/tarik", withdraw_aspiration, methods=["POST"]),
    Route("/tiket", ticket_lookup),
    Route("/daftar", register_form, methods=["GET"]),
    Route("/daftar", register, methods=["POST"]),
    Route("/masuk", login_form, methods=["GET"]),
    Route("/masuk", login, methods=["POST"]),
    Route("/keluar", logout, methods=["POST"]),
    Route("/saya", my_contributions),
]
