"""The web layer's plumbing: request context, the ``view`` wrapper (CSRF, roles, one database
session per request, run in a worker thread), security headers, rendering and error pages."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forum import actions, intake, markup, submissions
from forum.errors import N_, ActionError, Invalid, Msg, NotFound, Throttled
from forum.extensions import NAV_LINKS, REPORT_PATH
from forum.i18n import LOCALES, Formatter, gettext, jinja_callables
from forum.models import Account, Role, utcnow
from forum.notifications import unread_count
from forum.services import Services
from forum.settings import Settings
from forum.spool import Incoming
from forum.validation import MAX_ID, PASSWORD_MIN

log = logging.getLogger(__name__)

SESSION_COOKIE = "rembug_session"
CSRF_COOKIE = "rembug_csrf"
LANG_COOKIE = "rembug_lang"
FLASH_COOKIE = "rembug_flash"
LOGIN_STEP_COOKIE = "rembug_login"  # the pending login between the password and the code
TWO_FACTOR_PAGE = "/saya/2fa"
MAX_FORM_BYTES = 1_000_000
# Parts of an upload form the parser takes at most (files beyond REMBUG_ATTACHMENT_MAX_FILES
# are refused by the handler, with the form refilled; the body limit bounds their size).
UPLOAD_PARTS = 50
FORM_EXPIRED = N_("This form has expired. Go back, reload the page and try again.")
UPLOAD_TOO_LARGE = N_(
    "The files are too large together: at most %(files)s files of %(mb)s MB each. Go back and "
    "choose fewer or smaller files."
)
ROLE_REFUSED = N_("Your account is not allowed to open this page.")

# Flash messages are chosen by key, so a cookie can never inject text.
FLASHES: dict[str, str] = {
    "comment-submitted": N_("Thank you! Your comment awaits review before it is public."),
    "aspiration-submitted": N_("Thank you! Your aspiration awaits review."),
    "logged-in": N_("You are logged in."),
    "logged-out": N_("You are logged out."),
    "registered": N_("Welcome! Your account is ready."),
    "saved": N_("Saved."),
    "published": N_("Published."),
    "closed": N_("The consultation is closed."),
    "approved": N_("Approved and published."),
    "rejected": N_("Rejected; the author sees the reason."),
    "supported": N_("Thank you for your support."),
    "support-withdrawn": N_("Your support is withdrawn."),
    "withdrawn": N_("Withdrawn."),
    "responded": N_("Official response published."),
    "flagged": N_("Thank you. Moderators will look at it."),
    "confirmed": N_("Thank you! The aspiration is closed as resolved."),
    "reopened": N_("Reopened: the agency has to answer again."),
    "routed": N_("Sent to the other agency."),
    "password-changed": N_("Password changed. Other devices are logged out."),
    "account-deleted": N_("Your account is deleted."),
    "appealed": N_("Your appeal was sent; another moderator will decide."),
    "2fa-reset": N_(
        "Two-factor authentication of the account is reset and its sessions ended; it sets "
        "it up again at its next login."
    ),
    "password-reset": N_(
        "Your new password is set and every device was logged out. Log in with it now."
    ),
    "email-confirmed": N_("Thank you! Your email address is confirmed."),
    "email-changed": N_("Your new email address is confirmed and replaces the old one."),
    "confirmation-sent": N_("We sent a new confirmation mail. Look in your inbox (and spam)."),
    "email-change-asked": N_(
        "Saved. Your new email address takes effect once you confirm it: we sent it a mail."
    ),
    "2fa-disabled": N_("Two-factor authentication is off. Other devices are logged out."),
    "2fa-recovery-used": N_(
        "You logged in with a recovery code; it cannot be used again. Generate new codes "
        "when few are left."
    ),
}


def csrf_token_for(secret_key: str, cookie_value: str) -> str:
    """The form token is an HMAC of the visitor's CSRF cookie (signed double submit)."""
    return hmac.new(secret_key.encode(), cookie_value.encode(), hashlib.sha256).hexdigest()


