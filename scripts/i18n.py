"""Translation catalogs: ``python scripts/i18n.py update`` extracts every UI string into
forum/locale/messages.pot and merges it into the id and en catalogs (English msgids are
copied into the en catalog); ``check`` fails when a string lacks a translation."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "forum" / "locale"
LOCALES = ("id", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [
    ("forum/**.py", "python"),
    ("moderation/**.py", "python"),
    ("bots/**.py", "python"),
    ("search/**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]


def extract() -> Catalog:
    template = Catalog(project="Rembug", fuzzy=False)
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=METHODS,
        keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        if message:
            template.add(message)
    return template


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


def load(locale: str) -> Catalog:
    path = catalog_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="Rembug", fuzzy=False)
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False, no_location=True)


def update() -> None:
    template = extract()
    save(template, LOCALE_DIR / "messages.pot")
    for locale in LOCALES:
        catalog = load(locale)
        catalog.update(template, no_fuzzy_matching=True)
        if locale == "en":
            for message in catalog:
                if (message.id and not message.string) or message.string == ("", ""):
                    message.string = message.id
        catalog.obsolete.clear()
        save(catalog, catalog_path(locale))
    print(f"{len(template)} messages; catalogs updated: {', '.join(LOCALES)}")


def missing() -> dict[str, list[str]]:
    """Messages in the source without a translation, per locale."""
    template = extract()
    result: dict[str, list[str]] = {}
    for locale in LOCALES:
        catalog = load(locale)
        gaps = []
        for message in template:
            if not message.id:
                continue
            found = catalog.get(message.id)
            strings = found.string if found else None
            complete = all(strings) if isinstance(strings, tuple) else bool(strings)
            if found is None or not complete or found.fuzzy:
                gaps.append(message.id if isinstance(message.id, str) else message.id[0])
        result[locale] = gaps
    return result


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    gaps = missing()
    for locale, items in gaps.items():
        for item in items:
            print(f"{locale}: untranslated: {item!r}")
    return 1 if any(gaps.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
