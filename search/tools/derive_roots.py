"""Derive search/data/roots-id.txt (the stemmer's root words) from Debian's hunspell-id
dictionary (LGPL-3): ``python -m search.tools.derive_roots [/usr/share/hunspell/id_ID.dic]``.

Needs ``apt-get install hunspell-id`` only when regenerating; the derived list is committed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

SOURCE = Path("/usr/share/hunspell/id_ID.dic")
TARGET = Path(__file__).resolve().parent.parent / "data" / "roots-id.txt"
WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")

# Rare homographs whose presence makes Sastrawi stop too early on common words of public
# complaints (each measured on tests/search/test_stemming.py's word families):
# kebijakan -> "bija", kependudukan -> "dudu", menerangi -> "rang", pemerintah -> "perin",
# bertani -> "tan", kerusakan -> "rusa". Without them these words stem to the right root.
EXCLUDED = frozenset({"bija", "dudu", "rang", "perin", "tan", "rusa"})

HEADER = """\
# Indonesian root words for the Sastrawi stemming algorithm used by Rembug's search.
# Derived by search/tools/derive_roots.py from id_ID.dic of the LibreOffice Indonesian
# dictionary (Debian package hunspell-id), Copyright (C) 2017 Ali Ahmadi <idnux09@gmail.com>,
# licensed under the GNU Lesser General Public License version 3 (see LGPL-3.txt and
# GPL-3.txt in this folder). Changes: affix flags stripped, lowercased, entries that are not
# plain words dropped, words of one or two letters and a few homographs removed.
# This list remains under the LGPL-3; you may replace it with any compatible root list.
"""


def derive(lines: list[str]) -> list[str]:
    roots: set[str] = set()
    for line in lines[1:]:  # the first line of a hunspell .dic is the entry count
        word = line.split("/", 1)[0].strip().lower()
        if len(word) > 2 and WORD.fullmatch(word) and word not in EXCLUDED:
            roots.add(word)
    return sorted(roots)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else SOURCE
    roots = derive(source.read_text(encoding="utf-8").splitlines())
    TARGET.write_text(HEADER + "\n".join(roots) + "\n", encoding="utf-8")
    print(f"{len(roots)} roots written to {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
