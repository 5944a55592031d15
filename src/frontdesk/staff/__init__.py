"""The staff area: sign-in, sessions, roles, and the pages marketing staff use.

Read it in this order:

- `passwords.py`  Argon2id hashing, the password rules, the dummy hash for unknown accounts
- `accounts.py`   staff accounts, and counting sign-in attempts with a per-account lockout
- `sessions.py`   server-side sessions (only a SHA-256 of the token is stored) and the cookie
- `access.py`     the guard every staff route goes through (303 to login, 401, 403, no-store)
- `ranges.py`, `chart.py`, `queries.py`  date ranges, the SVG trend chart, read-only queries
- `views/`        the pages, one module per page family
- `routes.py`     the whole area's routes, each with the role it needs

Importing this package loads nothing: `frontdesk staff add` uses `accounts` without the web pages.
"""
