"""One in-process delivery worker per data dir: the first app takes the lock, the next stands by and takes
over when the first stops (delivery/once.py)."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.delivery import once


def test_the_second_app_stands_by_and_takes_over(make_settings, clock, monkeypatch):
    monkeypatch.setattr(once, "RETRY_SECONDS", 0.05)
    settings = make_settings(run_worker=True)
    first, second = create_app(settings, clock=clock), create_app(settings, clock=clock)
    with TestClient(first) as a:
        assert a.app.state.services.outbox is not None
        with TestClient(second) as b:
            time.sleep(0.2)
            assert b.app.state.services.outbox is None  # the lock is held: no second worker
            a.__exit__(None, None, None)  # the first process stops; its lock goes with it
            deadline = time.monotonic() + 5
            while b.app.state.services.outbox is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert b.app.state.services.outbox is not None
