"""The supply chain an auditor checks: every dependency has a floor above its known
vulnerabilities and the hash-pinned lock files agree with pyproject.toml (run
``bash scripts/lock`` when this fails)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# Lowest versions without the advisories named in pyproject.toml's comments.
FLOORS = {
    "python-multipart": "0.0.18",
    "jinja2": "3.1.6",
    "starlette": "0.49.1",
    "cryptography": "44.0.1",
}


def locked(name: str) -> dict[str, list[tuple[Version, Marker | None]]]:
    pins: dict[str, list[tuple[Version, Marker | None]]] = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9_.\-]+)==([^ ;\\]+)\s*(?:;\s*([^\\]+))?", line)
        if found:
            key = re.sub(r"[-_.]+", "-", found[1]).lower()
            marker = Marker(found[3].strip()) if found[3] else None
            pins.setdefault(key, []).append((Version(found[2]), marker))
    return pins


def requirements(extra: str | None = None) -> list[Requirement]:
    listed = PROJECT["dependencies"] + (PROJECT["optional-dependencies"][extra] if extra else [])
    return [Requirement(r) for r in listed]


def check(lock: str, reqs: list[Requirement]) -> None:
    pins = locked(lock)
    for python in ("3.11", "3.12", "3.13"):
        env = {"python_version": python, "python_full_version": f"{python}.0"}
        for req in reqs:
            key = re.sub(r"[-_.]+", "-", req.name).lower()
            versions = [v for v, m in pins.get(key, []) if m is None or m.evaluate(env)]
            assert versions, f"{req.name} missing from {lock} for Python {python}"
            assert all(v in req.specifier for v in versions), f"{lock}: {req} vs {versions}"


def test_every_file_in_the_lock_files_is_hash_pinned() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text(encoding="utf-8")
        entries = re.findall(r"^[A-Za-z0-9_.\-]+==.*?(?=^\S|\Z)", text, flags=re.M | re.S)
        assert entries
        for entry in entries:
            assert "--hash=sha256:" in entry, entry.splitlines()[0]


def test_lock_files_satisfy_pyproject_for_python_3_11_to_3_13() -> None:
    check("requirements.lock", requirements())
    check("requirements-dev.lock", requirements("dev"))


def test_floors_exclude_known_vulnerable_versions() -> None:
    reqs = {r.name.lower(): r.specifier for r in requirements()}
    for name, floor in FLOORS.items():
        specifier: SpecifierSet = reqs[name]
        below = (*Version(floor).release[:-1], Version(floor).release[-1] - 1)
        assert Version(".".join(map(str, below))) not in specifier, (name, specifier)


def test_zero_versions_and_fast_movers_have_upper_bounds() -> None:
    for req in requirements() + requirements("dev"):
        exact = any(s.operator == "==" for s in req.specifier)
        if req.name == "tzdata" or exact:
            continue  # tzdata: always the newest zone data
        assert any(s.operator in {"<", "<="} for s in req.specifier), req
