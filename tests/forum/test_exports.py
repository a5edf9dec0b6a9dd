"""The one export writer every export uses (CSV and Excel workbook): formula-shaped cells are
written as text, the CSV opens in Excel as UTF-8."""

import csv
import io

import pytest
from starlette.responses import Response

from forum.exports import csv_lines, export_response, safe_cell
from tests.spreadsheets import read_xlsx


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
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [
        ["id", "text"],
        ["1", '\'=cmd|"/c calc"!A1'],
        ["2", ""],
    ]


def test_the_csv_starts_with_the_byte_order_mark_excel_needs() -> None:
    text = "".join(csv_lines([["judul"], ["Kebijakan “E-Government”"]]))
    assert text.encode("utf-8").startswith(b"\xef\xbb\xbf")
    assert text.encode("utf-8").decode("utf-8-sig").splitlines() == [
        "judul",
        "Kebijakan “E-Government”",
    ]


def test_the_workbook_holds_texts_as_text_and_numbers_as_numbers() -> None:
    rows = [
        ["id", "text", "supports"],
        [1, '=HYPERLINK("http://jahat.example","Klik")', 3],
        [2, "+62 812 3456 7890", 0],
        [3, "Kebijakan “E-Government”", None],
        [4, "0012345", 1.5],
        [5, "http://contoh.id", True],
    ]
    response = export_response(rows, "rembug-uji", "xlsx")
    sheet = read_xlsx(TestResponse(response))
    assert sheet.formulas == 0  # nothing in the workbook runs
    assert sheet.rows[0] == ["id", "text", "supports"]
    # Texts exactly as written (a text cell is never run, so no apostrophe is needed).
    assert [row[1] for row in sheet.rows[1:]] == [r[1] for r in rows[1:]]
    assert [row[0] for row in sheet.rows[1:]] == [1, 2, 3, 4, 5]
    assert sheet.rows[1][2] == 3 and sheet.rows[4][2] == 1.5
    assert "str" not in sheet.types  # no formula result cells either


class TestResponse:
    """A Starlette Response read as the test client would (status, headers, bytes)."""

    __test__ = False

    def __init__(self, response: Response) -> None:
        self.status_code = response.status_code
        self.headers = dict(response.headers)
        self.content = bytes(response.body)
        self.text = ""
