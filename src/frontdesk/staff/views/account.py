"""One's own account (`/staff/account`): which emails Frontdesk sends to me.

Every signed-in person, viewer or admin, can ask for the weekly digest (off until asked for). Admins
also choose whether they get delivery alerts (on until they opt out), which go to the active admins
who want them unless FRONTDESK_ALERT_TO names other addresses, in which case the page says so rather
than offer a choice that would change nothing. Email that is not configured is said too: the choice
is kept for when it is.

The form is two checkboxes: an unticked box is simply absent from the body, so what is not sent is
off. A change is written with its audit entry in one transaction, and the page is shown again with a
notice (303 to a GET, so reloading does not post twice).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from frontdesk import web
from frontdesk.guard.bodies import first, read_form
from frontdesk.staff import accounts
from frontdesk.staff.access import render, user

NOTICES = {"saved": "Saved: your email choices apply from the next email."}


async def page(request: Request) -> Response:
    services = web.services(request)
    me = user(request)
    async with services.db.read() as conn:
        choices = await accounts.mail_choices(conn, me.id)
    settings = services.settings
    return render(
        request,
        "staff/account.html",
        {
            "title": "Your account",
            "choices": choices,
            "mail_enabled": settings.mail_enabled,
            "alert_to": settings.alert_to,
            "notice": NOTICES.get(request.query_params.get("notice", "")),
        },
    )


async def save(request: Request) -> Response:
    raw = await read_form(request)
    services = web.services(request)
    me = user(request)
    async with services.db.write() as conn:
        current = await accounts.mail_choices(conn, me.id)
        # Alerts are an admin's choice, and only while FRONTDESK_ALERT_TO does not override it: where the
        # box is not shown, the stored value is kept rather than read as unticked.
        chooses_alerts = me.is_admin and not services.settings.alert_to
        alerts = first(raw, "alerts") == "yes" if chooses_alerts else current.alerts
        wanted = accounts.MailChoices(digest=first(raw, "digest") == "yes", alerts=alerts)
        await accounts.set_mail_choices(conn, me.id, wanted, now=services.clock(), actor=me.email)
    return RedirectResponse("/staff/account?notice=saved", status_code=303)
