"""Translation catalogs, one per package (forum, moderation, search, bots).

``python scripts/i18n.py update [PACKAGE]`` extracts the package's UI strings into
``PACKAGE/locale/messages.pot`` and merges them into its ``id`` and ``en`` catalogs (English
msgids are copied into ``en``; an Indonesian translation already present in another package's
catalog is reused). ``check`` (the default) fails when any string lacks a translation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("forum", "moderation", "search", "bots")
LOCALES = ("id", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def extract(package: str) -> Catalog:
    template = Catalog(project="Rembug", fuzzy=False)
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / package),
        method_map=METHODS,
        keywords=KEYWORDS,
        options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        if message:
            template.add(message)
    return template


def catalog_path(package: str, locale: str) -> Path:
    return ROOT / package / "locale" / locale / "LC_MESSAGES" / "messages.po"


def load(package: str, locale: str) -> Catalog:
    path = catalog_path(package, locale)
    if not path.exists():
        return Catalog(locale=locale, project="Rembug", fuzzy=False)
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def save(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, no_location=True)


def _translated(strings: object) -> bool:
    return all(strings) if isinstance(strings, tuple) else bool(strings)


def update(package: str) -> None:
    template = extract(package)
    save(template, ROOT / package / "locale" / "messages.pot")
    for locale in LOCALES:
        others = [load(p, locale) for p in PACKAGES if p != package]
        catalog = load(package, locale)
        catalog.update(template, no_fuzzy_matching=True)
        for message in catalog:
            if not message.id or _translated(message.string):
                continue
            if locale == "en":
                message.string = message.id
                continue
            for other in others:
                found = other.get(message.id)
                if found is not None and _translated(found.string) and not found.fuzzy:
                    message.string = found.string
                    break
        catalog.obsolete.clear()
        save(catalog, catalog_path(package, locale))
    print(f"{package}: {len(template)} messages; catalogs updated: {', '.join(LOCALES)}")


def missing() -> list[str]:
    """Every source string without a complete, non-fuzzy translation, per package and locale."""
    gaps = []
    for package in PACKAGES:
        template = extract(package)
        for locale in LOCALES:
            catalog = load(package, locale)
            for message in template:
                if not message.id:
                    continue
                found = catalog.get(message.id)
                if found is None or not _translated(found.string) or found.fuzzy:
                    msgid = message.id if isinstance(message.id, str) else message.id[0]
                    gaps.append(f"{package}/{locale}: untranslated: {msgid!r}")
    return gaps


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        for package in sys.argv[2:] or PACKAGES:
            update(package)
        return 0
    gaps = missing()
    print("\n".join(gaps) if gaps else "All UI strings are translated (id, en).")
    return 1 if gaps else 0


if __name__ == "__main__":
    raise SystemExit(main())
