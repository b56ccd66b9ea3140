"""The SLA clock of one request: its targets, its calendar, its due times and when to look at it next.

``schedule`` recomputes everything from the row and its events, so it is safe to call at any time and as
often as wanted; the SLA tick calls it before every decision.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.requests.models import OPEN_STATUSES, Category, RequestEvent, ServiceRequest, Status
from app.sla.calendar import AlwaysOn, Calendar, Pause, WorkingHours, due_with_pauses, from_config
from app.sla.models import AreaCalendar, SlaTarget


async def targets_for(session: AsyncSession, request: ServiceRequest) -> tuple[int, int]:
    """(respond minutes, resolve minutes): the category's row for this priority, else the category's own
    minutes when the priority is its default, else the all-categories row for the priority."""
    category = await session.get(Category, request.category_id) if request.category_id else None
    if category is not None:
        specific = await session.scalar(
            select(SlaTarget).where(SlaTarget.category_id == category.id, SlaTarget.priority == request.priority)
        )
        if specific is not None:
            return specific.respond_minutes, specific.resolve_minutes
        if category.default_priority == request.priority:
            return category.respond_minutes, category.resolve_minutes
    general = await session.scalar(
        select(SlaTarget).where(SlaTarget.category_id.is_(None), SlaTarget.priority == request.priority)
    )
    if general is not None:
        return general.respond_minutes, general.resolve_minutes
    return 60, 7 * 24 * 60


async def calendar_for(session: AsyncSession, request: ServiceRequest) -> Calendar:
    """24/7 unless the category counts working hours: then the calendar of the nearest area up the tree that
    has one, else the default working week."""
    category = await session.get(Category, request.category_id) if request.category_id else None
    if category is None or category.clock != "working_hours":
        return AlwaysOn()
    ids = [int(p) for p in (request.area_path or "").strip("/").split("/") if p]
    if ids:
        rows = {
            c.area_id: c.config
            for c in await session.scalars(select(AreaCalendar).where(AreaCalendar.area_id.in_(ids)))
        }
        for area_id in reversed(ids):
            if area_id in rows:
                return from_config(rows[area_id])
    return WorkingHours()


async def pauses_of(session: AsyncSession, request_id: int, since: datetime) -> list[Pause]:
    """The spans spent awaiting the resident since ``since`` (the last one open if still waiting)."""
    events = await session.execute(
        select(RequestEvent.created_at, RequestEvent.from_status, RequestEvent.to_status)
        .where(RequestEvent.request_id == request_id, RequestEvent.kind == "transition",
               RequestEvent.created_at >= since)
        .order_by(RequestEvent.id)
    )
    pauses: list[Pause] = []
    started: datetime | None = None
    for at, from_status, to_status in events:
        if to_status == Status.awaiting_resident and started is None:
            started = at
        elif from_status == Status.awaiting_resident and to_status != Status.awaiting_resident and started:
            pauses.append((started, at))
            started = None
    if started is not None:
        pauses.append((started, None))
    return pauses


async def resolve_start(session: AsyncSession, request: ServiceRequest) -> datetime:
    """The resolve clock starts at submission, or again at the latest reopening."""
    if request.reopened_count:
        reopened = await session.scalar(
            select(RequestEvent.created_at)
            .where(RequestEvent.request_id == request.id, RequestEvent.to_status == Status.reopened)
            .order_by(RequestEvent.id.desc())
            .limit(1)
        )
        if reopened is not None:
            return reopened
    return request.submitted_at


def _warn_at(start: datetime, due: datetime, fraction: float) -> datetime:
    return start + (due - start) * fraction


async def schedule(session: AsyncSession, request: ServiceRequest, *, now: datetime, settings: Settings) -> None:
    """Sets ``respond_by_at`` (from the latest assignment; fixed once accepted), ``resolve_by_at`` (pushed by
    time awaiting the resident) and ``next_timer_at`` (the next warning or deadline; null when the request
    is finished or paused)."""
    respond_minutes, resolve_minutes = await targets_for(session, request)
    calendar = await calendar_for(session, request)
    if request.accepted_at is None:
        request.respond_by_at = calendar.add(request.assigned_at or request.submitted_at, respond_minutes)
    start = await resolve_start(session, request)
    pauses = await pauses_of(session, request.id, start)
    request.resolve_by_at = due_with_pauses(calendar, start, resolve_minutes, pauses, now)

    status = Status(request.status)
    if status not in OPEN_STATUSES or status == Status.awaiting_resident:
        request.next_timer_at = None
        return
    fraction = settings.sla_warn_fraction
    moments: list[datetime] = []
    if request.accepted_at is None and status == Status.assigned and request.respond_by_at is not None:
        respond_base = request.assigned_at or request.submitted_at
        if request.respond_warned_at is None or request.respond_warned_at < respond_base:
            moments.append(_warn_at(respond_base, request.respond_by_at, fraction))
        moments.append(request.respond_by_at)
    if request.resolve_warned_at is None or request.resolve_warned_at < start:
        moments.append(_warn_at(start, request.resolve_by_at, fraction))
    moments.append(next_resolve_breach(request, start))
    request.next_timer_at = min(moments)


def resolve_window(request: ServiceRequest, start: datetime) -> timedelta:
    assert request.resolve_by_at is not None
    return max(request.resolve_by_at - start, timedelta(minutes=1))


def next_resolve_breach(request: ServiceRequest, start: datetime) -> datetime:
    """resolve-by, then one more window after each breach already counted."""
    assert request.resolve_by_at is not None
    return request.resolve_by_at + resolve_window(request, start) * request.resolve_breach_count
