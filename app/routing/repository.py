"""SQL for routing: the request under a lock, places near it, the people who could take it, their load."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, Select, bindparam, case, func, literal, select, true, union, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import identity_key

from app.areas.models import Area, AreaKind
from app.people.models import Account, Staff, StaffAbsence, StaffRole
from app.requests.models import OPEN_STATUSES, Category, RequestEvent, RequestParticipant, ServiceRequest
from app.routing.engine import BuildingRef, Candidate, CategoryRef
from app.routing.models import RoutingDecision
from app.sla import catalogue

ROUTABLE = ("submitted", "declined")

# The routing job runs these for every request. Each is built once, here, and run with its parameters:
# building a statement costs more CPU than running a cached one (an aliased table alone, ~0.2 ms a time).
_LOCK_ROUTABLE = (
    select(ServiceRequest, catalogue.VERSION)
    .where(
        ServiceRequest.id == bindparam("request_id"),
        ServiceRequest.status.in_(ROUTABLE),
        ServiceRequest.needs_triage.is_(False),
    )
    .with_for_update(of=ServiceRequest)
)
_AREAS = select(Area).where(Area.id.in_(bindparam("ids", expanding=True)))
_compound = Area.__table__.alias("compound")
_BUILDING_REFS = (
    select(
        Area.id, Area.name, Area.building_number, Area.parent_id, _compound.c.name,
        Area.unit_count, Area.latitude, Area.longitude,
    )
    .join(_compound, _compound.c.id == Area.parent_id)
    .where(Area.kind == AreaKind.building)
    .order_by(Area.id)
)
_BUILDING_REF = _BUILDING_REFS.where(Area.id == bindparam("building_id"))


async def lock_routable(session: AsyncSession, request_id: int) -> tuple[ServiceRequest, str] | None:
    """The request, locked, if it still waits for routing, with the catalogue's version (read in the same
    statement); None otherwise (the compare-and-set gate).

    A request routing left for triage waits for a manager, not for routing: a second run of its job (a
    retry, a stalled job) must not decide again — the reconciler skips it for the same reason."""
    row = (await session.execute(_LOCK_ROUTABLE, {"request_id": request_id})).first()
    return (row[0], row[1]) if row is not None else None


async def areas_on_path(session: AsyncSession, path: str | None) -> list[Area]:
    """The chain of areas named by a materialised path, root first. Areas the session already holds are
    taken from it; only the others are read."""
    if not path:
        return []
    ids = [int(part) for part in path.strip("/").split("/") if part]
    rows: dict[int, Area] = {}
    for i in ids:
        area = _held(session, i)
        if area is not None:
            rows[i] = area
    missing = [i for i in ids if i not in rows]
    if missing:
        rows.update({a.id: a for a in await session.scalars(_AREAS, {"ids": missing})})
    return [rows[i] for i in ids if i in rows]


async def _building_refs(
    session: AsyncSession, where: Sequence[object] = (), stmt: Select[Any] = _BUILDING_REFS, **params: Any
) -> list[BuildingRef]:
    rows = await session.execute(stmt.where(*where) if where else stmt, params)  # type: ignore[arg-type]
    return [BuildingRef(*row) for row in rows]


def _inside(within: str | None) -> list[object]:
    return [Area.path.startswith(within, autoescape=True)] if within else []


async def buildings_of_compounds_named_in(
    session: AsyncSession, text: str, within: str | None = None
) -> list[BuildingRef]:
    """Buildings of every compound (inside ``within``'s subtree, if given) whose name (without a trailing 小区)
    appears in ``text``; the engine decides which one is meant."""
    bare = func.regexp_replace(Area.name, "小区$", "")
    compound_ids = select(Area.id).where(
        Area.kind == AreaKind.compound, func.length(bare) >= 2, func.strpos(text, bare) > 0, *_inside(within)
    )
    return await _building_refs(session, [Area.parent_id.in_(compound_ids)])


async def buildings_near(
    session: AsyncSession, lat: float, lon: float, radius_m: float, within: str | None = None
) -> list[BuildingRef]:
    """Buildings inside a bounding box of ``radius_m`` around the point (and inside ``within``'s subtree, if
    given); the engine measures exactly."""
    dlat = radius_m / 111_320.0
    dlon = radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    return await _building_refs(
        session,
        [
            Area.latitude.between(lat - dlat, lat + dlat),
            Area.longitude.between(lon - dlon, lon + dlon),
            *_inside(within),
        ],
    )


def _held(session: AsyncSession, area_id: int | None) -> Area | None:
    """The area if the session already holds it (no query)."""
    if area_id is None:
        return None
    return session.sync_session.identity_map.get(identity_key(Area, area_id))  # type: ignore[return-value]


async def building_ref(session: AsyncSession, building_id: int) -> BuildingRef | None:
    """The building as routing sees it: from the session when it holds the building and its compound (the
    request's own chain of areas, read first), else from the database."""
    building = _held(session, building_id)
    compound = _held(session, building.parent_id) if building is not None else None
    if building is not None and compound is not None and building.kind == AreaKind.building:
        return BuildingRef(building.id, building.name, building.building_number, compound.id, compound.name,
                           building.unit_count, building.latitude, building.longitude)
    refs = await _building_refs(session, stmt=_BUILDING_REF, building_id=building_id)
    return refs[0] if refs else None


def category_refs(snapshot: catalogue.Catalogue) -> list[CategoryRef]:
    """The active categories as classification sees them, built once per catalogue version."""
    refs = _category_refs.get(snapshot.version)
    if refs is None:
        _category_refs.clear()
        refs = _category_refs[snapshot.version] = [category_ref(c) for c in snapshot.active]
    return refs


_category_refs: dict[str, list[CategoryRef]] = {}


def category_ref(c: Category | catalogue.CategoryTerms) -> CategoryRef:
    return CategoryRef(
        id=c.id,
        code=c.code,
        keywords=tuple(c.keywords or ()),
        default_priority=c.default_priority,
        routing_rule=c.routing_rule,
        department=c.department,
        sort_order=c.sort_order,
    )


# Each role holder's open work, counted beside them (the assignee index answers it per person).
_LOAD = (
    select(func.count().label("open_count"), func.max(ServiceRequest.assigned_at).label("last_assigned_at"))
    .where(ServiceRequest.assignee_staff_id == StaffRole.staff_id, ServiceRequest.status.in_(OPEN_STATUSES))
    .lateral("load")
)
_ROLE_HOLDERS = (
    select(StaffRole.staff_id, Staff.full_name, StaffRole.units, _LOAD.c.open_count, _LOAD.c.last_assigned_at)
    .join(Staff, Staff.id == StaffRole.staff_id)
    .join(Account, Account.id == Staff.account_id)
    .join(_LOAD, true())
    .where(StaffRole.area_id == bindparam("area_id"), StaffRole.role.in_(bindparam("roles", expanding=True)),
           Account.is_active)
    .order_by(StaffRole.staff_id, StaffRole.id)
)
_ROLE_HOLDERS_OF_DEPARTMENT = _ROLE_HOLDERS.where(StaffRole.department == bindparam("department"))
# Whether each role holder is away on a day, and their backup (the latest-starting absence decides, as in
# absences_on).
_ABSENCE = (
    select(literal(True).label("away"), StaffAbsence.backup_staff_id)
    .where(StaffAbsence.staff_id == StaffRole.staff_id, StaffAbsence.starts_on <= bindparam("day"),
           StaffAbsence.ends_on >= bindparam("day"))
    .order_by(StaffAbsence.starts_on.desc(), StaffAbsence.id.desc())
    .limit(1)
    .lateral("absence")
)
_ABSENCE_COLUMNS = (_ABSENCE.c.away, _ABSENCE.c.backup_staff_id)
_ROLE_HOLDERS_ON = {
    False: _ROLE_HOLDERS.add_columns(*_ABSENCE_COLUMNS).outerjoin(_ABSENCE, true()),
    True: _ROLE_HOLDERS_OF_DEPARTMENT.add_columns(*_ABSENCE_COLUMNS).outerjoin(_ABSENCE, true()),
}


def _absence_memo(session: AsyncSession, day: date) -> dict[int, int | None | bool]:
    """Who is known, in this session, to be away on ``day`` (→ their backup) or present (→ False)."""
    memo: dict[date, dict[int, int | None | bool]] = session.info.setdefault("absent_on", {})
    return memo.setdefault(day, {})


async def candidates(
    session: AsyncSession, *, area_id: int, roles: Sequence[str], department: str | None = None,
    day: date | None = None,
) -> list[Candidate]:
    """Active staff holding one of ``roles`` on ``area_id`` (one Candidate per person, units merged), with
    their open work and when they were last assigned open work. Given ``day``, whether each is away that day
    is read in the same statement, for :func:`absences_on` to answer without asking again."""
    params: dict[str, Any] = {"area_id": area_id, "roles": list(roles)}
    if department is not None:
        params["department"] = department
    if day is not None:
        params["day"] = day
        stmt = _ROLE_HOLDERS_ON[department is not None]
        memo = _absence_memo(session, day)
    else:
        stmt = _ROLE_HOLDERS_OF_DEPARTMENT if department is not None else _ROLE_HOLDERS
    merged: dict[int, tuple[str, set[int] | None]] = {}
    loads: dict[int, tuple[int, datetime | None]] = {}
    for staff_id, name, units, open_count, last_assigned_at, *absence in await session.execute(stmt, params):
        if absence:
            away, backup = absence
            memo[staff_id] = backup if away else False
        _, have = merged.get(staff_id, (name, set()))
        # Any role without units covers the whole building: the person covers all of it.
        covered = None if (have is None or not units) else have | set(units)
        merged[staff_id] = (name, covered)
        loads[staff_id] = (open_count, last_assigned_at)
    return [
        Candidate(
            staff_id=staff_id,
            name=name,
            units=tuple(sorted(units)) if units else None,
            open_count=loads[staff_id][0],
            last_assigned_at=loads[staff_id][1],
        )
        for staff_id, (name, units) in merged.items()
    ]


_ABSENT_ON = (
    select(StaffAbsence.staff_id, StaffAbsence.backup_staff_id)
    .where(
        StaffAbsence.staff_id.in_(bindparam("staff_ids", expanding=True)),
        StaffAbsence.starts_on <= bindparam("day"),
        StaffAbsence.ends_on >= bindparam("day"),
    )
    .order_by(StaffAbsence.starts_on, StaffAbsence.id)
)


async def absences_on(session: AsyncSession, staff_ids: Sequence[int], day: date) -> dict[int, int | None]:
    """Who of ``staff_ids`` is away on ``day`` → their backup; backups' own absences are followed."""
    away: dict[int, int | None] = {}
    memo = _absence_memo(session, day)
    pending = set(staff_ids)
    seen: set[int] = set()
    while pending:
        seen |= pending
        known = {i for i in pending if i in memo}
        found = {i: memo[i] for i in known if memo[i] is not False}
        unknown = sorted(pending - known)
        if unknown:
            rows = await session.execute(_ABSENT_ON, {"staff_ids": unknown, "day": day})
            read = {staff_id: backup for staff_id, backup in rows}
            for i in unknown:
                memo[i] = read[i] if i in read else False
            found.update(read)
        away.update(found)
        pending = {b for b in found.values() if b is not None and b not in seen}
    return away


# One row off ix_routing_decision_area_assigned, however many decisions the district has made.
_LAST_ASSIGNEE_IN = (
    select(RoutingDecision.assignee_staff_id)
    .where(RoutingDecision.area_id == bindparam("area_id"), RoutingDecision.assignee_staff_id.is_not(None))
    .order_by(RoutingDecision.id.desc())
    .limit(1)
)


async def last_assignee_in(session: AsyncSession, area_id: int) -> int | None:
    """Who got the latest routed request of this area (the round-robin pointer)."""
    return await session.scalar(_LAST_ASSIGNEE_IN, {"area_id": area_id})


async def previous_assignees(session: AsyncSession, request_id: int) -> set[int]:
    """Everyone who has had the request: each routing decision's assignee and each assignment's staff member
    (a manager's assignment by hand included, so a decline after it never routes back to the decliner)."""
    decided = select(RoutingDecision.assignee_staff_id).where(
        RoutingDecision.request_id == request_id, RoutingDecision.assignee_staff_id.is_not(None)
    )
    assigned = select(RequestEvent.data["staff_id"].as_integer()).where(
        RequestEvent.request_id == request_id, RequestEvent.kind == "transition", RequestEvent.action == "assign"
    )
    rows = await session.scalars(union(decided, assigned))
    return {r for r in rows if r is not None}


async def decisions_of(session: AsyncSession, request_id: int) -> list[RoutingDecision]:
    return list(
        await session.scalars(
            select(RoutingDecision).where(RoutingDecision.request_id == request_id).order_by(RoutingDecision.id)
        )
    )


# The queue: open work of one staff member ------------------------------------------------------------------

# Statuses in which a request is on its assignee's desk (submitted and declined wait for routing instead).
QUEUE_STATUSES = ("assigned", "accepted", "in_progress", "awaiting_resident", "reopened")

_PRIORITY_RANK = case(
    {"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=ServiceRequest.priority, else_=4
)


@dataclass(frozen=True)
class QueueRow:
    id: int
    reference: str
    title: str
    status: str
    priority: str
    category_code: str | None
    category_name_zh: str | None
    category_name_en: str | None
    compound_name: str | None
    building_name: str | None
    unit: int | None
    street_name: str | None
    respond_by_at: datetime | None
    resolve_by_at: datetime | None
    accepted_at: datetime | None
    paused: bool
    needs_triage: bool
    role: str


def _queue_statement(*, include_participating: bool) -> Select[Any]:
    """The one statement behind :func:`queue_of`, with ``staff_id`` and ``limit`` as parameters.

    The assignee branch is an index scan of (assignee_staff_id, status); the participant branch starts from
    request_participant's staff_id index. Where someone is both, the assignee row wins.
    """
    staff_id = bindparam("staff_id")
    mine = select(ServiceRequest.id.label("request_id"), literal("assignee").label("role")).where(
        ServiceRequest.assignee_staff_id == staff_id, ServiceRequest.status.in_(QUEUE_STATUSES)
    )
    if include_participating:
        joined = (
            select(ServiceRequest.id, literal("participant"))
            .join(RequestParticipant, RequestParticipant.request_id == ServiceRequest.id)
            .where(
                RequestParticipant.staff_id == staff_id,
                ServiceRequest.status.in_(QUEUE_STATUSES),
                ServiceRequest.assignee_staff_id.is_distinct_from(staff_id),
            )
        )
        work = union_all(mine, joined).subquery("work")
    else:
        work = mine.subquery("work")

    building = aliased(Area, name="building")
    compound = aliased(Area, name="compound")
    street = aliased(Area, name="street")
    due = case((ServiceRequest.accepted_at.is_(None), ServiceRequest.respond_by_at), else_=ServiceRequest.resolve_by_at)
    return (
        select(
            ServiceRequest.id, ServiceRequest.reference, ServiceRequest.title, ServiceRequest.status,
            ServiceRequest.priority, Category.code, Category.name_zh, Category.name_en, compound.name, building.name,
            ServiceRequest.unit, street.name, ServiceRequest.respond_by_at, ServiceRequest.resolve_by_at,
            ServiceRequest.accepted_at, ServiceRequest.paused_at.is_not(None), ServiceRequest.needs_triage,
            work.c.role,
        )
        .join(work, work.c.request_id == ServiceRequest.id)
        .outerjoin(Category, Category.id == ServiceRequest.category_id)
        .outerjoin(building, building.id == ServiceRequest.building_id)
        .outerjoin(compound, compound.id == building.parent_id)
        .outerjoin(street, street.id == ServiceRequest.street_id)
        .order_by(due.asc().nulls_last(), _PRIORITY_RANK, ServiceRequest.id)
        .limit(bindparam("limit", type_=Integer))
    )


# Built once (the statement is large: building it costs ~2 ms, far more than running it).
_QUEUE = {flag: _queue_statement(include_participating=flag) for flag in (False, True)}


def queue_statement(staff_id: int, *, include_participating: bool, limit: int) -> Select[Any]:
    """The queue statement with its parameters bound (kept apart so its plan can be checked)."""
    return _QUEUE[include_participating].params(staff_id=staff_id, limit=limit)


async def queue_of(session: AsyncSession, staff_id: int, *, include_participating: bool, limit: int) -> list[QueueRow]:
    """The open work of ``staff_id``, most urgent first, in one statement."""
    stmt = _QUEUE[include_participating]
    return [QueueRow(*row) for row in await session.execute(stmt, {"staff_id": staff_id, "limit": limit})]


async def staff_names(session: AsyncSession, staff_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in staff_ids if i is not None}
    if not wanted:
        return {}
    return dict((await session.execute(select(Staff.id, Staff.full_name).where(Staff.id.in_(wanted)))).all())
