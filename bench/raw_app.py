"""The ceiling: a raw ASGI app that sends one recorded Frontdesk page, with the same headers, to every request.

`bench/pages.py` records `/` (status, headers and the brotli body as Frontdesk sends them) into a JSON file
and starts `python bench/raw_app.py PORT FILE`. No routing, no middleware, no lookup: two ASGI messages built
once. Under the same uvicorn options as Frontdesk and hello world, this is the most any Python page can do
here, so it bounds the edge's figure from above.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

from common import serve_app

recorded = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {"headers": [], "body": ""}
START = {
    "type": "http.response.start",
    "status": recorded.get("status", 200),
    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in recorded["headers"]],
}
BODY = {"type": "http.response.body", "body": base64.b64decode(recorded["body"])}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(START)
    await send(BODY)


if __name__ == "__main__":
    serve_app(app, int(sys.argv[1]), lifespan="off")
