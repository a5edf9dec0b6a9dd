"""Rules every action module shares: permission checks, the invalid-input helper and the
rejection reasons."""

from __future__ import annotations

from forum.errors import N_, Invalid, Msg, NotAllowed
from forum.models import (
    Account,
    Role,
)
from forum.validation import (
    clean_text,
)

REJECT_REASONS = ("off-topic", "abusive", "spam", "personal-data", "duplicate", "other")


def require_role(actor: Account | None, *roles: Role) -> Account:
    if actor is None or not actor.is_active:
        raise NotAllowed(N_("Please log in first."))
    if actor.role not in roles:
        raise NotAllowed(N_("Your account is not allowed to do this."))
    return actor


def require_agency(actor: Account | None, agency_id: int) -> Account:
    """Officials act only for their own agency; administrators for any."""
    actor = require_role(actor, Role.official, Role.admin)
    if actor.role == Role.official and actor.agency_id != agency_id:
        raise NotAllowed(N_("This belongs to another agency."))
    return actor


def require_citizen_content_author(actor: Account | None) -> Account:
    if actor is None or not actor.is_active:
        raise NotAllowed(N_("Please log in first."))
    return actor


def invalid(**field_errors: Msg | None) -> None:
    errors = {name: msg for name, msg in field_errors.items() if msg is not None}
    if errors:
        raise Invalid(field_errors=errors)


def check_reason(reason: str) -> str:
    reason = clean_text(reason)
    if not reason:
        raise Invalid(field_errors={"reason": Msg(N_("Give the reason the author will see."))})
    return reason[:500]
