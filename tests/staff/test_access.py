"""Access control: walk every /staff route in the router; none may be reached signed out or by the wrong role."""

from __future__ import annotations

import re

import pytest
from starlette.convertors import IntegerConvertor
from starlette.routing import Route

LOGIN = "/staff/login"
# Pages with personal data, and the actions that change things: these must be admin-only whatever else changes.
MUST_BE_ADMIN = {
    ("GET", "/staff/submissions"),
    ("GET", "/staff/submissions/{submission_id}"),
    ("GET", "/staff/files/{upload_id}"),
    ("GET", "/staff/spam"),
    ("POST", "/staff/spam/{submission_id}/release"),
    ("GET", "/staff/audit"),
    ("POST", "/staff/deliveries/{delivery_id}/replay"),
    ("POST", "/staff/deliveries/replay-failed"),
    ("POST", "/staff/endpoints/resume"),
}


def staff_routes(app) -> list[tuple[str, Route]]:
    """Every (method, route) under /staff, straight from the router."""
    found = []
    for route in app.routes:
        if isinstance(route, Route) and (route.path == "/staff" or route.path.startswith("/staff/")):
            found += [(method, route) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def concrete(route: Route) -> str:
    path = route.path
    for name, convertor in route.param_convertors.items():
        value = "1" if isinstance(convertor, IntegerConvertor) else "x"
        path = re.sub(r"\{" + name + r"(:[^}]*)?\}", value, path)
    return path


def call(client, method: str, path: str):
    return client.request(method, path, data={} if method == "POST" else None)


def test_the_router_has_the_staff_routes(app):
    paths = {(m, r.path) for m, r in staff_routes(app)}
    assert len(paths) >= 15
    assert paths >= MUST_BE_ADMIN
    for method, route in staff_routes(app):
        if route.path != LOGIN:
            assert getattr(route.endpoint, "staff_role", None) in ("viewer", "admin"), (
                f"{method} {route.path} is not guarded"
            )
    declared_admin = {(m, r.path) for m, r in staff_routes(app) if getattr(r.endpoint, "staff_role", "") == "admin"}
    assert declared_admin >= MUST_BE_ADMIN


def test_no_staff_route_is_reachable_signed_out(client, app):
    checked = 0
    for method, route in staff_routes(app):
        if route.path == LOGIN:
            continue
        path = concrete(route)
        response = call(client, method, path)
        assert response.headers.get("cache-control") == "no-store", f"{method} {path}"
        if path.endswith((".csv", ".json")):
            assert response.status_code == 401, f"{method} {path}"
            assert response.json()["error"] == "Sign-in required"
        else:
            assert response.status_code == 303, f"{method} {path} answered {response.status_code}"
            assert response.headers["location"].startswith(LOGIN), f"{method} {path}"
        checked += 1
    assert checked >= 15


def test_json_clients_get_401_rather_than_a_redirect(client):
    response = client.get("/staff/deliveries", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_a_signed_out_visit_remembers_where_it_was_going(client, staff_client):
    response = client.get("/staff/feedback?range=7d")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/feedback%3Frange%3D7d"
    login_page = client.get(response.headers["location"])
    assert 'name="next" value="/staff/feedback?range=7d"' in login_page.text
    staff_client("viewer")  # make the account
    client.cookies.clear()
    signed = client.post(
        LOGIN,
        data={
            "email": "viewer@staff.example",
            "password": "correct horse battery staple",
            "next": "/staff/feedback?range=7d",
        },
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/staff/feedback?range=7d"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/staff", "/\\evil.example", "/offices", "javascript:alert(1)"]
)
def test_next_only_leads_inside_the_staff_area(client, staff_client, target):
    staff_client("viewer")
    client.cookies.clear()
    signed = client.post(
        LOGIN, data={"email": "viewer@staff.example", "password": "correct horse battery staple", "next": target}
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/staff"


def test_a_viewer_reaches_no_admin_route(staff_client, app):
    client = staff_client("viewer")
    checked = 0
    for method, route in staff_routes(app):
        if getattr(route.endpoint, "staff_role", "") != "admin":
            continue
        response = call(client, method, concrete(route))
        assert response.status_code == 403, f"{method} {route.path} answered {response.status_code} to a viewer"
        assert response.headers.get("cache-control") == "no-store"
        checked += 1
    assert checked == len([1 for _, r in staff_routes(app) if getattr(r.endpoint, "staff_role", "") == "admin"])
    assert checked >= len(MUST_BE_ADMIN)
    # ...and the viewer is still signed in: the viewer routes answer (a dummy id may be a 404, never a 403;
    # a viewer's own POST, /staff/account, may answer 303 to its page, never to the sign-in page).
    for method, route in staff_routes(app):
        if getattr(route.endpoint, "staff_role", "") == "viewer" and route.path != "/staff/logout":
            response = call(client, method, concrete(route))
            to_login = response.status_code == 303 and response.headers["location"].startswith(LOGIN)
            assert not to_login, f"{method} {route.path} sent a signed-in viewer to sign in"
            assert response.status_code not in (401, 403) and response.status_code < 500, f"{method} {route.path}"


def test_an_admin_reaches_every_route_without_server_errors(staff_client, app):
    client = staff_client("admin")
    for method, route in staff_routes(app):
        if route.path in ("/staff/logout", LOGIN):
            continue
        response = call(client, method, concrete(route))
        assert response.status_code not in (401, 403) and response.status_code < 500, f"{method} {route.path}"
        assert not response.headers.get("location", "").startswith(LOGIN), f"{method} {route.path}"
        assert response.headers.get("cache-control") == "no-store"


def test_staff_forms_get_the_one_form_reader(staff_client):
    """The staff forms read bodies through guard/bodies.py too: a multipart body cut off before its end is a 400."""
    client = staff_client("admin")
    cut = b'--XyZ\r\nContent-Disposition: form-data; name="from"\r\n\r\n2026-11-01\r\n--XyZ\r\nContent-Disposition: form-da'
    r = client.post(
        "/staff/deliveries/replay-failed",
        content=cut,
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert r.status_code == 400 and "cut off" in r.text


@pytest.mark.parametrize("count", ["²", "1_000", "٣", "9" * 40])
def test_odd_notice_counts_are_not_an_error(staff_client, count):
    client = staff_client("admin")
    r = client.get("/staff/deliveries", params={"notice": "replayed_failed", "count": count})
    assert r.status_code == 200 and "Failed deliveries queued again: 0." in r.text
