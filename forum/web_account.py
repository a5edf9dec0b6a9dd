"""A person's own account: correct the profile, change the password, see and download all
their data, delete the account (UU PDP No. 27/2022); and the administrators' export of an
account's data for a breach report."""

from __future__ import annotations

import json

from starlette.responses import Response
from starlette.routing import Route

from forum import actions, queries
from forum.errors import N_, Invalid, NotFound
from forum.models import Account, Role
from forum.web import _path_int
from forum.webkit import SESSION_COOKIE, Ctx, form_errors, view


def _profile(ctx: Ctx, status_code: int = 200, errors: dict[str, str] | None = None) -> Response:
    assert ctx.user is not None
    return ctx.render(
        "account/profile.html",
        status_code=status_code,
        errors=errors or {},
        values={
            "name": ctx.field("name", ctx.user.name),
            "email": ctx.field("email", ctx.user.email or ""),
            "phone": ctx.field("phone", ctx.user.phone or ""),
        },
    )


@view(login=True)
def profile(ctx: Ctx) -> Response:
    return _profile(ctx)


@view(login=True)
def save_profile(ctx: Ctx) -> Response:
    assert ctx.user is not None
    try:
        actions.update_profile(
            ctx.db,
            ctx.user,
            name=ctx.field("name"),
            email=ctx.field("email").strip() or None,
            phone=ctx.field("phone").strip() or None,
            locale=ctx.field("locale", ctx.user.locale),
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _profile(ctx, 400, form_errors(ctx, exc))
    return ctx.redirect("/saya/profil", "saved")


@view(login=True)
def change_password(ctx: Ctx) -> Response:
    assert ctx.user is not None
    try:
        actions.change_password(
            ctx.db, ctx.user, current=ctx.field("current"), new=ctx.field("new")
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _profile(ctx, 400, form_errors(ctx, exc))
    # Every session ended with the old password; this browser gets a fresh one.
    token = actions.open_session(
        ctx.db,
        ctx.user,
        ip=ctx.client_ip(),
        user_agent=ctx.request.headers.get("user-agent", ""),
        session_days=ctx.settings.session_days,
    )
    ctx.set_cookie(SESSION_COOKIE, token, ctx.settings.session_days * 24 * 3600)
    return ctx.redirect("/saya/profil", "password-changed")


@view(login=True)
def my_data(ctx: Ctx) -> Response:
    assert ctx.user is not None
    return ctx.render("account/data.html", data=queries.export_account_data(ctx.db, ctx.user))


def _json_download(data: dict[str, object], filename: str) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@view(login=True)
def my_data_json(ctx: Ctx) -> Response:
    assert ctx.user is not None
    return _json_download(queries.export_account_data(ctx.db, ctx.user), "rembug-data-saya.json")


@view(login=True)
def delete_me(ctx: Ctx) -> Response:
    assert ctx.user is not None
    try:
        actions.delete_account(
            ctx.db,
            ctx.user,
            password=ctx.field("password"),
            contributions=ctx.field("contributions"),
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _profile(ctx, 400, form_errors(ctx, exc))
    ctx.set_cookie(SESSION_COOKIE, "", 0)
    return ctx.redirect("/", "account-deleted")


@view(roles=(Role.admin,))
def admin_account_data(ctx: Ctx) -> Response:
    account = ctx.db.get(Account, _path_int(ctx, "account_id"))
    if account is None:
        raise NotFound(N_("This page does not exist."))
    return _json_download(
        queries.export_account_data(ctx.db, account), f"rembug-akun-{account.id}.json"
    )


routes = [
    Route("/saya/profil", profile, methods=["GET"]),
    Route("/saya/profil", save_profile, methods=["POST"]),
    Route("/saya/kata-sandi", change_password, methods=["POST"]),
    Route("/saya/data", my_data),
    Route("/saya/data.json", my_data_json),
    Route("/saya/hapus", delete_me, methods=["POST"]),
    Route("/admin/akun/{account_id}/data.json", admin_account_data),
]
