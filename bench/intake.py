"""Intake against a bare baseline: ``POST /api/v1/requests`` (the real app: sign-in check, validation, scope,
the request row, its event, the routing job in the same transaction, the read back) and a bare FastAPI endpoint
that inserts the same request row with one raw SQL statement, measured in the same run on the same database.

Both run as real processes (uvicorn, one worker each, no pipeline worker: routing jobs wait in the queue); the
load is closed-loop, CONCURRENCY connections each posting as soon as its previous answer came, through a
minimal HTTP/1.1 client (pre-built requests on keep-alive sockets) so that the client costs the shared two cores
as little as possible. The targets alternate in rounds (real, bare, real, bare …) so drift hits both alike.

    python bench/intake.py [--seconds 15] [--rounds 2] [--concurrency 16] [--database-url postgresql+psycopg://…/postgres]

Target (issue 6): intake at least half the bare endpoint's requests/s, p99 no more than twice its p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from _harness import (  # type: ignore[import-not-found]
    ROOT,
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
from pydantic import BaseModel, Field

BARE_SQL = """
INSERT INTO service_request (channel, priority, title, description, area_id, area_path, building_id,
                             created_by_account_id, status, submitted_at, created_at, paused_seconds, reopened_count)
SELECT %(channel)s, 'normal', %(title)s, %(description)s, a.id, a.path, a.id, NULL, 'submitted', now(), now(), 0, 0
FROM area a WHERE a.id = %(building_id)s AND a.kind = 'building'
RETURNING id, reference, status, submitted_at
"""


class BareBody(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    building_id: int
    channel: str = "patrol"


def bare_app(database_url: str):  # type: ignore[no-untyped-def]
    """The baseline: FastAPI, a validated body, one INSERT on a connection pool, the row back as JSON."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, HTTPException
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(libpq_conninfo(database_url), min_size=4, max_size=10, open=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        await pool.open()
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/requests", status_code=201)
    async def create(body: BareBody) -> dict[str, object]:
        async with pool.connection() as conn:
            row = await (await conn.execute(BARE_SQL, body.model_dump())).fetchone()
        if row is None:
            raise HTTPException(422, "no such building")
        return {"id": row[0], "reference": row[1], "status": row[2], "submitted_at": row[3].isoformat()}

    return app


def serve_bare(port: int, database_url: str) -> None:
    import uvicorn

    uvicorn.run(bare_app(database_url), host="127.0.0.1", port=port, log_config=None, access_log=False)


async def load(port: int, path: str, bearer: str | None, bodies: list[bytes], seconds: float,
               concurrency: int) -> tuple[list[float], int, float]:
    """Closed loop for ``seconds``: (latencies in ms, errors, elapsed)."""
    latencies: list[float] = []
    errors = 0
    requests = [post_bytes(path, body, bearer) for body in bodies]
    deadline = time.perf_counter() + seconds

    async def client(n: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = n
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(requests[i % len(requests)])
                status = await read_response(reader)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != 201:
                    errors += 1
                i += concurrency
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="per target per round (default 15)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", help="a server's maintenance database (default: an embedded one)")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--bare-database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.bare_database)
        return

    print(f"intake vs bare · {machine()}")
    with database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "processes.log"
        real_port, bare_port = free_port(), free_port()
        with psycopg.connect(libpq_conninfo(url)) as conn:
            buildings = [r[0] for r in conn.execute(
                "SELECT id FROM area WHERE kind = 'building' AND path LIKE "
                "(SELECT path FROM area WHERE code = '610112') || '%'")]
        rng = random.Random(6)
        bodies = [
            json.dumps({"title": f"楼道灯不亮 #{i}", "description": "声控灯坏了，晚上看不见",
                        "building_id": rng.choice(buildings), "channel": "patrol"}, ensure_ascii=False).encode()
            for i in range(1000)
        ]
        bare = [sys.executable, str(Path(__file__).resolve()), "--serve-bare", str(bare_port), "--bare-database", url]
        import subprocess

        with process(["serve", "--no-worker", "--port", str(real_port)], url, log), \
                subprocess.Popen(bare, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT) as bare_proc:
            try:
                asyncio.run(wait_ready(f"http://127.0.0.1:{real_port}"))
                asyncio.run(_wait_port(bare_port))
                bearer = asyncio.run(token(f"http://127.0.0.1:{real_port}", "admin", "doorstep-demo"))
                targets = {
                    "POST /api/v1/requests (Doorstep)": (real_port, "/api/v1/requests", bearer),
                    "bare FastAPI + raw INSERT": (bare_port, "/requests", None),
                }
                results: dict[str, tuple[list[float], int, float]] = {name: ([], 0, 0.0) for name in targets}
                for port, path, auth in targets.values():  # warm up: connections, caches
                    asyncio.run(load(port, path, auth, bodies, 3, args.concurrency))
                for _ in range(args.rounds):
                    for name, (port, path, auth) in targets.items():
                        latencies, errors, elapsed = asyncio.run(
                            load(port, path, auth, bodies, args.seconds, args.concurrency))
                        total = results[name]
                        results[name] = (total[0] + latencies, total[1] + errors, total[2] + elapsed)
            finally:
                bare_proc.terminate()
        with psycopg.connect(libpq_conninfo(url)) as conn:
            rows = conn.execute("SELECT count(*) FROM service_request").fetchone()
    print(f"{args.rounds} rounds × {args.seconds:g} s per target, {args.concurrency} connections, closed loop; "
          f"{rows[0] if rows else '?':,} requests written")
    figures = {}
    for name, (latencies, errors, elapsed) in results.items():
        rate = len(latencies) / elapsed
        figures[name] = (rate, percentile(latencies, 50), percentile(latencies, 99))
        print(f"  {name:<36} {rate:8.1f} requests/s   p50 {figures[name][1]:6.1f} ms   "
              f"p99 {figures[name][2]:6.1f} ms   ({len(latencies):,} requests, {errors} errors)")
    (real_rate, _, real_p99), (bare_rate, _, bare_p99) = figures.values()
    print(f"  ratio: throughput {real_rate / bare_rate:.2f} × the bare endpoint (target ≥ 0.5: "
          f"{'met' if real_rate / bare_rate >= 0.5 else 'NOT met'}), p99 {real_p99 / bare_p99:.2f} × "
          f"(target ≤ 2: {'met' if real_p99 / bare_p99 <= 2 else 'NOT met'})")


async def _wait_port(port: int, within_seconds: float = 60) -> None:
    deadline = time.monotonic() + within_seconds
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise SystemExit(f"the bare endpoint on port {port} did not start")


if __name__ == "__main__":
    main()
