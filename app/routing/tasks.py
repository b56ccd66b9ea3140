"""The routing job: one per submitted (or declined) request, enqueued with the row."""

from __future__ import annotations

import logging

from app.pipeline import runtime
from app.pipeline.app import ROUTE_TASK, pipeline
from app.pipeline.jobs import job_session
from app.routing import service

logger = logging.getLogger(__name__)


@pipeline.task(name=ROUTE_TASK, queue="routing", retry=3)
async def route_request(request_id: int) -> None:
    rt = runtime.current()
    async with job_session() as session:
        decision = await service.route_request(session, request_id, now=rt.clock.now(), settings=rt.settings)
    if decision is not None:
        logger.info("request %s routed: %s (%s) → %s", request_id, decision.outcome, decision.rule,
                    decision.assignee_staff_id)
