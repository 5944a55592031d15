"""Intake: the public forms, each with its page, its POST and its thanks.

- `models.py`        every form's fields and rules (pydantic): clean values, or a message per field
- `answers.py`       422 with the errors, 429 with the wait, 303 to the thanks, JSON for scripts
- `consent.py`, `attribution.py`  what a submission records besides its fields (the attribution cookie,
                     set on landings by `AttributionMiddleware`)
- `request_info.py`  `/request-info`
- `application.py`   `/careers/{slug}/apply`, with the résumé
- `feedback.py`      `POST /feedback`, "Was this information helpful?"
- `comment_form.py`  `POST /insights/{slug}/comments`, and a browser's own comments awaiting moderation

Every POST reads its body with `guard/bodies.py`, checks `guard/ratelimit.py` and `guard/spam.py`, and
stores through `records/submissions.accept`: "thank you" means committed.
"""
