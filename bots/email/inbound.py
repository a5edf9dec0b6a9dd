"""What an inbound mail becomes, in the drain job's transaction (forum.intake): nothing for
automatic mail (auto-replies, bounces, lists, our own address) and for senders over their
hourly limit; otherwise an ``EmailSubmission`` that enters the moderation queue at once when
the address is confirmed and the trusted receiving server authenticated the mail, and after
the sender used the confirmation link or code otherwise.

A new mail becomes an aspiration (subject → title, text → body; ``Kategori:`` and
``Wilayah:`` lines choose category and region, else the configured defaults, for the
moderator to correct). A reply is matched to what it answers: the notification it replies to
(``In-Reply-To``/``References``: our Message-ID of a notification, or the thread id of its
page, ``forum.email.thread_of``), or a per-ticket address ``local+<token>@domain``. A reply
about a ticket becomes a follow-up: a new aspiration linked to the ticket, in the same
category, region, agency and visibility (Rembug has no messages on a ticket itself); a reply
about a comment becomes a reply in its thread; about a consultation, a comment on it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from dataclasses import asdict
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bots import actions
from bots.actions import CODE_ALPHABET, CODE_LENGTH
from bots.email.channel import CHANNEL, CONFIRM_TTL, queue_answer
from bots.email.config import EmailSettings
from bots.email.models import EmailAddress, EmailSubmission, SubmissionStatus
from bots.email.parse import ParsedMail, read, title_of
from bots.models import ChatIdentity
from forum import actions as forum_actions
from forum import email
from forum.errors import N_, ActionError, Invalid
from forum.i18n import gettext
from forum.models import (
    Account,
    Aspiration,
    Category,
    Channel,
    Comment,
    Consultation,
    Notification,
    RateEvent,
    Region,
    Role,
    Visibility,
    utcnow,
)
from forum.services import Services

log = logging.getLogger(__name__)

SETTINGS_KEY = "bots.email.settings"  # services.extensions: EmailSettings
RATE_WINDOW = timedelta(hours=1)
# Our notification mails' List-Unsubscribe names mailto:<REMBUG_EMAIL_FROM>?subject=unsubscribe.
UNSUBSCRIBE_SUBJECTS = {"unsubscribe", "berhenti", "berhenti langganan"}
CONFIRMATION_MAIL_EVERY = timedelta(hours=1)  # per address, while submissions wait
CONFIRM_PATH = "/email/konfirmasi"


def mail_address(value: str) -> str:
    """The bare address of ``Name <local@domain>``, lower case."""
    return parseaddr(value)[1].strip().lower()


def email_settings(services: Services) -> EmailSettings:
    found = services.extensions.get(SETTINGS_KEY)
    if found is None:
        found = services.extensions[SETTINGS_KEY] = EmailSettings.read(services.settings)
    assert isinstance(found, EmailSettings)
    return found


def own_addresses(services: Services) -> set[str]:
    """Addresses mail from which is never answered: ours (the sender of our mail, the
    mailbox we read when its login is an address)."""
    found = {mail_address(services.settings.email_from)}
    user = email_settings(services).imap_user.lower()
    if "@" in user:
        found.add(user)
    return found


# --- per-ticket reply addresses ------------------------------------------------------------


def ticket_token(secret_key: str, ticket: str) -> str:
    """``asp-2026-000123-<10 hex>``: a ticket and its signature, lower case (mail programs and
    servers may change the case of a local part)."""
    mac = hmac.new(secret_key.encode(), f"reply:{ticket.upper()}".encode(), hashlib.sha256)
    return f"{ticket.lower()}-{mac.hexdigest()[:10]}"


def reply_address(secret_key: str, mailbox: str, ticket: str) -> str:
    """The address replies about ``ticket`` can be sent to: ``local+<token>@domain``."""
    local, _, domain = mail_address(mailbox).partition("@")
    return f"{local}+{ticket_token(secret_key, ticket)}@{domain}"


def _ticket_of_address(secret_key: str, recipients: list[str]) -> str | None:
    for address in recipients:
        local = address.partition("@")[0]
        if "+" not in local:
            continue
        token = local.split("+", 1)[1]
        match = re.fullmatch(r"(asp-\d{4}-\d{6})-[0-9a-f]{10}", token)
        if match and hmac.compare_digest(token, ticket_token(secret_key, match.group(1))):
            return match.group(1).upper()
    return None


# --- identities ------------------------------------------------------------------------------


def _chat_key(address: str) -> str:
    """The address itself as the chat id (the email channel sends to it); a longer one than
    the chat tables hold is named by its hash (answers still go out; chat notifications not)."""
    if len(address) <= 64:
        return address
    return "sha256:" + hashlib.sha256(address.encode()).hexdigest()[:57]


def take_address(
    db: Session, address: str, name: str = "", locale: str = ""
) -> tuple[EmailAddress, ChatIdentity]:
    from bots.messages import Inbound

    row = db.exec(select(EmailAddress).where(EmailAddress.address == address)).first()
    key = _chat_key(address)
    inbound = Inbound(
        channel=CHANNEL, user_id=key, chat_id=key, display_name=name, language_code=locale
    )
    identity = actions.take_identity(db, inbound)
    if key != address:
        identity.notify = False
    if row is None:
        assert identity.id is not None
        row = EmailAddress(address=address, identity_id=identity.id)
        db.add(row)
        db.flush()
    return row, identity


# --- the processor -------------------------------------------------------------------------


def handle_mail(services: Services, db: Session, raw: str) -> None:
    """The drain job's processor for the ``email`` channel."""
    stored = json.loads(raw)
    config = email_settings(services)
    mail = read(
        base64.b64decode(stored["raw"]),
        own_addresses=own_addresses(services),
        trusted_authserv=config.trusted_authserv,
        max_bytes=config.max_bytes,
        too_large=bool(stored.get("too_large")),
    )
    where = f"uid {stored.get('uidvalidity')}/{stored.get('uid')} {mail.message_id or '-'}"
    if mail.automatic:
        log.info("mail %s ignored: %s (never answered)", where, mail.automatic)
        return
    if not mail.sender:
        log.info("mail %s ignored: %s", where, mail.problem or "no sender")
        return
    if not _within_rate(db, mail.sender, config.rate_per_hour):
        log.warning("mail %s from a sender over %s/hour: ignored", where, config.rate_per_hour)
        return
    if title_of(mail.subject).lower() in UNSUBSCRIBE_SUBJECTS:
        _unsubscribe(services, db, mail)
        return
    row, identity = take_address(db, mail.sender, mail.sender_name, mail.language)
    locale = identity.locale
    if mail.problem:
        _answer_problem(services, db, mail, locale)
        return
    if _is_confirmation_reply(services, db, mail, row, identity):
        return
    kind, target = _target_of(services, db, mail)
    if not mail.text.strip():
        _answer(
            services,
            db,
            mail,
            locale,
            N_(
                "We could not find any text in your mail. Please write your message in the mail "
                "itself (attachments are not read)."
            ),
        )
        return
    submission = EmailSubmission(
        address=mail.sender,
        message_id=mail.message_id,
        kind=kind,
        target=target,
        subject=mail.subject,
        text=mail.text,
        fields=json.dumps(mail.fields, ensure_ascii=False, sort_keys=True),
        attachments=json.dumps([asdict(a) for a in mail.attachments], ensure_ascii=False),
        locale=locale,
        authenticated=mail.authentication,
    )
    db.add(submission)
    db.flush()
    if row.confirmed_at is not None and mail.authentication:
        enter(services, db, submission, identity)
    else:
        _ask_confirmation(services, db, submission)


