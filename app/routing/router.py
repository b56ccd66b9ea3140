"""Routing's face: a request's routing decisions (the trace) and the caller's queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import StaffActor
from app.core.openapi import errors
from app.db.dependencies import ClockDep, SessionDep
from app.routing import service
from app.routing.schemas import QueueRead, RoutingDecisionRead

router = APIRouter(prefix="/api/v1", tags=["routing"])


@router.get(
    "/requests/{request_id}/routing",
    response_model=list[RoutingDecisionRead],
    summary="How a request was routed, oldest decision first",
    description=(
        "Every routing decision on the request (on submission, after a decline, after a missed deadline), "
        "each with its steps: **where** the request is, **what** it is, its **priority**, **who** takes it and "
        "any **fallback** up the tree, with the reason for each. Staff only; 404 when the request is not "
        "yours to see."
    ),
    responses=errors(401, 403, 404),
)
async def list_routing_decisions(request_id: int, actor: StaffActor, session: SessionDep) -> list[RoutingDecisionRead]:
    return await service.list_decisions(session, actor, request_id)


@router.get(
    "/me/queue",
    response_model=QueueRead,
    summary="Your open work, most urgent first",
    description=(
        "Requests assigned to you that are assigned, accepted, in progress, awaiting the resident or reopened; "
        "with `include_participating=true` also those you take part in (joint handling). Ordered by the next "
        "deadline — respond-by until accepted, then resolve-by; requests without one last — then priority "
        "(urgent first), then id. `seconds_left` is negative when overdue. Staff only."
    ),
    responses=errors(401, 403, 422),
)
async def my_queue(
    actor: StaffActor,
    session: SessionDep,
    clock: ClockDep,
    include_participating: Annotated[
        bool, Query(description="Also requests you take part in without being the assignee")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many items")] = 50,
) -> QueueRead:
    return await service.my_queue(
        session, actor, include_participating=include_participating, limit=limit, now=clock.now()
    )
