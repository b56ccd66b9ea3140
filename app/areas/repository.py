"""SQL for places. A subtree is one indexed prefix scan on the materialised ``path``."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area, Workstation
from app.people.models import Account, Role, Staff, StaffRole

CODE_CONSTRAINT = "uq_area_code"


def depth_of(path: str) -> int:
    """The depth of the node whose path is ``path`` ("/1/" is 0)."""
    return path.count("/") - 2


def in_subtrees(paths: Iterable[str]) -> ColumnElement[bool]:
    """Areas inside any of ``paths`` (the nodes themselves included); nothing when there are none."""
    conditions = [Area.path.startswith(p, autoescape=True) for p in paths]
    return or_(*conditions) if conditions else false()


def is_code_conflict(exc: IntegrityError) -> bool:
    return CODE_CONSTRAINT in str(exc.orig)


async def get(session: AsyncSession, area_id: int) -> Area | None:
    return await session.get(Area, area_id)


async def path_of(session: AsyncSession, area_id: int) -> str | None:
    return await session.scalar(select(Area.path).where(Area.id == area_id))


async def code_taken(session: AsyncSession, code: str) -> bool:
    return (await session.scalar(select(Area.id).where(Area.code == code))) is not None


async def by_codes(session: AsyncSession, codes: Iterable[str]) -> dict[str, Area]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await session.scalars(select(Area).where(Area.code.in_(wanted)))
    return {area.code: area for area in rows}


async def add(session: AsyncSession, area: Area, parent: Area | None) -> Area:
    """Inserts ``area`` under ``parent`` and fills in its path and depth (the id is known only after a flush)."""
    await add_many(session, [(area, parent)])
    return area


async def add_many(session: AsyncSession, nodes: list[tuple[Area, Area | None]]) -> None:
    """Inserts nodes whose parents are already in the database, in one batched INSERT, then sets their paths."""
    for area, parent in nodes:
        area.parent_id = parent.id if parent else None
        area.depth = parent.depth + 1 if parent else 0
        area.path = ""
    session.add_all([area for area, _ in nodes])
    await session.flush()
    for area, parent in nodes:
        area.path = f"{parent.path if parent else '/'}{area.id}/"
    await session.flush()


async def page(
    session: AsyncSession,
    *,
    scope_paths: list[str],
    within_path: str | None,
    parent_id: int | None,
    kind: str | None,
    name_contains: str | None,
    after_id: int | None,
    limit: int,
) -> list[Area]:
    """Up to ``limit + 1`` areas in the scope, by id, after ``after_id``."""
    stmt = select(Area).where(in_subtrees(scope_paths)).order_by(Area.id).limit(limit + 1)
    if within_path is not None:
        stmt = stmt.where(Area.path.startswith(within_path, autoescape=True))
    if parent_id is not None:
        stmt = stmt.where(Area.parent_id == parent_id)
    if kind is not None:
        stmt = stmt.where(Area.kind == kind)
    if name_contains:
        stmt = stmt.where(Area.name.icontains(name_contains, autoescape=True))
    if after_id is not None:
        stmt = stmt.where(Area.id > after_id)
    return list(await session.scalars(stmt))


async def subtrees(session: AsyncSession, root_paths: list[str], max_depth: int | None) -> list[Area]:
    """Every node under ``root_paths`` (roots included), at most ``max_depth`` levels below its root."""
    if not root_paths:
        return []
    conditions = []
    for path in root_paths:
        condition = Area.path.startswith(path, autoescape=True)
        if max_depth is not None:
            condition = and_(condition, Area.depth <= depth_of(path) + max_depth)
        conditions.append(condition)
    return list(await session.scalars(select(Area).where(or_(*conditions))))


async def workstation_of(session: AsyncSession, compound_id: int) -> Workstation | None:
    return await session.scalar(select(Workstation).where(Workstation.compound_id == compound_id))


async def station_head(session: AsyncSession, compound_id: int) -> tuple[int, str] | None:
    """The active staff member holding ``station_head`` on the compound (the longest-standing if several)."""
    row = (
        await session.execute(
            select(Staff.id, Staff.full_name)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .join(Account, Account.id == Staff.account_id)
            .where(StaffRole.area_id == compound_id, StaffRole.role == Role.station_head, Account.is_active)
            .order_by(StaffRole.id)
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row else None
