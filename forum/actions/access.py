"""Getting back into an account: confirming an address (a link or its 6-digit code), resetting
a forgotten password, signing in (and registering) by a one-time code sent by mail or to a
linked chat, and removing accounts whose address was never confirmed.

A request for a mail or a code never says whether an account exists: the answer is the
same, and so is the work done (a stand-in token row without an account is written for an
unknown address, and behaves like any other row)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from forum import account_mail
from forum import events as ev
from forum.actions.accounts import check_password, create_account, erase_account
from forum.actions.login import LoginResult, find_login, sign_in
from forum.actions.sessions import hash_token, revoke_sessions
from forum.actions.tokens import (
    CODE_WRONG,
    LINK_INVALID,
    AccessRules,
    binding,
    check_code,
    claim,
    code_hash,
    confirm_address,
    limit_requests,
    new_code,
    recent_tokens,
    send_confirmation,
    usable,
)
from forum.attachments import AttachmentStore
from forum.errors import N_, Conflict, Invalid, Msg
from forum.models import (
    Account,
    AccountToken,
    LoginChallenge,
    Role,
    TokenPurpose,
    utcnow,
)
from forum.passwords import hash_password
from forum.validation import normalise_email, normalise_phone

# (db, account_id, code, locale) -> bool: see forum.extensions.LOGIN_CODE_SENDERS
CodeSender = Callable[[Session, int, str, str], bool]
# (db, +62… number) -> account id: see forum.extensions.LOGIN_CODE_FINDERS
CodeFinder = Callable[[Session, str], int | None]

EMAIL = "email"


# --- confirming an address ------------------------------------------------------------------


def confirmation_row(db: Session, token: str, now: datetime | None = None) -> AccountToken | None:
    """The unused, unexpired confirmation behind a link, if any."""
    if not 20 <= len(token) <= 100:
        return None
    row = db.exec(select(AccountToken).where(AccountToken.token_hash == hash_token(token))).first()
    return row if usable(row, TokenPurpose.confirm, now or utcnow()) else None


def confirm_by_link(
    db: Session,
    token: str,
    *,
    rules: AccessRules,
    ip: str,
    actor: Account | None = None,
    now: datetime | None = None,
) -> Account:
    """The link of a confirmation mail was followed (and its button pressed)."""
    now = now or utcnow()
    row = confirmation_row(db, token, now)
    account = db.get(Account, row.account_id) if row and row.account_id else None
    if row is None or account is None or not account.is_active:
        raise Conflict(LINK_INVALID)
    confirm_address(
        db, account, row, ip=ip, actor_id=actor.id if actor else None, rules=rules, now=now
    )
    return account


def confirm_by_code(
    db: Session,
    account: Account,
    code: str,
    *,
    rules: AccessRules,
    ip: str,
    now: datetime | None = None,
) -> str:
    """The signed-in person types the code of their latest confirmation mail."""
    now = now or utcnow()
    row = db.exec(
        select(AccountToken)
        .where(
            AccountToken.account_id == account.id,
            AccountToken.purpose == TokenPurpose.confirm,
            col(AccountToken.used_at).is_(None),
            col(AccountToken.expires_at) > now,
        )
        .order_by(col(AccountToken.id).desc())
    ).first()
    if row is None:
        raise Invalid(CODE_WRONG, field_errors={"code": Msg(CODE_WRONG)})
    check_code(db, row, code, rules=rules, ip=ip, now=now)
    return confirm_address(db, account, row, ip=ip, actor_id=account.id, rules=rules, now=now)


def resend_confirmation(
    db: Session, account: Account, *, rules: AccessRules, ip: str, now: datetime | None = None
) -> bool:
    """Another confirmation mail, for the waiting new address or the unconfirmed one."""
    now = now or utcnow()
    address = account.pending_email or (None if account.email_confirmed_at else account.email)
    if address is None:
        raise Conflict(N_("Your email address is already confirmed."))
    limit_requests(db, ip=ip, address=address, rules=rules, now=now)
    return send_confirmation(
        db, account, rules=rules, ip=ip, address=address, actor_id=account.id, now=now
    )


def remove_unconfirmed(
    db: Session, *, days: int, store: AttachmentStore, now: datetime | None = None
) -> int:
    """Self-registered citizen accounts whose address is still unconfirmed after ``days``
    are removed as the deletion rules say (contributions kept without a name, their files
    removed). Returns how many; ``days`` 0 removes none."""
    if days <= 0:
        return 0
    now = now or utcnow()
    stale = db.exec(
        select(Account).where(
            col(Account.email).is_not(None),
            col(Account.email_confirmed_at).is_(None),
            col(Account.deleted_at).is_(None),
            Account.role == Role.citizen,
            col(Account.created_at) < now - timedelta(days=days),
        )
    ).all()
    for account in stale:
        assert account.id is not None
        ev.emit(db, ev.AccountAccess(account.id, None, "unconfirmed-removed"))
        erase_account(db, account, contributions="anonymise", store=store)
    return len(stale)


# --- password reset -------------------------------------------------------------------------


def _valid_email(email: str) -> str:
    norm = normalise_email(email.strip())
    if norm is None:
        message = Msg(N_("This is not a valid email address."))
        raise Invalid(message.text, field_errors={"email": message})
    return norm


def request_password_reset(
    db: Session, *, email: str, rules: AccessRules, ip: str, now: datetime | None = None
) -> None:
    """Mail a single-use reset link valid ``rules.reset_minutes`` to the address if an
    active account has it. The same work and answer either way."""
    now = now or utcnow()
    address = _valid_email(email)
    limit_requests(db, ip=ip, address=address, rules=rules, now=now)
    account = db.exec(select(Account).where(Account.email == address)).first()
    if account is not None and not account.is_active:
        account = None
    token = secrets.token_urlsafe(32)
    row = AccountToken(
        purpose=TokenPurpose.reset,
        account_id=account.id if account else None,
        token_hash=hash_token(token),
        binding=binding(account.password_hash if account else secrets.token_hex(8)),
        expires_at=now + timedelta(minutes=rules.reset_minutes),
        created_ip=ip[:64],
        created_at=now,
    )
    db.add(row)
    db.flush()
    if account is None:
        return
    assert account.id is not None and row.id is not None
    queued = account_mail.queue(
        db,
        account_mail.RESET,
        account,
        to=address,
        sealing_keys=rules.sealing_keys,
        token_id=row.id,
        secret=f"{token}|",
        params={"minutes": rules.reset_minutes},
    )
    if queued:
        ev.emit(db, ev.AccountAccess(account.id, None, "reset-asked", ip[:64], EMAIL))


def reset_lookup(
    db: Session, token: str, now: datetime | None = None
) -> tuple[AccountToken, Account] | None:
    """The reset behind a link: unused, unexpired, of an active account whose password has
    not changed since the mail (a new password makes every earlier link useless)."""
    if not 20 <= len(token) <= 100:
        return None
    now = now or utcnow()
    row = db.exec(select(AccountToken).where(AccountToken.token_hash == hash_token(token))).first()
    if row is None or not usable(row, TokenPurpose.reset, now) or row.account_id is None:
        return None
    account = db.get(Account, row.account_id)
    if account is None or not account.is_active or row.binding != binding(account.password_hash):
        return None
    return row, account


def reset_password(
    db: Session,
    token: str,
    *,
    new: str,
    rules: AccessRules,
    ip: str,
    now: datetime | None = None,
) -> Account:
    """Set the new password: every session and pending login of the account ends (so a
    staff account still types its second factor at the next login), every other reset link
    stops working, the address counts as confirmed (the link proved it), and a notice is
    mailed. No session is opened here."""
    now = now or utcnow()
    found = reset_lookup(db, token, now)
    if found is None:
        raise Conflict(LINK_INVALID)
    row, account = found
    assert account.id is not None and row.id is not None
    problem = check_password(new)
    if problem is not None:
        raise Invalid(field_errors={"password": problem})
    claim(db, row, now)
    db.execute(
        update(AccountToken)
        .where(
            col(AccountToken.account_id) == account.id,
            col(AccountToken.purpose) == TokenPurpose.reset,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    account.password_hash = hash_password(new)
    if account.email_confirmed_at is None and account.email:
        account.email_confirmed_at = now
    db.add(account)
    db.flush()
    revoke_sessions(db, account.id)
    db.execute(delete(LoginChallenge).where(col(LoginChallenge.account_id) == account.id))
    if account.email:
        account_mail.queue(
            db,
            account_mail.RESET_DONE,
            account,
            to=account.email,
            sealing_keys=rules.sealing_keys,
            token_id=row.id,
        )
    ev.emit(db, ev.AccountAccess(account.id, None, "password-reset", ip[:64], EMAIL))
    return account


# --- sign-in by a one-time code -------------------------------------------------------------


def code_channels(senders: Mapping[str, CodeSender]) -> tuple[str, ...]:
    return (EMAIL, *sorted(senders))


def _issue_code(
    db: Session,
    account: Account | None,
    *,
    channel: str,
    rules: AccessRules,
    senders: Mapping[str, CodeSender],
    ip: str,
    next_url: str,
    now: datetime,
) -> str:
    """Write a sign-in code row (a stand-in without an account when there is none) and
    send its code; returns the token of the browser's cookie that names the row."""
    attempt, code = secrets.token_urlsafe(32), new_code()
    digest = hash_token(attempt)
    row = AccountToken(
        purpose=TokenPurpose.login,
        token_hash=digest,
        code_hash=code_hash(rules.secret_key, digest, code),
        channel=channel,
        expires_at=now + timedelta(minutes=rules.code_minutes),
        created_ip=ip[:64],
        created_at=now,
        next_url=next_url[:300],
    )
    sent = False
    fresh = account is not None and account.id is not None and account.is_active
    if fresh:
        assert account is not None and account.id is not None
        fresh = recent_tokens(db, account.id, TokenPurpose.login, now - timedelta(hours=1)) < (
            rules.per_hour
        )
    if fresh:
        assert account is not None and account.id is not None
        row.account_id = account.id
        db.add(row)
        db.flush()
        assert row.id is not None
        if channel == EMAIL and account.email:
            sent = account_mail.queue(
                db,
                account_mail.CODE,
                account,
                to=account.email,
                sealing_keys=rules.sealing_keys,
                token_id=row.id,
                secret=f"|{code}",
                params={"minutes": rules.code_minutes},
            )
        elif channel in senders:
            sent = senders[channel](db, account.id, code, account.locale)
        if not sent:
            row.account_id = None  # nothing reached the person: the row cannot sign in
        else:
            ev.emit(db, ev.AccountAccess(account.id, None, "code-sent", ip[:64], channel))
    db.add(row)
    return attempt


