"""`/media/{name}`: the encoded sizes of content pictures, as immutable files; and the warm-up thread.

A variant's name is a fingerprint of its original and of the pipeline (`media/images.py`), so its bytes
never change: it is served with `Cache-Control: immutable` and a strong ETag. A name the current content
uses but the cache does not hold yet is encoded on the spot (in a worker thread, so the event loop keeps
serving); an unknown name is a 404.

`start_warming` runs `ImageLibrary.warm` in a worker thread shortly after the app starts and after each
content reload, so visitors seldom wait for an encoding; a restart finds the cache full and encodes
nothing. The thread waits `WARM_DELAY` seconds first and runs at a lower CPU priority (where the OS lets a
thread have one), so a first start with an empty cache still starts as fast and serves pages as quickly:
encoding gives way to requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from frontdesk import web
from frontdesk.content.models import Content
from frontdesk.content.reload import ContentStore
from frontdesk.media import ImageLibrary
from frontdesk.media.images import MEDIA_TYPES
from frontdesk.public.assets import IMMUTABLE

log = logging.getLogger("frontdesk.media")

WARM_DELAY = 2.0  # seconds after start-up before encoding begins
WARM_NICENESS = 10


def _lower_priority() -> None:
    """Make this thread nicer than the ones serving requests (Linux: a thread is a task; elsewhere: no-op)."""
    with contextlib.suppress(AttributeError, OSError, PermissionError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WARM_NICENESS)


async def serve(request: Request) -> Response:
    name = request.path_params["name"]
    media = web.services(request).media
    if not media.valid_name(name):
        return Response("Not found", status_code=404, media_type="text/plain")
    try:
        path = await asyncio.to_thread(media.file, name)
    except (OSError, ValueError) as exc:
        log.warning("could not encode %s: %s", name, exc)
        path = None
    if path is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    etag = f'"{name}"'  # the name is a fingerprint of the bytes
    headers = {"Cache-Control": IMMUTABLE, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=MEDIA_TYPES[name.rsplit(".", 1)[1]], headers=headers)


async def start_warming(stack: contextlib.AsyncExitStack, media: ImageLibrary, store: ContentStore) -> None:
    """Encode the missing variants of the current content (and of each reloaded one) in a worker thread."""
    stop = threading.Event()
    wanted = threading.Event()
    latest: list[Content] = [store.current]

    def work() -> None:
        _lower_priority()
        if stop.wait(WARM_DELAY):
            return
        while not stop.is_set():
            wanted.wait()
            wanted.clear()
            if stop.is_set():
                return
            try:
                media.warm(latest[0], stop)
            except Exception:  # never let a bad picture end the thread; each request still tries on its own
                log.exception("warming the image cache failed")

    def changed(new: Content) -> None:
        latest[0] = new
        wanted.set()

    thread = threading.Thread(target=work, name="frontdesk-media-warm", daemon=True)
    store.on_change(changed)
    wanted.set()
    thread.start()

    async def finish() -> None:
        stop.set()
        wanted.set()
        await asyncio.to_thread(thread.join, 30)

    stack.push_async_callback(finish)


routes = [Route("/media/{name}", serve, name="media")]
