"""Photos and PDFs on the web forms (docs/attachments.md): checking what a citizen chose and
putting it in the store before the acknowledgement."""

from __future__ import annotations

from forum import attachments
from forum.attachments import AttachmentRefused, Prepared, StoredFile
from forum.errors import N_, Msg
from forum.web.kit import Ctx

FIELD = "attachments"  # the file input's name on the aspiration and comment forms
CHOOSE_AGAIN = N_(
    "Choose your files again: for your safety, the browser does not keep them when a form "
    "comes back."
)


def prepare_uploads(ctx: Ctx, uploads: list[tuple[str, bytes]]) -> list[Prepared]:
    """The chosen files made safe to store (``forum.attachments.inspect``), or the first
    refusal: too many files, one too large or of a type not accepted (named), or more than
    the account's quota. Reads only; stores nothing."""
    settings = ctx.settings
    attachments.check_count(len(uploads), settings)
    prepared = [
        attachments.inspect(data, name, max_bytes=settings.attachment_max_bytes)
        for name, data in uploads
    ]
    if prepared:
        assert ctx.user is not None and ctx.user.id is not None
        adding = sum(p.byte_size for p in prepared)
        attachments.check_quota(ctx.db, ctx.user.id, adding, settings)
    return prepared


def refusal_message(ctx: Ctx, exc: AttachmentRefused) -> str:
    """What the form says under the file input: why, and that the files must be chosen again."""
    return f"{ctx.msg(Msg(exc.message, exc.params))} {ctx._(CHOOSE_AGAIN)}"


def store_uploads(ctx: Ctx, prepared: list[Prepared]) -> list[StoredFile]:
    """Put the files in the store (durable once this returns) and describe them for the
    intake: the acknowledgement that follows may then promise they are kept."""
    store = attachments.store_for(ctx.settings.data_dir)
    for item in prepared:
        store.put(item)
    return [StoredFile.of(item) for item in prepared]
