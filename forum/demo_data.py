"""Reads and validates a demo data set: a folder of YAML files and Markdown consultation texts
(the shipped one is ``forum/seeds/demo/``; the format is described in docs/demo-data.md).

Only reading and checking happens here, without a database: every problem is reported with
the file and the entry it is in, all at once, before anything is created. ``forum.demo``
then creates the checked data through the real actions. This module alone imports PyYAML,
and only ever calls ``yaml.safe_load``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from forum import actions
from forum.documents import parse_markdown
from forum.models import Role, Visibility

SHIPPED = Path(__file__).resolve().parent / "seeds" / "demo"
MANIFEST = "manifest.yaml"
COMMENTS = "comments.yaml"
ASPIRATIONS = "aspirations.yaml"

COMMENT_STATES = ("published", "pending", "rejected")
ASPIRATION_STATES = ("pending", "published", "rejected", "responded")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_RELATIVE = re.compile(r"^([+-])\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?$")


class DemoDataError(ValueError):
    """The data set has problems; ``problems`` lists each with its file and entry."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:30]
        more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(
            "Data demo tidak valid / invalid demo data:\n  " + "\n  ".join(shown) + more
        )


@dataclass(frozen=True)
class Moment:
    """A point in time: relative to the moment of loading, or absolute."""

    offset: timedelta | None = None
    absolute: datetime | None = None

    def at(self, now: datetime) -> datetime:
        return self.absolute if self.absolute is not None else now + (self.offset or timedelta())


@dataclass
class AgencySpec:
    slug: str
    name: str
    short_name: str
    description: str


@dataclass
class AccountSpec:
    key: str
    name: str
    email: str
    role: Role
    agency: str | None


@dataclass
class ConsultationSpec:
    key: str
    agency: str
    author: str
    markdown: str
    headings: set[str]
    title: str
    summary: str
    opens: Moment | None
    closes: Moment | None
    published: Moment | None
    closed: Moment | None
    conclusion: str | None


@dataclass
class ReplySpec:
    author: str
    at: Moment
    state: str
    body: str


@dataclass
class CommentSpec:
    where: str
    consultation: str
    author: str
    section: str | None
    at: Moment
    state: str
    reject_reason: str | None
    body: str
    replies: list[ReplySpec]


@dataclass
class ResponseSpec:
    by: str
    at: Moment
    body: str


@dataclass
class AspirationSpec:
    where: str
    author: str
    title: str
    body: str
    category: str
    region: str
    agency: str | None
    visibility: Visibility
    sent: Moment
    state: str
    verified: Moment
    reject_reason: str | None
    supporters: list[str]
    response: ResponseSpec | None


@dataclass
class DemoData:
    folder: Path
    moderator: str
    agencies: list[AgencySpec] = field(default_factory=list)
    accounts: list[AccountSpec] = field(default_factory=list)
    consultations: list[ConsultationSpec] = field(default_factory=list)
    comments: list[CommentSpec] = field(default_factory=list)
    aspirations: list[AspirationSpec] = field(default_factory=list)

    def account(self, key: str) -> AccountSpec:
        return next(a for a in self.accounts if a.key == key)


class _Entry:
    """One mapping of a file, with typed getters that record problems instead of raising."""

    def __init__(self, reader: _Reader, where: str, raw: object, allowed: set[str]) -> None:
        self.reader, self.where = reader, where
        self.raw: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if not isinstance(raw, dict):
            self.problem("must be a mapping of fields (name: value)")
        for name in sorted(set(self.raw) - allowed - {"note"}, key=str):
            self.problem(f"unknown field {name!r} (known: {', '.join(sorted(allowed))})")

    def problem(self, message: str) -> None:
        self.reader.problems.append(f"{self.where}: {message}")

    def text(self, name: str, *, required: bool = True) -> str:
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(f"missing field {name!r}")
            return ""
        if isinstance(value, float):
            self.problem(f"{name!r} is read as the number {value!r}: put it in quotes")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(f"{name!r} must be text")
            return ""
        return str(value).strip()

    def optional(self, name: str) -> str | None:
        return self.text(name, required=False) or None

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(name, required=default is None) or default or ""
        if value and value not in choices:
            self.problem(f"{name!r} is {value!r}; it must be one of: {', '.join(choices)}")
        return value

    def moment(self, name: str, *, required: bool = True) -> Moment | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.problem(
                    f"missing field {name!r} (a time such as -3d, +2d 4h, now or 2026-11-20)"
                )
            return None
        moment = _parse_moment(value)
        if moment is None:
            self.problem(
                f"{name!r} is {value!r}, not a time: write -3d 4h (before loading), +2d, now, "
                "or an ISO date such as 2026-11-20 or 2026-11-20T09:00:00+07:00"
            )
        return moment

    def keys(self, name: str) -> list[str]:
        value = self.raw.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(f"{name!r} must be a list of account keys")
            return []
        return list(value)

    def items(self, name: str) -> list[Any]:
        value = self.raw.get(name) or []
        if not isinstance(value, list):
            self.problem(f"{name!r} must be a list")
            return []
        return value


