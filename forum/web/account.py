"""A person's own account: correct the profile, change the password, two-factor
authentication (the login's second step, enrolment, recovery codes), see and download all
their data, delete the account (UU PDP No. 27/2022); and the administrators' export of an
account's data for a breach report."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import IO, Any
from urllib.parse import urlsplit

from markupsafe import Markup
from sqlmodel import select
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from forum import actions, attachments, queries, totp
from forum.attachments import extension_of
from forum.errors import N_, Invalid, NotFound
from forum.extensions import ACCOUNT_DATA
from forum.models import Account, Attachment, Role, utcnow
from forum.web.kit import (
    LOGIN_STEP_COOKIE,
    SESSION_COOKIE,
    TWO_FACTOR_PAGE,
    Ctx,
    access_rules,
    form_errors,
    path_int,
    safe_next,
    view,
)

log = logging.getLogger(__name__)


def _profile(ctx: Ctx, status_code: int = 200, errors: dict[str, str] | None = None) -> Response:
    assert ctx.user is not None
    assert ctx.user.id is not None
    return ctx.render(
        "account/profile.html",
        status_code=status_code,
        errors=errors or {},
        two_factor=actions.two_factor_enrolled(ctx.db, ctx.user.id),
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
            rules=access_rules(ctx),
            ip=ctx.client_ip(),
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _profile(ctx, 400, form_errors(ctx, exc))
    return ctx.redirect("/saya/profil", "email-change-asked" if ctx.user.pending_email else "saved")


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
    _fresh_session(ctx)
    return ctx.redirect("/saya/profil", "password-changed")


def _fresh_session(ctx: Ctx) -> None:
    assert ctx.user is not None
    token = actions.open_session(
        ctx.db,
        ctx.user,
        ip=ctx.client_ip(),
        user_agent=ctx.request.headers.get("user-agent", ""),
        session_days=ctx.settings.session_days,
    )
    ctx.set_cookie(SESSION_COOKIE, token, ctx.settings.session_days * 24 * 3600)


# --- two-factor authentication --------------------------------------------------------------


def _limits(ctx: Ctx) -> actions.CodeLimits:
    settings = ctx.settings
    return actions.CodeLimits(
        per_account=settings.totp_max_failures,
        per_ip=settings.totp_max_failures_per_ip,
        window=timedelta(minutes=settings.login_window_minutes),
    )


def _no_store(response: Response) -> Response:
    """Pages showing a secret or recovery codes are never kept by a browser or proxy cache."""
    response.headers["cache-control"] = "no-store"
    return response


@view(write=False)
def login_code_form(ctx: Ctx) -> Response:
    if actions.login_challenge(ctx.db, ctx.request.cookies.get(LOGIN_STEP_COOKIE, "")) is None:
        return ctx.redirect("/masuk")
    return ctx.render("account/login_code.html", error=None)


@view()
def login_code(ctx: Ctx) -> Response:
    """The second login step: the session exists only once a code is accepted."""
    settings = ctx.settings
    try:
        _, token, next_url, recovery = actions.complete_login(
            ctx.db,
            challenge_token=ctx.request.cookies.get(LOGIN_STEP_COOKIE, ""),
            code=ctx.field("code"),
            secret_key=settings.sealing_keys,
            ip=ctx.client_ip(),
            user_agent=ctx.request.headers.get("user-agent", ""),
            limits=_limits(ctx),
            session_days=settings.session_days,
        )
    except Invalid as exc:
        ctx.db.commit()  # the wrong code counts towards the limits
        return ctx.render("account/login_code.html", status_code=400, error=ctx._(exc.message))
    ctx.set_cookie(LOGIN_STEP_COOKIE, "", 0)
    ctx.set_cookie(SESSION_COOKIE, token, settings.session_days * 24 * 3600)
    return ctx.redirect(safe_next(next_url), "2fa-recovery-used" if recovery else "logged-in")


def _issuer(ctx: Ctx) -> str:
    host = urlsplit(ctx.settings.base_url).hostname or ""
    return f"Rembug {host}".strip()


def _two_factor_page(
    ctx: Ctx, status_code: int = 200, errors: dict[str, str] | None = None
) -> Response:
    user = ctx.user
    assert user is not None and user.id is not None
    common = {
        "errors": errors or {},
        "required": actions.two_factor_required(user),
    }
    if actions.two_factor_enrolled(ctx.db, user.id):
        return ctx.render(
            "account/two_factor.html",
            status_code=status_code,
            enrolled=True,
            codes_left=actions.recovery_codes_left(ctx.db, user.id),
            **common,
        )
    secret = actions.start_enrolment(ctx.db, user, secret_key=ctx.settings.sealing_keys)
    uri = totp.otpauth_uri(
        secret, account_name=user.email or user.phone or str(user.id), issuer=_issuer(ctx)
    )
    key = totp.b32(secret)
    return _no_store(
        ctx.render(
            "account/two_factor.html",
            status_code=status_code,
            enrolled=False,
            secret=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            uri=uri,
            qr=Markup(totp.qr_svg(uri, ctx._("QR code to scan with the authenticator app"))),  # noqa: S704 - segno's SVG, from our own URI
            **common,
        )
    )


@view(login=True, write=True, two_factor_setup=True)
def two_factor(ctx: Ctx) -> Response:
    return _two_factor_page(ctx)


def _recovery_codes(ctx: Ctx, codes: list[str]) -> Response:
    # This browser keeps its login with a fresh session; the others were ended.
    _fresh_session(ctx)
    next_url = "/"
    if ctx.user is not None and actions.two_factor_required(ctx.user):
        next_url = "/admin" if ctx.user.role == Role.admin else "/saya"
    return _no_store(ctx.render("account/recovery_codes.html", codes=codes, next=next_url))


@view(login=True, two_factor_setup=True)
def two_factor_enable(ctx: Ctx) -> Response:
    assert ctx.user is not None
    try:
        codes = actions.confirm_enrolment(
            ctx.db,
            ctx.user,
            code=ctx.field("code"),
            secret_key=ctx.settings.sealing_keys,
            ip=ctx.client_ip(),
            limits=_limits(ctx),
        )
    except Invalid as exc:
        ctx.db.commit()  # the wrong code counts towards the limits
        return _two_factor_page(ctx, 400, form_errors(ctx, exc))
    return _recovery_codes(ctx, codes)


@view(login=True)
def two_factor_recovery_codes(ctx: Ctx) -> Response:
    assert ctx.user is not None
    try:
        codes = actions.regenerate_recovery_codes(
            ctx.db,
            ctx.user,
            code=ctx.field("code"),
            secret_key=ctx.settings.sealing_keys,
            ip=ctx.client_ip(),
            limits=_limits(ctx),
        )
    except Invalid as exc:
        ctx.db.commit()
        return _two_factor_page(ctx, 400, {"regen": ctx._(exc.message, **exc.params)})
    return _recovery_codes(ctx, codes)


@view(login=True)
def two_factor_disable(ctx: Ctx) -> Response:
    assert ctx.user is not None
    try:
        actions.disable_two_factor(
            ctx.db,
            ctx.user,
            code=ctx.field("code"),
            secret_key=ctx.settings.sealing_keys,
            ip=ctx.client_ip(),
            limits=_limits(ctx),
        )
    except Invalid as exc:
        ctx.db.commit()
        return _two_factor_page(ctx, 400, {"disable": ctx._(exc.message, **exc.params)})
    _fresh_session(ctx)
    return ctx.redirect(TWO_FACTOR_PAGE, "2fa-disabled")


def _account_data(ctx: Ctx, account: Account) -> dict[str, object]:
    """The core's export of ``account`` and the plugged-in packages' parts of it."""
    data = queries.export_account_data(ctx.db, account)
    for part in ctx.services.extensions.get(ACCOUNT_DATA, []):
        data.update(part(ctx.db, account))
    return data


@view(login=True)
def my_data(ctx: Ctx) -> Response:
    assert ctx.user is not None
    data = _account_data(ctx, ctx.user)
    parts = [key for key, value in data.items() if isinstance(value, list)]
    return ctx.render("account/data.html", data=data, parts=parts)


def _json_download(data: dict[str, object], filename: str) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@view(login=True)
def my_data_json(ctx: Ctx) -> Response:
    assert ctx.user is not None
    return _json_download(_account_data(ctx, ctx.user), "rembug-data-saya.json")


ZIP_CHUNK = 256 * 1024


@view(login=True)
def my_data_zip(ctx: Ctx) -> Response:
    """The person's data with their files: ``data.json`` (as /saya/data.json) and each
    attachment that is not removed under ``lampiran/`` (where its ``file`` says). Written to a
    temporary file first (the files may be up to the account's quota), then sent from it."""
    assert ctx.user is not None
    data = _account_data(ctx, ctx.user)
    # Closed by the response once sent (or here, if writing it fails).
    archive = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        _write_archive(ctx, archive, data)
        archive.seek(0)
    except BaseException:
        archive.close()
        raise

    def chunks() -> Iterator[bytes]:
        with archive:
            while chunk := archive.read(ZIP_CHUNK):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type="application/zip",
        headers={"content-disposition": 'attachment; filename="rembug-data-saya.zip"'},
    )


