"""``rembug demo``: agencies, accounts of every role and an open consultation built from the
real Inpres No. 3/2003 text, with comments and aspirations in varied states, all created
through the same actions the web uses."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select

from forum import actions, totp
from forum import demo_content as content
from forum.db import Database
from forum.models import (
    Account,
    Agency,
    Category,
    Comment,
    Consultation,
    Region,
    Role,
    Section,
    Visibility,
    utcnow,
)
from forum.seeds import upsert_reference_data

POLICY_TEXT = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "data"
    / ("inpres-3-2003-egovernment.md")
)
BUNDLED_POLICY_TEXT = Path(__file__).resolve().parent / "seeds" / "demo-policy.md"

CLOSED_CONSULTATION = """---
title: Rancangan Standar Layanan Pengaduan Daring Pemerintah Daerah
---

Rancangan ini mengatur standar minimum layanan pengaduan daring di pemerintah daerah.

## Kanal pengaduan

Setiap pemerintah daerah menyediakan paling sedikit satu kanal pengaduan daring yang dapat
diakses melalui telepon genggam, termasuk aplikasi pesan.

## Batas waktu tanggapan

Pengaduan diverifikasi paling lama 3 hari kerja dan ditanggapi paling lama 5 hari kerja
setelah diteruskan ke instansi yang berwenang.
"""


def policy_text() -> str:
    """The shared demo policy when the repository layout has it, else the bundled copy."""
    for path in (POLICY_TEXT, BUNDLED_POLICY_TEXT):
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"demo policy text not found at {POLICY_TEXT}")


def load_demo(
    db: Database, say: Callable[[str], None] = print, *, secret_key: str
) -> list[tuple[str, ...]] | None:
    """Create the demo data; returns (email, password) per person, with the two-factor key
    and otpauth URI of each staff account (already enrolled, so the tour can log in), or None
    if the demo data already exists."""
    with db.write() as session:
        if session.exec(select(Agency).where(Agency.slug == content.AGENCIES[0]["slug"])).first():
            return None
        upsert_reference_data(session)
        passwords = _people(session, say, secret_key)
        people = {p["key"]: _account(session, p["email"]) for p in content.PEOPLE}
        admin = next(people[p["key"]] for p in content.PEOPLE if p["role"] == "admin")
        moderator = next(people[p["key"]] for p in content.PEOPLE if p["role"] == "moderator")
        officials = {
            p["agency"]: people[p["key"]] for p in content.PEOPLE if p["role"] == "official"
        }
        agency = session.exec(
            select(Agency).where(Agency.slug == content.CONSULTATION_AGENCY)
        ).one()
        say("Konsultasi: Inpres No. 3/2003 (terbuka) …")
        consultation = _open_consultation(session, officials[content.CONSULTATION_AGENCY], agency)
        _past_consultation(session, officials[content.CONSULTATION_AGENCY], agency)
        say(f"Komentar: {len(content.COMMENTS)} utas …")
        _comments(session, consultation, people, moderator)
        say(f"Aspirasi: {len(content.ASPIRATIONS)} …")
        _aspirations(session, people, moderator, officials)
        assert admin.id is not None
        return passwords


def _account(session: Session, email: str) -> Account:
    return session.exec(select(Account).where(Account.email == email)).one()


def _people(session: Session, say: Callable[[str], None], secret_key: str) -> list[tuple[str, ...]]:
    agencies: dict[str, int] = {}
    for item in content.AGENCIES:
        agency = Agency(
            slug=item["slug"],
            name=item["name"],
            short_name=item["short_name"],
            description=item["description"],
        )
        session.add(agency)
        session.flush()
        assert agency.id is not None
        agencies[item["slug"]] = agency.id
    say(f"Instansi: {len(agencies)}")
    passwords: list[tuple[str, ...]] = []
    for person in content.PEOPLE:
        password = "demo-" + secrets.token_urlsafe(6)
        account = actions.create_account(
            session,
            name=person["name"],
            email=person["email"],
            password=password,
            role=Role(person["role"]),
            agency_id=agencies[person["agency"]] if person["agency"] else None,
            consent=True,
        )
        if not actions.two_factor_required(account):
            passwords.append((person["email"], password))
            continue
        # Staff must use two-factor authentication: the demo enrols them with a key it
        # prints, so the README's tour can log in with any authenticator app.
        secret = totp.new_secret()
        actions.enrol_with_secret(session, account, secret, secret_key=secret_key)
        uri = totp.otpauth_uri(secret, account_name=person["email"], issuer="Rembug demo")
        passwords.append((person["email"], password, totp.b32(secret), uri))
    return passwords


def _open_consultation(session: Session, official: Account, agency: Agency) -> Consultation:
    now = utcnow()
    assert agency.id is not None
    consultation = actions.create_consultation_from_markdown(
        session,
        official,
        agency_id=agency.id,
        markdown=policy_text(),
        opens_at=now - timedelta(days=14),
        closes_at=now + timedelta(days=21),
        summary=(
            "Kementerian mengajak warga menilai ulang kebijakan nasional e-government tahun 2003: "
            "apa yang masih relevan, apa yang perlu diubah untuk layanan publik digital hari ini? "
            "Beri komentar pada keseluruhan dokumen atau pada bagian tertentu."
        ),
    )
    actions.publish_consultation(session, official, consultation, now=now - timedelta(days=14))
    return consultation


def _past_consultation(session: Session, official: Account, agency: Agency) -> None:
    now = utcnow()
    assert agency.id is not None
    past = actions.create_consultation_from_markdown(
        session,
        official,
        agency_id=agency.id,
        markdown=CLOSED_CONSULTATION,
        opens_at=now - timedelta(days=60),
        closes_at=now + timedelta(days=1),
    )
    actions.publish_consultation(session, official, past, now=now - timedelta(days=60))
    actions.close_consultation(session, official, past, now=now - timedelta(days=30))
    actions.conclude_consultation(
        session,
        official,
        past,
        summary=(
            "Terima kasih atas masukan warga. Batas waktu tanggapan 5 hari kerja dipertahankan; "
            "kanal aplikasi pesan (WhatsApp dan Telegram) ditambahkan sebagai kanal resmi."
        ),
    )


def _decide_comment(
    session: Session, moderator: Account, comment: Comment, state: str, reason: str | None
) -> None:
    if state == "published":
        actions.publish_comment(session, moderator, comment)
    elif state == "rejected":
        actions.reject_comment(session, moderator, comment, reason=reason or "other")


def _comments(
    session: Session, consultation: Consultation, people: dict[str, Account], moderator: Account
) -> None:
    sections = {
        s.heading: s.id
        for s in session.exec(select(Section).where(Section.consultation_id == consultation.id))
    }
    start = utcnow() - timedelta(days=13)
    for index, item in enumerate(content.COMMENTS):
        at = start + timedelta(hours=7 * index)
        comment = actions.submit_comment(
            session,
            people[item["author"]],
            consultation,
            body=item["body"],
            section_id=sections[item["section"]] if item["section"] else None,
            now=at,
        )
        _decide_comment(session, moderator, comment, item["state"], item.get("reject_reason"))
        if item["state"] != "published":
            continue
        for offset, reply in enumerate(item["replies"], start=1):
            answer = actions.submit_comment(
                session,
                people[reply["author"]],
                consultation,
                body=reply["body"],
                parent_id=comment.id,
                now=at + timedelta(hours=offset),
            )
            _decide_comment(session, moderator, answer, reply["state"], None)


def _aspirations(
    session: Session,
    people: dict[str, Account],
    moderator: Account,
    officials: dict[str | None, Account],
) -> None:
    categories = {c.slug: c.id for c in session.exec(select(Category))}
    regions = {r.code: r.id for r in session.exec(select(Region))}
    agencies = {a.slug: a.id for a in session.exec(select(Agency))}
    start = utcnow() - timedelta(days=20)
    for index, item in enumerate(content.ASPIRATIONS):
        sent = start + timedelta(hours=15 * index)
        aspiration = actions.submit_aspiration(
            session,
            people[item["author"]],
            title=item["title"],
            body=item["body"],
            category_id=categories[item["category"]],
            region_id=regions[item["region"]],
            agency_id=agencies[item["agency"]] if item["agency"] else None,
            visibility=Visibility(item["visibility"]),
            now=sent,
        )
        state = item["state"]
        if state == "rejected":
            reason = item.get("reject_reason") or "other"
            actions.reject_aspiration(session, moderator, aspiration, reason=reason)
        elif state in ("published", "responded"):
            # Verified a few hours after it was sent; older ones are now past their deadline.
            actions.publish_aspiration(
                session, moderator, aspiration, now=sent + timedelta(hours=4)
            )
            for key in item.get("supporters", []):
                actions.add_support(session, people[key], aspiration=aspiration)
        if state == "responded" and item["agency"]:
            answered = sent + timedelta(days=2 + index % 9)  # some on time, some late
            actions.publish_official_response(
                session,
                officials[item["agency"]],
                body=item["response"],
                aspiration=aspiration,
                now=min(answered, utcnow()),
            )
