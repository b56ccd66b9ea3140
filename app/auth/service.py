"""Sign-in and the caller's identity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import namedtuple_row
from sqlalchemy import Boolean, column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.auth.errors import InvalidCredentials, InvalidToken
from app.auth.schemas import MeRead, RoleRead, Token
from app.core.actor import Actor, RoleGrant
from app.core.security import DUMMY_HASH, create_access_token, verify_password_async
from app.db.session import driver_connection
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


@dataclass(frozen=True)
class _AccountRef:
    id: int
    username: str
    kind: str


# The account, its staff profile, roles and their areas' paths in one query (account, staff, staff_role and
# area in app/people/models.py and app/areas/models.py), sent as plain SQL: it runs on every authenticated call.
_ACCOUNT_WITH_ROLES = """
SELECT account.username, account.kind, account.is_active, staff.id,
       staff_role.role, staff_role.area_id, area.path, staff_role.units, staff_role.department
FROM account
LEFT JOIN staff ON staff.account_id = account.id
LEFT JOIN staff_role ON staff_role.staff_id = staff.id
LEFT JOIN area ON area.id = staff_role.area_id
WHERE account.id = %(account_id)s
ORDER BY staff_role.id
"""


async def load_actor(session: AsyncSession, account_id: int) -> Actor:
    """The caller with their roles and the paths of their areas, or InvalidToken if gone or disabled.

    Runs on every authenticated call: a staff member (the common case) is one query."""
    connection = await driver_connection(session)
    async with connection.cursor(row_factory=namedtuple_row) as cursor:
        rows = await (await cursor.execute(_ACCOUNT_WITH_ROLES, {"account_id": account_id})).fetchall()
    if not rows or not rows[0].is_active:
        raise InvalidToken("This account no longer exists or is disabled")
    username, kind, staff_id = rows[0].username, rows[0].kind, rows[0].id
    account = _AccountRef(id=account_id, username=username, kind=kind)
    if kind == "staff":
        if staff_id is None:
            raise InvalidToken("This account has no staff profile")
        grants = tuple(
            RoleGrant(
                role=row.role,
                area_id=row.area_id,
                area_path=row.path,
                units=tuple(row.units) if row.units else None,
                department=row.department,
            )
            for row in rows
            if row.role is not None
        )
        return Actor(account_id=account_id, kind="staff", username=username, staff_id=staff_id, roles=grants)
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
