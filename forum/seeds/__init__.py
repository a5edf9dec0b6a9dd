"""Reference data shipped with Rembug: Indonesia's provinces, regencies and cities, and a
starting set of aspiration categories. ``rembug migrate`` upserts them (idempotent)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import Session, select

from forum.models import Category, Region

SEED_DIR = Path(__file__).resolve().parent

DEFAULT_CATEGORIES = (
    ("layanan-publik", "Layanan publik", "Public services"),
    ("infrastruktur", "Infrastruktur", "Infrastructure"),
    ("kesehatan", "Kesehatan", "Health"),
    ("pendidikan", "Pendidikan", "Education"),
    ("kependudukan", "Kependudukan dan pencatatan sipil", "Civil registration"),
    ("transportasi", "Transportasi", "Transport"),
    ("lingkungan", "Lingkungan hidup", "Environment"),
    ("teknologi-informasi", "Teknologi informasi", "Information technology"),
    ("keamanan-ketertiban", "Keamanan dan ketertiban", "Public order and safety"),
    ("lainnya", "Lainnya", "Other"),
)


def region_rows() -> list[dict[str, str]]:
    with (SEED_DIR / "regions.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def upsert_reference_data(db: Session) -> tuple[int, int]:
    """Insert missing regions and categories; never overwrite an administrator's edits."""
    known_regions = set(db.exec(select(Region.code)))
    new_regions = [
        Region(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            parent_code=row["parent_code"] or None,
        )
        for row in region_rows()
        if row["code"] not in known_regions
    ]
    db.add_all(new_regions)
    known_categories = set(db.exec(select(Category.slug)))
    new_categories = [
        Category(slug=slug, name_id=name_id, name_en=name_en)
        for slug, name_id, name_en in DEFAULT_CATEGORIES
        if slug not in known_categories
    ]
    db.add_all(new_categories)
    return len(new_regions), len(new_categories)
