"""A minimal CRM stand-in for the benchmarks: accept every webhook with 204 (optionally after a delay).

Run it in a process of its own so it does not share a CPU core's event loop with what is measured:

    python -m uvicorn crm_receiver:app --app-dir bench --port 8900 --no-access-log --log-level warning

`CRM_DELAY` (seconds, default 0) makes it a slow CRM. It does not verify signatures: it stands for
the network's far end, and costs the bare-httpx2 baseline and the worker the same.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

DELAY = float(os.environ.get("CRM_DELAY", "0"))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    while True:
        message = await receive()
        if not message.get("more_body"):
            break
    if DELAY:
        await asyncio.sleep(DELAY)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
