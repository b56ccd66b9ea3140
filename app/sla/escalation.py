"""The SLA tick: warnings before deadlines, re-routing when respond-by passes, raising a level at each
resolve-by window. Each due request is taken under ``FOR UPDATE SKIP LOCKED``, so any number of workers can
tick at once; each decision re-reads the row and acts on the plan its clock computes at that moment, so a tick
that runs twice (or late) does each thing once. One request that fails is rolled back alone and looked at
again a little later; it never holds up the others."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area, AreaKind
from app.core.config import Settings
from app.requests import repository as requests_repository
from app.requests import service as requests_service
from app.requests.models import Category, ServiceRequest
from app.routing import engine
from app.routing import repository as routing_repository
from app.routing import service as routing
from app.routing.engine import BuildingRef, CategoryRef, FallbackLevel, TraceStep
from app.routing.models import RoutingDecision
from app.routing.notify import notify_staff
from app.sla import clock
from app.sla.calendar import DEFAULT_TIMEZONE
from app.sla.clock import ESCALATION, RESOLVE_BREACH, RESPOND_BREACH

logger = logging.getLogger(__name__)

LOCAL_ZONE = ZoneInfo(DEFAULT_TIMEZONE)

# A request whose handling failed is looked at again after this long (not on every tick).
RETRY_AFTER = timedelta(minutes=1)
# Resolve windows missed while nothing ticked (an outage) are each counted, at most this many per look.
MAX_CATCH_UP = 20


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
    """Handles every request whose timer is due at ``now``; returns how many were looked at. Each request is
    handled in its own savepoint: one that raises is rolled back, logged and retried after ``RETRY_AFTER``."""
    rows = await due_requests(session, now, limit)
    for request in rows:
        request_id = request.id
        try:
            async with session.begin_nested():
                await handle(session, request, now=now, settings=settings)
        except Exception:
            logger.exception("SLA: request %s could not be handled; trying again in %s", request_id, RETRY_AFTER)
            request.next_timer_at = now + RETRY_AFTER
            await session.flush()
    return len(rows)


async def handle(session: AsyncSession, request: ServiceRequest, *, now: datetime, settings: Settings) -> None:
    """Does what is due at ``now`` on a locked request, each thing once: a respond breach (re-route) or else
    its warning; then every resolve breach whose window has passed, or else the resolve warning. A warning is
    never sent for a deadline already passed. Leaves ``next_timer_at`` after ``now`` (or null)."""
    plan = await clock.schedule(session, request, now=now, settings=settings)
    if plan.respond_due_at is not None and now >= plan.respond_due_at:
        await respond_breach(session, request, now=now, settings=settings)
        plan = await clock.schedule(session, request, now=now, settings=settings)
    elif plan.respond_warn_at is not None and now >= plan.respond_warn_at:
        assert plan.respond_due_at is not None
        request.respond_warned_at = now
        await _warn(session, request, "respond", plan.respond_due_at, now=now, settings=settings)

    escalated = False
    for _ in range(MAX_CATCH_UP):
        if plan.resolve_breach_at is None or now < plan.resolve_breach_at:
            break
        await resolve_breach(session, request, now=now, settings=settings)
        escalated = True
        plan = await clock.schedule(session, request, now=now, settings=settings)
    if not escalated and plan.resolve_warn_at is not None and now >= plan.resolve_warn_at:
        assert request.resolve_by_at is not None
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


async def _category(session: AsyncSession, request: ServiceRequest) -> CategoryRef | None:
    # The request's own category even if it has been deactivated since: its rule still applies to it.
    category = await session.get(Category, request.category_id) if request.category_id is not None else None
    return routing_repository.category_ref(category) if category is not None else None


async def respond_breach(session: AsyncSession, request: ServiceRequest, *, now: datetime, settings: Settings) -> None:
    """Nobody accepted in time: the next candidate takes it (never one who had it), which climbs the
    fallback chain once the building's people are used up; a request left for triage is routed again.
    Nobody left: it stays where it is, its holder is told, and a fresh respond window starts from now
    (``respond_breached_at``)."""
    request.respond_breached_at = now
    holder = request.assignee_staff_id
    previous = await routing_repository.previous_assignees(session, request.id)
    if holder:
        previous.add(holder)
    loc = await _location(session, request)
    decision = await routing.choose(session, loc, await _category(session, request), exclude=previous, now=now,
                                    trigger=RESPOND_BREACH)
    await requests_service.record_event(
        session, request, kind=ESCALATION, action=RESPOND_BREACH, now=now,
        note="Respond-by passed without acceptance: "
        + (f"re-routed to #{decision.assignee}" if decision.assignee else "nobody else can take it"),
        data={"respond_by_at": request.respond_by_at.isoformat() if request.respond_by_at else None,
              "staff_id": holder, "to_staff_id": decision.assignee},
    )
    if decision.assignee is None:
        await notify_staff(session, request, [holder] if holder else [], event="request.respond_breached",
                           now=now, settings=settings, role="assignee")
        return
    left_out = sorted(previous)
    steps = [TraceStep("who", RESPOND_BREACH, "reroute",
                       "Respond-by passed: re-routing, leaving out " + ", ".join(f"#{s}" for s in left_out) + "."
                       if left_out else "Respond-by passed: routing again.", {"staff_ids": left_out})]
    decision.participants = []  # those who joined at the first routing are still there
    await routing.apply(session, request, decision, steps + decision.steps, loc=None, category=None, priority=None,
                        now=now, settings=settings)
    if holder:
        await notify_staff(session, request, [holder], event="request.respond_breached", now=now,
                           settings=settings, role="previous_assignee")


async def _escalation_person(
    session: AsyncSession, request: ServiceRequest, levels: list[FallbackLevel], index: int, now: datetime
) -> tuple[FallbackLevel | None, int | None, list[TraceStep]]:
    """Who at ``levels[index]`` is told: someone present (or their backup) not yet involved, else someone
    present already involved; if everyone there is away, the next level up."""
    joined = (await requests_repository.participants_of(session, [request.id]))[request.id]
    today = now.astimezone(LOCAL_ZONE).date()  # absences are days where the staff work, not UTC days
    involved = {s for s in (request.assignee_staff_id, *(staff_id for staff_id, _, _ in joined)) if s is not None}
    for level in levels[index:]:
        away = await routing_repository.absences_on(session, [c.staff_id for c in level.candidates], today)
        for exclude in (involved, set()):
            staff_id, steps, _ = engine.choose_least_loaded(
                level.candidates, away, exclude=exclude, step="escalate", rule=level.name
            )
            if staff_id is not None:
                return level, staff_id, steps
    return (levels[index] if index < len(levels) else None), None, []


async def resolve_breach(session: AsyncSession, request: ServiceRequest, *, now: datetime, settings: Settings) -> None:
    """Resolve-by (or a further window) passed: breached, one level higher, and that level's person joins.

    Level N is the N-th level of the fallback chain above the request (station head, community staff,
    subdistrict duty desk, subdistrict staff) that has anyone in it; past the top it stays at the top.
    Recorded as an escalation event and a routing decision (``resolve_breach`` / ``escalated``); the person
    and the assignee are told."""
    request.resolve_breach_count += 1
    request.breached = True
    request.escalation_level += 1
    chain = await routing_repository.areas_on_path(session, request.area_path)
    staffed = [lv for lv in await routing.fallback_levels(session, chain, AreaKind.compound) if lv.candidates]
    index = min(request.escalation_level, len(staffed)) - 1
    level, staff_id, steps = await _escalation_person(session, request, staffed, index, now) if staffed else (
        None, None, [])
    where = f"{level.name} at {level.label}" if level else "nobody (no one above)"
    await requests_service.record_event(
        session, request, kind=ESCALATION, action=RESOLVE_BREACH, now=now,
        note=f"Resolve-by passed (breach {request.resolve_breach_count}): raised to " + where,
        data={"level": request.escalation_level, "level_name": level.name if level else None,
              "staff_id": staff_id, "breach": request.resolve_breach_count},
    )
    joined = []
    if staff_id is not None:
        joined = await requests_service.add_participants(session, request, [staff_id], reason="escalation", now=now)
    session.add(
        RoutingDecision(
            request_id=request.id, area_id=request.area_id, trigger=RESOLVE_BREACH, outcome="escalated",
            rule=level.name if level else None, assignee_staff_id=None, participant_staff_ids=joined,
            escalation_level=request.escalation_level,
            steps=[s.as_dict() for s in steps] or [
                TraceStep("escalate", "none", "none", "Everyone from this level up is away with no backup."
                          if staffed else "Nobody above the request to raise it to.", {}).as_dict()
            ],
            created_at=now,
        )
    )
    await session.flush()
    recipients = [s for s in (staff_id, request.assignee_staff_id) if s]
    await notify_staff(session, request, recipients, event="request.escalated", now=now, settings=settings,
                       role="escalation", extra={"level": request.escalation_level})