def request_login_code(
    db: Session,
    *,
    login: str,
    channel: str,
    rules: AccessRules,
    senders: Mapping[str, CodeSender],
    ip: str,
    next_url: str = "/",
    finders: Mapping[str, CodeFinder] | None = None,
    now: datetime | None = None,
) -> str:
    """Send a 6-digit sign-in code to the account with this email address or mobile number,
    by mail or to its linked chat on ``channel``; returns the cookie token for /kode. A number
    no account holds may still be a chat-only citizen's WhatsApp or SMS number (``finders``
    of the channel). Whether an account exists (or has that channel) changes nothing in the
    answer."""
    now = now or utcnow()
    if channel not in code_channels(senders):
        message = Msg(N_("Choose where the code should be sent."))
        raise Invalid(message.text, field_errors={"channel": message})
    login = login.strip()
    address = normalise_email(login) or normalise_phone(login)
    if address is None:
        message = Msg(N_("Enter your email address or mobile number."))
        raise Invalid(message.text, field_errors={"login": message})
    limit_requests(db, ip=ip, address=f"{channel}:{address}", rules=rules, now=now)
    account = find_login(db, login)
    finder = (finders or {}).get(channel)
    if account is None and finder is not None and address.startswith("+"):
        found = finder(db, address)
        account = db.get(Account, found) if found is not None else None
    return _issue_code(
        db,
        account,
        channel=channel,
        rules=rules,
        senders=senders,
        ip=ip,
        next_url=next_url,
        now=now,
    )


