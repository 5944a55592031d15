"""Every staff route, with the role it needs: `viewer` (tallies, reports, overview, delivery health) or `admin`
(also personal data, replays, spam, moderation, the audit log). `app.py` mounts `routes`; a test walks
them to prove that none is left unguarded (`access.staff_route` records each one's role).
"""

from __future__ import annotations

from starlette.routing import Route

from frontdesk.staff.access import staff_route
from frontdesk.staff.views import account as views_account
from frontdesk.staff.views import accounts as views_accounts
from frontdesk.staff.views import audit as views_audit
from frontdesk.staff.views import comments as views_comments
from frontdesk.staff.views import deliveries as views_deliveries
from frontdesk.staff.views import endpoints as views_endpoints
from frontdesk.staff.views import feedback as views_feedback
from frontdesk.staff.views import integrations as views_integrations
from frontdesk.staff.views import login as views_login
from frontdesk.staff.views import overview as views_overview
from frontdesk.staff.views import reports as views_reports
from frontdesk.staff.views import submissions as views_records

ADMIN = "admin"
POST = ("POST",)

routes: list[Route] = [
    Route("/staff/login", views_login.login_form, methods=["GET"], name="staff_login"),
    Route("/staff/login", views_login.login_submit, methods=["POST"], name="staff_login_submit"),
    staff_route("/staff/logout", views_login.logout, methods=POST, name="staff_logout"),
    staff_route("/staff", views_overview.overview, name="staff_overview"),
    staff_route("/staff/feedback", views_feedback.tallies, name="staff_feedback"),
    staff_route("/staff/feedback/page", views_feedback.page_detail, name="staff_feedback_page"),
    staff_route("/staff/feedback.csv", views_feedback.export_csv, name="staff_feedback_csv"),
    staff_route(
        "/staff/feedback/comments/{vote_id:int}/triage", views_feedback.set_triage, methods=POST, name="staff_triage"
    ),
    staff_route("/staff/reports/sources", views_reports.sources, name="staff_report_sources"),
    staff_route("/staff/reports/sources.csv", views_reports.sources_csv, name="staff_report_sources_csv"),
    staff_route("/staff/reports/pages", views_reports.pages, name="staff_report_pages"),
    staff_route("/staff/reports/pages.csv", views_reports.pages_csv, name="staff_report_pages_csv"),
    staff_route("/staff/deliveries", views_deliveries.listing, name="staff_deliveries"),
    staff_route("/staff/deliveries.json", views_deliveries.health_json, name="staff_deliveries_json"),
    staff_route(
        "/staff/deliveries/replay-failed",
        views_deliveries.replay_failed,
        role=ADMIN,
        methods=POST,
        name="staff_replay_failed",
    ),
    staff_route("/staff/deliveries/{delivery_id}", views_deliveries.detail, name="staff_delivery"),
    staff_route(
        "/staff/deliveries/{delivery_id}/replay",
        views_deliveries.replay_one,
        role=ADMIN,
        methods=POST,
        name="staff_replay",
    ),
    staff_route("/staff/endpoints/resume", views_deliveries.resume, role=ADMIN, methods=POST, name="staff_resume"),
    staff_route("/staff/endpoints", views_endpoints.listing, role=ADMIN, name="staff_endpoints"),
    staff_route("/staff/endpoints", views_endpoints.add, role=ADMIN, methods=POST, name="staff_endpoint_add"),
    *(
        staff_route(
            f"/staff/endpoints/{{name}}/{action}",
            views_endpoints.change,
            role=ADMIN,
            methods=POST,
            name=f"staff_endpoint_{action}",
        )
        for action in ("pause", "disable", "resume", "remove")
    ),
    staff_route(
        "/staff/endpoints/{name}/rotate", views_endpoints.rotate, role=ADMIN, methods=POST, name="staff_endpoint_rotate"
    ),
    staff_route(
        "/staff/endpoints/{name}/test", views_endpoints.test, role=ADMIN, methods=POST, name="staff_endpoint_test"
    ),
    staff_route("/staff/submissions", views_records.listing, role=ADMIN, name="staff_submissions"),
    staff_route("/staff/submissions.csv", views_records.export_csv, role=ADMIN, name="staff_submissions_csv"),
    staff_route("/staff/submissions/{submission_id}", views_records.detail, role=ADMIN, name="staff_submission"),
    staff_route("/staff/files/{upload_id}", views_records.download, role=ADMIN, name="staff_file"),
    staff_route("/staff/spam", views_records.spam, role=ADMIN, name="staff_spam"),
    staff_route(
        "/staff/spam/{submission_id}/release", views_records.release, role=ADMIN, methods=POST, name="staff_release"
    ),
    staff_route("/staff/account", views_account.page, name="staff_account"),
    staff_route("/staff/account", views_account.save, methods=POST, name="staff_account_save"),
    staff_route("/staff/audit", views_audit.audit_log, role=ADMIN, name="staff_audit"),
    staff_route("/staff/accounts", views_accounts.listing, role=ADMIN, name="staff_accounts"),
    staff_route(
        "/staff/accounts/{staff_id:int}/unlock",
        views_accounts.unlock,
        role=ADMIN,
        methods=POST,
        name="staff_unlock",
    ),
    staff_route("/staff/integrations", views_integrations.listing, role=ADMIN, name="staff_integrations"),
    staff_route(
        "/staff/integrations", views_integrations.create, role=ADMIN, methods=POST, name="staff_integration_create"
    ),
    staff_route(
        "/staff/integrations/{token_id:int}/revoke",
        views_integrations.revoke,
        role=ADMIN,
        methods=POST,
        name="staff_integration_revoke",
    ),
    staff_route("/staff/comments", views_comments.listing, role=ADMIN, name="staff_comments"),
    staff_route(
        "/staff/comments/{comment_id}/{action}",
        views_comments.decide,
        role=ADMIN,
        methods=POST,
        name="staff_comment_decide",
    ),
]
