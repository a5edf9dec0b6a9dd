"""Reading the exports the way a spreadsheet does: the CSV with its byte-order mark, the
Excel workbook (.xlsx) unzipped and its XML read with the standard library (no spreadsheet
library in the lock), formulas and all."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

BOM = b"\xef\xbb\xbf"
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_csv(response: Any) -> list[dict[str, str]]:
    """The rows of a CSV download, which must start with the UTF-8 byte-order mark (Excel on
    Windows reads it as UTF-8 only then)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(BOM)
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@dataclass
class Sheet:
    rows: list[list[Any]]  # cell values, header first
    formulas: int  # cells holding a formula (an export has none)
    types: set[str]  # the cell types used ("s" shared text, "n" number, ...)

    def records(self) -> list[dict[str, Any]]:
        header = [str(h) for h in self.rows[0]]
        return [
            dict(zip(header, row + [""] * (len(header) - len(row)), strict=True))
            for row in self.rows[1:]
        ]


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters
    number = 0
    for letter in letters.group():
        number = number * 26 + ord(letter) - 64
    return number - 1


def read_xlsx(response: Any) -> Sheet:
    """The first sheet of an .xlsx download."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX_TYPE
    assert response.headers["content-disposition"].endswith('.xlsx"')
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        names = book.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314 - our own export
            for item in root.findall("m:si", NS):
                shared.append("".join(t.text or "" for t in item.iter(f"{{{NS['m']}}}t")))
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    rows: list[list[Any]] = []
    formulas, types = 0, set()
    for row in sheet.findall("m:sheetData/m:row", NS):
        values: list[Any] = []
        for cell in row.findall("m:c", NS):
            column = _column(cell.get("r", "A"))
            values.extend([""] * (column - len(values)))
            kind = cell.get("t", "n")
            types.add(kind)
            if cell.find("m:f", NS) is not None:
                formulas += 1
            raw = cell.findtext("m:v", default="", namespaces=NS)
            if kind == "s":
                value: Any = shared[int(raw)]
            elif kind == "b":
                value = raw == "1"
            elif kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
            elif kind == "n":
                value = (
                    ""
                    if raw == ""
                    else (int(float(raw)) if float(raw).is_integer() else float(raw))
                )
            else:
                value = raw
            values.append(value)
        rows.append(values)
    return Sheet(rows, formulas, types)
