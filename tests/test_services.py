"""Typed services: what `create_app` builds, what the lifespan starts, and a missing service failing loudly."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from frontdesk import services
from frontdesk.app import create_app


def test_services_are_built_by_create_app(app):
    found = services.of(app)
    assert found.content.current.site.name and found.db.url and found.page_cache is not None


def test_the_limiter_fails_loudly_before_the_lifespan(app):
    """Before, a view that found no limiter quietly stopped limiting."""
    with pytest.raises(services.ServiceNotStarted, match="rate limiter"):
        _ = services.of(app).limiter


def test_the_lifespan_starts_the_limiter_and_the_worker_only_when_asked(make_settings, clock):
    app = create_app(make_settings(run_worker=False), clock=clock)
    with TestClient(app):
        assert services.of(app).limiter is not None
        assert services.of(app).outbox is None and services.of(app).turnstile is None


def test_an_app_without_services_is_named():
    from starlette.applications import Starlette

    with pytest.raises(services.ServiceNotStarted, match="create_app"):
        services.of(Starlette())
