"""Reference data kept by administrators: agencies, categories and regions."""

from __future__ import annotations

from sqlmodel import Session, select

from forum.actions.rules import invalid, require_role
from forum.errors import N_, Msg
from forum.models import (
    Account,
    Agency,
    Category,
    Region,
    Role,
)
from forum.validation import (
    clean_text,
    text_length_error,
)


def save_agency(
    db: Session,
    actor: Account,
    *,
    agency: Agency | None,
    slug: str,
    name: str,
    short_name: str,
    description: str,
    is_active: bool = True,
) -> Agency:
    require_role(actor, Role.admin)
    slug, name = slug.strip().lower(), clean_text(name)
    errors: dict[str, Msg | None] = {
        "name": text_length_error(name, 2, 200),
        "slug": None if _valid_slug(slug) else Msg(N_("Use lowercase letters, digits and -.")),
    }
    clash = db.exec(select(Agency).where(Agency.slug == slug)).first()
    if clash is not None and clash is not agency:
        errors["slug"] = Msg(N_("This short address is already used."))
    invalid(**errors)
    agency = agency or Agency(slug=slug, name=name)
    agency.slug, agency.name = slug, name
    agency.short_name = clean_text(short_name)[:60]
    agency.description = clean_text(description)
    agency.is_active = is_active
    db.add(agency)
    db.flush()
    return agency


def save_category(
    db: Session,
    actor: Account,
    *,
    category: Category | None,
    slug: str,
    name_id: str,
    name_en: str,
    is_active: bool = True,
) -> Category:
    require_role(actor, Role.admin)
    slug = slug.strip().lower()
    errors: dict[str, Msg | None] = {
        "name_id": text_length_error(name_id, 2, 120),
        "name_en": text_length_error(name_en, 2, 120),
        "slug": None if _valid_slug(slug) else Msg(N_("Use lowercase letters, digits and -.")),
    }
    clash = db.exec(select(Category).where(Category.slug == slug)).first()
    if clash is not None and clash is not category:
        errors["slug"] = Msg(N_("This short address is already used."))
    invalid(**errors)
    category = category or Category(slug=slug, name_id=name_id, name_en=name_en)
    category.slug, category.name_id, category.name_en = (
        slug,
        clean_text(name_id),
        clean_text(name_en),
    )
    category.is_active = is_active
    db.add(category)
    db.flush()
    return category


def save_region(
    db: Session,
    actor: Account,
    *,
    region: Region | None,
    code: str,
    name: str,
    kind: str,
    parent_code: str | None,
) -> Region:
    require_role(actor, Role.admin)
    code, name = code.strip(), clean_text(name)
    errors: dict[str, Msg | None] = {"name": text_length_error(name, 2, 120)}
    if kind not in {"province", "regency", "city"}:
        errors["kind"] = Msg(N_("Choose province, regency or city."))
    if not code or len(code) > 13 or not all(part.isdigit() for part in code.split(".")):
        errors["code"] = Msg(N_("Use the Kemendagri code, e.g. 32 or 32.73."))
    clash = db.exec(select(Region).where(Region.code == code)).first()
    if clash is not None and clash is not region:
        errors["code"] = Msg(N_("This code is already used."))
    if kind != "province":
        parent = db.exec(select(Region).where(Region.code == (parent_code or ""))).first()
        if parent is None or parent.kind != "province":
            errors["parent_code"] = Msg(N_("Choose the province this belongs to."))
    invalid(**errors)
    region = region or Region(code=code, name=name, kind=kind)
    region.code, region.name, region.kind = code, name, kind
    region.parent_code = parent_code if kind != "province" else None
    db.add(region)
    db.flush()
    return region


def _valid_slug(slug: str) -> bool:
    return 1 <= len(slug) <= 80 and all(c.isascii() and (c.isalnum() or c == "-") for c in slug)
