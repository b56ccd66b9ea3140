"""Keeping the pipeline honest: jobs of dead workers are retried, and work the rows say is pending but that has
no job (a lost job, a failed one) is enqueued again. Both are periodic and idempotent."""

from __future__ import annotations

import logging

from sqlalchemy import text

from app.core.config import get_settings
from app.pipeline import runtime
from app.pipeline.app import ROUTE_TASK, defer_unless_waiting, pipeline, route_lock
from app.pipeline.jobs import job_session

logger = logging.getLogger(__name__)



_UNROUTED = text(
    """
    SELECT r.id FROM service_request r
    WHERE r.status IN ('submitted', 'declined') AND NOT r.needs_triage
      AND NOT EXISTS (
        SELECT 1 FROM procrastinate_jobs j
        WHERE j.task_name = :task AND j.status IN ('todo', 'doing')
          AND (j.queueing_lock = 'route:' || r.id OR (j.args ->> 'request_id')::bigint = r.id)
      )
    ORDER BY r.id
    LIMIT :limit
    """
)


async def enqueue_unrouted(limit: int = 1000) -> int:
    """Enqueues routing for every request still waiting for it that has no waiting or running job."""
    enqueued = 0
    async with job_session() as session:
        ids = list((await session.execute(_UNROUTED, {"task": ROUTE_TASK, "limit": limit})).scalars())
        for request_id in ids:
            if await defer_unless_waiting(
                session, ROUTE_TASK, queueing_lock=route_lock(request_id), request_id=request_id
            ):
                enqueued += 1
    if enqueued:
        logger.warning("reconciler: enqueued routing for %s request(s) that had no job", enqueued)
    return enqueued


async def retry_stalled_jobs() -> int:
    """Jobs left ``doing`` by a worker whose heartbeat stopped are put back to ``todo``."""
    seconds = runtime.current().settings.pipeline_stalled_seconds
    stalled = list(await pipeline.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds))
    for job in stalled:
        logger.warning("retrying stalled job %s (%s)", job.id, job.task_name)
        await pipeline.job_manager.retry_job(job)
    return len(stalled)


@pipeline.periodic(cron=f"* * * * * */{get_settings().reconcile_seconds}", periodic_id="reconcile")
@pipeline.task(name="reconcile", queue="maintenance", queueing_lock="reconcile")
async def reconcile(timestamp: int) -> None:
    await retry_stalled_jobs()
    await enqueue_unrouted()
