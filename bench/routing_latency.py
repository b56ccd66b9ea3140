"""Time from a request's commit to its assignment's commit, at a steady submission rate.

One API process (`doorstep serve --no-worker`) and one worker process (`doorstep worker`) on one PostgreSQL,
the demo district loaded; requests are posted open-loop at RATE per second for SECONDS, spread over every
demo building. Commit times are PostgreSQL's own (track_commit_timestamp): the intake transaction's commit
(the request's "submit" event) and the routing transaction's commit (its "assign" event).

    python bench/routing_latency.py --rate 100 --seconds 20 [--database-url postgresql+psycopg://…/postgres]

Without --database-url an embedded PostgreSQL is started in a temporary folder.
Target (issue 3): p99 under 200 ms at 100 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path

import psycopg
from _harness import (  # type: ignore[import-not-found]
    database,
    free_port,
    libpq_conninfo,
    machine,
    percentile,
    post_bytes,
    process,
    read_response,
    token,
    wait_ready,
)

LATENCY_SQL = """
SELECT extract(epoch FROM pg_xact_commit_timestamp(a.xmin) - pg_xact_commit_timestamp(s.xmin)) * 1000
FROM request_event s JOIN request_event a ON a.request_id = s.request_id AND a.action = 'assign'
WHERE s.action = 'submit' AND s.request_id > %(after)s
"""

# Where the time goes: waiting for a worker (deferred → started) and running the job (started → succeeded).
BREAKDOWN_SQL = """
SELECT extract(epoch FROM s.at - d.at) * 1000, extract(epoch FROM f.at - s.at) * 1000
FROM procrastinate_jobs j
JOIN procrastinate_events d ON d.job_id = j.id AND d.type = 'deferred'
JOIN procrastinate_events s ON s.job_id = j.id AND s.type = 'started'
JOIN procrastinate_events f ON f.job_id = j.id AND f.type = 'succeeded'
WHERE j.task_name = 'route_request' AND (j.args ->> 'request_id')::bigint > %(after)s
"""


async def submit_all(port: int, bearer: str, buildings: list[int], rate: float, seconds: float) -> list[float]:
    """Posts ``rate × seconds`` requests open-loop, each at its own moment whatever the answers before it, over
    keep-alive connections (a new one whenever all are busy) with pre-built requests, so that the load
    generator costs the shared cores little."""
    total = int(rate * seconds)
    rng = random.Random(3)
    requests = [
        post_bytes("/api/v1/requests", json.dumps(
            {"title": f"楼道灯不亮 #{index}", "description": "声控灯坏了，晚上看不见",
             "building_id": rng.choice(buildings), "channel": "patrol"}, ensure_ascii=False).encode(), bearer)
        for index in range(total)
    ]
    post_ms: list[float] = []
    errors: Counter[str] = Counter()
    # Connections at rest, with when each came back; the server closes one idle for 5 s (uvicorn's keep-alive),
    # so one idle for 4 s is dropped rather than reused, as an HTTP client's pool does.
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    opened: list[asyncio.StreamWriter] = []

    async def one(index: int) -> None:
        started = time.perf_counter()
        try:
            while idle and time.perf_counter() - idle[-1][2] > 4:
                idle.pop()[1].close()
            if idle:
                reader, writer, _ = idle.pop()
            else:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                opened.append(writer)
            writer.write(requests[index])
            status = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError) as error:
            errors[type(error).__name__] += 1  # an overloaded server drops connections: counted, not fatal
            return
        post_ms.append((time.perf_counter() - started) * 1000)
        idle.append((reader, writer, time.perf_counter()))
        if status != 201:
            errors[f"HTTP {status}"] += 1

    start = time.perf_counter()
    tasks = []
    for index in range(total):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for writer in opened:
        writer.close()
    failed = ", ".join(f"{n} × {what}" for what, n in errors.items()) or "none"
    print(f"submitted {total} in {elapsed:.1f} s ({total / elapsed:.1f}/s), errors: {failed}; "
          f"POST p50 {percentile(post_ms, 50):.1f} ms, p99 {percentile(post_ms, 99):.1f} ms")
    return post_ms


def wait_all_assigned(url: str, within_seconds: float = 120) -> None:
    """Until every request filed so far has its assignment."""
    deadline = time.monotonic() + within_seconds
    with psycopg.connect(libpq_conninfo(url), autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM service_request), "
                "(SELECT count(*) FROM request_event WHERE action = 'assign')"
            ).fetchone()
            if row and row[1] >= row[0]:
                return
            time.sleep(0.2)
    raise SystemExit("not every request was assigned in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second (default 100)")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to submit (default 20)")
    parser.add_argument("--database-url", help="a server's maintenance database (track_commit_timestamp on)")
    parser.add_argument("--worker-concurrency", type=int, default=8)
    args = parser.parse_args()

    print(f"routing latency · {machine()}")
    with database(args.database_url, commit_timestamps=True) as url, tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "processes.log"
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        with process(["serve", "--no-worker", "--port", str(port)], url, log), process(
            ["worker", "--concurrency", str(args.worker_concurrency)], url, log
        ):
            asyncio.run(wait_ready(base_url))
            bearer = asyncio.run(token(base_url, "admin", "doorstep-demo"))
            with psycopg.connect(libpq_conninfo(url)) as conn:
                buildings = [r[0] for r in conn.execute("SELECT id FROM area WHERE kind = 'building' "
                                                         "AND path LIKE (SELECT path FROM area WHERE code = '610112')"
                                                         " || '%'")]
            asyncio.run(submit_all(port, bearer, buildings, args.rate, 2))
            wait_all_assigned(url)
            with psycopg.connect(libpq_conninfo(url)) as conn:
                warm_up = int(conn.execute("SELECT coalesce(max(id), 0) FROM service_request").fetchone()[0])
            asyncio.run(submit_all(port, bearer, buildings, args.rate, args.seconds))
            wait_all_assigned(url)
        errors = [line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line]
        for line in dict.fromkeys(line[:300] for line in errors[:50]):
            print("process log:", line)
        with psycopg.connect(libpq_conninfo(url)) as conn:
            latencies = [float(r[0]) for r in conn.execute(LATENCY_SQL, {"after": warm_up})]
            breakdown = conn.execute(BREAKDOWN_SQL, {"after": warm_up}).fetchall()
    waits = [float(r[0]) for r in breakdown]
    runs = [float(r[1]) for r in breakdown]
    print(f"routing job: waiting for a worker p50 {percentile(waits, 50):.1f} ms, p99 {percentile(waits, 99):.1f} ms;"
          f" running p50 {percentile(runs, 50):.1f} ms, p99 {percentile(runs, 99):.1f} ms")
    print(f"commit → assignment commit over {len(latencies)} requests at {args.rate:g}/s: "
          f"p50 {percentile(latencies, 50):.1f} ms, p90 {percentile(latencies, 90):.1f} ms, "
          f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms "
          f"(target p99 < 200 ms: {'met' if percentile(latencies, 99) < 200 else 'NOT met'})")


if __name__ == "__main__":
    main()
