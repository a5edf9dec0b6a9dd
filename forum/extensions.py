"""Named hooks that plugins may put in ``services.extensions``; the core uses them when
present and works without them. Each name documents the callable's shape."""

from __future__ import annotations

# (db, viewer, title, body, limit) -> list[Aspiration]: published aspirations that look like
# the one being written (offered on the aspiration form's preview step).
SIMILAR_ASPIRATIONS = "similar_aspirations"

# (db, viewer, aspiration, limit) -> list[Aspiration]: the most similar other aspirations,
# shown on an aspiration's page to officials of its agency and moderators.
MORE_LIKE_THIS = "more_like_this"

# (db, viewer, text, limit) -> list[tuple[str, int, str]]: what a search for ``text`` finds
# that ``viewer`` may see, as (kind, id, title) with kind "consultation" or "aspiration", best
# first (the chat bots' /cari; without it they match titles only).
SEARCH_ITEMS = "search_items"

# list[tuple[str, str]] or list[tuple[str, str, tuple[str, ...]]]: (translatable label, path
# [, roles]) links added to the header navigation; with roles, shown only to those roles.
NAV_LINKS = "nav_links"

# list[tuple[str, str]]: (translatable label, path) links added to "My contributions".
PROFILE_LINKS = "profile_links"

# str: the path of a page where a logged-in user reports published content; it receives
# ?jenis=comment|aspiration&id=N&next=PATH.
REPORT_PATH = "report_path"

# list[Callable[[], dict]]: fragments {"paths": {...}, "components": {"schemas": {...}}} that
# forum.api merges into the one OpenAPI document of /api/v1 (a plugin's own API endpoints).
OPENAPI_PATHS = "openapi_paths"

# list[Callable[[Services], object]]: called by the scheduler every round (about every 30 s,
# in the web process running the worker and in ``rembug worker``), each in its own try; for a
# plugin's safety nets (e.g. processing that a missed wake-up left waiting).
PERIODIC = "periodic"

# list[Callable[[Services], Iterable[forum.metrics.Reading]]]: a package's gauges for
# /metrics (the chat spool's backlog, the moderation queue), read at each scrape.
METRIC_READINGS = "metric_readings"

# list[tuple[str, Callable[[Services], None]]]: named readiness checks for /readyz (the
# search index); a check raises when the part it checks cannot serve.
READINESS_CHECKS = "readiness_checks"

# list[str]: path prefixes of a plugin's pages crawlers should stay out of (staff pages,
# searches), added to the forum's own in /robots.txt.
ROBOTS_DISALLOW = "robots_disallow"
# list[Callable[[Session, Account], dict[str, list[dict]]]]: a package's parts of an account's
# data export (UU PDP access and portability; e.g. the chats and phone numbers of bots), each
# a list of rows, shown on "All my data" and in its JSON after the core's.
ACCOUNT_DATA = "account_data"
# dict[str, Callable[[Session, int, str, str], bool]]: sign-in code senders by channel name
# ("telegram", "whatsapp", "sms"): (db, account_id, code, locale)
# queues a message carrying the 6-digit sign-in ``code`` to the account's linked chat on that
# channel, in the caller's transaction, and returns False when the account has none there
# (the person sees the same answer either way). Email codes are the core's own.
LOGIN_CODE_SENDERS = "login_code_senders"
# dict[str, Callable[[Session, str], int | None]]: by channel name, (db, mobile number in
# +62… form) -> the id of the account whose chat on that channel is that number, for a
# citizen who takes part from WhatsApp or SMS only (no email or phone in the account) and asks
# for a sign-in code with the number. Asked only when no account has the number itself.
LOGIN_CODE_FINDERS = "login_code_finders"
# list[Callable[[Session, Comment | Aspiration, str], list[str]]]: lines about a contribution
# for the moderator's case page, in the given locale (the email channel lists a mail's
# attachments there: kept for the moderator, never published).
CASE_NOTES = "case_notes"
