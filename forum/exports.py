"""One writer for every staff export (the agency desk, the consultation report, the
moderation audit log, the open-data API), in both formats officials open: CSV (UTF-8 with a
byte-order mark, so Excel on Windows reads "Kebijakan “E-Government”" as written) and an
Excel workbook (.xlsx, XlsxWriter: imported only here). A citizen's text is never run as a
spreadsheet formula: in the CSV a cell that would start one gets a leading apostrophe; in the
workbook every text is a text cell, never a formula, a link or a number."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter
from starlette.responses import Response, StreamingResponse

# Spreadsheets (Excel, LibreOffice, Google Sheets) run a cell starting with one of these as a
# formula ("CSV injection", OWASP); a leading apostrophe makes them show it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
# Excel opens a UTF-8 CSV as UTF-8 only when it starts with the byte-order mark.
BOM = "\ufeff"
XLSX_MAX_TEXT = 32_767  # characters in one Excel cell


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet shows it without running it; None becomes empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``; the file it starts begins
    with the byte-order mark (``bom=False`` for a writer that continues one)."""

    def __init__(self, out: io.StringIO, *, bom: bool = True) -> None:
        if bom:
            out.write(BOM)
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The byte-order mark, then each row as one CSV line, every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def attachment(filename: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{filename}"'}


def csv_response(
    rows: Iterable[Sequence[Any]], filename: str, headers: dict[str, str] | None = None
) -> StreamingResponse:
    """A download of the rows (the first is the header), written as they are produced."""
    return StreamingResponse(
        csv_lines(rows),
        media_type=CSV_MEDIA_TYPE,
        headers={**attachment(filename), **(headers or {})},
    )


def xlsx_bytes(
    rows: Iterable[Sequence[Any]], sheet: str = "Rembug", *, created: datetime | None = None
) -> bytes:
    """The rows as a one-sheet workbook: the first row is the header (bold, frozen, with
    filters); texts are text cells (never formulas, links or numbers), numbers numbers.
    ``created`` is the workbook's creation time (default: now); the same rows and the same
    ``created`` give the same bytes."""
    out = io.BytesIO()
    options = {
        "in_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    }
    with xlsxwriter.Workbook(out, options) as book:
        if created is not None:
            book.set_properties({"created": created})
        bold = book.add_format({"bold": True})
        ws = book.add_worksheet(sheet[:31])
        width, last = 0, -1
        for last, row in enumerate(rows):
            for c, value in enumerate(row):
                _write(ws, last, c, value, bold if last == 0 else None)
            width = max(width, len(row))
        if width:
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, last, width - 1)
    return out.getvalue()


def _write(ws: Any, row: int, col: int, value: Any, fmt: Any) -> None:
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        text = value.isoformat() if isinstance(value, datetime | date) else str(value)
        ws.write_string(row, col, text[:XLSX_MAX_TEXT], fmt)


def xlsx_response(
    rows: Iterable[Sequence[Any]],
    filename: str,
    headers: dict[str, str] | None = None,
    *,
    sheet: str = "Rembug",
) -> Response:
    """A download of the rows (the first is the header) as an Excel workbook."""
    return Response(
        xlsx_bytes(rows, sheet),
        media_type=XLSX_MEDIA_TYPE,
        headers={**attachment(filename), **(headers or {})},
    )


def export_format(path: str) -> str:
    """ "xlsx" for a path ending in .xlsx, else "csv": one view answers both addresses."""
    return "xlsx" if path.endswith(".xlsx") else "csv"


def export_response(
    rows: Iterable[Sequence[Any]],
    name: str,
    fmt: str,
    headers: dict[str, str] | None = None,
    *,
    sheet: str = "Rembug",
) -> Response:
    """The rows as ``name``.csv or ``name``.xlsx, as ``fmt`` asks."""
    if fmt == "xlsx":
        return xlsx_response(rows, f"{name}.xlsx", headers, sheet=sheet)
    return csv_response(rows, f"{name}.csv", headers)
