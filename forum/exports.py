"""One writer for every CSV export (the agency desk, the consultation report, the moderation
audit log, the open-data API): a citizen's text is never run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from starlette.responses import StreamingResponse

# Spreadsheets (Excel, LibreOffice, Google Sheets) run a cell starting with one of these as a
# formula ("CSV injection", OWASP); a leading apostrophe makes them show it as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet shows it without running it; None becomes empty."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell goes through ``safe_cell``."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(value) for value in row])


def csv_lines(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Each row as one CSV line, every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_response(
    rows: Iterable[Sequence[Any]], filename: str, headers: dict[str, str] | None = None
) -> StreamingResponse:
    """A download of the rows (the first is the header), written as they are produced."""
    return StreamingResponse(
        csv_lines(rows),
        media_type=CSV_MEDIA_TYPE,
        headers={"content-disposition": f'attachment; filename="{filename}"', **(headers or {})},
    )