def _within_rate(db: Session, address: str, per_hour: int, now: datetime | None = None) -> bool:
    now = now or utcnow()
    key = "email:in:" + hashlib.sha256(address.encode()).hexdigest()[:40]
    count = db.exec(
        select(func.count())
        .select_from(RateEvent)
        .where(RateEvent.key == key, col(RateEvent.at) > now - RATE_WINDOW)
    ).one()
    if int(count) >= per_hour:
        return False
    db.add(RateEvent(key=key, at=now))
    return True


def _target_of(services: Services, db: Session, mail: ParsedMail) -> tuple[str, str]:
    """What the mail answers: ("followup", ticket), ("reply", comment id), ("comment",
    consultation id), or ("aspiration", "") for a new mail."""
    ticket = _ticket_of_address(services.settings.secret_key, mail.recipients)
    if ticket:
        return "followup", ticket
    domain = email.mail_domain(services.settings.email_from)
    for message_id in [mail.in_reply_to, *reversed(mail.references)]:
        if not message_id or not message_id.endswith(f"@{domain}>"):
            continue
        note = re.fullmatch(r"<rembug\.n\.(\d{1,12})@[^>]+>", message_id)
        if note:
            found = db.get(Notification, int(note.group(1)))
            link = found.link if found is not None else ""
            comment = re.search(r"#komentar-(\d{1,12})$", link)
            if comment:
                return "reply", comment.group(1)
            path = link.split("#", 1)[0]
        else:
            path = email.thread_of(message_id) or ""
        aspiration = re.fullmatch(r"/aspirasi/(ASP-\d{4}-\d{6})", path)
        if aspiration:
            return "followup", aspiration.group(1)
        consultation = re.fullmatch(r"/konsultasi/(\d{1,12})", path)
        if consultation:
            return "comment", consultation.group(1)
    return "aspiration", ""