def register_by_code(
    db: Session,
    *,
    name: str,
    email: str,
    consent: bool,
    rules: AccessRules,
    ip: str,
    locale: str = "id",
    now: datetime | None = None,
) -> str:
    """A citizen account without a password: the code mailed to the address signs in (and
    confirms the address). Returns the cookie token for /kode."""
    now = now or utcnow()
    if not email.strip():
        message = Msg(N_("Give your email address: the code is sent there."))
        raise Invalid(message.text, field_errors={"email": message})
    account = create_account(
        db,
        name=name,
        email=email.strip(),
        password=None,
        locale=locale,
        consent=consent,
        require_consent=True,
        email_confirmed=False,
    )
    assert account.email is not None
    limit_requests(db, ip=ip, address=f"{EMAIL}:{account.email}", rules=rules, now=now)
    return _issue_code(
        db, account, channel=EMAIL, rules=rules, senders={}, ip=ip, next_url="/", now=now
    )


def code_login_row(db: Session, attempt: str, now: datetime | None = None) -> AccountToken | None:
    if not 20 <= len(attempt) <= 100:
        return None
    row = db.exec(
        select(AccountToken).where(AccountToken.token_hash == hash_token(attempt))
    ).first()
    return row if usable(row, TokenPurpose.login, now or utcnow()) else None


