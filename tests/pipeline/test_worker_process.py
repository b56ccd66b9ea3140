"""A real `doorstep worker` process, killed with SIGKILL while routing: every request still ends up assigned
exactly once (stalled jobs are retried, the reconciler re-enqueues what lost its job, the row is the gate)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from tests import factories

REQUESTS = 300


def _start_worker(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DOORSTEP_DATABASE_URL": database_url,
        "DOORSTEP_PIPELINE_HEARTBEAT_SECONDS": "0.5",
        "DOORSTEP_PIPELINE_STALLED_SECONDS": "2",
        "DOORSTEP_RECONCILE_SECONDS": "1",
        "DOORSTEP_LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--concurrency", "4"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )


async def _count(session, sql: str) -> int:
    return int((await session.execute(text(sql))).scalar_one())


async def test_sigkilled_worker_loses_nothing_and_routes_each_request_once(client, session, app, database_url,
                                                                            tmp_path):
    w = await factories.world(session, app)
    for index in range(REQUESTS):
        body = {"title": f"楼道灯不亮 {index}", "description": "声控灯坏了"}
        response = await client.post("/api/v1/requests", json=body, headers=w.h["resident"])
        assert response.status_code == 201
    jobs = await _count(session, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'route_request'")
    assert jobs == REQUESTS

    log = tmp_path / "worker.log"
    first = _start_worker(database_url, log)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            routed = await _count(session, "SELECT count(*) FROM service_request WHERE status = 'assigned'")
            if routed >= 20:
                break
            assert first.poll() is None, "the worker exited:\n" + log.read_text()[-3000:]
            await asyncio.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        routed_at_kill = await _count(session, "SELECT count(*) FROM service_request WHERE status = 'assigned'")
        assert 0 < routed_at_kill < REQUESTS, (
            f"the kill must land mid-routing ({routed_at_kill} routed)\n" + log.read_text()[-3000:]
        )
    finally:
        if first.poll() is None:
            first.kill()

    second = _start_worker(database_url, log)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if await _count(session, "SELECT count(*) FROM service_request WHERE status = 'assigned'") == REQUESTS:
                break
            await asyncio.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            second.kill()

    assert await _count(session, "SELECT count(*) FROM service_request WHERE status = 'assigned'") == REQUESTS, (
        log.read_text()[-3000:]
    )
    # Exactly once: one assignment event and one routing decision per request.
    per_request = (await session.execute(text(
        "SELECT r.id, (SELECT count(*) FROM request_event e WHERE e.request_id = r.id AND e.action = 'assign'),"
        " (SELECT count(*) FROM routing_decision d WHERE d.request_id = r.id) FROM service_request r"
    ))).all()
    assert len(per_request) == REQUESTS
    assert {(events, decisions) for _, events, decisions in per_request} == {(1, 1)}
