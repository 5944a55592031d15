"""CSV exports: cells no spreadsheet runs as a formula, streamed in batches in constant memory.

Every staff export (feedback votes, leads and applications, the reports) writes through here. A cell that
starts with = + - @, a tab or a carriage return is prefixed with a single quote, as OWASP recommends
against CSV injection, and the file starts with a byte order mark so spreadsheet programs read UTF-8.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence

from starlette.responses import StreamingResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell that no spreadsheet will evaluate as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def iso(value: dt.datetime | None) -> str:
    return "" if value is None else value.isoformat().replace("+00:00", "Z")


async def _lines(header: Sequence[str], batches: AsyncIterable[Iterable[Sequence[object]]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff".encode()
    writer.writerow(header)
    async for batch in batches:
        for row in batch:
            writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def response(
    filename: str, header: Sequence[str], batches: AsyncIterable[Iterable[Sequence[object]]], *, cache_control: str
) -> StreamingResponse:
    """A CSV download of `header` then every row of every batch, each cell made formula-safe."""
    return StreamingResponse(
        _lines(header, batches),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": cache_control},
    )
