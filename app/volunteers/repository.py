"""SQL for teams, volunteers, tasks and the hours ledger. Scope is a prefix match on ``area_path``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.people.models import Account
from app.volunteers.models import (
    LOAD_STATUSES,
    UNFINISHED_STATUSES,
    Volunteer,
    VolunteerAvailability,
    VolunteerHoursEntry,
    VolunteerTask,
    VolunteerTeam,
)


def under(column: ColumnElement[str] | object, paths: Sequence[str]) -> ColumnElement[bool]:
    """``column`` lies inside one of ``paths`` (false for none)."""
    if not paths:
        return false()
    return or_(*[column.startswith(p, autoescape=True) for p in paths])  # type: ignore[attr-defined]


def around(column: ColumnElement[str] | object, paths: Sequence[str]) -> ColumnElement[bool]:
    """``column`` (a compound's path) lies inside one of ``paths``, or one of ``paths`` lies inside it: the
    compounds a caller's areas include or touch (a captain's building is inside its compound)."""
    if not paths:
        return false()
    inside = [column.startswith(p, autoescape=True) for p in paths]  # type: ignore[attr-defined]
    containing = [literal(p).startswith(column) for p in paths]
    return or_(*inside, *containing)


async def area_names(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict((await session.execute(select(Area.id, Area.name).where(Area.id.in_(wanted)))).all())


async def team_names(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(VolunteerTeam.id, VolunteerTeam.name).where(VolunteerTeam.id.in_(wanted)))
    return dict(rows.all())


async def volunteer_names(session: AsyncSession, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Volunteer.id, Volunteer.full_name).where(Volunteer.id.in_(wanted)))
    return dict(rows.all())


async def usernames(session: AsyncSession, account_ids: Sequence[int | None]) -> dict[int, str]:
    wanted = {i for i in account_ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(select(Account.id, Account.username).where(Account.id.in_(wanted)))
    return dict(rows.all())


async def availability_of(
    session: AsyncSession, volunteer_ids: Sequence[int]
) -> dict[int, list[VolunteerAvailability]]:
    out: dict[int, list[VolunteerAvailability]] = defaultdict(list)
    if volunteer_ids:
        rows = await session.scalars(
            select(VolunteerAvailability)
            .where(VolunteerAvailability.volunteer_id.in_(volunteer_ids))
            .order_by(VolunteerAvailability.weekday, VolunteerAvailability.start_time)
        )
        for row in rows:
            out[row.volunteer_id].append(row)
    return out


async def open_task_counts(session: AsyncSession, volunteer_ids: Sequence[int]) -> dict[int, int]:
    if not volunteer_ids:
        return {}
    rows = await session.execute(
        select(VolunteerTask.volunteer_id, func.count())
        .where(VolunteerTask.volunteer_id.in_(volunteer_ids), VolunteerTask.status.in_(LOAD_STATUSES))
        .group_by(VolunteerTask.volunteer_id)
    )
    return {volunteer_id: count for volunteer_id, count in rows}


async def load_tasks(session: AsyncSession, volunteer_ids: Sequence[int]) -> dict[int, list[VolunteerTask]]:
    """Each volunteer's assigned and accepted tasks (their load and their calendar)."""
    out: dict[int, list[VolunteerTask]] = defaultdict(list)
    if volunteer_ids:
        rows = await session.scalars(
            select(VolunteerTask).where(
                VolunteerTask.volunteer_id.in_(volunteer_ids), VolunteerTask.status.in_(LOAD_STATUSES)
            )
        )
        for task in rows:
            assert task.volunteer_id is not None
            out[task.volunteer_id].append(task)
    return out


async def member_counts(session: AsyncSession, team_ids: Sequence[int]) -> dict[int, int]:
    if not team_ids:
        return {}
    rows = await session.execute(
        select(Volunteer.team_id, func.count())
        .where(Volunteer.team_id.in_(team_ids), Volunteer.is_active.is_(True))
        .group_by(Volunteer.team_id)
    )
    return {team_id: count for team_id, count in rows if team_id is not None}


async def active_volunteers_under(session: AsyncSession, path: str) -> list[Volunteer]:
    return list(
        await session.scalars(
            select(Volunteer)
            .where(Volunteer.is_active.is_(True), Volunteer.area_path.startswith(path, autoescape=True))
            .order_by(Volunteer.id)
        )
    )


async def lock_task(session: AsyncSession, task_id: int) -> VolunteerTask | None:
    return await session.scalar(
        select(VolunteerTask)
        .where(VolunteerTask.id == task_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def ledger(
    session: AsyncSession,
    *,
    volunteer_id: int | None = None,
    team_id: int | None = None,
    date_from: date | None,
    date_to: date | None,
) -> list[VolunteerHoursEntry]:
    stmt = select(VolunteerHoursEntry).order_by(VolunteerHoursEntry.served_on, VolunteerHoursEntry.id)
    if volunteer_id is not None:
        stmt = stmt.where(VolunteerHoursEntry.volunteer_id == volunteer_id)
    if team_id is not None:
        stmt = stmt.where(VolunteerHoursEntry.team_id == team_id)
    if date_from is not None:
        stmt = stmt.where(VolunteerHoursEntry.served_on >= date_from)
    if date_to is not None:
        stmt = stmt.where(VolunteerHoursEntry.served_on <= date_to)
    return list(await session.scalars(stmt))


async def team_totals(
    session: AsyncSession, team_id: int, *, date_from: date | None, date_to: date | None
) -> list[tuple[int, str, int]]:
    """(volunteer id, name, seconds) for the team's entries in the period, most first."""
    total = func.sum(VolunteerHoursEntry.duration_seconds)
    stmt = (
        select(Volunteer.id, Volunteer.full_name, total)
        .join(Volunteer, Volunteer.id == VolunteerHoursEntry.volunteer_id)
        .where(VolunteerHoursEntry.team_id == team_id)
        .group_by(Volunteer.id, Volunteer.full_name)
        .order_by(total.desc(), Volunteer.id)
    )
    if date_from is not None:
        stmt = stmt.where(VolunteerHoursEntry.served_on >= date_from)
    if date_to is not None:
        stmt = stmt.where(VolunteerHoursEntry.served_on <= date_to)
    return [(i, n, int(s or 0)) for i, n, s in (await session.execute(stmt))]


async def completed_by_compound(
    session: AsyncSession, path: str, *, since: datetime | None, until: datetime | None
) -> list[tuple[int, str, int, int]]:
    """(compound id, kind, count, seconds) of tasks inside ``path`` completed in [since, until)."""
    stmt = (
        select(
            VolunteerTask.compound_id,
            VolunteerTask.kind,
            func.count(),
            func.coalesce(func.sum(VolunteerTask.completion_seconds), 0),
        )
        .where(VolunteerTask.status == "completed", VolunteerTask.area_path.startswith(path, autoescape=True))
        .group_by(VolunteerTask.compound_id, VolunteerTask.kind)
    )
    if since is not None:
        stmt = stmt.where(VolunteerTask.completed_at >= since)
    if until is not None:
        stmt = stmt.where(VolunteerTask.completed_at < until)
    return [(c, k, int(n), int(s)) for c, k, n, s in (await session.execute(stmt))]


async def unfinished_under(session: AsyncSession, path: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                VolunteerTask.status.in_(UNFINISHED_STATUSES),
                VolunteerTask.area_path.startswith(path, autoescape=True),
            )
        )
        or 0
    )
