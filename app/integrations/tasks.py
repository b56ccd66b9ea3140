"""Pipeline work of the integrations domain. Importing this module (every worker does, through
``TASK_MODULES``) also installs the callback hooks, so status changes made by jobs (routing's assignment, an
SLA re-route) send their callbacks too."""

from __future__ import annotations

import logging

from sqlalchemy import delete

from app.integrations import callbacks
from app.integrations.models import IdempotencyRecord
from app.pipeline import runtime
from app.pipeline.app import pipeline
from app.pipeline.jobs import job_session

logger = logging.getLogger(__name__)

callbacks.install()


async def purge_expired_idempotency_records() -> int:
    """Deletes ``Idempotency-Key`` records past their 24 hours (lookups already ignore them)."""
    async with job_session() as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= runtime.current().clock.now())
        )
    purged = int(getattr(result, "rowcount", 0) or 0)
    if purged:
        logger.info("purged %s expired idempotency record(s)", purged)
    return purged


@pipeline.periodic(cron="17 * * * *", periodic_id="purge_idempotency_records")
@pipeline.task(name="purge_idempotency_records", queue="maintenance", queueing_lock="purge_idempotency_records")
async def purge_idempotency_records(timestamp: int) -> None:
    await purge_expired_idempotency_records()
