"""A minimal CRM stand-in for benchmarks: `BENCH_RECEIVER_MODE=healthy|slow` (slow answers after 10 s)."""

from __future__ import annotations

import asyncio
import os

MODE = os.environ.get("BENCH_RECEIVER_MODE", "healthy")
DELAY = float(os.environ.get("BENCH_RECEIVER_DELAY", "10"))


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if MODE == "slow":
        await asyncio.sleep(DELAY)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
