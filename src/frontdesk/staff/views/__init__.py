"""The staff pages, one module per page family: login, overview, audit, feedback, deliveries, submissions
(with spam and files), comments. Each turns a request into calls on `records/`, `staff/queries.py` and
`audit.py`, opens the transaction, and renders with `access.render`.
"""
