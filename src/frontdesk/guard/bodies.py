"""The one form reader: every form body, public or staff, is read here, bounded and complete or not at all.

`read_form(request)` returns the fields as `{name: [values]}`; a malformed body is a 400, never a 500.

- URL-encoded bodies (every form without a file) are parsed with the standard library in one pass,
  several times faster than a streaming parser, and must be valid UTF-8 with at most `MAX_FIELDS` fields.
- Multipart bodies go through Starlette's parser with its limits on files, fields and part sizes
  (Frontdesk uses at most 1 file, 30 fields and 64 KiB per text part).
- An empty body without a Content-Type is a form with no fields; anything else is a 415.

NUL characters are removed from every name and value: no form has a use for them, browsers cannot type
them, and PostgreSQL refuses them in text (a NUL in a sign-in email was a 500 there).

Starlette's parser leaves one gap that this module closes: the
multipart parser underneath never checks that the body reached its closing
boundary (python-multipart's `finalize()` is a documented TODO). A body cut
off in the middle of a part was therefore accepted with the parts that
happened to be complete, and the temporary file of a half-received upload was
left to the garbage collector.

Here, multipart bodies use a parser that notes when the closing boundary
arrives, and a body without one is a 400 ("The form data was cut off"), with
every temporary file closed. The parsed form is also kept on
`request.state.form_data`, so the view can close its files on every path
(`await close(request)`).

**A file over its size limit is not an error of the whole body.** With `max_file_size`, a file part stops
being kept once it passes the limit (its bytes are read off the wire and dropped), the parser goes on to
the text fields after it, and `oversized(request)` names the file fields that were too large. The view can
then answer with the form, the error beside the file field and everything else the person typed kept,
instead of a bare 413 that loses all of it. The transport cap (`bodylimit.py`) still cuts off bodies far
beyond any honest file.

It lives in the guard, below both the public forms (`intake/`) and the staff pages, because both read
forms and neither should depend on the other for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import aclosing
from typing import Any
from urllib.parse import parse_qsl

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

MAX_FIELDS = 30
MAX_TEXT_PART = 64 * 1024
MAX_URLENCODED = 64 * 1024

Fields = dict[str, list[Any]]  # str values, and UploadFile for file parts


class IncompleteMultipart(HTTPException):
    """The multipart body ended before its closing boundary."""

    def __init__(self) -> None:
        super().__init__(400, "The form data was cut off before its end. Please send the form again.")


class _CompleteMultiPartParser(MultiPartParser):
    """Starlette's parser, plus a note of whether the closing boundary was seen, and capped file parts."""

    def __init__(self, *args: Any, max_file_size: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reached_end = False
        self.max_file_size = max_file_size
        self.oversized: set[str] = set()
        self._file_bytes = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._file_bytes = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_part.file is None or self.max_file_size is None:
            super().on_part_data(data, start, end)
            return
        # A file part: keep at most one byte past the limit (enough to know it is too large), drop the rest.
        room = self.max_file_size + 1 - self._file_bytes
        self._file_bytes += end - start
        if self._file_bytes > self.max_file_size:
            self.oversized.add(self._current_part.field_name)
        if room > 0:
            super().on_part_data(data, start, min(end, start + room))

    def on_end(self) -> None:
        super().on_end()
        self.reached_end = True

    async def parse(self) -> FormData:
        form = await super().parse()
        if not self.reached_end:
            await form.close()
            # A part cut off before its end has a temporary file that is not in the form: close those too.
            for file in getattr(self, "_files_to_close_on_error", []):
                file.close()
            raise IncompleteMultipart()
        return form


async def read_form(
    request: Request,
    *,
    max_files: int = 0,
    max_fields: int = MAX_FIELDS,
    max_part_size: int = MAX_TEXT_PART,
    max_urlencoded: int = MAX_URLENCODED,
    max_file_size: int | None = None,
) -> Fields:
    """The body as {name: [values]}; 400 for anything malformed, incomplete or over the limits, 415 otherwise.

    `max_file_size`: file parts past it are cut short and named by `oversized(request)`, not refused.
    """
    content_type, _ = parse_options_header(request.headers.get("content-type"))
    if content_type == b"application/x-www-form-urlencoded":
        body = await request.body()
        if len(body) > max_urlencoded:
            raise HTTPException(413)
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields, errors="strict")
        except UnicodeDecodeError:
            raise HTTPException(400, "The form was not sent as UTF-8 text.") from None
        except ValueError:
            raise HTTPException(400, "The form has too many fields.") from None
        fields: Fields = {}
        for key, value in pairs:
            fields.setdefault(key.replace("\x00", ""), []).append(value.replace("\x00", ""))
        return fields
    if not content_type and not await request.body():
        return {}  # an empty POST (a form with nothing in it): each view says what is missing
    if content_type != b"multipart/form-data":
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded or multipart/form-data.")
    try:
        async with aclosing(request.stream()) as stream:
            parser = _CompleteMultiPartParser(
                request.headers,
                stream,
                max_files=max_files,
                max_fields=max_fields,
                max_part_size=max_part_size,
                max_file_size=max_file_size,
            )
            form = await parser.parse()
    except MultiPartException as exc:
        raise HTTPException(400, exc.message) from None
    request.state.form_data = form
    request.state.oversized_files = frozenset(parser.oversized)
    return {
        key.replace("\x00", ""): [v.replace("\x00", "") if isinstance(v, str) else v for v in form.getlist(key)]
        for key in form
    }


def oversized(request: Request) -> frozenset[str]:
    """The file fields of this request's form that were larger than `max_file_size` (and so cut short)."""
    found: frozenset[str] = getattr(request.state, "oversized_files", frozenset())
    return found


def first(raw: Mapping[str, Any], name: str) -> str:
    """The first value of a field as text ("" when it is missing or a file)."""
    value = raw.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


async def close(request: Request) -> None:
    """Close the files of the form `read()` parsed for this request, if any."""
    form: FormData | None = getattr(request.state, "form_data", None)
    if form is not None:
        await form.close()
