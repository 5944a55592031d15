"""Delivery: the outbox that carries each stored submission to the agency's systems.

- `outbox.py`  the worker: claim due deliveries with a lease, post them, record what happened
- `crm.py`     sign one message (Standard Webhooks) and POST it with httpx2; classify the answer
- `retries.py` the retry schedule and the breaker, as pure functions of an answer
- `files.py`   the signed, expiring résumé links an application's webhook carries, and their download
- `metrics.py` delivery health for Prometheus, from the database

Nothing on the request path waits for any of this: a view only writes rows (`records/submissions.py`).
The worker never imports a view.
"""
