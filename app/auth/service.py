"""Sign-in and the caller's identity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.auth.errors import InvalidCredentials, InvalidToken
from app.auth.schemas import MeRead, RoleRead, Token
from app.core.actor import Actor, RoleGrant
from app.core.security import DUMMY_HASH, create_access_token, verify_password_async
from app.people.models import Account, Resident, Staff, StaffRole

# The volunteers domain sits above auth: its table is named here, not imported (app/volunteers/models.py).
_volunteer = table(
    "volunteer",
    column("id"),
    column("account_id"),
    column("full_name"),
    column("phone"),
    column("is_active", Boolean),
)


async def sign_in(
    session: AsyncSession, *, username: str, password: str, secret: str, now: datetime, minutes: int
) -> Token:
    """Returns a token for an active account whose password matches; the same error otherwise."""
    account = await session.scalar(select(Account).where(Account.username == username))
    if account is None:
        await verify_password_async(password, DUMMY_HASH)
        raise InvalidCredentials()
    if not await verify_password_async(password, account.password_hash) or not account.is_active:
        raise InvalidCredentials()
    token = create_access_token(account_id=account.id, kind=account.kind, secret=secret, now=now, minutes=minutes)
    return Token(access_token=token, expires_in=minutes * 60)


async def load_actor(session: AsyncSession, account_id: int) -> Actor:
    """The caller with their roles and the paths of their areas, or InvalidToken if gone or disabled."""
    account = await session.get(Account, account_id)
    if account is None or not account.is_active:
        raise InvalidToken("This account no longer exists or is disabled")
    if account.kind == "staff":
        staff = await session.scalar(select(Staff).where(Staff.account_id == account.id))
        if staff is None:
            raise InvalidToken("This account has no staff profile")
        rows = await session.execute(
            select(StaffRole, Area.path)
            .join(Area, Area.id == StaffRole.area_id)
            .where(StaffRole.staff_id == staff.id)
            .order_by(StaffRole.id)
        )
        grants = tuple(
            RoleGrant(
                role=role.role,
                area_id=role.area_id,
                area_path=path,
                units=tuple(role.units) if role.units else None,
                department=role.department,
            )
            for role, path in rows
        )
        return Actor(account_id=account.id, kind="staff", username=account.username, staff_id=staff.id, roles=grants)
    if account.kind == "volunteer":
        volunteer_id = await session.scalar(
            select(_volunteer.c.id).where(_volunteer.c.account_id == account.id, _volunteer.c.is_active.is_(True))
        )
        if volunteer_id is None:
            raise InvalidToken("This account has no active volunteer profile")
        return Actor(account_id=account.id, kind="volunteer", username=account.username, volunteer_id=volunteer_id)
    resident = await session.scalar(select(Resident).where(Resident.account_id == account.id))
    if resident is None:
        raise InvalidToken("This account has no resident profile")
    return Actor(
        account_id=account.id,
        kind="resident",
        username=account.username,
        resident_id=resident.id,
        building_id=resident.building_id,
    )


async def describe(session: AsyncSession, actor: Actor) -> MeRead:
    if actor.staff_id is not None:
        staff = await session.get_one(Staff, actor.staff_id)
        rows = await session.execute(
            select(StaffRole, Area)
            .join(Area, Area.id == StaffRole.area_id)
            .where(StaffRole.staff_id == staff.id)
            .order_by(StaffRole.id)
        )
        roles = [
            RoleRead(
                role=role.role,
                area_id=area.id,
                area_name=area.name,
                area_kind=area.kind,
                units=role.units,
                department=role.department,
            )
            for role, area in rows
        ]
        return MeRead(
            account_id=actor.account_id or 0,
            username=actor.username,
            kind="staff",
            full_name=staff.full_name,
            phone=staff.phone,
            staff_id=staff.id,
            roles=roles,
        )
    if actor.volunteer_id is not None:
        volunteer = (
            await session.execute(
                select(_volunteer.c.full_name, _volunteer.c.phone).where(_volunteer.c.id == actor.volunteer_id)
            )
        ).one()
        return MeRead(
            account_id=actor.account_id or 0,
            username=actor.username,
            kind="volunteer",
            full_name=volunteer.full_name,
            phone=volunteer.phone,
            volunteer_id=actor.volunteer_id,
        )
    resident = await session.get_one(Resident, actor.resident_id)
    return MeRead(
        account_id=actor.account_id or 0,
        username=actor.username,
        kind="resident",
        full_name=resident.full_name,
        phone=resident.phone,
        resident_id=resident.id,
        building_id=resident.building_id,
        unit=resident.unit,
        room=resident.room,
    )
