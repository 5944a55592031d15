"""Submissions benchmark: Request Info forms accepted per second while the CRM is healthy, slow or down.

    python bench/submissions.py [--seconds 10] [--clients 32] [--cases healthy,slow,down]

For each case it starts, on a fresh SQLite file, `frontdesk serve` (one process, the delivery worker
inside it, as by default) and `bench/crm_receiver.py` in processes of their own:

- healthy: the receiver answers 204 at once;
- slow:    the receiver answers after 10 s;
- down:    nothing listens on the CRM's port (connection refused);
- no-worker (optional): healthy, but FRONTDESK_RUN_WORKER=false: what the site does with no delivery at all.

Then `--clients` concurrent clients, each with its own keep-alive connection, post the Request Info
form (fetched once per client for its hidden fields, as a browser would) for `--seconds` after a short
warm-up. It prints accepted submissions/s (303 answers) and p50/p99 latency per case, and how the slow
and down cases compare with the healthy one. Targets (issue 3): >= 1,000 accepted/s on SQLite with
p99 <= 50 ms, and the slow and down figures within 10% of the healthy ones.

The load generator shares the machine with the server, so on a small machine it limits the figures
too; the comparison between the three cases is what this benchmark is for.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from drain import free_port, start_receiver  # noqa: E402

FORM = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+1 605-555-0111",
    "company": "Analytical Engines",
    "interest": "business",
    "office": "sioux-falls-agency",
    "message": "Please call me about business cover for a team of twelve.",
    "consent": "yes",
    "fax": "",
}


def start_site(data_dir: Path, crm_url: str, secret: str, worker: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env.update(
        PYTHONPATH=str(ROOT / "src"),
        FRONTDESK_DATA_DIR=str(data_dir),
        FRONTDESK_CONTENT_DIR=str(ROOT / "content"),
        FRONTDESK_PUBLIC_URL=f"http://127.0.0.1:{port}",
        FRONTDESK_CRM_WEBHOOK_URL=crm_url,
        FRONTDESK_CRM_WEBHOOK_SECRET=secret,
        FRONTDESK_FORM_MIN_SECONDS="0",
        FRONTDESK_RATE_LIMIT_REQUEST_INFO="1000000/minute",
        FRONTDESK_LOG_LEVEL="warning",
        FRONTDESK_RUN_WORKER="true" if worker else "false",
    )
    log = (data_dir / "serve.log").open("ab")
    with log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "frontdesk.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{base}/healthz", timeout=1, trust_env=False).status_code == 200:
                return proc, base
        except httpx2.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"frontdesk serve did not start; see {data_dir / 'serve.log'}")


async def load(base: str, clients: int, warmup: float, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    accepted = errors = 0
    measuring = False

    async def client() -> None:
        nonlocal accepted, errors
        limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx2.AsyncClient(limits=limits, timeout=10, trust_env=False) as http:
            page = await http.get(f"{base}/request-info", headers={"Referer": f"{base}/offices"})
            hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
            form = {**hidden, **FORM}
            headers = {"Origin": base, "Referer": f"{base}/request-info"}
            while not stop.is_set():
                started = time.perf_counter()
                r = await http.post(f"{base}/request-info", data=form, headers=headers)
                took = time.perf_counter() - started
                if measuring:
                    if r.status_code == 303:
                        accepted += 1
                        latencies.append(took)
                    else:
                        errors += 1

    stop = asyncio.Event()
    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.sleep(warmup)
    measuring = True
    await asyncio.sleep(seconds)
    measuring = False
    stop.set()
    await asyncio.gather(*tasks)
    return accepted, latencies, errors


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000 if len(values) > 1 else 0.0


def run_case(case: str, clients: int, seconds: float) -> dict[str, float]:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    crm_port = free_port()
    receiver = None
    if case in ("healthy", "no-worker"):
        receiver = start_receiver(crm_port)
    elif case == "slow":
        receiver = start_receiver(crm_port, delay=10.0)
    with tempfile.TemporaryDirectory() as tmp:
        site, base = start_site(Path(tmp), f"http://127.0.0.1:{crm_port}/hooks/crm", secret, case != "no-worker")
        try:
            accepted, latencies, errors = asyncio.run(load(base, clients, 2.0, seconds))
        finally:
            site.terminate()
            site.wait(timeout=60)
            if receiver is not None:
                receiver.terminate()
                receiver.wait(timeout=10)
    result = {
        "rate": accepted / seconds,
        "p50": pct(latencies, 50),
        "p99": pct(latencies, 99),
        "errors": errors,
    }
    print(f"{case}: {result['rate']:,.0f} accepted/s, p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--cases", default="healthy,slow,down")
    args = parser.parse_args()
    results = {case: run_case(case, args.clients, args.seconds) for case in args.cases.split(",")}
    healthy = results.get("healthy")
    print()
    title = f"CRM ({args.clients} clients, {args.seconds:g} s, SQLite)"
    print(f"| {title} | accepted/s | p50 ms | p99 ms | non-303 | vs healthy |")
    print("|---|---|---|---|---|---|")
    for case, r in results.items():
        vs = f"{r['rate'] / healthy['rate']:.2f}x" if healthy and healthy["rate"] else "-"
        print(f"| {case} | {r['rate']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['errors']:.0f} | {vs} |")


if __name__ == "__main__":
    main()
