"""Photos and PDFs on the web (docs/attachments.md): checking what a citizen chose on a form
and putting it in the store before the acknowledgement; serving a file and its thumbnails to
those who may see it (checked on every request)."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from forum import attachments, queries
from forum.attachments import StoredFile, extension_of
from forum.errors import N_, Msg, NotFound
from forum.models import Attachment, AttachmentKind
from forum.web.http_cache import matches
from forum.web.kit import Ctx, parse_int, view

log = logging.getLogger(__name__)

FIELD = "attachments"  # the file input's name on the aspiration and comment forms
CHOOSE_AGAIN = N_(
    "Choose your files again: for your safety, the browser does not keep them when a form "
    "comes back."
)


def accept_uploads(
    ctx: Ctx, uploads: list[tuple[str, bytes]], errors: dict[str, str]
) -> list[StoredFile]:
    """The chosen files through ``forum.attachments.accept_files``, all or nothing: on the
    first refusal (too many files, one too large or of a type not accepted, named; more than
    the account's quota) none, and the reason goes into the form's ``errors`` under the file
    input, with a word that the files must be chosen again. Stored (durable once this
    returns, so the acknowledgement that follows may promise they are kept) only when the
    form has no other error; otherwise only checked, so text and file errors show together."""
    if not uploads:
        return []
    assert ctx.user is not None and ctx.user.id is not None
    settings = ctx.settings
    accepted = attachments.accept_files(
        ctx.db,
        ctx.user.id,
        uploads,
        settings,
        store=None if errors else attachments.store_for(settings),
    )
    refused = accepted.first_refusal
    if refused is not None:
        errors[FIELD] = f"{ctx.msg(Msg(refused.message, refused.params))} {ctx._(CHOOSE_AGAIN)}"
        return []
    return accepted.files


# --- serving ---------------------------------------------------------------------------------

# A file never runs anything on our address: no type guessing, no script, no plugin, no
# frame, no form; as a document of its own it is sandboxed (a unique origin).
FILE_CSP = "default-src 'none'; sandbox"
PUBLIC_CACHE = "public, max-age=60"  # a removed file is gone from caches within a minute
PRIVATE_CACHE = "private, no-store"  # not public: kept by no cache, not even the browser's
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
_KEY = re.compile(r"[A-Za-z0-9_-]{16,32}")


def content_disposition(attachment: Attachment, *, inline: bool, thumbnail: int | None) -> str:
    """``inline`` or ``attachment`` with a file name made from the citizen's one: its stem, the
    stored type's extension, an ASCII fallback without quotes or path characters, and the
    exact name (RFC 6266 ``filename*``)."""
    name = attachment.original_name or "lampiran"
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    extension = "webp" if thumbnail is not None else extension_of(attachment.media_type)
    suffix = f"-{thumbnail}" if thumbnail is not None else ""
    full = f"{stem}{suffix}.{extension}"
    fallback = _UNSAFE_NAME.sub("_", f"{stem}{suffix}")[:100].strip(" ._") or "lampiran"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}.{extension}\"; filename*=UTF-8''{quote(full, safe='')}"


def _file(ctx: Ctx, thumbnail: int | None) -> Response:
    key = str(ctx.request.path_params.get("key", ""))
    if not _KEY.fullmatch(key):
        raise NotFound(N_("This file does not exist or is not visible to you."))
    attachment, item = queries.access_attachment(ctx.db, ctx.user, key)
    if thumbnail is not None and (
        attachment.kind != AttachmentKind.image or thumbnail not in attachments.THUMBNAIL_SIDES
    ):
        raise NotFound(N_("This file does not exist or is not visible to you."))
    extension = extension_of(attachment.media_type)
    etag = f'"{attachment.sha256}{"-" + str(thumbnail) if thumbnail else ""}"'
    restricted = not queries.can_see_attachment(None, attachment, item)
    headers = {
        "Content-Security-Policy": FILE_CSP,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": PRIVATE_CACHE if restricted else PUBLIC_CACHE,
        "ETag": etag,
        "Content-Disposition": content_disposition(
            attachment, inline=attachment.kind == AttachmentKind.image, thumbnail=thumbnail
        ),
    }
    if restricted:
        headers["Vary"] = "Cookie"
    if matches(ctx.request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    store = attachments.store_for(ctx.settings)
    try:
        data = store.read(attachment.sha256, extension, thumbnail=thumbnail)
    except FileNotFoundError:
        log.error("attachment %s: its file is missing from the store", attachment.id)
        raise NotFound(N_("This file does not exist or is not visible to you.")) from None
    media_type = "image/webp" if thumbnail is not None else attachment.media_type
    return Response(data, media_type=media_type, headers=headers)


@view()
def attachment_file(ctx: Ctx) -> Response:
    """/lampiran/<key>: the photo (shown in the browser) or the PDF (always downloaded)."""
    return _file(ctx, None)


@view()
def attachment_thumbnail(ctx: Ctx) -> Response:
    """/lampiran/<key>/thumb/<320|1024>: a photo's thumbnail (WebP)."""
    return _file(ctx, parse_int(str(ctx.request.path_params.get("side", "")), 0) or -1)


routes = [
    Route("/lampiran/{key}", attachment_file, methods=["GET"]),
    Route("/lampiran/{key}/thumb/{side}", attachment_thumbnail, methods=["GET"]),
]