def _write_archive(ctx: Ctx, out: IO[bytes], data: dict[str, Any]) -> None:
    assert ctx.user is not None
    rows = {
        queries.export_file(a): a
        for a in ctx.db.exec(select(Attachment).where(Attachment.account_id == ctx.user.id))
    }
    store = attachments.store_for(ctx.settings)
    with zipfile.ZipFile(out, "w") as zf:
        for entry in data["attachments"]:
            row = rows.get(entry["file"]) if entry["file"] else None
            if row is None:
                continue
            info = zipfile.ZipInfo(entry["file"], _zip_time(row))  # stored: already compressed
            try:
                with (
                    store.open(row.sha256, extension_of(row.media_type)) as src,
                    zf.open(info, "w") as dst,
                ):
                    shutil.copyfileobj(src, dst, ZIP_CHUNK)
            except FileNotFoundError:
                log.error("attachment %s: its file is missing from the store", row.id)
                entry["file"] = None
        zf.writestr(
            zipfile.ZipInfo("data.json", _zip_time(None)),
            json.dumps(data, ensure_ascii=False, indent=2),
            compress_type=zipfile.ZIP_DEFLATED,
        )


def _zip_time(row: Attachment | None) -> tuple[int, int, int, int, int, int]:
    when = row.created_at if row is not None else utcnow()
    return (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)


