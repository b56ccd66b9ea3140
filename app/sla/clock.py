"""The SLA clock of one request: its targets, its calendar, its due times and when to look at it next.

``schedule`` recomputes everything from the row and its events at the ``now`` it is given (always the injected
clock's), so it is safe to call at any time and as often as wanted; the SLA tick calls it before every decision
and acts only on the :class:`Plan` it returns, so the tick and the stored ``next_timer_at`` never disagree.

The rules, Zammad-style:
- Respond-by runs while the request waits for someone to accept it (``assigned``, or ``submitted``/``declined``
  left for triage), from its latest assignment (else its submission). When it passes and nobody else could
  take the request, ``respond_breached_at`` (the latest respond breach) starts a fresh window with the same
  assignee, so the reminder comes once per window, not once per tick. Fixed once accepted.
- Resolve-by runs from submission, or from the latest reopening, pushed by the countable time spent awaiting
  the resident (a pause that begins after a deadline does not undo it). While paused nothing is due.
- The N-th resolve breach of a cycle falls due when N resolve targets of unpaused countable time have passed.
- One warning before each deadline at ``settings.sla_warn_fraction`` of its countable time; none for a
  deadline already passed, none for the fresh windows after a breach.
- Every window is at least a minute long, so a zero target cannot make a request due on every tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.requests.models import OPEN_STATUSES, Category, RequestEvent, ServiceRequest, Status
from app.sla.calendar import AlwaysOn, Calendar, Pause, WorkingHours, due_with_pauses, from_config
from app.sla.catalogue import attached, choose_targets
from app.sla.models import AreaCalendar, SlaTarget

# The event an SLA escalation is recorded with (app/sla/escalation.py); counted here per resolve cycle.
ESCALATION = "escalation"
RESOLVE_BREACH = "resolve_breach"
RESPOND_BREACH = "respond_breach"


# Run on every routing and SLA decision: built once, run with parameters.
_CATEGORY_TARGET = select(SlaTarget).where(
    SlaTarget.category_id == bindparam("category_id"), SlaTarget.priority == bindparam("priority")
)
_GENERAL_TARGET = select(SlaTarget).where(SlaTarget.category_id.is_(None), SlaTarget.priority == bindparam("priority"))
_CYCLE_EVENTS = (
    select(RequestEvent.kind, RequestEvent.action, RequestEvent.created_at, RequestEvent.from_status,
           RequestEvent.to_status)
    .where(
        RequestEvent.request_id == bindparam("request_id"),
        RequestEvent.created_at >= bindparam("since"),
        or_(
            RequestEvent.kind == "transition",
            (RequestEvent.kind == ESCALATION) & (RequestEvent.action == RESOLVE_BREACH),
        ),
    )
    .order_by(RequestEvent.id)
)


async def targets_for(session: AsyncSession, request: ServiceRequest) -> tuple[int, int]:
    """(respond minutes, resolve minutes) by :func:`~app.sla.catalogue.choose_targets`: from the session's
    catalogue snapshot when one is attached (the routing job's), else from the tables."""
    catalogue = attached(session)
    if catalogue is not None:
        return catalogue.targets_for(request.category_id, request.priority)
    category = await session.get(Category, request.category_id) if request.category_id else None
    specific = None
    if category is not None:
        row = await session.scalar(_CATEGORY_TARGET, {"category_id": category.id, "priority": request.priority})
        specific = (row.respond_minutes, row.resolve_minutes) if row is not None else None
        if specific is not None or category.default_priority == request.priority:
            return choose_targets(category, specific, None, request.priority)
    row = await session.scalar(_GENERAL_TARGET, {"priority": request.priority})
    general = (row.respond_minutes, row.resolve_minutes) if row is not None else None
    return choose_targets(category, specific, general, request.priority)


async def calendar_for(session: AsyncSession, request: ServiceRequest) -> Calendar:
    """24/7 unless the category counts working hours: then the calendar of the nearest area up the tree that
    has one, else the default working week."""
    catalogue = attached(session)
    if catalogue is not None:
        terms = catalogue.categories.get(request.category_id) if request.category_id else None
        clock = terms.clock if terms is not None else None
    else:
        category = await session.get(Category, request.category_id) if request.category_id else None
        clock = category.clock if category is not None else None
    if clock != "working_hours":
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


async def _cycle_events(
    session: AsyncSession, request_id: int, since: datetime
) -> tuple[list[Pause], int]:
    """Since ``since``: the spans spent awaiting the resident (the last one open if still waiting) and how
    many resolve breaches were counted."""
    events = await session.execute(_CYCLE_EVENTS, {"request_id": request_id, "since": since})
    pauses: list[Pause] = []
    breaches = 0
    started: datetime | None = None
    for kind, _action, at, from_status, to_status in events:
        if kind == ESCALATION:
            breaches += 1
        elif to_status == Status.awaiting_resident and started is None:
            started = at
        elif from_status == Status.awaiting_resident and to_status != Status.awaiting_resident and started:
            pauses.append((started, at))
            started = None
    if started is not None:
        pauses.append((started, None))
    return pauses, breaches


async def pauses_of(session: AsyncSession, request_id: int, since: datetime) -> list[Pause]:
    """The spans spent awaiting the resident since ``since`` (the last one open if still waiting)."""
    return (await _cycle_events(session, request_id, since))[0]


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


def awaits_acceptance(request: ServiceRequest) -> bool:
    """Whether the respond clock runs: nobody has accepted, and someone is meant to — the assignee, or a
    manager for a request routing could place with nobody (a request still waiting for its routing job is
    the pipeline's, not the SLA's)."""
    if request.accepted_at is not None:
        return False
    status = Status(request.status)
    return status == Status.assigned or (status in (Status.submitted, Status.declined) and request.needs_triage)


def is_paused_or_finished(request: ServiceRequest) -> bool:
    status = Status(request.status)
    return status not in OPEN_STATUSES or status == Status.awaiting_resident


@dataclass(frozen=True)
class Plan:
    """What the clock says about a request at one ``now``. A moment is None when it is not pending."""

    respond_base: datetime  # the start of the current respond window
    respond_due_at: datetime | None  # respond-by, while the respond clock runs
    respond_warn_at: datetime | None  # the respond warning, while not sent for this window
    resolve_start: datetime  # submission, or the latest reopening
    resolve_breaches: int  # resolve breaches counted since resolve_start
    resolve_breach_at: datetime | None  # the next resolve breach, while the resolve clock runs
    resolve_warn_at: datetime | None  # the resolve warning, while not sent for this cycle

    @property
    def next_timer_at(self) -> datetime | None:
        moments = [m for m in (self.respond_due_at, self.respond_warn_at, self.resolve_breach_at,
                               self.resolve_warn_at) if m is not None]
        return min(moments) if moments else None


def _warn_minutes(minutes: int, fraction: float) -> int:
    return max(0, round(minutes * fraction))


async def schedule(
    session: AsyncSession, request: ServiceRequest, *, now: datetime, settings: Settings, first_cycle: bool = False
) -> Plan:
    """Sets ``respond_by_at`` (from the current respond window; fixed once accepted), ``resolve_by_at`` (pushed
    by time awaiting the resident) and ``next_timer_at`` (the next warning or deadline; null when the request
    is finished or paused), and returns the :class:`Plan` they come from.

    ``first_cycle``: the caller knows the request has had no transition but its submission and no resolve
    breach (routing a request that was still ``submitted``: nothing leads back to that status), so there is no
    pause or breach to read."""
    respond_minutes, resolve_minutes = await targets_for(session, request)
    respond_minutes, resolve_minutes = max(respond_minutes, 1), max(resolve_minutes, 1)
    calendar = await calendar_for(session, request)
    fraction = settings.sla_warn_fraction

    respond_base = request.assigned_at or request.submitted_at
    # A respond breach that left the request where it was opens a fresh window from that breach.
    renewed = request.respond_breached_at is not None and request.respond_breached_at > respond_base
    if renewed:
        assert request.respond_breached_at is not None
        respond_base = request.respond_breached_at
    if request.accepted_at is None:
        request.respond_by_at = calendar.add(respond_base, respond_minutes)

    start = await resolve_start(session, request)
    pauses, breaches = ([], 0) if first_cycle else await _cycle_events(session, request.id, start)
    request.resolve_by_at = due_with_pauses(calendar, start, resolve_minutes, pauses, now)

    respond_due = respond_warn = resolve_breach = resolve_warn = None
    if not is_paused_or_finished(request):
        if awaits_acceptance(request) and request.respond_by_at is not None:
            respond_due = request.respond_by_at
            warned = request.respond_warned_at is not None and request.respond_warned_at >= respond_base
            if not renewed and not warned:
                moment = calendar.add(respond_base, _warn_minutes(respond_minutes, fraction))
                respond_warn = moment if moment < respond_due else None
        resolve_breach = due_with_pauses(calendar, start, resolve_minutes * (breaches + 1), pauses, now)
        warned = request.resolve_warned_at is not None and request.resolve_warned_at >= start
        if breaches == 0 and not warned:
            moment = due_with_pauses(calendar, start, _warn_minutes(resolve_minutes, fraction), pauses, now)
            resolve_warn = moment if moment < request.resolve_by_at else None
    plan = Plan(
        respond_base=respond_base,
        respond_due_at=respond_due,
        respond_warn_at=respond_warn,
        resolve_start=start,
        resolve_breaches=breaches,
        resolve_breach_at=resolve_breach,
        resolve_warn_at=resolve_warn,
    )
    request.next_timer_at = plan.next_timer_at
    return plan
