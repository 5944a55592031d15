"""Records: what is stored and its rules. Every function takes a connection; the caller owns the transaction.

- `submissions.py` accepting a submission: it and its delivery rows in one transaction (the group commit)
- `uploads.py`, `sniff.py`  résumés: the type decided from the bytes, stored privately
- `votes.py`       "Was this helpful?" votes, their daily counters, the tallies
- `comments.py`    how a comment is shown, and when an article takes them
- `moderation.py`  a comment's first state, and staff decisions on it
- `deliveries.py`  the outbox as people see it: counts, listings, replay, pause and resume
- `privacy.py`     retention and erasure, one batch at a time
"""
