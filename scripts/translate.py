"""Fill Indonesian translations from a JSON object {msgid: msgstr} into a package catalog:
``python scripts/translate.py PACKAGE FILE.json`` (a helper for translators)."""

from __future__ import annotations

import json
import sys

import i18n


def main() -> int:
    package, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as fh:
        pairs: dict[str, str] = json.load(fh)
    catalog = i18n.load(package, "id")
    unknown = []
    for msgid, msgstr in pairs.items():
        message = catalog.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        message.string = (msgstr, msgstr) if isinstance(message.id, tuple) else msgstr
        message.flags.discard("fuzzy")
    i18n.save(catalog, i18n.catalog_path(package, "id"))
    for msgid in unknown:
        print(f"not in the {package} catalog (run scripts/i18n.py update first): {msgid!r}")
    return 1 if unknown else 0


if __name__ == "__main__":
    raise SystemExit(main())
