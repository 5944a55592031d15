"""The benchmarks' shared helpers read wrk's output right, whatever the numbers are."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from common import parse_wrk

# A real wrk summary whose thread-stats "+/- Stdev" column reads 72.50%: a bare "50%" regex matched there.
WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:8000/request-info
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    16.52ms    4.10ms  61.22ms   72.50%
    Req/Sec     0.97k    99.00     1.20k    68.50%
  Latency Distribution
     50%   15.90ms
     75%   18.40ms
     90%   21.70ms
     99%   31.05ms
  19412 requests in 10.01s, 4.52MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   1939.12
Transfer/sec:    462.15KB
"""


def test_percentiles_come_from_the_latency_distribution():
    parsed = parse_wrk(WRK_OUTPUT)
    assert parsed == {"rps": 1939.12, "p50": 15.9, "p99": 31.05, "errors": 3.0, "total": 19412.0}
