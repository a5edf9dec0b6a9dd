"""The demo data set as files (forum/seeds/demo/, docs/demo-data.md): the shipped set is
created as written, and a faulty set is refused with the file and entry named, loading nothing."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import func, select

from forum.app import Services
from forum.demo import load_demo
from forum.demo_data import SHIPPED, DemoDataError, read_demo_data
from forum.models import (
    Account,
    Agency,
    Aspiration,
    AspirationStatus,
    Comment,
    Consultation,
    OfficialResponse,
    Support,
)


def quiet(_line: str) -> None:
    pass


def load(services: Services, folder: Path = SHIPPED) -> list[tuple[str, ...]] | None:
    return load_demo(services.db, quiet, secret_key=services.settings.secret_key, folder=folder)


def count(services: Services, model: type) -> int:
    with services.db.read() as db:
        return int(db.exec(select(func.count()).select_from(model)).one())


def test_the_shipped_set_is_created_as_its_files_say(services: Services) -> None:
    data = read_demo_data()
    passwords = load(services)
    assert passwords is not None and len(passwords) == len(data.accounts)
    staff = [a for a in data.accounts if a.role != "citizen"]
    assert sum(len(row) == 4 for row in passwords) == len(staff)  # staff get a two-factor key
    with services.db.read() as db:
        assert count(services, Agency) == len(data.agencies)
        assert count(services, Consultation) == len(data.consultations)
        comments = list(db.exec(select(Comment)))
        written = [c.state for c in data.comments] + [
            r.state for c in data.comments for r in c.replies
        ]
        assert Counter(str(c.status) for c in comments) == Counter(written)
        assert {c.body for c in comments} == {c.body for c in data.comments} | {
            r.body for c in data.comments for r in c.replies
        }
        aspirations = list(db.exec(select(Aspiration)))
        states = Counter(str(a.status) for a in aspirations)
        states["published"] += states.pop(AspirationStatus.routed, 0)
        assert states == Counter(a.state for a in data.aspirations)
        assert {a.title for a in aspirations} == {a.title for a in data.aspirations}
    assert count(services, Support) == sum(len(a.supporters) for a in data.aspirations)
    assert count(services, OfficialResponse) == sum(bool(a.response) for a in data.aspirations)
    assert load(services) is None  # a second run changes nothing


def faulty_copy(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "set"
    shutil.copytree(SHIPPED, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "comments.yaml",
            "  author: tigor\n",
            "  author: nobody\n",
            "comments.yaml, comments[0]: 'author': unknown account 'nobody'",
        ),
        (
            "comments.yaml",
            "  at: -13d\n",
            "  at: kemarin\n",
            "comments.yaml, comments[0]: 'at' is 'kemarin', not a time",
        ),
        (
            "comments.yaml",
            "  author: tigor\n",
            "  author: moderator_yusuf\n",
            "comments.yaml, comments[0]: 'author': account 'moderator_yusuf' is a moderator, "
            "not a citizen",
        ),
        (
            "comments.yaml",
            "  section: Kondisi Saat Ini\n",
            "  section: Kondisi Kemarin\n",
            "section 'Kondisi Kemarin' is not a heading of 'inpres-3-2003'",
        ),
        (
            "aspirations.yaml",
            "  title: KTP-el sudah 4 bulan belum dicetak, alasannya blangko kosong\n",
            "",
            "aspirations.yaml, aspirations[0]: missing field 'title'",
        ),
        (
            "aspirations.yaml",
            "    by: official_disdukcapil\n",
            "    by: official_dishub\n",
            "aspirations.yaml, aspirations[0].response: 'by': 'official_dishub' is an official "
            "of 'dishub-surabaya', not of 'disdukcapil-dki'",
        ),
        (
            "manifest.yaml",
            "  agency: komdigi\n",
            "  agency: kominfo\n",
            "manifest.yaml, accounts[3] (official_komdigi): unknown agency 'kominfo'",
        ),
        (
            "manifest.yaml",
            "  role: citizen\n",
            "  role: warga\n",
            "'role' is 'warga'; it must be one of: citizen, official, moderator, admin",
        ),
        ("comments.yaml", "comments:\n", "comments: [\n", "comments.yaml: not valid YAML"),
        (
            "aspirations.yaml",
            "  region: '31.74'\n",
            "  region: 31.70\n",
            "aspirations[0]: 'region' is read as the number 31.7: put it in quotes",
        ),
        (
            "manifest.yaml",
            "consultations/standar-pengaduan-daring.md",
            "consultations/tidak-ada.md",
            "'text': file 'consultations/tidak-ada.md' not found",
        ),
        (
            "aspirations.yaml",
            "  region: '31.74'\n",
            "  region: '31.99'\n",
            "aspirations.yaml, aspirations[0]: unknown region '31.99'",  # checked in the database
        ),
    ],
)
def test_a_faulty_set_is_refused_naming_file_and_entry_and_nothing_is_loaded(
    services: Services, tmp_path: Path, name: str, old: str, new: str, message: str
) -> None:
    folder = faulty_copy(tmp_path, name, old, new)
    with pytest.raises(DemoDataError) as refused:
        load(services, folder)
    assert message in str(refused.value)
    assert str(refused.value).startswith("Data demo tidak valid / invalid demo data:")
    assert count(services, Agency) == 0
    assert count(services, Account) == 0


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = faulty_copy(tmp_path, "comments.yaml", "  author: tigor\n", "  author: nobody\n")
    manifest = folder / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\nbogus: 1\n", encoding="utf-8")
    with pytest.raises(DemoDataError) as refused:
        read_demo_data(folder)
    assert len(refused.value.problems) == 2
    assert "manifest.yaml: unknown key 'bogus'" in refused.value.problems[0]
