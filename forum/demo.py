"""``rembug demo``: creates a demo (or training) data set through the same actions the web
uses: agencies, accounts of every role with staff enrolled in two-factor authentication,
consultations, comments and aspirations in varied states with supports and official answers.

The data lives in files (the shipped set: ``forum/seeds/demo/``, read and checked by
``forum.demo_data``; format in docs/demo-data.md), so an agency can make its own set.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from forum import actions, totp
from forum.db import Database
from forum.demo_data import (
    SHIPPED,
    CommentSpec,
    DemoData,
    DemoDataError,
    check_reference_data,
    read_demo_data,
)
from forum.errors import ActionError
from forum.models import Account, Agency, Category, Comment, Consultation, Region, Section, utcnow
from forum.seeds import upsert_reference_data


def load_demo(
    db: Database,
    say: Callable[[str], None] = print,
    *,
    secret_key: str,
    folder: Path = SHIPPED,
) -> list[tuple[str, ...]] | None:
    """Create the data set of FOLDER; returns (email, password) per person, with the two-factor
    key and otpauth URI of each staff account (already enrolled, so the tour can log in), or
    None if the set's first agency already exists. Raises DemoDataError (and creates nothing)
    when the files have problems."""
    data = read_demo_data(folder)
    with db.write() as session:
        if (
            data.agencies
            and session.exec(select(Agency).where(Agency.slug == data.agencies[0].slug)).first()
        ):
            return None
        upsert_reference_data(session)
        check_reference_data(
            data,
            categories=set(session.exec(select(Category.slug))),
            regions=set(session.exec(select(Region.code))),
        )
        now = utcnow()
        passwords = _people(session, data, say, secret_key)
        people = {a.key: _account(session, a.email) for a in data.accounts}
        say(f"Konsultasi: {len(data.consultations)} …")
        consultations = _consultations(session, data, people, now)
        say(f"Komentar: {len(data.comments)} utas …")
        for item in data.comments:
            with _about(item.where):
                _comment(session, item, consultations[item.consultation], people, data, now)
        say(f"Aspirasi: {len(data.aspirations)} …")
        _aspirations(session, data, people, now)
        return passwords


@contextmanager
def _about(where: str) -> Iterator[None]:
    """An action's refusal names the entry of the files it came from."""
    try:
        yield
    except ActionError as exc:
        raise DemoDataError([f"{where}: {exc}"]) from exc


def _account(session: Session, email: str) -> Account:
    return session.exec(select(Account).where(Account.email == email)).one()


def _people(
    session: Session, data: DemoData, say: Callable[[str], None], secret_key: str
) -> list[tuple[str, ...]]:
    agencies: dict[str, int] = {}
    for item in data.agencies:
        agency = Agency(
            slug=item.slug,
            name=item.name,
            short_name=item.short_name,
            description=item.description,
        )
        session.add(agency)
        session.flush()
        assert agency.id is not None
        agencies[item.slug] = agency.id
    say(f"Instansi: {len(agencies)}")
    passwords: list[tuple[str, ...]] = []
    for person in data.accounts:
        password = "demo-" + secrets.token_urlsafe(6)
        with _about(f"manifest.yaml, account {person.key!r}"):
            account = actions.create_account(
                session,
                name=person.name,
                email=person.email,
                password=password,
                role=person.role,
                agency_id=agencies[person.agency] if person.agency else None,
                consent=True,
            )
        if not actions.two_factor_required(account):
            passwords.append((person.email, password))
            continue
        # Staff must use two-factor authentication: the demo enrols them with a key it
        # prints, so the README's tour can log in with any authenticator app.
        secret = totp.new_secret()
        actions.enrol_with_secret(session, account, secret, secret_key=secret_key)
        uri = totp.otpauth_uri(secret, account_name=person.email, issuer="Rembug demo")
        passwords.append((person.email, password, totp.b32(secret), uri))
    return passwords


def _consultations(
    session: Session, data: DemoData, people: dict[str, Account], now: datetime
) -> dict[str, Consultation]:
    agencies = {a.slug: a.id for a in session.exec(select(Agency))}
    made: dict[str, Consultation] = {}
    for item in data.consultations:
        official = people[item.author]
        agency_id = agencies[item.agency]
        assert agency_id is not None
        with _about(f"manifest.yaml, consultation {item.key!r}"):
            consultation = actions.create_consultation_from_markdown(
                session,
                official,
                agency_id=agency_id,
                markdown=item.markdown,
                opens_at=item.opens.at(now) if item.opens else None,
                closes_at=item.closes.at(now) if item.closes else None,
                title=item.title,
                summary=item.summary,
            )
            if item.published:
                actions.publish_consultation(
                    session, official, consultation, now=item.published.at(now)
                )
            if item.closed:
                actions.close_consultation(session, official, consultation, now=item.closed.at(now))
            if item.conclusion:
                actions.conclude_consultation(
                    session, official, consultation, summary=item.conclusion
                )
        made[item.key] = consultation
    return made


def _decide_comment(
    session: Session, moderator: Account, comment: Comment, state: str, reason: str | None
) -> None:
    if state == "published":
        actions.publish_comment(session, moderator, comment)
    elif state == "rejected":
        actions.reject_comment(session, moderator, comment, reason=reason or "other")


def _comment(
    session: Session,
    item: CommentSpec,
    consultation: Consultation,
    people: dict[str, Account],
    data: DemoData,
    now: datetime,
) -> None:
    moderator = people[data.moderator]
    sections = {
        s.heading: s.id
        for s in session.exec(select(Section).where(Section.consultation_id == consultation.id))
    }
    comment = actions.submit_comment(
        session,
        people[item.author],
        consultation,
        body=item.body,
        section_id=sections[item.section] if item.section else None,
        now=item.at.at(now),
    )
    _decide_comment(session, moderator, comment, item.state, item.reject_reason)
    for reply in item.replies:
        answer = actions.submit_comment(
            session,
            people[reply.author],
            consultation,
            body=reply.body,
            parent_id=comment.id,
            now=reply.at.at(now),
        )
        _decide_comment(session, moderator, answer, reply.state, None)


def _aspirations(
    session: Session, data: DemoData, people: dict[str, Account], now: datetime
) -> None:
    moderator = people[data.moderator]
    categories = {c.slug: c.id for c in session.exec(select(Category))}
    regions = {r.code: r.id for r in session.exec(select(Region))}
    agencies = {a.slug: a.id for a in session.exec(select(Agency))}
    for item in data.aspirations:
        with _about(item.where):
            aspiration = actions.submit_aspiration(
                session,
                people[item.author],
                title=item.title,
                body=item.body,
                category_id=categories[item.category],
                region_id=regions[item.region],
                agency_id=agencies[item.agency] if item.agency else None,
                visibility=item.visibility,
                now=item.sent.at(now),
            )
            if item.state == "rejected":
                actions.reject_aspiration(
                    session, moderator, aspiration, reason=item.reject_reason or "other"
                )
            elif item.state in ("published", "responded"):
                actions.publish_aspiration(
                    session, moderator, aspiration, now=item.verified.at(now)
                )
                for key in item.supporters:
                    actions.add_support(session, people[key], aspiration=aspiration)
            if item.response is not None:
                actions.publish_official_response(
                    session,
                    people[item.response.by],
                    body=item.response.body,
                    aspiration=aspiration,
                    now=min(item.response.at.at(now), now),
                )