def _parse_moment(value: object) -> Moment | None:
    if isinstance(value, datetime):
        return Moment(absolute=value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return Moment(absolute=datetime(value.year, value.month, value.day, tzinfo=UTC))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text == "now":
        return Moment(offset=timedelta())
    match = _RELATIVE.match(text)
    if match and any(match.group(i) for i in (2, 3, 4)):
        sign, days, hours, minutes = match.groups()
        delta = timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0))
        return Moment(offset=-delta if sign == "-" else delta)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return Moment(absolute=parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


class _Reader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[str] = []

    def document(self, name: str, *, required: bool, keys: set[str]) -> dict[str, Any]:
        path = self.folder / name
        if not path.is_file():
            if required:
                self.problems.append(f"{name}: file not found in {self.folder}")
            return {}
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            self.problems.append(f"{name}: not valid YAML: {exc}")
            return {}
        if loaded is None:
            return {}
        if not isinstance(loaded, dict):
            self.problems.append(
                f"{name}: must be a mapping with the keys {', '.join(sorted(keys))}"
            )
            return {}
        for key in sorted(set(loaded) - keys, key=str):
            self.problems.append(f"{name}: unknown key {key!r} (known: {', '.join(sorted(keys))})")
        return loaded

    def entries(self, name: str, doc: dict[str, Any], key: str) -> Iterator[tuple[str, Any]]:
        value = doc.get(key) or []
        if not isinstance(value, list):
            self.problems.append(f"{name}: {key!r} must be a list")
            return
        for index, raw in enumerate(value):
            yield f"{name}, {key}[{index}]", raw

    def markdown(self, entry: _Entry, name: str) -> str:
        relative = entry.text(name)
        if not relative:
            return ""
        path = self.folder / relative
        if not path.is_file():
            entry.problem(f"{name!r}: file {relative!r} not found in {self.folder}")
            return ""
        return path.read_text(encoding="utf-8")


def read_demo_data(folder: Path = SHIPPED) -> DemoData:
    """The checked data set of FOLDER; raises DemoDataError listing every problem found."""
    reader = _Reader(folder)
    if not folder.is_dir():
        raise DemoDataError([f"{folder}: not a folder"])
    manifest = reader.document(
        MANIFEST, required=True, keys={"moderator", "agencies", "accounts", "consultations"}
    )
    data = DemoData(folder=folder, moderator="")
    _agencies(reader, manifest, data)
    _accounts(reader, manifest, data)
    roles = {a.key: a for a in data.accounts}
    data.moderator = str(manifest.get("moderator") or "")
    moderator = roles.get(data.moderator)
    if manifest and (moderator is None or moderator.role not in (Role.moderator, Role.admin)):
        reader.problems.append(
            f"{MANIFEST}: 'moderator' must name an account with the role moderator or admin "
            f"(it is {data.moderator or 'missing'!r})"
        )
    _consultations(reader, manifest, data)
    _comments(reader, data)
    _aspirations(reader, data)
    if reader.problems:
        raise DemoDataError(reader.problems)
    return data


def check_reference_data(data: DemoData, *, categories: set[str], regions: set[str]) -> None:
    """The categories and regions the aspirations name exist in the database."""
    problems = []
    for item in data.aspirations:
        if item.category not in categories:
            problems.append(
                f"{item.where}: unknown category {item.category!r} "
                f"(known: {', '.join(sorted(categories))})"
            )
        if item.region not in regions:
            problems.append(
                f"{item.where}: unknown region {item.region!r} (a Kemendagri code from "
                "forum/seeds/regions.csv, e.g. 31.71 or 35)"
            )
    if problems:
        raise DemoDataError(problems)


def _agencies(reader: _Reader, manifest: dict[str, Any], data: DemoData) -> None:
    seen: set[str] = set()
    for where, raw in reader.entries(MANIFEST, manifest, "agencies"):
        entry = _Entry(reader, where, raw, {"slug", "name", "short_name", "description"})
        slug = entry.text("slug")
        if slug and not _SLUG.match(slug):
            entry.problem(f"slug {slug!r} must be lower-case letters, digits and hyphens")
        if slug in seen:
            entry.problem(f"agency {slug!r} appears twice")
        seen.add(slug)
        data.agencies.append(
            AgencySpec(
                slug=slug,
                name=entry.text("name"),
                short_name=entry.text("short_name", required=False),
                description=entry.text("description", required=False),
            )
        )


def _accounts(reader: _Reader, manifest: dict[str, Any], data: DemoData) -> None:
    agencies = {a.slug for a in data.agencies}
    keys: set[str] = set()
    emails: set[str] = set()
    for where, raw in reader.entries(MANIFEST, manifest, "accounts"):
        entry = _Entry(reader, where, raw, {"key", "name", "email", "role", "agency"})
        key, email = entry.text("key"), entry.text("email").lower()
        entry.where = f"{where} ({key})" if key else where
        role = entry.choice("role", tuple(r.value for r in Role))
        agency = entry.optional("agency")
        if key in keys:
            entry.problem(f"account key {key!r} appears twice")
        if email and ("@" not in email or email in emails):
            entry.problem(f"email {email!r} is not an address or appears twice")
        if agency is not None and agency not in agencies:
            entry.problem(f"unknown agency {agency!r} (agencies: {', '.join(sorted(agencies))})")
        if role == Role.official and agency is None:
            entry.problem("an official must have an 'agency'")
        keys.add(key)
        emails.add(email)
        if role in Role.__members__:
            data.accounts.append(
                AccountSpec(
                    key=key, name=entry.text("name"), email=email, role=Role(role), agency=agency
                )
            )


def _account(entry: _Entry, data: DemoData, name: str, *roles: Role) -> str:
    """The account key in field NAME; it must exist and have one of ROLES."""
    key = entry.text(name)
    account = next((a for a in data.accounts if a.key == key), None)
    if key and account is None:
        entry.problem(f"{name!r}: unknown account {key!r} (accounts are listed in {MANIFEST})")
    elif account is not None and roles and account.role not in roles:
        wanted = " or ".join(r.value for r in roles)
        entry.problem(f"{name!r}: account {key!r} is a {account.role.value}, not a {wanted}")
    return key


def _official_of(entry: _Entry, data: DemoData, name: str, agency: str | None) -> str:
    key = _account(entry, data, name, Role.official, Role.admin)
    account = next((a for a in data.accounts if a.key == key), None)
    if account is not None and account.role == Role.official and account.agency != agency:
        entry.problem(f"{name!r}: {key!r} is an official of {account.agency!r}, not of {agency!r}")
    return key


def _consultations(reader: _Reader, manifest: dict[str, Any], data: DemoData) -> None:
    agencies = {a.slug for a in data.agencies}
    fields = {"key", "agency", "author", "text", "title", "summary", "opens", "closes",
              "published", "closed", "conclusion"}  # fmt: skip
    for where, raw in reader.entries(MANIFEST, manifest, "consultations"):
        entry = _Entry(reader, where, raw, fields)
        key = entry.text("key")
        entry.where = f"{where} ({key})" if key else where
        if any(c.key == key for c in data.consultations):
            entry.problem(f"consultation key {key!r} appears twice")
        agency = entry.text("agency")
        if agency and agency not in agencies:
            entry.problem(f"unknown agency {agency!r}")
        markdown = reader.markdown(entry, "text")
        sections = parse_markdown(markdown).sections if markdown else []
        if markdown and not sections:
            entry.problem(f"the text {entry.text('text')!r} is empty")
        spec = ConsultationSpec(
            key=key,
            agency=agency,
            author=_official_of(entry, data, "author", agency),
            markdown=markdown,
            headings={s.heading for s in sections},
            title=entry.text("title", required=False),
            summary=entry.text("summary", required=False),
            opens=entry.moment("opens", required=False),
            closes=entry.moment("closes", required=False),
            published=entry.moment("published", required=False),
            closed=entry.moment("closed", required=False),
            conclusion=entry.optional("conclusion"),
        )
        if spec.closed and not spec.published:
            entry.problem("'closed' needs 'published' (a consultation is published first)")
        if spec.conclusion and not spec.closed:
            entry.problem("'conclusion' needs 'closed'")
        data.consultations.append(spec)


def _comments(reader: _Reader, data: DemoData) -> None:
    doc = reader.document(COMMENTS, required=False, keys={"comments"})
    consultations = {c.key: c for c in data.consultations}
    fields = {"consultation", "author", "section", "at", "state", "reject_reason", "body",
              "replies"}  # fmt: skip
    for where, raw in reader.entries(COMMENTS, doc, "comments"):
        entry = _Entry(reader, where, raw, fields)
        key = entry.text("consultation")
        consultation = consultations.get(key)
        if key and consultation is None:
            entry.problem(f"unknown consultation {key!r} (consultations are in {MANIFEST})")
        elif consultation is not None and consultation.published is None:
            entry.problem(f"consultation {key!r} is not published, so it takes no comments")
        section = entry.optional("section")
        if section and consultation is not None and section not in consultation.headings:
            entry.problem(
                f"section {section!r} is not a heading of {key!r} "
                f"(headings: {'; '.join(sorted(consultation.headings))})"
            )
        state = entry.choice("state", COMMENT_STATES)
        replies = []
        for index, raw_reply in enumerate(entry.items("replies")):
            reply = _Entry(reader, f"{where}.replies[{index}]", raw_reply,
                           {"author", "at", "state", "body"})  # fmt: skip
            replies.append(
                ReplySpec(
                    author=_account(reply, data, "author", Role.citizen),
                    at=reply.moment("at") or Moment(),
                    state=reply.choice("state", ("published", "pending")),
                    body=reply.text("body"),
                )
            )
        if replies and state != "published":
            entry.problem("only a published comment can have replies")
        data.comments.append(
            CommentSpec(
                where=where,
                consultation=key,
                author=_account(entry, data, "author", Role.citizen),
                section=section,
                at=entry.moment("at") or Moment(),
                state=state,
                reject_reason=_reject_reason(entry, state),
                body=entry.text("body"),
                replies=replies,
            )
        )


def _reject_reason(entry: _Entry, state: str) -> str | None:
    reason = entry.optional("reject_reason")
    if reason is not None and state != "rejected":
        entry.problem("'reject_reason' is only for the state rejected")
    if reason is not None and reason not in actions.REJECT_REASONS:
        entry.problem(
            f"reject_reason {reason!r} must be one of: {', '.join(actions.REJECT_REASONS)}"
        )
    return reason


def _aspirations(reader: _Reader, data: DemoData) -> None:
    doc = reader.document(ASPIRATIONS, required=False, keys={"aspirations"})
    agencies = {a.slug for a in data.agencies}
    fields = {"author", "title", "body", "category", "region", "agency", "visibility", "sent",
              "state", "verified", "reject_reason", "supporters", "response"}  # fmt: skip
    for where, raw in reader.entries(ASPIRATIONS, doc, "aspirations"):
        entry = _Entry(reader, where, raw, fields)
        author = _account(entry, data, "author", Role.citizen)
        agency = entry.optional("agency")
        if agency is not None and agency not in agencies:
            entry.problem(f"unknown agency {agency!r} (agencies: {', '.join(sorted(agencies))})")
        state = entry.choice("state", ASPIRATION_STATES)
        visibility = entry.choice("visibility", tuple(v.value for v in Visibility), "public")
        sent = entry.moment("sent") or Moment()
        supporters = entry.keys("supporters")
        for key in supporters:
            supporter = next((a for a in data.accounts if a.key == key), None)
            if supporter is None or supporter.role != Role.citizen:
                entry.problem(f"supporter {key!r} is not a citizen account of {MANIFEST}")
            if key == author:
                entry.problem(f"supporter {key!r} is the author (no one supports their own)")
        if supporters and state not in ("published", "responded"):
            entry.problem("only a published (or responded) aspiration can have supporters")
        verified = entry.moment("verified", required=False)
        if verified is not None and state not in ("published", "responded"):
            entry.problem("'verified' is only for the states published and responded")
        response = None
        if state == "responded":
            if agency is None:
                entry.problem("a responded aspiration needs an 'agency' to answer it")
            answer = _Entry(reader, f"{where}.response", entry.raw.get("response"),
                            {"by", "at", "body"})  # fmt: skip
            response = ResponseSpec(
                by=_official_of(answer, data, "by", agency),
                at=answer.moment("at") or Moment(),
                body=answer.text("body"),
            )
        elif entry.raw.get("response") is not None:
            entry.problem("'response' is only for the state responded")
        data.aspirations.append(
            AspirationSpec(
                where=where,
                author=author,
                title=entry.text("title"),
                body=entry.text("body"),
                category=entry.text("category"),
                region=entry.text("region"),
                agency=agency,
                visibility=Visibility(visibility)
                if visibility in Visibility.__members__
                else Visibility.public,
                sent=sent,
                state=state,
                verified=verified or sent,
                reject_reason=_reject_reason(entry, state),
                supporters=supporters,
                response=response,
            )
        )
