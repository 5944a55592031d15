"""The baseline: a bare Starlette "hello world", served exactly like Frontdesk is.

`bench/pages.py` starts this with `python bench/hello_app.py PORT`; the uvicorn
options are the ones `frontdesk serve` uses (no access log, no server header,
no proxy headers), so the only difference between the two servers is the app.
"""

from __future__ import annotations

import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from common import serve_app


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, world!")


app = Starlette(routes=[Route("/", hello)])

if __name__ == "__main__":
    serve_app(app, int(sys.argv[1]))
