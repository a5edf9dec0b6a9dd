"""``/email/konfirmasi``: the sender of a mail confirms their address with the link or the code
from our confirmation mail. Following the link only shows a button (mail scanners and
previews open links); pressing it (a form with its CSRF token) confirms."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response
from starlette.routing import Route

from bots.email.inbound import confirm, find_waiting
from forum import ratelimit
from forum.errors import N_
from forum.web.kit import Ctx, view

CODE_TRIES_PER_HOUR = 20  # per address: codes are 8 characters of 31


def _done(ctx: Ctx, entered: int) -> Response:
    return ctx.render("bots/email_confirm.html", done=True, entered=entered, token="", error="")


@view()
def confirm_page(ctx: Ctx) -> Response:
    token = str(ctx.request.path_params.get("token", ""))
    if token and find_waiting(ctx.db, token=token) is None:
        return ctx.render(
            "bots/email_confirm.html",
            status_code=404,
            done=False,
            token="",
            error=ctx._(N_("This link is wrong, used or expired.")),
        )
    return ctx.render("bots/email_confirm.html", done=False, token=token, error="")


@view(durable=True)
def confirm_post(ctx: Ctx) -> Response:
    token = str(ctx.request.path_params.get("token", ""))
    if token:
        found = find_waiting(ctx.db, token=token)
    else:
        ratelimit.hit(
            ctx.db,
            f"email-confirm-ip:{ctx.client_ip()}",
            limit=CODE_TRIES_PER_HOUR,
            window=timedelta(hours=1),
        )
        found = find_waiting(ctx.db, code=ctx.field("code"))
    if found is None:
        message = (
            N_("This link is wrong, used or expired.")
            if token
            else N_("This code is wrong, used or expired.")
        )
        response = ctx.render(
            "bots/email_confirm.html",
            status_code=400,
            done=False,
            token=token,
            error=ctx._(message),
        )
        return response
    entered = confirm(ctx.services, ctx.db, found)
    return _done(ctx, len(entered))


routes = [
    Route("/email/konfirmasi", confirm_page),
    Route("/email/konfirmasi", confirm_post, methods=["POST"]),
    Route("/email/konfirmasi/{token}", confirm_page),
    Route("/email/konfirmasi/{token}", confirm_post, methods=["POST"]),
]
