"""The automatic screens on the labelled personal-data set and on crafted texts."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from moderation.screens import (
    SCREENS,
    Hit,
    ScreenConfig,
    ScreenInput,
    fingerprint,
    looks_like_nik,
    personal_data,
    run_screens,
)

DATA = Path(__file__).resolve().parent / "data" / "personal_data.csv"


def test_personal_data_recall_and_false_positives_on_the_labelled_set() -> None:
    with DATA.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    positives = [r for r in rows if r["label"] != "none"]
    negatives = [r for r in rows if r["label"] == "none"]
    assert len(positives) >= 300 and len(negatives) >= 35
    missed: dict[str, list[str]] = {}
    mislabelled = []
    for row in positives:
        labels = {h.label for h in personal_data(ScreenInput(row["text"], ScreenConfig()))}
        if row["label"] not in labels:
            missed.setdefault(row["label"], []).append(row["text"])
        if labels - {row["label"]}:  # e.g. a bank account shown as a phone number
            mislabelled.append((row["text"], labels))
    false_alarms = [
        r["text"] for r in negatives if personal_data(ScreenInput(r["text"], ScreenConfig()))
    ]
    print(
        f"personal data: {len(positives)} positives, missed {missed}, false alarms {false_alarms}"
    )
    # Recall 100 % for every kind: NIK/KK, phone, email, bank account.
    assert {r["label"] for r in positives} == {"nik-kk", "phone", "email", "bank-account"}
    assert missed == {}
    assert mislabelled == []
    assert false_alarms == []


def test_rupiah_amounts_are_not_phone_numbers_and_accounts_have_their_own_label() -> None:
    for text in (
        "Anggaran Rp 1.085.731.405 terlalu besar",
        "Anggaran Rp1.085.731.405 terlalu besar",
        "Anggaran Rp 1,5 miliar terlalu besar",
        "Bantuan 2 juta per keluarga",
    ):
        assert personal_data(ScreenInput(text, ScreenConfig())) == [], text
    text = "Rekening BRI 084965806989 atas nama desa; HP bendahara 0812-3456-7890"
    hits = personal_data(ScreenInput(text, ScreenConfig()))
    assert {h.label: text[slice(*h.spans[0])] for h in hits} == {
        "bank-account": "084965806989",
        "phone": "0812-3456-7890",
    }


def test_false_positives_on_random_16_digit_numbers_stay_below_3_percent() -> None:
    rng = random.Random(7)
    numbers = [str(rng.randint(10**15, 10**16 - 1)) for _ in range(20_000)]
    rate = sum(looks_like_nik(n) for n in numbers) / len(numbers)
    print(f"random 16-digit numbers flagged: {rate:.2%}")
    assert rate <= 0.03


def test_nik_structure_women_add_40_to_the_day() -> None:
    assert looks_like_nik("3273014105900003")  # 01-05-90, a woman (41)
    assert looks_like_nik("3273010105900003")  # a man
    assert not looks_like_nik("3273013205900003")  # day 32
    assert not looks_like_nik("3273010113900003")  # month 13
    assert not looks_like_nik("0073010105900003")  # no province 00
    assert not looks_like_nik("3273010105900000")  # serial 0000


def test_matched_spans_cover_the_number_exactly() -> None:
    text = "NIK saya 3273.01.410590.0003, HP +62 812-3456-7890."
    hits = personal_data(ScreenInput(text, ScreenConfig()))
    spans = {h.label: text[slice(*h.spans[0])] for h in hits}
    assert spans == {"nik-kk": "3273.01.410590.0003", "phone": "+62 812-3456-7890"}


def screen(text: str, **config: object) -> set[str]:
    return {h.label for h in run_screens(ScreenInput(text, ScreenConfig(**config)))}  # type: ignore[arg-type]


def test_links_count_and_blocked_domains() -> None:
    assert "many-links" in screen("lihat http://a.com http://b.com http://c.com", max_links=2)
    assert "many-links" not in screen("lihat https://jdih.go.id/uu-27-2022", max_links=2)
    labels = screen(
        "menang besar di www.judi-online.xyz/daftar", blocked_domains=frozenset({"judi-online.xyz"})
    )
    assert "blocked-domain" in labels


def test_shape_screens() -> None:
    assert "very-short" in screen("ok")
    assert "very-long" in screen("kata " * 800)
    assert "all-caps" in screen("PEMERINTAH HARUS SEGERA MEMPERBAIKI JALAN INI SEKARANG")
    assert "all-caps" not in screen("Pemerintah harus memperbaiki jalan di RT 05 (PUPR).")


def test_abusive_words_match_whole_words_and_suffixes_only() -> None:
    words = frozenset({"goblok", "asu", "babi"})
    assert "abusive" in screen("Pejabatnya goblok semua", abusive_words=words)
    assert "abusive" in screen("dasar gobloknya kebangetan", abusive_words=words)
    assert "abusive" not in screen("Klaim asuransi BPJS lewat babinsa", abusive_words=words)


def test_repeated_text_is_flagged_from_counts() -> None:
    data = ScreenInput("Tolak RUU ini sekarang juga!", ScreenConfig(), same_text_other_authors=12)
    assert [h.label for h in SCREENS["repeated"](data)] == ["many-authors"]
    assert fingerprint("Tolak RUU ini, SEKARANG juga!!") == fingerprint(
        "tolak ruu ini sekarang  juga"
    )


def test_a_crashing_screen_is_reported_not_raised() -> None:
    def broken(data: ScreenInput) -> list[Hit]:
        raise RuntimeError("regex engine on fire")

    hits = run_screens(
        ScreenInput("teks biasa", ScreenConfig()), [("broken", broken), *SCREENS.items()]
    )
    assert Hit("broken", "screen-error", 1) in hits
