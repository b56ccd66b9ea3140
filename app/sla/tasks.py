"""SLA jobs: the tick (every few seconds, any number of workers) and a refresh after each transition."""

from __future__ import annotations

from app.pipeline import runtime
from app.pipeline.app import SLA_UPDATE_TASK, pipeline
from app.pipeline.jobs import job_session
from app.requests.models import ServiceRequest
from app.sla import clock, escalation


async def tick_once(limit: int = 200) -> int:
    rt = runtime.current()
    async with job_session() as session:
        return await escalation.process_due(session, now=rt.clock.now(), settings=rt.settings, limit=limit)


@pipeline.periodic(cron="* * * * * */5", periodic_id="sla_tick")
@pipeline.task(name="sla_tick", queue="sla", queueing_lock="sla_tick")
async def sla_tick(timestamp: int) -> None:
    while await tick_once() >= 200:  # a backlog: keep going until it is worked off
        pass


@pipeline.task(name=SLA_UPDATE_TASK, queue="sla")
async def sla_update(request_id: int) -> None:
    """Recomputes one request's due times and next timer after a transition (pause, resume, accept …)."""
    rt = runtime.current()
    async with job_session() as session:
        request = await session.get(ServiceRequest, request_id, with_for_update=True)
        if request is not None:
            await clock.schedule(session, request, now=rt.clock.now(), settings=rt.settings)
