"""SQL for people: scope filters are subqueries over role areas' paths."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.people.models import Account, Resident, Staff, StaffRole


def staff_in_scope(paths: list[str]) -> Select[tuple[int]]:
    """Ids of staff holding at least one role inside any of ``paths``."""
    return (
        select(StaffRole.staff_id)
        .join(Area, Area.id == StaffRole.area_id)
        .where(or_(*[Area.path.startswith(p, autoescape=True) for p in paths]) if paths else False)
    )


async def username_exists(session: AsyncSession, username: str) -> bool:
    return (await session.scalar(select(Account.id).where(Account.username == username))) is not None


async def roles_of(session: AsyncSession, staff_ids: list[int]) -> dict[int, list[StaffRole]]:
    out: dict[int, list[StaffRole]] = {staff_id: [] for staff_id in staff_ids}
    if staff_ids:
        rows = await session.scalars(
            select(StaffRole).where(StaffRole.staff_id.in_(staff_ids)).order_by(StaffRole.id)
        )
        for role in rows:
            out[role.staff_id].append(role)
    return out


async def staff_with_accounts(session: AsyncSession, stmt: Select[tuple[Staff]]) -> list[tuple[Staff, Account]]:
    rows = await session.execute(
        stmt.add_columns(Account).join(Account, Account.id == Staff.account_id)  # type: ignore[arg-type]
    )
    return [(row[0], row[1]) for row in rows]


async def resident_username(session: AsyncSession, resident: Resident) -> str | None:
    if resident.account_id is None:
        return None
    return await session.scalar(select(Account.username).where(Account.id == resident.account_id))