class BaseMiddleware:
    """Security headers on every response, and the CSRF cookie when the visitor has none and
    the response carries a form token bound to it (``Ctx.render`` says so)."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        new_cookie = None
        if not (16 <= len(cookie) <= 64 and cookie.isascii()):
            cookie = new_cookie = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_cookie"] = cookie
        settings = self.services.settings

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                # A response that set one of these itself keeps its own (an attachment's
                # stricter Content-Security-Policy).
                present = {name.lower() for name, _ in headers}
                for name, value in _security_headers(settings.secure_cookies):
                    if name not in present:
                        headers.append((name, value))
                if new_cookie is not None and scope["state"].get("csrf_needed"):
                    secure = "; Secure" if settings.secure_cookies else ""
                    cookie_header = (
                        f"{CSRF_COOKIE}={new_cookie}; Path=/; HttpOnly; SameSite=Lax{secure}"
                    )
                    headers.append((b"set-cookie", cookie_header.encode()))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _security_headers(https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        ),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


@dataclass
class Ctx:
    """What a handler gets: the request, parsed form, current account and a db session."""

    request: Request
    services: Services
    db: Session
    user: Account | None
    locale: str
    form: FormData | None = None
    cookies_to_set: list[tuple[str, str, int | None]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def _(self, message: str, **params: Any) -> str:
        return gettext(self.locale, message, **params)

    def msg(self, message: Msg) -> str:
        return gettext(self.locale, message.text, **message.params)

    def field(self, name: str, default: str = "") -> str:
        if self.form is None:
            return default
        value = self.form.get(name, default)
        return value if isinstance(value, str) else default

    def uploads(self, name: str = "attachments") -> list[tuple[str, bytes]]:
        """The files sent in the form field ``name`` as (the citizen's file name, bytes), at
        most one byte over REMBUG_ATTACHMENT_MAX_MB each (enough to refuse it by its size).
        An empty file input (nothing chosen) sends nothing."""
        if self.form is None:
            return []
        limit = self.settings.attachment_max_bytes + 1
        found = []
        for value in self.form.getlist(name):
            if isinstance(value, str) or (not value.filename and not value.size):
                continue
            value.file.seek(0)
            found.append((value.filename or "", value.file.read(limit)))
        return found

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)[:500]

    def query_int(self, name: str, default: int = 1) -> int:
        return parse_int(self.request.query_params.get(name, ""), default)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        env = self.services.templates
        fmt = Formatter(self.locale, self.settings.timezone)
        flash_key = self.request.cookies.get(FLASH_COOKIE, "")
        flash = gettext(self.locale, FLASHES[flash_key]) if flash_key in FLASHES else None
        token = csrf_token_for(self.settings.secret_key, self.request.state.csrf_cookie)
        html = env.get_template(template).render(
            request=self.request,
            user=self.user,
            locale=self.locale,
            locales=LOCALES,
            csrf_token=token,
            fmt=fmt,
            flash=flash,
            Role=Role,
            md=markup.render_comment,
            md_doc=markup.render_document,
            md_inline=markup.render_inline,
            current_path=self.request.url.path,
            password_min=PASSWORD_MIN,
            attachment_limits={
                "files": self.settings.attachment_max_files,
                "mb": self.settings.attachment_max_mb,
            },
            nav_links=self.services.extensions.get(NAV_LINKS, []),
            report_path=self.services.extensions.get(REPORT_PATH, ""),
            unread=unread_count(self.db, self.user.id) if self.user and self.user.id else 0,
            **jinja_callables(self.locale),
            **context,
        )
        if token in html:
            # The visitor needs the CSRF cookie this form token is bound to (BaseMiddleware):
            # a page without a form sets no cookie, so nginx and browsers may cache it.
            self.request.state.csrf_needed = True
        response = HTMLResponse(html, status_code=status_code)
        if flash_key:
            response.delete_cookie(FLASH_COOKIE, path="/")
        self._apply_cookies(response)
        return response

    def redirect(self, url: str, flash: str | None = None) -> RedirectResponse:
        response = RedirectResponse(safe_next(url), status_code=303)
        if flash is not None:
            assert flash in FLASHES
            response.set_cookie(
                FLASH_COOKIE,
                flash,
                max_age=60,
                path="/",
                samesite="lax",
                httponly=True,
                secure=self.settings.secure_cookies,
            )
        self._apply_cookies(response)
        return response

    def set_cookie(self, name: str, value: str, max_age: int | None) -> None:
        self.cookies_to_set.append((name, value, max_age))

    def _apply_cookies(self, response: Response) -> None:
        for name, value, max_age in self.cookies_to_set:
            if max_age == 0:
                response.delete_cookie(name, path="/")
            else:
                response.set_cookie(
                    name,
                    value,
                    max_age=max_age,
                    path="/",
                    httponly=True,
                    samesite="lax",
                    secure=self.settings.secure_cookies,
                )

    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else "unknown"

    def limit_posting(self, kind: str) -> None:
        """The per-account posting limits (``forum.submissions.check_posting``): counted over
        what is stored and what waits in the intake, so a post refused for bad input does not
        count."""
        assert self.user is not None
        submissions.check_posting(self.services, self.db, self.user, kind)


def access_rules(ctx: Ctx) -> actions.AccessRules:
    """The settings the access actions (confirmation, reset, sign-in codes) work with."""
    settings = ctx.settings
    return actions.AccessRules(
        secret_key=settings.secret_key,
        sealing_keys=settings.sealing_keys,
        per_hour=settings.rate_access_mails_per_hour,
        code_minutes=settings.login_code_minutes,
        max_tries=settings.login_code_max_tries,
        reset_minutes=settings.reset_link_minutes,
        unconfirmed_days=settings.unconfirmed_account_days,
    )


def parse_int(value: str | None, default: int) -> int:
    """Bounded integer from a query/path/form value (never a 500 on huge numbers)."""
    if value is None or not value.isdigit() or len(value) > 10:
        return default
    number = int(value)
    return number if 0 < number <= MAX_ID else default


def path_int(ctx: Ctx, name: str) -> int:
    """A positive integer path parameter, or this page does not exist (404)."""
    value = parse_int(str(ctx.request.path_params.get(name, "")), 0)
    if value == 0:
        raise NotFound(N_("This page does not exist."))
    return value


def safe_next(url: str) -> str:
    """Only same-site relative paths (no //host, no scheme) may be redirected to."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return "/"
    if "\\" in url:
        return "/"
    return url


def pick_locale(request: Request, default: str) -> str:
    lang = request.cookies.get(LANG_COOKIE, "")
    return lang if lang in LOCALES else default


@dataclass(frozen=True)
class AfterIntake:
    """A handler's answer that holds until ``incoming`` is durable in the intake spool (the
    group commit of forum.intake): the request thread did the checks, the event loop waits
    for the fsync, then ``response`` goes out. Nothing is acknowledged if the store fails."""

    response: Response
    incoming: Incoming


Handler = Callable[[Ctx], "Response | AfterIntake"]


class PageCache:
    """Pages rendered for anonymous visitors, kept a few seconds in each process and emptied
    after every commit that emitted an event, so a busy consultation page is served without a
    database query or a template render (see docs/performance.md)."""

    def __init__(self, seconds: float, max_entries: int = 512) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, str], tuple[float, int, bytes, str]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        # One render per key at a time; the others wait for it (no thundering herd).
        self._inflight: dict[tuple[str, str, str], asyncio.Future[None]] = {}

    def get(
        self, key: tuple[str, str, str], *, stale_ok: bool = False
    ) -> tuple[int, bytes, str] | None:
        """A fresh entry (or, with ``stale_ok``, an expired one kept for serving while it is
        re-rendered; a change empties the cache, so stale never means outdated by a write)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (entry[0] < time.monotonic() and not stale_ok):
                return None
            self._entries.move_to_end(key)
            return entry[1], entry[2], entry[3]

    async def fetch(
        self, key: tuple[str, str, str], render: Callable[[], Awaitable[Response]]
    ) -> Response:
        """The cached page, or a render shared by every request waiting for the same key."""
        hit = self.get(key)
        if hit is not None:
            return self._shared(Response(hit[1], status_code=hit[0], media_type=hit[2]))
        pending = self._inflight.get(key)
        if pending is not None:
            stale = self.get(key, stale_ok=True)
            if stale is not None:
                return self._shared(Response(stale[1], status_code=stale[0], media_type=stale[2]))
            await asyncio.shield(pending)
            hit = self.get(key)
            if hit is not None:
                return self._shared(Response(hit[1], status_code=hit[0], media_type=hit[2]))
            return await render()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            response = await render()
            if (
                response.status_code == 200
                and isinstance(response, HTMLResponse)
                and b'name="csrf_token"' not in response.body
            ):
                self.put(key, 200, bytes(response.body), "text/html")
                self._shared(response)
            return response
        finally:
            del self._inflight[key]
            future.set_result(None)

    def _shared(self, response: Response) -> Response:
        """Mark a page anyone may get as the same bytes: nginx's micro-cache (deploy/nginx)
        keeps only responses carrying X-Accel-Expires (and strips the header)."""
        if self.seconds > 0:
            response.headers["X-Accel-Expires"] = str(max(int(self.seconds), 1))
        return response

    def put(self, key: tuple[str, str, str], status: int, body: bytes, media_type: str) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + self.seconds, status, body, media_type)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _cache_key(request: Request, services: Services) -> tuple[str, str, str] | None:
    """Only anonymous GETs without a pending flash message may share a cached page."""
    if request.method != "GET" or SESSION_COOKIE in request.cookies:
        return None
    if FLASH_COOKIE in request.cookies:
        return None
    locale = pick_locale(request, services.settings.default_locale)
    return (request.url.path, request.url.query, locale)


def view(
    *,
    roles: tuple[Role, ...] | None = None,
    login: bool = False,
    write: bool | None = None,
    durable: bool = False,
    cache: bool = False,
    two_factor_setup: bool = False,
    csrf: bool = True,
    uploads: bool = False,
) -> Callable[[Handler], Callable[[Request], Any]]:
    """Wrap a synchronous handler: parse the form, check CSRF (POST), load the account, check
    roles, and run it in a worker thread with one database session that commits when the
    response is below 400 and rolls back otherwise (so a rejected form stores nothing).

    A staff account (official, moderator, administrator) without two-factor authentication
    is sent to the enrolment page from every page but the ``two_factor_setup`` ones (the
    enrolment itself, logging out), also when the role was granted during its session.

    ``cache``: anonymous visitors may get the page from the PageCache (answered before the
    thread pool; only pages without a form token are kept).

    ``csrf=False`` only for a POST whose URL carries a signed token that is the authority by
    itself and that other servers post without a form token (RFC 8058 one-click
    unsubscribe).

    ``uploads``: the form may carry files (``multipart/form-data``, read with
    ``Ctx.uploads``): its body may then be as large as REMBUG_ATTACHMENT_MAX_FILES files of
    REMBUG_ATTACHMENT_MAX_MB plus the form. Every other form (and this one sent url-encoded)
    takes no file and at most ``MAX_FORM_BYTES``."""

    def decorate(handler: Handler) -> Callable[[Request], Any]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            services: Services = request.app.state.services
            form = None
            if request.method == "POST":
                with_files = uploads and _is_multipart(request)
                limit = upload_limit(services.settings) if with_files else MAX_FORM_BYTES
                length = request.headers.get("content-length", "0")
                too_large = not length.isdigit() or int(length) > limit
                if not too_large:
                    try:
                        form = await _limited(request, limit).form(
                            max_files=UPLOAD_PARTS if with_files else 0, max_fields=200
                        )
                    except _BodyTooLarge:
                        too_large = True
                if too_large:
                    if with_files:
                        return await run_in_threadpool(_upload_too_large, request, services)
                    return PlainTextResponse("Request too large", status_code=413)
            key = _cache_key(request, services) if cache else None

            async def render() -> Response:
                answer = await run_in_threadpool(_run, handler, request, services, form)
                if isinstance(answer, AfterIntake):
                    incoming = answer.incoming
                    await intake.batcher(services).store(
                        channel=incoming.channel,
                        platform_id=incoming.platform_id,
                        chat_key=incoming.chat_key,
                        raw=incoming.raw,
                    )
                    return answer.response
                return answer

            try:
                if key is not None and services.page_cache.seconds > 0:
                    return await services.page_cache.fetch(key, render)
                return await render()
            finally:
                if form is not None:
                    await form.close()  # the uploaded files' temporary copies

        def _run(
            handler: Handler, request: Request, services: Services, form: FormData | None
        ) -> Response | AfterIntake:
            is_write = write if write is not None else request.method == "POST"
            locale = pick_locale(request, services.settings.default_locale)
            db = services.db.session(write=is_write, durable=durable)
            touch: int | None = None
            try:
                token = request.cookies.get(SESSION_COOKIE, "")
                user, touch = _current_user(services, db, token, is_write)
                ctx = Ctx(request, services, db, user, locale, form)
                if form is not None and csrf and not _csrf_ok(ctx):
                    db.rollback()
                    return error_page(ctx, 403, FORM_EXPIRED)
                if (
                    user is not None
                    and not two_factor_setup
                    and actions.two_factor_required(user)
                    and not actions.two_factor_enrolled(db, user.id)  # type: ignore[arg-type]
                ):
                    db.rollback()
                    return ctx.redirect(TWO_FACTOR_PAGE)
                if (login or roles) and user is None:
                    db.rollback()
                    return ctx.redirect("/masuk?next=" + _quoted(request.url.path))
                if roles and user is not None and user.role not in roles:
                    db.rollback()
                    return error_page(ctx, 403, ROLE_REFUSED)
                try:
                    response = handler(ctx)
                except ActionError as exc:
                    db.rollback()
                    response = action_error_page(ctx, exc)
                status = (
                    response.response.status_code
                    if isinstance(response, AfterIntake)
                    else response.status_code
                )
                if is_write and status < 400:
                    db.commit()
                elif is_write:
                    db.rollback()
                # A read ends with close(): no rollback that would expire every loaded row.
                return response
            except BaseException:
                db.rollback()
                raise
            finally:
                db.close()
                _touch_later(services, touch)

        return endpoint

    return decorate


class _BodyTooLarge(Exception):
    """The body went over its limit while it was read (a body sent without a length)."""


def _is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


def upload_limit(settings: Settings) -> int:
    """The largest body of a form with files: the files allowed, plus the form itself."""
    return settings.attachment_max_files * settings.attachment_max_bytes + MAX_FORM_BYTES


def _limited(request: Request, limit: int) -> Request:
    """The request, its body cut off (``_BodyTooLarge``) past ``limit`` bytes however it is
    sent: ``Content-Length`` is checked before, a chunked body only as it arrives."""
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
        return message

    return Request(request.scope, receive)


def _upload_too_large(request: Request, services: Services) -> Response:
    settings = services.settings
    with services.db.read() as db:
        ctx = Ctx(request, services, db, None, pick_locale(request, settings.default_locale))
        return error_page(
            ctx,
            413,
            UPLOAD_TOO_LARGE,
            files=settings.attachment_max_files,
            mb=settings.attachment_max_mb,
        )


def _current_user(
    services: Services, db: Session, token: str, is_write: bool
) -> tuple[Account | None, int | None]:
    """The logged-in account (idle and absolute timeouts apply), and the id of its session
    when its activity is to be noted after the request (at most every few minutes): in a
    write request it is noted in the request's transaction, in a read request afterwards, once
    its connection is back in the pool (a thread holding one connection must never wait for
    a second: under load every thread would, and the pool would run dry)."""
    if not 20 <= len(token) <= 100:
        return None, None
    idle = timedelta(hours=services.settings.session_idle_hours)
    found = actions.session_lookup(db, token, idle=idle)
    if found is None:
        return None, None
    account, session = found
    now = utcnow()
    if session.last_seen_at is None or session.last_seen_at < now - actions.SESSION_TOUCH_EVERY:
        assert session.id is not None
        if is_write:
            actions.touch_session(db, session.id, now)
        else:
            return account, session.id
    return account, None


def _touch_later(services: Services, session_id: int | None) -> None:
    if session_id is None:
        return
    try:
        with services.db.write() as touch:
            actions.touch_session(touch, session_id)
    except Exception:  # the idle timeout is noted again on the next request
        log.exception("could not note the activity of session %s", session_id)


def _quoted(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _csrf_ok(ctx: Ctx) -> bool:
    sent = ctx.field("csrf_token")
    expected = csrf_token_for(ctx.settings.secret_key, ctx.request.state.csrf_cookie)
    return bool(sent) and hmac.compare_digest(sent, expected)


def error_page(ctx: Ctx, status: int, message: str, **params: Any) -> HTMLResponse:
    titles = {
        400: N_("Please check your input"),
        403: N_("Not allowed"),
        404: N_("Page not found"),
        409: N_("Not possible now"),
        413: N_("Too large"),
        429: N_("Too many attempts"),
        500: N_("Something went wrong"),
    }
    return ctx.render(
        "error.html",
        status_code=status,
        title=ctx._(titles.get(status, titles[400])),
        message=ctx._(message, **params),
    )


def action_error_page(ctx: Ctx, exc: ActionError) -> HTMLResponse:
    response = error_page(ctx, exc.status_code, exc.message, **exc.params)
    if isinstance(exc, Throttled):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def form_errors(ctx: Ctx, exc: Invalid) -> dict[str, str]:
    return {name: ctx.msg(message) for name, message in exc.field_errors.items()}


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of a 405 (RFC 9110): every method any route of the application
    answers at this path. Starlette's router names only the first route that matched the path,
    so a page with a GET and a POST route would say only one of them, and a mounted app
    (static files) names none."""

    def methods(routes: list[BaseRoute], scope: Scope) -> set[str]:
        found: set[str] = set()
        for route in routes:
            match, child = route.matches(scope)
            if match == Match.NONE:
                continue
            if isinstance(route, Mount):
                inner = {**scope, **child}
                found |= methods(route.routes, inner) if route.routes else {"GET", "HEAD"}
            elif isinstance(route, Route) and route.methods:
                found |= route.methods
        return found

    found = methods(request.app.router.routes, dict(request.scope))
    return ", ".join(sorted(found or {"GET", "HEAD"}))


async def http_exception_page(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        return PlainTextResponse(
            "Method not allowed", status_code=405, headers={"Allow": allowed_methods(request)}
        )
    return await run_in_threadpool(_plain_error_page, request, status)


def _plain_error_page(request: Request, status: int) -> Response:
    services: Services = request.app.state.services
    messages = {
        404: N_("We cannot find this page. Check the address or start from the home page."),
        500: N_("Our mistake: the page could not be shown. Please try again in a moment."),
    }
    with services.db.read() as db:
        ctx = Ctx(
            request, services, db, None, pick_locale(request, services.settings.default_locale)
        )
        if not hasattr(request.state, "csrf_cookie"):
            request.state.csrf_cookie = secrets.token_urlsafe(24)
        return error_page(ctx, status, messages.get(status, messages[500]))


def checkbox(ctx: Ctx, name: str) -> bool:
    return ctx.field(name) in {"on", "1", "true", "yes"}
