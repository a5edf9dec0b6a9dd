"""The one CSV writer every export uses: formula-shaped cells are written as text."""

import csv
import io

import pytest

from forum.exports import csv_lines, safe_cell


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+62 812", "-2+3", "@SUM(A1)", "\tx", "\r=x", '=HYPERLINK("http://x")'],
)
def test_a_formula_shaped_text_becomes_text(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Jalan rusak", "", 12, -3, 1.5])
def test_other_values_stay_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def test_lines_quote_and_neutralise_every_cell() -> None:
    text = "".join(csv_lines([["id", "text"], [1, '=cmd|"/c calc"!A1'], [2, None]]))
    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "text"],
        ["1", '\'=cmd|"/c calc"!A1'],
        ["2", ""],
    ]
