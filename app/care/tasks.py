"""Care's pipeline work: the visit watch, hourly."""

from __future__ import annotations

import logging

from app.care.watch import run_visit_watch
from app.pipeline import runtime
from app.pipeline.app import pipeline
from app.pipeline.jobs import job_session

logger = logging.getLogger(__name__)

VISIT_WATCH_TASK = "care_visit_watch"


async def visit_watch_once() -> list[int]:
    """One run of the visit watch in its own transaction, at the runtime clock's now; the ids of the tasks it
    created. Safe to run any number of times, concurrently too (see app/care/watch.py)."""
    rt = runtime.current()
    async with job_session() as session:
        created = await run_visit_watch(session, now=rt.clock.now())
    if created:
        logger.info("visit watch: %s visit task(s) raised", len(created))
    return created


@pipeline.periodic(cron="17 * * * *", periodic_id=VISIT_WATCH_TASK)
@pipeline.task(name=VISIT_WATCH_TASK, queue="care", queueing_lock=VISIT_WATCH_TASK)
async def care_visit_watch(timestamp: int) -> None:
    await visit_watch_once()