@view(login=True)
def delete_me(ctx: Ctx) -> Response:
    assert ctx.user is not None
    try:
        actions.delete_account(
            ctx.db,
            ctx.user,
            password=ctx.field("password"),
            contributions=ctx.field("contributions"),
            store=attachments.store_for(ctx.settings),
        )
    except Invalid as exc:
        ctx.db.rollback()
        return _profile(ctx, 400, form_errors(ctx, exc))
    ctx.set_cookie(SESSION_COOKIE, "", 0)
    return ctx.redirect("/", "account-deleted")


@view(roles=(Role.admin,))
def admin_account_data(ctx: Ctx) -> Response:
    account = ctx.db.get(Account, path_int(ctx, "account_id"))
    if account is None:
        raise NotFound(N_("This page does not exist."))
    return _json_download(_account_data(ctx, account), f"rembug-akun-{account.id}.json")


routes = [
    Route("/masuk/kode", login_code_form, methods=["GET"]),
    Route("/masuk/kode", login_code, methods=["POST"]),
    Route(TWO_FACTOR_PAGE, two_factor),
    Route(TWO_FACTOR_PAGE + "/aktifkan", two_factor_enable, methods=["POST"]),
    Route(TWO_FACTOR_PAGE + "/kode-pemulihan", two_factor_recovery_codes, methods=["POST"]),
    Route(TWO_FACTOR_PAGE + "/nonaktifkan", two_factor_disable, methods=["POST"]),
    Route("/saya/profil", profile, methods=["GET"]),
    Route("/saya/profil", save_profile, methods=["POST"]),
    Route("/saya/kata-sandi", change_password, methods=["POST"]),
    Route("/saya/data", my_data),
    Route("/saya/data.json", my_data_json),
    Route("/saya/data.zip", my_data_zip),
    Route("/saya/hapus", delete_me, methods=["POST"]),
    Route("/admin/akun/{account_id}/data.json", admin_account_data),
]