def complete_code_login(
    db: Session,
    *,
    attempt: str,
    code: str,
    rules: AccessRules,
    ip: str,
    user_agent: str,
    session_days: int,
    now: datetime | None = None,
) -> tuple[LoginResult, str]:
    """The code typed on /kode: once right, the code is used up, a mailed code confirms the
    address, and the login continues as after a password (two-factor accounts type their
    second factor next). Returns the login and where to go (the request's checked next)."""
    now = now or utcnow()
    row = code_login_row(db, attempt, now)
    if row is None:
        raise Conflict(N_("The code has expired. Ask for a new one."))
    check_code(db, row, code, rules=rules, ip=ip, now=now)
    account = db.get(Account, row.account_id)
    if account is None or not account.is_active:
        raise Invalid(CODE_WRONG, field_errors={"code": Msg(CODE_WRONG)})
    assert account.id is not None
    claim(db, row, now)
    if row.channel == EMAIL and account.email_confirmed_at is None and account.email:
        account.email_confirmed_at = now
        db.add(account)
    ev.emit(db, ev.AccountAccess(account.id, account.id, "code-used", ip[:64], row.channel))
    result = sign_in(
        db,
        account,
        ip=ip,
        user_agent=user_agent,
        session_days=session_days,
        next_url=row.next_url,
        now=now,
    )
    return result, row.next_url


def forget_tokens(db: Session, now: datetime | None = None) -> None:
    """The scheduler drops stand-in rows and sign-in codes a day after they expired (the
    account's own confirmation and reset rows stay for its data export until deletion)."""
    now = now or utcnow()
    db.execute(
        delete(AccountToken).where(
            col(AccountToken.expires_at) < now - timedelta(days=1),
            col(AccountToken.account_id).is_(None) | (col(AccountToken.purpose) == "login"),
        )
    )
