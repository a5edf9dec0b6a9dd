"""Getting back into an account on the web: "Lupa kata sandi?" and the reset link, the
confirmation of an address (by its link or its code), and signing in or registering by a
one-time code (forum/actions/access.py does the work; these pages only ask and answer).

A link from a mail only shows a page; the change happens when its button is pressed (a POST
with the form token), so a mail scanner that opens links changes nothing."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response
from starlette.routing import Route

from forum import actions, ratelimit
from forum.errors import Conflict, Invalid
from forum.extensions import LOGIN_CODE_FINDERS, LOGIN_CODE_SENDERS
from forum.web.kit import (
    LOGIN_STEP_COOKIE,
    SESSION_COOKIE,
    TWO_FACTOR_PAGE,
    Ctx,
    access_rules,
    checkbox,
    form_errors,
    safe_next,
    view,
)

CODE_COOKIE = "rembug_code"  # names the sign-in code row between /masuk/dengan-kode and /kode
CHANNEL_LABELS = {
    "email": "Email",
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
    "sms": "SMS",
}


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response


def _token(ctx: Ctx) -> str:
    return str(ctx.request.path_params.get("token", ""))[:100]


# --- forgotten password ---------------------------------------------------------------------


@view(write=False)
def forgot_form(ctx: Ctx) -> Response:
    return ctx.render("account/forgot.html", errors={}, email="", sent=False)


@view()
def forgot(ctx: Ctx) -> Response:
    email = ctx.field("email")
    try:
        actions.request_password_reset(
            ctx.db, email=email, rules=access_rules(ctx), ip=ctx.client_ip()
        )
    except Invalid as exc:
        return ctx.render(
            "account/forgot.html",
            status_code=400,
            errors=form_errors(ctx, exc),
            email=email,
            sent=False,
        )
    return ctx.render(
        "account/forgot.html",
        errors={},
        email=email.strip(),
        sent=True,
        minutes=ctx.settings.reset_link_minutes,
    )


@view(write=False)
def reset_form(ctx: Ctx) -> Response:
    if actions.reset_lookup(ctx.db, _token(ctx)) is None:
        return _no_store(ctx.render("account/reset.html", status_code=400, valid=False, errors={}))
    return _no_store(ctx.render("account/reset.html", valid=True, errors={}))


@view()
def reset(ctx: Ctx) -> Response:
    try:
        actions.reset_password(
            ctx.db,
            _token(ctx),
            new=ctx.field("password"),
            rules=access_rules(ctx),
            ip=ctx.client_ip(),
        )
    except Invalid as exc:
        return _no_store(
            ctx.render(
                "account/reset.html", status_code=400, valid=True, errors=form_errors(ctx, exc)
            )
        )
    except Conflict:
        return _no_store(ctx.render("account/reset.html", status_code=400, valid=False, errors={}))
    # No session: the person logs in with the new password (and a staff account's code).
    ctx.set_cookie(SESSION_COOKIE, "", 0)
    return ctx.redirect("/masuk", "password-reset")


# --- confirming an address ------------------------------------------------------------------


@view(write=False)
def confirm_link_form(ctx: Ctx) -> Response:
    valid = actions.confirmation_row(ctx.db, _token(ctx)) is not None
    return _no_store(
        ctx.render("account/confirm_link.html", status_code=200 if valid else 400, valid=valid)
    )


@view()
def confirm_link(ctx: Ctx) -> Response:
    try:
        account = actions.confirm_by_link(
            ctx.db, _token(ctx), rules=access_rules(ctx), ip=ctx.client_ip(), actor=ctx.user
        )
    except Conflict:
        return _no_store(ctx.render("account/confirm_link.html", status_code=400, valid=False))
    return ctx.redirect(
        "/saya" if ctx.user and ctx.user.id == account.id else "/", "email-confirmed"
    )


def _confirm_page(
    ctx: Ctx, status_code: int = 200, errors: dict[str, str] | None = None
) -> Response:
    return ctx.render("account/confirm.html", status_code=status_code, errors=errors or {})


@view(login=True, write=False)
def confirm_form(ctx: Ctx) -> Response:
    return _confirm_page(ctx)


@view(login=True)
def confirm(ctx: Ctx) -> Response:
    assert ctx.user is not None
    rules = access_rules(ctx)
    if ctx.field("action") == "resend":
        actions.resend_confirmation(ctx.db, ctx.user, rules=rules, ip=ctx.client_ip())
        return ctx.redirect("/saya/konfirmasi", "confirmation-sent")
    try:
        change = actions.confirm_by_code(
            ctx.db, ctx.user, ctx.field("code"), rules=rules, ip=ctx.client_ip()
        )
    except Invalid as exc:
        ctx.db.commit()  # the wrong try counts
        return _confirm_page(ctx, 400, form_errors(ctx, exc))
    return ctx.redirect("/saya/profil", change)


# --- sign-in by a one-time code -------------------------------------------------------------


def _channels(ctx: Ctx) -> list[tuple[str, str]]:
    senders = ctx.services.extensions.get(LOGIN_CODE_SENDERS, {})
    return [(name, CHANNEL_LABELS.get(name, name)) for name in actions.code_channels(senders)]


def _code_request_page(
    ctx: Ctx, status_code: int = 200, errors: dict[str, str] | None = None
) -> Response:
    return ctx.render(
        "account/code_request.html",
        status_code=status_code,
        errors=errors or {},
        channels=_channels(ctx),
        login=ctx.field("login"),
        channel=ctx.field("channel", "email"),
        next=safe_next(ctx.field("next") or ctx.query("next") or "/"),
    )


@view(write=False)
def code_request_form(ctx: Ctx) -> Response:
    return _code_request_page(ctx)


def _code_cookie(ctx: Ctx, attempt: str) -> None:
    ctx.set_cookie(CODE_COOKIE, attempt, ctx.settings.login_code_minutes * 60)


@view()
def code_request(ctx: Ctx) -> Response:
    try:
        attempt = actions.request_login_code(
            ctx.db,
            login=ctx.field("login"),
            channel=ctx.field("channel", "email"),
            rules=access_rules(ctx),
            senders=ctx.services.extensions.get(LOGIN_CODE_SENDERS, {}),
            finders=ctx.services.extensions.get(LOGIN_CODE_FINDERS, {}),
            ip=ctx.client_ip(),
            next_url=safe_next(ctx.field("next") or "/"),
        )
    except Invalid as exc:
        return _code_request_page(ctx, 400, form_errors(ctx, exc))
    _code_cookie(ctx, attempt)
    return ctx.redirect("/kode")


def _code_page(ctx: Ctx, status_code: int = 200, error: str | None = None) -> Response:
    row = actions.code_login_row(ctx.db, ctx.request.cookies.get(CODE_COOKIE, ""))
    channel = row.channel if row else "email"
    return _no_store(
        ctx.render(
            "account/code_enter.html",
            status_code=status_code,
            error=error,
            channel=CHANNEL_LABELS.get(channel, channel),
            minutes=ctx.settings.login_code_minutes,
        )
    )


@view(write=False)
def code_form(ctx: Ctx) -> Response:
    if actions.code_login_row(ctx.db, ctx.request.cookies.get(CODE_COOKIE, "")) is None:
        return ctx.redirect("/masuk/dengan-kode")
    return _code_page(ctx)


@view()
def code(ctx: Ctx) -> Response:
    settings = ctx.settings
    try:
        result, next_url = actions.complete_code_login(
            ctx.db,
            attempt=ctx.request.cookies.get(CODE_COOKIE, ""),
            code=ctx.field("code"),
            rules=access_rules(ctx),
            ip=ctx.client_ip(),
            user_agent=ctx.request.headers.get("user-agent", ""),
            session_days=settings.session_days,
        )
    except Invalid as exc:
        ctx.db.commit()  # the wrong try counts
        return _code_page(ctx, 400, ctx._(exc.message))
    except Conflict as exc:
        return _code_page(ctx, 400, ctx._(exc.message))
    ctx.set_cookie(CODE_COOKIE, "", 0)
    if result.second_step:
        lifetime = int(actions.LOGIN_CHALLENGE_LIFETIME.total_seconds())
        ctx.set_cookie(LOGIN_STEP_COOKIE, result.token, lifetime)
        return ctx.redirect("/masuk/kode")
    ctx.set_cookie(SESSION_COOKIE, result.token, settings.session_days * 24 * 3600)
    if actions.two_factor_required(result.account):
        return ctx.redirect(TWO_FACTOR_PAGE)
    return ctx.redirect(safe_next(next_url), "logged-in")


@view(write=False)
def register_code_form(ctx: Ctx) -> Response:
    return ctx.render("account/register_code.html", errors={}, values={"name": "", "email": ""})


@view()
def register_code(ctx: Ctx) -> Response:
    values = {name: ctx.field(name) for name in ("name", "email")}
    ratelimit.hit(
        ctx.db,
        f"register-ip:{ctx.client_ip()}",
        limit=ctx.settings.rate_register_per_hour,
        window=timedelta(hours=1),
    )
    try:
        attempt = actions.register_by_code(
            ctx.db,
            name=values["name"],
            email=values["email"],
            consent=checkbox(ctx, "consent"),
            rules=access_rules(ctx),
            ip=ctx.client_ip(),
            locale=ctx.locale,
        )
    except Invalid as exc:
        return ctx.render(
            "account/register_code.html",
            status_code=400,
            errors=form_errors(ctx, exc),
            values=values,
        )
    _code_cookie(ctx, attempt)
    return ctx.redirect("/kode")


routes = [
    Route("/lupa-sandi", forgot_form, methods=["GET"]),
    Route("/lupa-sandi", forgot, methods=["POST"]),
    Route("/atur-ulang-sandi/{token}", reset_form, methods=["GET"]),
    Route("/atur-ulang-sandi/{token}", reset, methods=["POST"]),
    Route("/konfirmasi/{token}", confirm_link_form, methods=["GET"]),
    Route("/konfirmasi/{token}", confirm_link, methods=["POST"]),
    Route("/saya/konfirmasi", confirm_form, methods=["GET"]),
    Route("/saya/konfirmasi", confirm, methods=["POST"]),
    Route("/masuk/dengan-kode", code_request_form, methods=["GET"]),
    Route("/masuk/dengan-kode", code_request, methods=["POST"]),
    Route("/kode", code_form, methods=["GET"]),
    Route("/kode", code, methods=["POST"]),
    Route("/daftar/dengan-kode", register_code_form, methods=["GET"]),
    Route("/daftar/dengan-kode", register_code, methods=["POST"]),
]
