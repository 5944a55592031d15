"""Reading a form body strictly: bounded, and complete or not at all.

Starlette's `request.form()` bounds the number of files and fields and the
size of each text part (Frontdesk uses at most 1 file, 30 fields and 64 KiB
per text part), and turns a malformed body into a 400. One gap is left: the
multipart parser underneath never checks that the body reached its closing
boundary (python-multipart's `finalize()` is a documented TODO). A body cut
off in the middle of a part was therefore accepted with the parts that
happened to be complete, and the temporary file of a half-received upload was
left to the garbage collector.

`read()` closes that gap: for multipart bodies it uses a parser that notes
when the closing boundary arrives, and a body without one is a 400 ("The form
data was cut off"), with every temporary file closed. The parsed form is also
kept on `request.state.form_data`, so the view can close its files on every
path (`await close(request)`).
"""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request


class IncompleteMultipart(HTTPException):
    """The multipart body ended before its closing boundary."""

    def __init__(self) -> None:
        super().__init__(400, "The form data was cut off before its end. Please send the form again.")


class _CompleteMultiPartParser(MultiPartParser):
    """Starlette's parser, plus a note of whether the closing boundary was seen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reached_end = False

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


async def read(request: Request, *, max_files: int, max_fields: int, max_part_size: int) -> FormData:
    """The parsed body (multipart or urlencoded); 400 for anything malformed, incomplete or over the limits."""
    content_type, _ = parse_options_header(request.headers.get("content-type"))
    if content_type == b"multipart/form-data":
        try:
            async with aclosing(request.stream()) as stream:
                parser = _CompleteMultiPartParser(
                    request.headers, stream, max_files=max_files, max_fields=max_fields, max_part_size=max_part_size
                )
                form = await parser.parse()
        except MultiPartException as exc:
            raise HTTPException(400, exc.message) from None
    else:
        form = await request.form(max_files=max_files, max_fields=max_fields, max_part_size=max_part_size)
    request.state.form_data = form
    return form


async def close(request: Request) -> None:
    """Close the files of the form `read()` parsed for this request, if any."""
    form: FormData | None = getattr(request.state, "form_data", None)
    if form is not None:
        await form.close()
