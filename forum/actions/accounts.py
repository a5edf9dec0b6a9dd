"""Accounts: registration, chat-only accounts, profile and password changes, roles, deactivation
and deletion (UU PDP), notification preferences."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete
from sqlmodel import Session, col, select

from forum import events as ev
from forum.actions.aspirations import withdraw_aspiration
from forum.actions.attachments import remove_account_attachments
from forum.actions.comments import withdraw_comment
from forum.actions.rules import invalid, require_role
from forum.actions.sessions import revoke_sessions
from forum.actions.support import withdraw_support
from forum.actions.tokens import AccessRules, send_confirmation
from forum.actions.two_factor import drop_two_factor
from forum.attachments import AttachmentStore
from forum.errors import N_, Conflict, Invalid, Msg
from forum.models import (
    Account,
    AccountToken,
    Agency,
    Aspiration,
    AspirationStatus,
    Comment,
    ContentStatus,
    RateEvent,
    Role,
    Support,
    utcnow,
)
from forum.passwords import hash_password, verify_password
from forum.validation import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    clean_text,
    normalise_email,
    normalise_phone,
    text_length_error,
)

CONSENT_VERSION = "2026-11"


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parent.parent / "seeds" / "common-passwords.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and line[0] != "#")


def check_password(password: str) -> Msg | None:
    if len(password) < PASSWORD_MIN:
        return Msg(N_("The password needs at least %(n)s characters."), {"n": PASSWORD_MIN})
    if len(password) > PASSWORD_MAX:
        return Msg(N_("The password may have at most %(n)s characters."), {"n": PASSWORD_MAX})
    if password.strip().lower() in _common_passwords():
        return Msg(N_("This password is too common and easy to guess. Choose another one."))
    return None


def _check_identity(
    db: Session,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    contact_required: bool,
    account_id: int | None = None,
) -> tuple[str | None, str | None, dict[str, Msg | None]]:
    """Name, email and phone rules shared by registration and profile corrections: valid
    formats, one of the two contacts, and no other account with the same one."""
    errors: dict[str, Msg | None] = {"name": text_length_error(name, 2, 120)}
    norm_email = normalise_email(email) if email else None
    norm_phone = normalise_phone(phone) if phone else None
    if email and norm_email is None:
        errors["email"] = Msg(N_("This is not a valid email address."))
    if phone and norm_phone is None:
        errors["phone"] = Msg(N_("Use an Indonesian mobile number, e.g. 0812 3456 7890."))
    if contact_required and not email and not phone:
        errors["email"] = Msg(N_("Give an email address or a phone number."))
    others = col(Account.id) != account_id if account_id is not None else True
    if (
        norm_email
        and db.exec(select(Account.id).where(Account.email == norm_email, others)).first()
    ):
        errors["email"] = Msg(N_("An account with this email address already exists."))
    if (
        norm_phone
        and db.exec(select(Account.id).where(Account.phone == norm_phone, others)).first()
    ):
        errors["phone"] = Msg(N_("An account with this phone number already exists."))
    return norm_email, norm_phone, errors


def create_account(
    db: Session,
    *,
    name: str,
    password: str | None,
    email: str | None = None,
    phone: str | None = None,
    role: Role = Role.citizen,
    agency_id: int | None = None,
    locale: str = "id",
    consent: bool = False,
    require_consent: bool = False,
    actor: Account | None = None,
    email_confirmed: bool = True,
) -> Account:
    """Create an account. Citizens register themselves; other roles need an administrator
    (``actor``) or the operator's CLI (``actor`` None with a non-citizen role).

    ``email_confirmed``: an address given by an administrator, the operator or the demo
    data counts as confirmed; self-registration passes False (register_citizen), and the
    address gets no mail but its confirmation until the person proves it is theirs."""
    if role != Role.citizen and actor is not None:
        require_role(actor, Role.admin)
    name = clean_text(name)
    norm_email, norm_phone, errors = _check_identity(
        db, name=name, email=email, phone=phone, contact_required=True
    )
    if password is not None:
        errors["password"] = check_password(password)
    if require_consent and not consent:
        errors["consent"] = Msg(N_("Please agree to the terms and privacy notice."))
    if role == Role.official and agency_id is None:
        errors["agency"] = Msg(N_("An official must belong to an agency."))
    if agency_id is not None and db.get(Agency, agency_id) is None:
        errors["agency"] = Msg(N_("Unknown agency."))
    invalid(**errors)
    account = Account(
        name=name,
        email=norm_email,
        phone=norm_phone,
        password_hash=hash_password(password) if password is not None else None,
        role=role,
        agency_id=agency_id if role == Role.official else None,
        locale=locale if locale in {"id", "en"} else "id",
        consent_version=CONSENT_VERSION if consent else None,
        consent_at=utcnow() if consent else None,
        email_confirmed_at=utcnow() if norm_email and email_confirmed else None,
    )
    db.add(account)
    db.flush()
    assert account.id is not None
    ev.emit(db, ev.AccountRegistered(account.id))
    return account


def create_chat_account(db: Session, *, name: str, locale: str = "id") -> Account:
    """A citizen who takes part from a chat only: no email, phone or password (the channel
    identity is kept by the bots package and can later be linked to a web account)."""
    name = clean_text(name)[:120] or "Warga"
    account = Account(
        name=name, role=Role.citizen, locale=locale if locale in {"id", "en"} else "id"
    )
    db.add(account)
    db.flush()
    assert account.id is not None
    ev.emit(db, ev.AccountRegistered(account.id))
    return account


def register_citizen(
    db: Session,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    password: str | None,
    consent: bool,
    locale: str = "id",
    rules: AccessRules | None = None,
    ip: str = "",
) -> Account:
    """A citizen registers; with ``rules`` (mail configured or not, the web always passes
    them) the address gets its confirmation mail."""
    account = create_account(
        db,
        name=name,
        email=email,
        phone=phone,
        password=password,
        locale=locale,
        consent=consent,
        require_consent=True,
        email_confirmed=False,
    )
    if rules is not None and account.email:
        send_confirmation(db, account, rules=rules, ip=ip)
    return account


def update_profile(
    db: Session,
    account: Account,
    *,
    name: str,
    email: str | None,
    phone: str | None,
    locale: str,
    rules: AccessRules | None = None,
    ip: str = "",
) -> Account:
    """The person corrects their own data (UU PDP: the right to correct). A new email
    address takes effect once confirmed (``_change_email``)."""
    name = clean_text(name)
    norm_email, norm_phone, errors = _check_identity(
        db,
        name=name,
        email=email,
        phone=phone,
        contact_required=account.password_hash is not None,  # chat-only accounts have none
        account_id=account.id,
    )
    invalid(**errors)
    account.name, account.phone = name, norm_phone
    account.locale = locale if locale in {"id", "en"} else account.locale
    if norm_email != account.email:
        _change_email(db, account, norm_email, rules=rules, ip=ip)
    db.add(account)
    return account


def _change_email(
    db: Session, account: Account, new: str | None, *, rules: AccessRules | None, ip: str
) -> None:
    """A confirmed address stays until the new one is confirmed (the confirmation replaces
    it and tells the old one); an unconfirmed one is simply replaced, and the new one gets
    its confirmation mail."""
    assert account.id is not None
    if new is not None and account.email and account.email_confirmed_at is not None:
        account.pending_email = new
        db.add(account)
        if rules is not None:
            send_confirmation(db, account, rules=rules, ip=ip, address=new, actor_id=account.id)
        ev.emit(db, ev.AccountAccess(account.id, account.id, "email-change-asked", ip[:64]))
        return
    account.email, account.pending_email, account.email_confirmed_at = new, None, None
    db.add(account)
    db.flush()
    if new is not None and rules is not None:
        send_confirmation(db, account, rules=rules, ip=ip, actor_id=account.id)


def change_password(db: Session, account: Account, *, current: str, new: str) -> None:
    """A new password ends every session of the account (the caller opens a fresh one)."""
    if not verify_password(account.password_hash, current):
        raise Invalid(field_errors={"current": Msg(N_("The current password is wrong."))})
    invalid(new=check_password(new))
    account.password_hash = hash_password(new)
    db.add(account)
    assert account.id is not None
    revoke_sessions(db, account.id)


def delete_account(
    db: Session,
    account: Account,
    *,
    password: str | None,
    contributions: str,
    store: AttachmentStore,
) -> None:
    """The person deletes their account (UU PDP: the right to erasure). Their personal data
    is removed; their contributions are either kept without a name or withdrawn; the files
    they attached are removed either way (``remove_account_attachments``)."""
    if account.password_hash is not None and not verify_password(
        account.password_hash, password or ""
    ):
        raise Invalid(field_errors={"password": Msg(N_("The current password is wrong."))})
    if contributions not in ("anonymise", "delete"):
        raise Invalid(
            field_errors={"contributions": Msg(N_("Choose what happens to your contributions."))}
        )
    if account.role == Role.admin:
        raise Conflict(
            N_("An administrator account cannot delete itself; ask another administrator.")
        )
    erase_account(db, account, contributions=contributions, store=store)


def erase_account(
    db: Session, account: Account, *, contributions: str, store: AttachmentStore
) -> None:
    """Remove the person's data (the deletion rules: contributions kept without a name, or
    withdrawn; the files they attached removed in both cases), end their sessions and
    two-factor, tell the packages (AccountDeleted)."""
    assert account.id is not None
    if contributions == "delete":
        for comment in db.exec(select(Comment).where(Comment.author_id == account.id)):
            if comment.status in (ContentStatus.pending, ContentStatus.published):
                withdraw_comment(db, account, comment)
        for aspiration in db.exec(select(Aspiration).where(Aspiration.author_id == account.id)):
            if aspiration.status not in (
                AspirationStatus.withdrawn,
                AspirationStatus.rejected,
                AspirationStatus.merged,
            ):
                withdraw_aspiration(db, account, aspiration)
        for support in db.exec(select(Support).where(Support.account_id == account.id)):
            target_comment = db.get(Comment, support.comment_id) if support.comment_id else None
            target_aspiration = (
                db.get(Aspiration, support.aspiration_id) if support.aspiration_id else None
            )
            withdraw_support(db, account, comment=target_comment, aspiration=target_aspiration)
    remove_account_attachments(db, account, store=store)
    account.name = "Akun dihapus"
    account.email = account.phone = account.password_hash = account.pending_email = None
    account.is_active = False
    account.notify_email = False
    account.deleted_at = utcnow()
    db.add(account)
    revoke_sessions(db, account.id)
    drop_two_factor(db, account.id)
    db.execute(delete(RateEvent).where(col(RateEvent.key).endswith(f":{account.id}")))
    db.execute(delete(AccountToken).where(col(AccountToken.account_id) == account.id))
    ev.emit(db, ev.AccountDeleted(account.id))


def change_role(
    db: Session, actor: Account, account: Account, *, role: Role, agency_id: int | None
) -> Account:
    require_role(actor, Role.admin)
    if role == Role.official and (agency_id is None or db.get(Agency, agency_id) is None):
        raise Invalid(field_errors={"agency": Msg(N_("An official must belong to an agency."))})
    if account.id == actor.id and role != Role.admin:
        raise Conflict(N_("You cannot remove your own administrator role."))
    old_role = account.role
    account.role = role
    account.agency_id = agency_id if role == Role.official else None
    db.add(account)
    assert account.id is not None and actor.id is not None
    ev.emit(db, ev.RoleChanged(account.id, actor.id, old_role, role, account.agency_id))
    return account


def set_account_active(db: Session, actor: Account, account: Account, *, active: bool) -> None:
    require_role(actor, Role.admin)
    if account.id == actor.id and not active:
        raise Conflict(N_("You cannot disable your own account."))
    account.is_active = active
    db.add(account)
    if not active:
        assert account.id is not None
        revoke_sessions(db, account.id)


def set_notification_preferences(db: Session, account: Account, *, email: bool) -> Account:
    account.notify_email = email
    if email:
        account.email_unsubscribed_at = None
    db.add(account)
    return account


def unsubscribe_email(db: Session, account: Account) -> bool:
    """A mail's unsubscribe link was used: no more notification mail, and the account keeps
    when (shown on its notifications page, in its data export). False if already off."""
    if not account.notify_email:
        return False
    account.notify_email = False
    account.email_unsubscribed_at = utcnow()
    db.add(account)
    return True
