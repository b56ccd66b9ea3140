"""SLA jobs: the tick (every few seconds, any number of workers) and a refresh after each transition."""

from __future__ import annotations

from app.pipeline import runtime
from app.pipeline.app import SLA_UPDATE_TASK, pipeline
from app.pipeline.jobs import job_session
from app.requests.models import ServiceRequest
from app.sla import clock, escalation

# Requests looked at per transaction; a full batch means a backlog, so the tick goes round again at once.
TICK_BATCH = 200


async def tick_once(limit: int = TICK_BATCH) -> int:
    """One pass of the SLA tick at the runtime clock's now, in one transaction; returns how many due requests
    it looked at."""
    rt = runtime.current()
    async with job_session() as session:
        return await escalation.process_due(session, now=rt.clock.now(), settings=rt.settings, limit=limit)


@pipeline.periodic(cron="* * * * * */5", periodic_id="sla_tick")
@pipeline.task(name="sla_tick", queue="sla", queueing_lock="sla_tick")
async def sla_tick(timestamp: int) -> None:
    # Each pass leaves what it handled due later (a failure: a minute later), so a backlog drains and stops.
    while await tick_once() >= TICK_BATCH:
        pass


@pipeline.task(name=SLA_UPDATE_TASK, queue="sla")
async def sla_update(request_id: int) -> None:
    """Recomputes one request's due times and next timer after a transition (pause, resume, accept …)."""
    rt = runtime.current()
    async with job_session() as session:
        request = await session.get(ServiceRequest, request_id, with_for_update=True)
        if request is not None:
            await clock.schedule(session, request, now=rt.clock.now(), settings=rt.settings)
