"""Frontdesk: a self-hosted lead-capture and office-info site for agencies.

The map, in reading order (each area's own `__init__` lists its modules; docs/architecture.md has the rest):

- `settings`, `clock`  FRONTDESK_* read once into frozen Settings; the one Clock
- `content/`    the site as files (YAML, Markdown), validated into one immutable snapshot; reloads
- `db/`         the engine (serialized SQLite writes, group commit), the schema, migrations
- `records/`    what is stored and its rules: submissions, uploads, votes, comments, deliveries, privacy
- `audit`       the audit log's one writer, and the label of every action
- `guard/`      middleware and abuse checks: headers, request shape, cross-origin, body caps, the form
                reader, rate limits, spam
- `pagecache/`  public pages rendered once per content version and day, served as bytes
- `media/`      content pictures in responsive sizes and formats, encoded once, fingerprinted
- `delivery/`   the outbox worker: signed webhooks, retries, résumé links, metrics
- `services`, `web`  the typed services every view uses, and what views share
- `public/`     GET pages: home, offices, careers, insights, pages of content/pages, sitemap, security.txt
- `intake/`     the public forms: Request Info, applications, feedback, comments
- `staff/`      the staff area: sign-in, roles, tallies, deliveries, submissions, moderation
- `errors`, `ops`  the one error page; /healthz, /readyz, /metrics
- `app`, `cli/`  the composition roots: `create_app()`, and the `frontdesk` command

Imports point down this list only (checked in CI by import-linter; see pyproject.toml).
"""

__version__ = "0.1.0"
