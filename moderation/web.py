"""The interim moderation queue at /moderation: pending comments and aspirations, oldest
first, each approved or rejected with a reason through the forum's actions."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from forum import actions, queries
from forum.errors import N_, Invalid, NotFound
from forum.models import Account, Aspiration, Comment, Role
from forum.webkit import Ctx, parse_int, view

MODERATORS = (Role.moderator, Role.admin)

REASONS = {
    "off-topic": N_("Off-topic"),
    "abusive": N_("Abusive"),
    "spam": N_("Spam"),
    "personal-data": N_("Contains personal data"),
    "duplicate": N_("Duplicate"),
    "other": N_("Other"),
}


@view(roles=MODERATORS)
def queue(ctx: Ctx) -> Response:
    comments = queries.list_pending_comments(ctx.db)
    aspirations = queries.list_pending_aspirations(ctx.db)
    author_ids = [c.comment.author_id for c in comments] + [a.author_id for a in aspirations]
    return ctx.render(
        "moderation/queue.html",
        comments=comments,
        aspirations=aspirations,
        authors=queries.lookup_names(ctx.db, author_ids, Account),
        total=queries.count_pending(ctx.db),
        reasons=REASONS,
    )


def _reason(ctx: Ctx) -> str:
    code = ctx.field("reason")
    if code not in REASONS:
        raise Invalid(
            field_errors={"reason": actions.Msg(N_("Give the reason the author will see."))}
        )
    label = ctx._(REASONS[code])
    note = ctx.field("note").strip()
    return f"{label}: {note}" if note else label


@view(roles=MODERATORS)
def decide(ctx: Ctx) -> Response:
    assert ctx.user is not None
    kind = ctx.request.path_params["kind"]
    item_id = parse_int(str(ctx.request.path_params["item_id"]), 0)
    item: Comment | Aspiration | None = None
    if kind == "komentar" and item_id:
        item = ctx.db.get(Comment, item_id)
    elif kind == "aspirasi" and item_id:
        item = ctx.db.get(Aspiration, item_id)
    if item is None:
        raise NotFound(N_("This page does not exist."))
    approve = ctx.field("decision") == "approve"
    if isinstance(item, Comment):
        if approve:
            actions.publish_comment(ctx.db, ctx.user, item)
        else:
            actions.reject_comment(ctx.db, ctx.user, item, reason=_reason(ctx))
    elif approve:
        actions.publish_aspiration(ctx.db, ctx.user, item)
    else:
        actions.reject_aspiration(ctx.db, ctx.user, item, reason=_reason(ctx))
    return ctx.redirect("/moderation", "approved" if approve else "rejected")


routes = [
    Route("/moderation", queue),
    Route("/moderation/{kind}/{item_id}", decide, methods=["POST"]),
]
