"""Benchmark: accepted Request Info submissions per second while the CRM is healthy, slow or down.

    python bench/submissions.py [--seconds 10]

It starts a CRM stand-in (bench/_receiver.py) and `frontdesk serve` on SQLite with
the in-process delivery worker running, then posts Request Info forms from 32
concurrent connections with wrk (`apt-get install wrk`). The server runs on one
core and wrk on the other. Three cases: a healthy CRM, a CRM that takes 10 s to
answer, and a CRM that is down (nothing listening). Targets: >= 1,000 accepted/s
with p99 <= 50 ms, and the slow and down figures within 10% of the healthy ones,
because nothing on the request path waits for the CRM.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import httpx2

sys.path.insert(0, str(Path(__file__).parent))
from common import PYTHON, QUICK_HELP, ROOT, free_port, have_wrk, start, stop, wait_http, wait_port, wrk

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def run_case(mode: str, seconds: int, tmp: Path, *, warmup: int = 2) -> dict[str, float]:
    receiver = None
    if mode == "down":
        crm_url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    else:
        port = free_port()
        receiver = start(
            [
                PYTHON,
                "-m",
                "uvicorn",
                "_receiver:app",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            env={"BENCH_RECEIVER_MODE": mode, "PYTHONPATH": str(Path(__file__).parent)},
            core=1,
        )
        crm_url = f"http://127.0.0.1:{port}/hook"
        wait_port(port)
    data_dir = tmp / mode
    port = free_port()
    env = {
        "FRONTDESK_CONTENT_DIR": str(ROOT / "content"),
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_CRM_WEBHOOK_URL": crm_url,
        "FRONTDESK_CRM_WEBHOOK_SECRET": SECRET,
        "FRONTDESK_FORM_MIN_SECONDS": "0",
        "FRONTDESK_RATE_LIMIT_REQUEST_INFO": "1000000/second",
        "FRONTDESK_RETRY_SCHEDULE": "0,5,300,1800",
    }
    server = start([PYTHON, "-m", "frontdesk", "serve", "--port", str(port)], env=env, core=0)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz")
        html = httpx2.get(base + "/request-info").text
        token = re.search(r'name="_t" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        body = (
            f"_t={quote(token)}&name=Bench+Mark&email=bench%40example.com&interest=auto"
            "&message=Please+call+me+about+a+quote.&consent=yes&page=%2Foffices%2Fsioux-falls-agency&fax="
        )
        script = tmp / f"post-{mode}.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f'wrk.body = "{body}"\n'
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        )
        if warmup:
            wrk(base + "/request-info", seconds=warmup, script=str(script))
        return wrk(base + "/request-info", seconds=seconds, script=str(script))
    finally:
        stop(server)
        if receiver:
            stop(receiver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help=QUICK_HELP)
    args = parser.parse_args()
    if args.quick:
        args.seconds = 1
    if not have_wrk():
        sys.exit("bench/submissions.py needs wrk: apt-get install wrk")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("healthy", "slow", "down"):
            results[mode] = run_case(mode, args.seconds, Path(tmp), warmup=0 if args.quick else 2)
    base = results["healthy"]["rps"]
    print(f"{'CRM':<10}{'accepted/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs healthy':>12}")
    for mode, r in results.items():
        print(
            f"{mode:<10}{r['rps']:>12.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['errors']:>8.0f}{r['rps'] / base:>11.2f}x"
        )


if __name__ == "__main__":
    main()
