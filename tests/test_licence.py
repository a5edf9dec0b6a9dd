"""The licence an agency's lawyers read: LICENSE is the unmodified GNU AGPL v3 and the
package metadata says AGPL-3.0-or-later."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# SHA-256 of the FSF's agpl-3.0.txt (661 lines), as shipped verbatim by other AGPL projects.
AGPL_3_SHA256 = "0d96a4ff68ad6d4b6f1f30f713b18d5184912ba8dd389f86aa7710db079abcb0"


def test_licence_file_is_the_unmodified_agpl_v3() -> None:
    text = (ROOT / "LICENSE").read_bytes()
    assert text.startswith(b"                    GNU AFFERO GENERAL PUBLIC LICENSE\n")
    assert hashlib.sha256(text).hexdigest() == AGPL_3_SHA256


def test_package_metadata_declares_agpl_or_later() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "AGPL-3.0-or-later"
    assert {"LICENSE", "NOTICE"} <= set(project["license-files"])
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]


def test_notice_credits_the_third_party_data() -> None:
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    for credit in ("hunspell-id", "Ali Ahmadi", "LGPL", "Kemendagri", "holidays"):
        assert credit in notice
