"""The retry policy: what one answer from the CRM means for a delivery, as a pure function.

The schedule (FRONTDESK_RETRY_SCHEDULE, default: immediately, 5 s, 5 min, 30 min,
2 h, 5 h, 10 h, 14 h, 20 h, 24 h) lists the waits between attempts. The first
attempt happens as soon as the submission is accepted; after the n-th failed
attempt the next waits `schedule[n-1]` seconds, scaled by a random factor in
[0.9, 1.1] so a crowd of deliveries that failed together does not retry in
lock-step. A schedule of k steps therefore allows k + 1 attempts; after the
last one the delivery is `failed`, a dead letter kept for staff to replay.

Special answers: 2xx delivers. 429 and 503 may carry Retry-After, which can
lengthen a wait but never shorten it. 410 Gone pauses the endpoint: the
delivery stays pending, untouched (the attempt does not count), until staff
resume the endpoint.

`Pace` is the same idea for a whole worker: a Retry-After holds back every
delivery to that CRM, not only the one that got it, and after
`BREAKER_THRESHOLD` failures in a row the worker backs off (0.5 s, doubling,
at most 30 s and never more than the schedule's longest wait) and probes with
one delivery at a time until an attempt succeeds.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass

from frontdesk.delivery import crm

JITTER = 0.1  # each retry delay is scaled by a random factor in [1 - JITTER, 1 + JITTER]
BREAKER_THRESHOLD = 10  # consecutive failed attempts before the worker backs off
BREAKER_MAX_HOLD = 30.0


@dataclass(frozen=True)
class Step:
    """What an answer means for the delivery: its next state and the attempt log's outcome."""

    state: str  # pending | delivered | failed
    outcome: str  # delivered | retry | failed | paused
    next_attempt_at: dt.datetime | None = None
    counts: bool = True  # a 410 pause does not use up an attempt


def next_step(
    answer: crm.Answer, attempts_before: int, schedule: tuple[float, ...], now: dt.datetime, rng: random.Random
) -> Step:
    """The delivery's next state after an attempt that got `answer` (see the module docstring)."""
    if answer.ok:
        return Step("delivered", "delivered")
    if answer.status == 410:
        return Step("pending", "paused", now, counts=False)
    made = attempts_before + 1
    if made > len(schedule):
        return Step("failed", "failed")
    delay = schedule[made - 1] * (1 + rng.uniform(-JITTER, JITTER))
    if answer.retry_after is not None:
        delay = max(delay, answer.retry_after)
    return Step("pending", "retry", now + dt.timedelta(seconds=delay))


class Pace:
    """How fast one worker may go, learnt from the answers it gets."""

    def __init__(self, schedule: tuple[float, ...]) -> None:
        self.hold_until = 0.0  # time.monotonic(); nothing new is posted before it
        self.failures_in_row = 0
        self._cap = min(BREAKER_MAX_HOLD, max(schedule, default=0.0))

    @property
    def breaker_open(self) -> bool:
        return self.failures_in_row >= BREAKER_THRESHOLD

    def held(self) -> bool:
        return time.monotonic() < self.hold_until

    def learn(self, answer: crm.Answer) -> None:
        if answer.ok:
            self.failures_in_row = 0
            return
        if answer.status == 410:
            return  # a pause, handled by the endpoint's pause row rather than by backing off
        self.failures_in_row += 1
        hold = answer.retry_after or 0.0
        if self.breaker_open:
            hold = max(hold, min(self._cap, 0.5 * 2 ** (self.failures_in_row - BREAKER_THRESHOLD)))
        if hold:
            self.hold_until = max(self.hold_until, time.monotonic() + hold)
