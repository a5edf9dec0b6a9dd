"""Errors actions raise; the web layer maps them to 400/403/404/409/429 pages.

Messages are translatable msgids (marked with ``N_``) plus parameters, translated at the edge.
"""

from __future__ import annotations

from typing import Any, NamedTuple


def N_(message: str) -> str:
    """Mark a message for translation without translating it here."""
    return message


class Msg(NamedTuple):
    """A translatable message id with its parameters."""

    text: str
    params: dict[str, Any] = {}  # noqa: RUF012 - never mutated; NamedTuple default


class ActionError(Exception):
    status_code = 400

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class Invalid(ActionError):
    """Input broke a rule; ``field_errors`` ties messages to form fields."""

    status_code = 400

    def __init__(
        self, message: str = N_("Please correct the marked fields."), **params: Any
    ) -> None:
        self.field_errors: dict[str, Msg] = params.pop("field_errors", {})
        super().__init__(message, **params)


class NotAllowed(ActionError):
    status_code = 403


class NotFound(ActionError):
    status_code = 404


class Conflict(ActionError):
    """The object is in a state that does not allow this (e.g. consultation closed)."""

    status_code = 409


class Throttled(ActionError):
    status_code = 429

    def __init__(self, message: str, retry_after: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after
