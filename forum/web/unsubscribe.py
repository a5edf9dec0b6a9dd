"""``/berhenti-langganan/<token>``: the unsubscribe link of every notification mail.

A GET shows what the link does and a button (mail scanners and link previews follow links,
so a GET changes nothing). A POST unsubscribes: from that button, or straight from the mail
program as RFC 8058 one-click unsubscribe (``List-Unsubscribe=One-Click``, posted without
cookies or a form token; the signed token in the URL is the authority, ``forum.email``)."""

from __future__ import annotations

from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from forum import actions
from forum.email import UNSUBSCRIBE_PATH, unsubscribe_token_ok
from forum.errors import N_, NotFound
from forum.models import Account
from forum.web.kit import Ctx, view

LINK_INVALID = N_(
    "This unsubscribe link is not valid (any more). Change your notifications on your account page."
)


def _account(ctx: Ctx) -> tuple[Account, str]:
    token = str(ctx.request.path_params["token"])
    head = token.partition(".")[0]
    account = ctx.db.get(Account, int(head)) if head.isdigit() and len(head) <= 12 else None
    if account is None or not unsubscribe_token_ok(ctx.settings.secret_key, token, account):
        raise NotFound(LINK_INVALID)
    return account, token


@view()
def unsubscribe_page(ctx: Ctx) -> Response:
    account, token = _account(ctx)
    return ctx.render(
        "account/unsubscribe.html", token=token, subscribed=account.notify_email, done=False
    )


@view(write=True, csrf=False)
def unsubscribe(ctx: Ctx) -> Response:
    account, token = _account(ctx)
    actions.unsubscribe_email(ctx.db, account)
    if ctx.field("List-Unsubscribe") == "One-Click":
        return PlainTextResponse("Unsubscribed / berhenti berlangganan")
    return ctx.render("account/unsubscribe.html", token=token, subscribed=False, done=True)


routes = [
    Route(f"{UNSUBSCRIBE_PATH}/{{token}}", unsubscribe_page, methods=["GET"]),
    Route(f"{UNSUBSCRIBE_PATH}/{{token}}", unsubscribe, methods=["POST"]),
]
