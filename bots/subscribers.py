"""Reactions to forum events: notify a contribution's author in their chats (published, not
published and why, official response, status), and announce new consultations to the
configured Telegram channel. Deliveries are queued in the event's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlmodel import Session, select

from bots import actions
from bots.config import BotSettings
from bots.messages import Button, Outbound
from bots.models import ChatIdentity, DeliveryKind
from bots.privacy import erase_sms_number
from forum import events as ev
from forum.errors import N_
from forum.events import InTransactionHandler
from forum.i18n import gettext
from forum.models import (
    Agency,
    Aspiration,
    Attachment,
    Comment,
    Consultation,
    OfficialResponse,
)
from forum.services import Services

TELEGRAM = "telegram"


def _recipients(db: Session, account_id: int) -> list[ChatIdentity]:
    return list(
        db.exec(
            select(ChatIdentity).where(
                ChatIdentity.account_id == account_id,
                ChatIdentity.notify == True,  # noqa: E712 - SQL expression
            )
        )
    )


def _notify(
    db: Session,
    account_id: int,
    render: Callable[[str], tuple[str, list[list[Button]]]],
    topic: str,
    **subject: Any,
) -> None:
    for identity in _recipients(db, account_id):
        text, buttons = render(identity.locale)
        actions.queue_delivery(
            db,
            identity.channel,
            Outbound(identity.chat_id, text, tuple(tuple(row) for row in buttons)),
            kind=DeliveryKind.notification,
            identity_id=identity.id,
            topic=topic,
            **subject,
        )


def _ticket_button(locale: str, ticket: str) -> list[list[Button]]:
    return [[Button(gettext(locale, N_("See the ticket")), f"t:{ticket}")]]


def on_aspiration_published(db: Session, event: ev.AspirationPublished) -> None:
    aspiration = db.get(Aspiration, event.aspiration_id)
    if aspiration is None:
        return
    agency = db.get(Agency, aspiration.agency_id) if aspiration.agency_id else None

    def render(locale: str) -> tuple[str, list[list[Button]]]:
        text = gettext(
            locale,
            N_("Your aspiration %(ticket)s “%(title)s” is published."),
            ticket=aspiration.ticket,
            title=aspiration.title,
        )
        if agency is not None:
            text += "\n" + gettext(
                locale,
                N_("Status: routed to %(agency)s, which must answer it."),
                agency=agency.name,
            )
        return text, _ticket_button(locale, aspiration.ticket)

    _notify(
        db,
        aspiration.author_id,
        render,
        "aspiration_published",
        agency_id=aspiration.agency_id,
        aspiration_id=aspiration.id,
    )


def on_aspiration_rejected(db: Session, event: ev.AspirationRejected) -> None:
    _aspiration_note(
        db,
        event.aspiration_id,
        N_("Your aspiration %(ticket)s “%(title)s” was not published. Reason: %(reason)s"),
        "aspiration_rejected",
        reason=event.reason,
    )


def _comment_subject(db: Session, comment: Comment) -> dict[str, Any]:
    consultation = db.get(Consultation, comment.consultation_id)
    return {
        "agency_id": consultation.agency_id if consultation else None,
        "comment_id": comment.id,
        "consultation_id": comment.consultation_id,
    }


def on_comment_published(db: Session, event: ev.CommentPublished) -> None:
    comment = db.get(Comment, event.comment_id)
    if comment is None:
        return

    def render(locale: str) -> tuple[str, list[list[Button]]]:
        text = gettext(locale, N_("Your comment #%(id)s is published."), id=comment.id)
        return text, [
            [Button(gettext(locale, N_("Open the consultation")), f"c:{comment.consultation_id}")]
        ]

    _notify(db, comment.author_id, render, "comment_published", **_comment_subject(db, comment))


def on_comment_rejected(db: Session, event: ev.CommentRejected) -> None:
    comment = db.get(Comment, event.comment_id)
    if comment is None:
        return

    def render(locale: str) -> tuple[str, list[list[Button]]]:
        text = gettext(
            locale,
            N_("Your comment #%(id)s was not published. Reason: %(reason)s"),
            id=comment.id,
            reason=event.reason,
        )
        return text, []

    _notify(db, comment.author_id, render, "comment_rejected", **_comment_subject(db, comment))


def on_attachment_removed(db: Session, event: ev.AttachmentRemoved) -> None:
    """The author reads on their chat which file a moderator took down and why (as in the app
    and by e-mail, forum.notifications)."""
    attachment = db.get(Attachment, event.attachment_id)
    if attachment is None:
        return
    name = attachment.original_name or "-"
    aspiration = db.get(Aspiration, attachment.aspiration_id) if attachment.aspiration_id else None
    if aspiration is not None:

        def render(locale: str) -> tuple[str, list[list[Button]]]:
            text = gettext(
                locale,
                N_("A moderator removed %(name)s from your aspiration %(ticket)s: %(reason)s"),
                name=name,
                ticket=aspiration.ticket,
                reason=event.reason,
            )
            return text, _ticket_button(locale, aspiration.ticket)

        _notify(
            db,
            attachment.account_id,
            render,
            "attachment_removed",
            agency_id=aspiration.agency_id,
            aspiration_id=aspiration.id,
        )
        return
    comment = db.get(Comment, attachment.comment_id) if attachment.comment_id else None
    if comment is None:
        return

    def render_comment(locale: str) -> tuple[str, list[list[Button]]]:
        text = gettext(
            locale,
            N_("A moderator removed %(name)s from your comment: %(reason)s"),
            name=name,
            reason=event.reason,
        )
        return text, []

    _notify(
        db,
        attachment.account_id,
        render_comment,
        "attachment_removed",
        **_comment_subject(db, comment),
    )


def on_response_published(db: Session, event: ev.OfficialResponsePublished) -> None:
    response = db.get(OfficialResponse, event.response_id)
    if response is None:
        return
    agency = db.get(Agency, response.agency_id)
    agency_name = agency.name if agency else ""
    if event.aspiration_id is not None:
        aspiration = db.get(Aspiration, event.aspiration_id)
        if aspiration is None:
            return

        def render(locale: str) -> tuple[str, list[list[Button]]]:
            text = gettext(
                locale,
                N_("Official response from %(agency)s to your aspiration %(ticket)s:"),
                agency=agency_name,
                ticket=aspiration.ticket,
            )
            status = gettext(locale, N_("Status: responded."))
            return f"{text}\n\n{response.body}\n\n{status}", _ticket_button(
                locale, aspiration.ticket
            )

        _notify(
            db,
            aspiration.author_id,
            render,
            "response",
            agency_id=response.agency_id,
            aspiration_id=aspiration.id,
        )
    elif event.comment_id is not None:
        comment = db.get(Comment, event.comment_id)
        if comment is None:
            return

        def render_comment(locale: str) -> tuple[str, list[list[Button]]]:
            text = gettext(
                locale,
                N_("Official response from %(agency)s to your comment #%(id)s:"),
                agency=agency_name,
                id=comment.id,
            )
            return f"{text}\n\n{response.body}", []

        _notify(db, comment.author_id, render_comment, "response", **_comment_subject(db, comment))


def _aspiration_note(
    db: Session, aspiration_id: int, message: str, topic: str = "status", **params: str
) -> None:
    """News about an aspiration, told in the author's chats (``message`` may use ticket,
    title, agency and the extra ``params``)."""
    aspiration = db.get(Aspiration, aspiration_id)
    if aspiration is None:
        return
    agency = db.get(Agency, aspiration.agency_id) if aspiration.agency_id else None

    def render(locale: str) -> tuple[str, list[list[Button]]]:
        text = gettext(
            locale,
            message,
            ticket=aspiration.ticket,
            title=aspiration.title,
            agency=agency.name if agency else "",
            **params,
        )
        return text, _ticket_button(locale, aspiration.ticket)

    _notify(
        db,
        aspiration.author_id,
        render,
        topic,
        agency_id=aspiration.agency_id,
        aspiration_id=aspiration.id,
    )


def on_status_changed(db: Session, event: ev.AspirationStatusChanged) -> None:
    if event.status == "in_progress":
        _aspiration_note(
            db,
            event.aspiration_id,
            N_("Your aspiration %(ticket)s is being worked on by %(agency)s."),
        )


def on_rerouted(db: Session, event: ev.AspirationRouted) -> None:
    if event.from_agency_id is not None:  # the first routing is told with the publication
        _aspiration_note(
            db,
            event.aspiration_id,
            N_("Your aspiration %(ticket)s was sent on to %(agency)s, which must answer it."),
        )


def on_closed(db: Session, event: ev.AspirationClosed) -> None:
    if event.reason == "auto":
        _aspiration_note(
            db,
            event.aspiration_id,
            N_("Your aspiration %(ticket)s was closed after the answer. You can reopen it once."),
        )


def on_account_deleted(db: Session, event: ev.AccountDeleted) -> None:
    """The person deleted their account: their chats are no longer linked to it, and an SMS
    number (a phone number, nothing else) is erased."""
    for identity in db.exec(
        select(ChatIdentity).where(ChatIdentity.account_id == event.account_id)
    ):
        if identity.channel == "sms":
            erase_sms_number(db, identity)
        identity.account_id = None
        identity.notify = False
        identity.state, identity.data = "idle", "{}"
        db.add(identity)


def announce_consultation(services: Services) -> Callable[[Session, ev.ConsultationOpened], None]:
    config: BotSettings = services.extensions["bots.settings"]

    def on_opened(db: Session, event: ev.ConsultationOpened) -> None:
        if not config.telegram_channel_id:
            return
        consultation = db.get(Consultation, event.consultation_id)
        if consultation is None:
            return
        agency = db.get(Agency, consultation.agency_id)
        locale = services.settings.default_locale
        text = gettext(
            locale,
            N_(
                "New consultation by %(agency)s: “%(title)s”. Read it and comment until the "
                "closing date: %(url)s"
            ),
            agency=agency.name if agency else "",
            title=consultation.title,
            url=f"{services.settings.base_url}/konsultasi/{consultation.id}",
        )
        actions.queue_delivery(
            db,
            TELEGRAM,
            Outbound(config.telegram_channel_id, text),
            kind=DeliveryKind.announcement,
            agency_id=consultation.agency_id,
            consultation_id=consultation.id,
        )

    return on_opened


def subscribe(services: Services) -> None:
    """In-transaction subscribers: a notification is queued with the decision that causes it."""
    handlers: list[tuple[type[ev.Event], Callable[[Session, Any], None]]] = [
        (ev.AspirationPublished, on_aspiration_published),
        (ev.AspirationRejected, on_aspiration_rejected),
        (ev.CommentPublished, on_comment_published),
        (ev.CommentRejected, on_comment_rejected),
        (ev.OfficialResponsePublished, on_response_published),
        (ev.ConsultationOpened, announce_consultation(services)),
        (ev.AspirationStatusChanged, on_status_changed),
        (ev.AspirationRouted, on_rerouted),
        (ev.AspirationClosed, on_closed),
        (ev.AccountDeleted, on_account_deleted),
        (ev.AttachmentRemoved, on_attachment_removed),
    ]
    for event_type, handler in handlers:
        services.bus.subscribe(event_type, cast(InTransactionHandler, handler))
