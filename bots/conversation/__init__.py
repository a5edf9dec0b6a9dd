"""The dialogue every chat channel shares: ``handle(db, inbound)`` reads the person's state from
the database, calls the forum actions, stores the next state and returns the answers.

Callback data is short (``c:12``, ``s:12:3``…) to stay within Telegram's 64 bytes; every text
is a translatable msgid rendered in the identity's language. The parts: ``turn`` (the turn,
commands, menu), ``dialogue`` (routing), ``consultations``, ``aspirations``, ``files``
(photos and documents), ``tickets``.
"""

from bots.conversation.dialogue import handle
from bots.conversation.turn import (
    COMMANDS,
    COMMENTS_SHOWN,
    PAGE,
    STATUS_LABELS,
    TICKET_RE,
    VISIBILITY_LABELS,
    FileLimits,
    SearchHook,
    Turn,
)

__all__ = [
    "COMMANDS",
    "COMMENTS_SHOWN",
    "PAGE",
    "STATUS_LABELS",
    "TICKET_RE",
    "VISIBILITY_LABELS",
    "FileLimits",
    "SearchHook",
    "Turn",
    "handle",
]
