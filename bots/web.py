"""Web pages of the chat channels: linking a chat to the web account (one-time code), and the
delivery state of chat notifications for officials."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select
from starlette.responses import Response
from starlette.routing import Route

from bots import actions
from bots.models import ChatDelivery, ChatIdentity, DeliveryKind, DeliveryStatus
from forum import ratelimit
from forum.models import Agency, Aspiration, Role
from forum.web.kit import Ctx, view

DELIVERIES_SHOWN = 200


def _identities(ctx: Ctx) -> list[ChatIdentity]:
    assert ctx.user is not None
    return list(
        ctx.db.exec(
            select(ChatIdentity)
            .where(ChatIdentity.account_id == ctx.user.id)
            .order_by(col(ChatIdentity.id))
        )
    )


@view(login=True)
def link_chat(ctx: Ctx) -> Response:
    return ctx.render("bots/link.html", identities=_identities(ctx), code=None)


@view(login=True, durable=True)
def new_link_code(ctx: Ctx) -> Response:
    assert ctx.user is not None
    per_hour = ctx.settings.rate_link_codes_per_hour
    # Per IP as well as per account: many accounts from one address asking for codes is
    # someone farming them. The hit is kept only when a code is made (429 rolls back).
    ratelimit.hit(
        ctx.db,
        f"link-code-ip:{ctx.client_ip()}",
        limit=per_hour * 4,
        window=timedelta(hours=1),
    )
    code = actions.create_link_code(ctx.db, ctx.user, per_hour=per_hour)
    response = ctx.render("bots/link.html", identities=_identities(ctx), code=code)
    response.headers["Cache-Control"] = "no-store"
    return response


@view(roles=(Role.official, Role.moderator, Role.admin))
def deliveries(ctx: Ctx) -> Response:
    """Notifications sent to citizens' chats about this agency's items (officials), or about
    every item (moderators, administrators), with their state."""
    assert ctx.user is not None
    status = ctx.query("status")
    query = select(ChatDelivery).where(
        col(ChatDelivery.kind).not_in([DeliveryKind.reply, DeliveryKind.login_code])
    )
    if ctx.user.role == Role.official:
        query = query.where(ChatDelivery.agency_id == ctx.user.agency_id)
    if status in {s.value for s in DeliveryStatus}:
        query = query.where(ChatDelivery.status == status)
    rows = list(ctx.db.exec(query.order_by(col(ChatDelivery.id).desc()).limit(DELIVERIES_SHOWN)))
    aspiration_ids = [r.aspiration_id for r in rows if r.aspiration_id]
    tickets: dict[int, Any] = {}
    if aspiration_ids:
        tickets = {
            a.id: a.ticket  # type: ignore[misc]
            for a in ctx.db.exec(select(Aspiration).where(col(Aspiration.id).in_(aspiration_ids)))
        }
    agency = ctx.db.get(Agency, ctx.user.agency_id) if ctx.user.agency_id else None
    return ctx.render(
        "bots/deliveries.html",
        deliveries=rows,
        tickets=tickets,
        agency=agency,
        status=status,
        statuses=[s.value for s in DeliveryStatus],
    )


routes = [
    Route("/saya/chat", link_chat),
    Route("/saya/chat/kode", new_link_code, methods=["POST"]),
    Route("/kelola/pengiriman", deliveries),
]