def _unsubscribe(services: Services, db: Session, mail: ParsedMail) -> None:
    """The mailto: of List-Unsubscribe (a mail program's unsubscribe button). Authenticated
    mail turns the account's notification mail off at once; otherwise the account's own
    address gets the one-click link (the From address alone must not unsubscribe anyone)."""
    account = db.exec(select(Account).where(func.lower(Account.email) == mail.sender)).first()
    if account is None or not account.email:
        log.info("unsubscribe mail from an address without an account: nothing to do")
        return
    if mail.authentication:
        forum_actions.unsubscribe_email(db, account)
        return
    if not account.notify_email:
        return
    link = (
        f"{services.settings.base_url}{email.UNSUBSCRIBE_PATH}/"
        f"{email.unsubscribe_token(services.settings.secret_key, account)}"
    )
    queue_answer(
        db,
        sender=services.settings.email_from,
        to=account.email,
        subject=gettext(account.locale, N_("Stop Rembug's notification mail")),
        text=gettext(
            account.locale,
            N_(
                "To stop the notification mail of your Rembug account, open %(link)s and "
                "press the button."
            ),
            link=link,
        ),
        locale=account.locale,
        in_reply_to=mail.message_id,
    )


# --- confirmation ----------------------------------------------------------------------------


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _code_hash(code: str) -> str:
    return _hash("".join(ch for ch in code.upper() if ch.isalnum()))


def _ask_confirmation(services: Services, db: Session, submission: EmailSubmission) -> None:
    """Mail a link and a code. At most one such mail per address and hour: confirming enters
    every waiting submission of the address, and a forged sender's real owner (or a mailbox
    of someone who never wrote) is not flooded."""
    now = utcnow()
    recent = db.exec(
        select(func.count())
        .select_from(EmailSubmission)
        .where(
            EmailSubmission.address == submission.address,
            EmailSubmission.status == SubmissionStatus.waiting,
            col(EmailSubmission.id) != submission.id,
            col(EmailSubmission.token_hash).is_not(None),
            col(EmailSubmission.created_at) > now - CONFIRMATION_MAIL_EVERY,
        )
    ).one()
    submission.expires_at = now + CONFIRM_TTL
    db.add(submission)
    if int(recent):
        return
    token = secrets.token_urlsafe(24)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    submission.token_hash = _hash(token)
    submission.code_hash = _code_hash(code)
    base = services.settings.base_url
    text = gettext(
        submission.locale,
        N_(
            "We received your mail “%(subject)s”. Before it goes to review, please confirm "
            "that this address is yours: open\n\n%(link)s\n\nor enter the code %(code)s at "
            "%(page)s within 7 days. If you did not write to us, ignore this mail: nothing "
            "will be published."
        ),
        subject=submission.subject[:120] or "-",
        link=f"{base}{CONFIRM_PATH}/{token}",
        code=code,
        page=f"{base}{CONFIRM_PATH}",
    )
    queue_answer(
        db,
        sender=services.settings.email_from,
        to=submission.address,
        subject=gettext(submission.locale, N_("Confirm your mail to Rembug")),
        text=text,
        locale=submission.locale,
        in_reply_to=submission.message_id,
        kind=f"konfirmasi.{submission.id}",
    )


