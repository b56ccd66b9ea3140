"""The SLA tick: warnings before deadlines, re-routing when respond-by passes, raising a level at each
resolve-by window. Each due request is taken under ``FOR UPDATE SKIP LOCKED``, so any number of workers can
tick at once; each decision re-reads the row and recomputes its clock first, so a tick that runs twice (or
late) does each thing once."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area, AreaKind
from app.core.config import Settings
from app.requests import service as requests_service
from app.requests.models import OPEN_STATUSES, ServiceRequest, Status
from app.routing import repository as routing_repository
from app.routing import service as routing
from app.routing.engine import BuildingRef, TraceStep
from app.routing.notify import notify_staff
from app.sla import clock

logger = logging.getLogger(__name__)


async def due_requests(session: AsyncSession, now: datetime, limit: int) -> list[ServiceRequest]:
    return list(
        await session.scalars(
            select(ServiceRequest)
            .where(ServiceRequest.next_timer_at <= now)
            .order_by(ServiceRequest.next_timer_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


async def process_due(session: AsyncSession, *, now: datetime, settings: Settings, limit: int = 200) -> int:
    """Handles every request whose timer is due at ``now``; returns how many were looked at."""
    rows = await due_requests(session, now, limit)
    for request in rows:
        await handle(session, request, now=now, settings=settings)
    return len(rows)


async def handle(session: AsyncSession, request: ServiceRequest, *, now: datetime, settings: Settings) -> None:
    await clock.schedule(session, request, now=now, settings=settings)
    status = Status(request.status)
    if status not in OPEN_STATUSES or status == Status.awaiting_resident:
        return
    start = await clock.resolve_start(session, request)
    fraction = settings.sla_warn_fraction
    if status == Status.assigned and request.accepted_at is None and request.respond_by_at is not None:
        base = request.assigned_at or request.submitted_at
        if now >= request.respond_by_at:
            await respond_breach(session, request, now=now, settings=settings)
            await clock.schedule(session, request, now=now, settings=settings)
            return
        warned = request.respond_warned_at is not None and request.respond_warned_at >= base
        if not warned and now >= base + (request.respond_by_at - base) * fraction:
            request.respond_warned_at = now
            await _warn(session, request, "respond", request.respond_by_at, now=now, settings=settings)
    assert request.resolve_by_at is not None
    if now >= clock.next_resolve_breach(request, start):
        await resolve_breach(session, request, now=now, settings=settings)
    elif (request.resolve_warned_at is None or request.resolve_warned_at < start) and now >= start + (
        request.resolve_by_at - start
    ) * fraction:
        request.resolve_warned_at = now
        await _warn(session, request, "resolve", request.resolve_by_at, now=now, settings=settings)
    await clock.schedule(session, request, now=now, settings=settings)


async def _warn(
    session: AsyncSession, request: ServiceRequest, which: str, due: datetime, *, now: datetime, settings: Settings
) -> None:
    await requests_service.record_event(
        session, request, kind="warning", action=f"{which}_warning", now=now,
        note=f"{which.capitalize()}-by {due.isoformat()} is near", data={"due_at": due.isoformat()},
    )
    recipients = [request.assignee_staff_id] if request.assignee_staff_id else []
    await notify_staff(session, request, recipients, event=f"request.{which}_due_soon", now=now,
                       settings=settings, role="assignee", extra={"due_at": due.isoformat()})


async def _location(session: AsyncSession, request: ServiceRequest) -> routing.Location:
    area = await session.get(Area, request.area_id) if request.area_id else None
    building: BuildingRef | None = None
    if request.building_id is not None:
        building = await routing_repository.building_ref(session, request.building_id)
    street = await session.get(Area, request.street_id) if request.street_id else None
    return routing.Location(building=building, street=street, area=area, unit=request.unit)


async def respond_breach(session: AsyncSession, request: ServiceRequest, *, now: datetime, settings: Settings) -> None:
    """Nobody accepted in time: the next candidate takes it (never one who had it), which climbs the
    fallback chain once the building's people are used up. Nobody left: it stays, and the station head's
    chain is told."""
    if request.respond_breached_at is None:
        request.respond_breached_at = now
    previous = await routing_repository.previous_assignees(session, request.id)
    if request.assignee_staff_id:
        previous.add(request.assignee_staff_id)
    await requests_service.record_event(
        session, request, kind="escalation", action="respond_breach", now=now,
        note="Respond-by passed without acceptance",
        data={"respond_by_at": request.respond_by_at.isoformat() if request.respond_by_at else None,
              "staff_id": request.assignee_staff_id},
    )
    loc = await _location(session, request)
    category = None
    if request.category_id is not None:
        category = next((c for c in await routing_repository.categories(session) if c.id == request.category_id), None)
    decision = await routing.choose(session, loc, category, exclude=previous, now=now, trigger="respond_breach")
    steps = [TraceStep("who", "respond_breach", "reroute", "Respond-by passed: re-routing, leaving out "
                       + ", ".join(f"#{s}" for s in sorted(previous)) + ".", {"staff_ids": sorted(previous)})]
    if decision.assignee is None:
        # Nobody else: keep the assignee, give a fresh window, and tell them again.
        steps += decision.steps
        request.assigned_at = now
        await notify_staff(session, request, [request.assignee_staff_id] if request.assignee_staff_id else [],
                           event="request.respond_breached", now=now, settings=settings, role="assignee")
        return
    decision.participants = []
    await routing.apply(session, request, decision, steps + decision.steps, loc=None, category=None, priority=None,
                        now=now, settings=settings)


async def resolve_breach(session: AsyncSession, request: ServiceRequest, *, now: datetime, settings: Settings) -> None:
    """Resolve-by (or a further window) passed: breached, one level higher, that level's person joins."""
    request.resolve_breach_count += 1
    request.breached = True
    request.escalation_level += 1
    chain = await routing_repository.areas_on_path(session, request.area_path)
    levels = await routing.fallback_levels(session, chain, AreaKind.compound)
    people = [lv for lv in levels if lv.candidates]
    level = people[min(request.escalation_level, len(people)) - 1] if people else None
    staff_id = None
    if level is not None:
        taken = {request.assignee_staff_id}
        ranked = sorted(level.candidates, key=lambda c: (c.staff_id in taken, c.open_count, c.staff_id))
        staff_id = ranked[0].staff_id
    await requests_service.record_event(
        session, request, kind="escalation", action="resolve_breach", now=now,
        note=f"Resolve-by passed (breach {request.resolve_breach_count}): raised to "
        + (f"{level.name} at {level.label}" if level else "nobody (no one above)"),
        data={"level": request.escalation_level, "level_name": level.name if level else None,
              "staff_id": staff_id, "breach": request.resolve_breach_count},
    )
    if staff_id is not None and staff_id != request.assignee_staff_id:
        await requests_service.add_participants(session, request, [staff_id], reason="escalation", now=now)
    recipients = [s for s in (staff_id, request.assignee_staff_id) if s]
    await notify_staff(session, request, recipients, event="request.escalated", now=now, settings=settings,
                       role="escalation", extra={"level": request.escalation_level})
