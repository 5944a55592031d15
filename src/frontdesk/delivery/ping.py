"""The test event: a signed `ping` to one endpoint, sent at once, its answer shown to the person who asked.

`frontdesk endpoints test NAME` and the staff page's "Send test" button both call `send`. The ping goes
through the same code as every delivery (`crm.Signer` with every live secret, `crm.post` with its total
time limit, no redirects), so a receiver that verifies a ping verifies a lead. It is not queued and not
stored: a ping is a question ("can you hear us?") whose answer is wanted now, and there is no submission
behind it to keep. Its `webhook-id` starts with `msg_ping_`, so a receiver can tell it apart.
"""

from __future__ import annotations

import datetime as dt
import secrets

from frontdesk import __version__
from frontdesk.delivery import crm
from frontdesk.records.endpoints import Endpoint
from frontdesk.records.payloads import PingData

EVENT_TYPE = "ping"


def body(endpoint: Endpoint, now: dt.datetime) -> str:
    data: PingData = {"endpoint": endpoint.name, "sender": f"Frontdesk {__version__}"}
    payload = {
        "type": EVENT_TYPE,
        "timestamp": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    return crm.encode_body(payload)


async def send(endpoint: Endpoint, *, time_limit: float, now: dt.datetime) -> crm.Answer:
    """POST a signed ping to `endpoint` and return its answer (status, latency, error); never raises."""
    if not endpoint.secrets:
        return crm.Answer(None, 0, "the endpoint has no live secret")
    msg_id = f"msg_ping_{secrets.token_hex(10)}"
    async with crm.make_client(time_limit, 1) as client:
        return await crm.post(
            client,
            endpoint.url,
            crm.Signer(*endpoint.secrets),
            msg_id,
            body(endpoint, now),
            time_limit=time_limit,
            now=now,
        )