def find_waiting(db: Session, *, token: str = "", code: str = "") -> EmailSubmission | None:
    """The waiting submission a confirmation link or code names (not expired)."""
    if token:
        query = select(EmailSubmission).where(EmailSubmission.token_hash == _hash(token))
    elif code:
        query = select(EmailSubmission).where(EmailSubmission.code_hash == _code_hash(code))
    else:
        return None
    found = db.exec(query.where(EmailSubmission.status == SubmissionStatus.waiting)).first()
    if found is None or (found.expires_at is not None and found.expires_at <= utcnow()):
        return None
    return found


def expire_waiting(services: Services) -> int:
    """Scheduler hook (forum.extensions.PERIODIC): submissions never confirmed within
    CONFIRM_TTL are expired (their text stays for the record; nothing is published)."""
    with services.db.write() as db:
        result = db.execute(
            update(EmailSubmission)
            .where(
                col(EmailSubmission.status) == SubmissionStatus.waiting,
                col(EmailSubmission.expires_at) <= utcnow(),
            )
            .values(status=SubmissionStatus.expired, token_hash=None, code_hash=None)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


def confirm(services: Services, db: Session, submission: EmailSubmission) -> list[EmailSubmission]:
    """The link or code was used: the address is its sender's; every submission of that
    address still waiting enters the queue (oldest first). Returns them."""
    row, identity = take_address(db, submission.address)
    now = utcnow()
    if row.confirmed_at is None:
        row.confirmed_at = now
        db.add(row)
        _link_web_account(db, row, identity)
    waiting = list(
        db.exec(
            select(EmailSubmission)
            .where(
                EmailSubmission.address == submission.address,
                EmailSubmission.status == SubmissionStatus.waiting,
            )
            .order_by(col(EmailSubmission.id))
        )
    )
    for each in waiting:
        enter(services, db, each, identity)
    return waiting


def _link_web_account(db: Session, row: EmailAddress, identity: ChatIdentity) -> None:
    """A confirmed address belongs to one account: the citizen web account with that address
    when there is one (what the mail identity did before moves to it, as when a chat is
    linked), else the identity's own account."""
    web = db.exec(select(Account).where(func.lower(Account.email) == row.address)).first()
    if web is None or not web.is_active or web.deleted_at is not None or web.role != Role.citizen:
        return
    previous = db.get(Account, identity.account_id) if identity.account_id else None
    if previous is not None and previous.id != web.id:
        if not forum_actions.is_chat_only(previous):
            return
        forum_actions.merge_chat_account(db, previous, web)
        db.execute(
            update(ChatIdentity)
            .where(col(ChatIdentity.account_id) == previous.id)
            .values(account_id=web.id, updated_at=utcnow())
        )
    identity.account_id = web.id
    # The forum's own notification mail reaches this address: no second copy by the channel.
    identity.notify = False
    db.add(identity)


def _is_confirmation_reply(
    services: Services, db: Session, mail: ParsedMail, row: EmailAddress, identity: ChatIdentity
) -> bool:
    """A reply to our confirmation mail: the code in it confirms (it reached this address)."""
    ids = [mail.in_reply_to, *mail.references]
    if not any(re.fullmatch(r"<rembug\.konfirmasi\.\d+\.[0-9a-f]+@[^>]+>", i or "") for i in ids):
        return False
    for word in re.findall(r"\b[A-Z0-9]{8}\b", mail.text.upper()):
        found = find_waiting(db, code=word)
        if found is not None and found.address == mail.sender:
            confirm(services, db, found)
            return True
    _answer(
        services,
        db,
        mail,
        identity.locale,
        N_("To confirm, open the link in our mail or enter its code on the page it names."),
    )
    return True


# --- entering the queue ----------------------------------------------------------------------


def _category(db: Session, wanted: str, default: str) -> int | None:
    rows = list(db.exec(select(Category).where(Category.is_active == True)))  # noqa: E712
    for value in (wanted.strip().lower(), default.lower()):
        for category in rows:
            if value and value in (
                category.slug,
                category.name_id.lower(),
                category.name_en.lower(),
            ):
                return category.id
    return None


def _region(db: Session, wanted: str, default: str) -> int | None:
    name = " ".join(wanted.split()).lower()
    if name:
        for candidate in (name, f"kota {name}", f"kabupaten {name}"):
            found = db.exec(select(Region).where(func.lower(Region.name) == candidate)).first()
            if found is not None:
                return found.id
    if default:
        found = db.exec(select(Region).where(Region.code == default)).first()
        if found is not None:
            return found.id
    return None


def enter(
    services: Services, db: Session, submission: EmailSubmission, identity: ChatIdentity
) -> None:
    """Submit it through the forum's actions (the moderation queue), or refuse it with a
    short answer naming what is wrong; either way its sender is told."""
    account = actions.ensure_account(db, identity)
    locale = submission.locale
    fields: dict[str, str] = json.loads(submission.fields or "{}")
    try:
        with db.begin_nested():
            message = _submit(services, db, submission, account, fields)
    except ActionError as exc:
        lines = [gettext(locale, exc.message, **exc.params)]
        if isinstance(exc, Invalid) and exc.field_errors:
            lines = [gettext(locale, m.text, **m.params) for m in exc.field_errors.values()]
        submission.status = SubmissionStatus.refused
        submission.problem = "; ".join(lines)[:500]
        submission.decided_at = utcnow()
        db.add(submission)
        text = (
            gettext(locale, N_("Your mail could not be taken in:"))
            + "\n\n"
            + "\n".join(f"- {line}" for line in lines)
        )
        if submission.kind == "aspiration":
            text += "\n\n" + gettext(
                locale,
                N_(
                    "Write the title in the subject and your aspiration in the mail. You may "
                    "add lines such as “Kategori: Kesehatan” and “Wilayah: Kota Bandung”."
                ),
            )
        _queue(
            services,
            db,
            submission.address,
            submission.subject,
            text,
            locale,
            submission.message_id,
        )
        return
    submission.status = SubmissionStatus.entered
    submission.decided_at = utcnow()
    submission.token_hash = submission.code_hash = None
    db.add(submission)
    _queue(
        services, db, submission.address, submission.subject, message, locale, submission.message_id
    )


def _submit(
    services: Services,
    db: Session,
    submission: EmailSubmission,
    account: Account,
    fields: dict[str, str],
) -> str:
    """The forum action for the submission; returns the acknowledgement to send."""
    config = email_settings(services)
    locale = submission.locale
    if submission.kind in ("aspiration", "followup"):
        original = None
        category_id: int | None
        region_id: int | None
        if submission.kind == "followup":
            original = db.exec(
                select(Aspiration).where(Aspiration.ticket == submission.target)
            ).first()
        if original is not None:
            title = gettext(locale, N_("Follow-up to %(ticket)s"), ticket=original.ticket)
            subject = title_of(submission.subject)
            if subject and original.ticket not in subject:
                title = f"{title}: {subject}"[:150]
            category_id, region_id = original.category_id, original.region_id
            agency_id, visibility = original.agency_id, Visibility(original.visibility)
        else:
            title = title_of(submission.subject)
            category_id = _category(db, fields.get("category", ""), config.default_category)
            region_id = _region(db, fields.get("region", ""), config.default_region)
            agency_id, visibility = None, Visibility.anonymous
        aspiration = forum_actions.submit_aspiration(
            db,
            account,
            title=title,
            body=submission.text,
            category_id=category_id,
            region_id=region_id,
            agency_id=agency_id,
            visibility=visibility,
            channel=Channel.email,
        )
        submission.aspiration_id = aspiration.id
        return gettext(
            locale,
            N_(
                "Thank you! Your aspiration is received with ticket number %(ticket)s. It is "
                "reviewed before it is public; you will be told by mail. Reply to this mail to "
                "add to it."
            ),
            ticket=aspiration.ticket,
        )
    if submission.kind == "reply":
        parent = db.get(Comment, int(submission.target))
        consultation = db.get(Consultation, parent.consultation_id) if parent else None
        parent_id = parent.id if parent else None
    else:
        consultation = db.get(Consultation, int(submission.target))
        parent_id = None
    if consultation is None:
        raise Invalid(N_("The consultation you reply to does not exist."))
    comment = forum_actions.submit_comment(
        db, account, consultation, body=submission.text, parent_id=parent_id, channel=Channel.email
    )
    submission.comment_id = comment.id
    return gettext(
        locale,
        N_(
            "Thank you! Your comment on “%(title)s” is received. It is reviewed before it is "
            "public."
        ),
        title=consultation.title,
    )


# --- answers ---------------------------------------------------------------------------------


def _queue(
    services: Services, db: Session, to: str, subject: str, text: str, locale: str, in_reply_to: str
) -> None:
    queue_answer(
        db,
        sender=services.settings.email_from,
        to=to,
        subject=("Re: " + title_of(subject)) if subject else "Rembug",
        text=text,
        locale=locale,
        in_reply_to=in_reply_to,
    )


def _answer(
    services: Services, db: Session, mail: ParsedMail, locale: str, msgid: str, **params: Any
) -> None:
    _queue(
        services,
        db,
        mail.sender,
        mail.subject,
        gettext(locale, msgid, **params),
        locale,
        mail.message_id,
    )


def _answer_problem(services: Services, db: Session, mail: ParsedMail, locale: str) -> None:
    if mail.problem == "too-large":
        limit = email_settings(services).max_bytes // 1_000_000 or 1
        _answer(
            services,
            db,
            mail,
            locale,
            N_(
                "Your mail is larger than %(mb)s MB and was not taken in. Please send the text "
                "alone, without large attachments."
            ),
            mb=limit,
        )
    else:
        _answer(
            services,
            db,
            mail,
            locale,
            N_("We could not read your mail. Please send it again as plain text."),
        )


# --- for the moderator -----------------------------------------------------------------------


def case_notes(db: Session, item: Aspiration | Comment, locale: str) -> list[str]:
    """forum.extensions.CASE_NOTES: a contribution that came by mail says so on the case
    page, with the mail's attachments (kept for the moderator, not published) and the
    ticket a follow-up is about."""
    column = (
        EmailSubmission.aspiration_id
        if isinstance(item, Aspiration)
        else EmailSubmission.comment_id
    )
    submission = db.exec(select(EmailSubmission).where(column == item.id)).first()
    if submission is None:
        return []
    lines = [
        gettext(
            locale,
            N_("Sent by email (%(auth)s)."),
            auth=gettext(locale, N_("authenticated sender"))
            if submission.authenticated
            else gettext(locale, N_("address confirmed by link or code")),
        )
    ]
    if submission.kind == "followup":
        lines.append(gettext(locale, N_("Follow-up to %(ticket)s"), ticket=submission.target))
    for attachment in json.loads(submission.attachments or "[]"):
        lines.append(
            gettext(
                locale,
                N_("Attachment (not published): %(name)s, %(type)s, %(size)s bytes"),
                name=attachment.get("name") or "-",
                type=attachment.get("content_type", ""),
                size=attachment.get("size", 0),
            )
        )
    return lines
