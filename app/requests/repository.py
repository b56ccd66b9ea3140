"""SQL for categories, requests, their participants and events. Scope is one prefix match on ``area_path``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.core.actor import Actor
from app.people.models import Account, Staff, StaffRole
from app.people.repository import staff_in_scope
from app.requests.models import Category, RequestEvent, RequestParticipant, ServiceRequest

# Categories ---------------------------------------------------------------------------------------------


async def category_by_code(session: AsyncSession, code: str) -> Category | None:
    return await session.scalar(select(Category).where(Category.code == code))


async def list_categories(session: AsyncSession, *, include_inactive: bool) -> list[Category]:
    stmt = select(Category).order_by(Category.sort_order, Category.id)
    if not include_inactive:
        stmt = stmt.where(Category.is_active.is_(True))
    return list(await session.scalars(stmt))


async def categories_by_id(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, Category]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {c.id: c for c in await session.scalars(select(Category).where(Category.id.in_(wanted)))}


# Requests: scope ------------------------------------------------------------------------------------------


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """Rows the caller may see: a resident their own reports; staff their areas' requests and any they are
    assigned to or take part in; the pipeline everything."""
    if actor.is_system:
        return true()
    if actor.is_resident:
        return ServiceRequest.reporter_resident_id == actor.resident_id if actor.resident_id else false()
    if actor.staff_id is None:
        return false()
    return or_(
        *[ServiceRequest.area_path.startswith(p, autoescape=True) for p in actor.scope_paths()],
        ServiceRequest.assignee_staff_id == actor.staff_id,
        ServiceRequest.id.in_(
            select(RequestParticipant.request_id).where(RequestParticipant.staff_id == actor.staff_id)
        ),
    )


async def visible_request(
    session: AsyncSession, actor: Actor, request_id: int, *, lock: bool = False
) -> ServiceRequest | None:
    """The request if the caller may see it. ``lock``: ``SELECT … FOR UPDATE``, held until the transaction
    ends, and freshly read, so two concurrent actions decide one after the other."""
    # Always a fresh read: a long session (a pipeline job) may hold the row from before its own changes.
    stmt = (
        select(ServiceRequest)
        .where(ServiceRequest.id == request_id, visible_to(actor))
        .execution_options(populate_existing=True)
    )
    if lock:
        # Lock only the request row (the scope subquery reads participants, which stay unlocked).
        stmt = stmt.with_for_update(of=ServiceRequest)
    return await session.scalar(stmt)


@dataclass(frozen=True)
class RequestFilters:
    statuses: Sequence[str] = ()
    category_id: int | None = None
    channel: str | None = None
    area_path: str | None = None
    assignee_staff_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


async def page_of_requests(
    session: AsyncSession,
    actor: Actor,
    filters: RequestFilters,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[ServiceRequest]:
    """Newest first by (created_at, id); ``limit + 1`` rows so the caller knows whether a next page exists."""
    conditions: list[ColumnElement[bool]] = [visible_to(actor)]
    if filters.statuses:
        conditions.append(ServiceRequest.status.in_(list(filters.statuses)))
    if filters.category_id is not None:
        conditions.append(ServiceRequest.category_id == filters.category_id)
    if filters.channel is not None:
        conditions.append(ServiceRequest.channel == filters.channel)
    if filters.area_path is not None:
        conditions.append(ServiceRequest.area_path.startswith(filters.area_path, autoescape=True))
    if filters.assignee_staff_id is not None:
        conditions.append(ServiceRequest.assignee_staff_id == filters.assignee_staff_id)
    if filters.created_from is not None:
        conditions.append(ServiceRequest.created_at >= filters.created_from)
    if filters.created_to is not None:
        conditions.append(ServiceRequest.created_at < filters.created_to)
    if after is not None:
        created_at, request_id = after
        conditions.append(
            or_(
                ServiceRequest.created_at < created_at,
                and_(ServiceRequest.created_at == created_at, ServiceRequest.id < request_id),
            )
        )
    stmt = (
        select(ServiceRequest)
        .where(*conditions)
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
        .limit(limit + 1)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(stmt))


# Requests: what a read shows besides the row -------------------------------------------------------------


async def participants_of(
    session: AsyncSession, request_ids: Sequence[int]
) -> dict[int, list[tuple[int, str, str | None]]]:
    """Per request: (staff_id, full_name, reason) of each participant, in the order they joined."""
    out: dict[int, list[tuple[int, str, str | None]]] = {i: [] for i in request_ids}
    if request_ids:
        rows = await session.execute(
            select(RequestParticipant.request_id, Staff.id, Staff.full_name, RequestParticipant.reason)
            .join(Staff, Staff.id == RequestParticipant.staff_id)
            .where(RequestParticipant.request_id.in_(list(request_ids)))
            .order_by(RequestParticipant.id)
        )
        for request_id, staff_id, full_name, reason in rows:
            out[request_id].append((staff_id, full_name, reason))
    return out


async def staff_names(session: AsyncSession, staff_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in staff_ids if i is not None}
    if not wanted:
        return {}
    return dict((await session.execute(select(Staff.id, Staff.full_name).where(Staff.id.in_(wanted)))).all())


async def references(session: AsyncSession, request_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in request_ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(ServiceRequest.id, ServiceRequest.reference).where(ServiceRequest.id.in_(wanted))
    )
    return dict(rows.all())


async def duplicates_of(session: AsyncSession, request_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {i: [] for i in request_ids}
    if request_ids:
        rows = await session.execute(
            select(ServiceRequest.duplicate_of_id, ServiceRequest.id, ServiceRequest.reference)
            .where(ServiceRequest.duplicate_of_id.in_(list(request_ids)))
            .order_by(ServiceRequest.id)
        )
        for original_id, request_id, reference in rows:
            out[original_id].append((request_id, reference))
    return out


async def is_participant(session: AsyncSession, request_id: int, staff_id: int | None) -> bool:
    if staff_id is None:
        return False
    found = await session.scalar(
        select(RequestParticipant.id).where(
            RequestParticipant.request_id == request_id, RequestParticipant.staff_id == staff_id
        )
    )
    return found is not None


async def events_of(session: AsyncSession, request_id: int) -> list[RequestEvent]:
    """Oldest first, in the order they were appended."""
    return list(
        await session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)
        )
    )


# People and places the intake and assignment check --------------------------------------------------------


# Built once: intake looks a place up on every request.
_area_by_id = select(Area).where(Area.id == bindparam("area_id"))


async def area(session: AsyncSession, area_id: int) -> Area | None:
    return (await session.execute(_area_by_id, {"area_id": area_id})).scalar_one_or_none()


async def area_path(session: AsyncSession, area_id: int) -> str | None:
    return await session.scalar(select(Area.path).where(Area.id == area_id))


async def assignable_role_paths(session: AsyncSession, staff_id: int) -> list[str] | None:
    """The paths of an active staff member's role areas; None when there is no such active staff member."""
    active = await session.scalar(
        select(Account.is_active).join(Staff, Staff.account_id == Account.id).where(Staff.id == staff_id)
    )
    if not active:
        return None
    rows = await session.scalars(
        select(Area.path).join(StaffRole, StaffRole.area_id == Area.id).where(StaffRole.staff_id == staff_id)
    )
    return list(rows)


async def staff_visible_to(session: AsyncSession, actor: Actor, staff_id: int) -> bool:
    """Whether ``staff_id`` holds a role inside the caller's areas (the staff the caller can list)."""
    if actor.is_system:
        return True
    found = await session.scalar(
        select(StaffRole.id)
        .where(StaffRole.staff_id == staff_id, StaffRole.staff_id.in_(staff_in_scope(actor.scope_paths())))
        .limit(1)
    )
    return found is not None
