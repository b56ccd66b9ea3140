"""Staff, their roles and absences, and residents. Every read and write is limited to the caller's areas."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area, AreaKind
from app.core.actor import Actor
from app.core.errors import Forbidden, InvalidInput, NotFound
from app.core.pagination import decode_cursor, encode_cursor
from app.core.schemas import Page
from app.core.security import hash_password_async
from app.people import repository
from app.people.errors import ResidentNotFound, StaffNotFound, UsernameTaken
from app.people.models import Account, AccountKind, Resident, Role, Staff, StaffAbsence, StaffRole
from app.people.schemas import (
    AbsenceCreate,
    AbsenceRead,
    ResidentCreate,
    ResidentRead,
    ResidentUpdate,
    RoleAssign,
    RoleGrantRead,
    StaffCreate,
    StaffRead,
    StaffUpdate,
)

# The kind of area each role is held over.
ROLE_AREA_KIND: dict[Role, AreaKind] = {
    Role.building_captain: AreaKind.building,
    Role.station_head: AreaKind.compound,
    Role.property_manager: AreaKind.compound,
    Role.community_staff: AreaKind.community,
    Role.subdistrict_staff: AreaKind.subdistrict,
    Role.district_admin: AreaKind.district,
    Role.street_chief: AreaKind.street,
    Role.alley_steward: AreaKind.street,
}


def _require_manager(actor: Actor, path: str, what: str) -> None:
    if not actor.manages(path):
        raise Forbidden(f"You do not manage the area of this {what}")


async def _validated_role(session: AsyncSession, assign: RoleAssign, index: int | None) -> tuple[StaffRole, Area]:
    prefix = f"body.roles.{index}" if index is not None else "body"
    area = await session.get(Area, assign.area_id)
    if area is None:
        raise InvalidInput(f"No area {assign.area_id}", field=f"{prefix}.area_id")
    expected = ROLE_AREA_KIND[Role(assign.role)]
    if area.kind != expected:
        raise InvalidInput(
            f"A {assign.role} is held over a {expected}, but area {area.id} is a {area.kind}",
            field=f"{prefix}.area_id",
        )
    if assign.units and area.unit_count and max(assign.units) > area.unit_count:
        raise InvalidInput(f"Building {area.name} has {area.unit_count} units", field=f"{prefix}.units")
    role = StaffRole(
        role=str(assign.role),
        area_id=area.id,
        units=sorted(set(assign.units)) if assign.units else None,
        department=str(assign.department) if assign.department else None,
    )
    return role, area


def _staff_read(staff: Staff, account: Account, roles: Sequence[StaffRole]) -> StaffRead:
    return StaffRead(
        id=staff.id,
        account_id=account.id,
        username=account.username,
        full_name=staff.full_name,
        phone=staff.phone,
        is_active=account.is_active,
        roles=[RoleGrantRead.model_validate(r) for r in roles],
    )


async def _create_staff(session: AsyncSession, body: StaffCreate, actor: Actor | None) -> StaffRead:
    if await repository.username_exists(session, body.username):
        raise UsernameTaken(f"The username {body.username!r} is already taken")
    roles: list[StaffRole] = []
    for index, assign in enumerate(body.roles):
        role, area = await _validated_role(session, assign, index)
        if actor is not None:
            _require_manager(actor, area.path, "role")
        roles.append(role)
    password_hash = await hash_password_async(body.password)
    account = Account(username=body.username, password_hash=password_hash, kind=AccountKind.staff)
    session.add(account)
    await session.flush()
    staff = Staff(account_id=account.id, full_name=body.full_name, phone=body.phone)
    session.add(staff)
    await session.flush()
    for role in roles:
        role.staff_id = staff.id
        session.add(role)
    await session.flush()
    return _staff_read(staff, account, roles)


async def create_staff(session: AsyncSession, actor: Actor, body: StaffCreate) -> StaffRead:
    """Creates the account and its roles; every role's area must be one the caller manages."""
    if not body.roles:
        raise InvalidInput("Give at least one role, inside an area you manage", field="body.roles")
    return await _create_staff(session, body, actor)


async def create_staff_unchecked(session: AsyncSession, body: StaffCreate) -> StaffRead:
    """For the operator's command line and the demo loader: no caller scope to check."""
    return await _create_staff(session, body, None)


async def _load_staff(session: AsyncSession, actor: Actor, staff_id: int) -> tuple[Staff, Account]:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise StaffNotFound(f"Staff {staff_id} was not found")
    if staff.id != actor.staff_id:
        visible = await session.scalar(
            select(StaffRole.id)
            .where(
                StaffRole.staff_id == staff_id,
                StaffRole.staff_id.in_(repository.staff_in_scope(actor.scope_paths())),
            )
            .limit(1)
        )
        if visible is None:
            raise StaffNotFound(f"Staff {staff_id} was not found")
    account = await session.get_one(Account, staff.account_id)
    return staff, account


async def get_staff(session: AsyncSession, actor: Actor, staff_id: int) -> StaffRead:
    staff, account = await _load_staff(session, actor, staff_id)
    roles = (await repository.roles_of(session, [staff.id]))[staff.id]
    return _staff_read(staff, account, roles)


async def list_staff(
    session: AsyncSession,
    actor: Actor,
    *,
    area_id: int | None,
    role: Role | None,
    cursor: str | None,
    limit: int,
) -> Page[StaffRead]:
    """Staff with a role inside the caller's areas (optionally inside ``area_id``'s subtree), by id."""
    paths = actor.scope_paths()
    if area_id is not None:
        area = await session.get(Area, area_id)
        if area is None or not actor.covers(area.path):
            raise NotFound(f"Area {area_id} was not found")
        paths = [area.path]
    inner = repository.staff_in_scope(paths)
    if role is not None:
        inner = inner.where(StaffRole.role == role)
    stmt = select(Staff).where(Staff.id.in_(inner)).order_by(Staff.id).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(Staff.id > after)
    rows = await repository.staff_with_accounts(session, stmt)
    roles = await repository.roles_of(session, [s.id for s, _ in rows[:limit]])
    items = [_staff_read(s, a, roles[s.id]) for s, a in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None)


async def _require_manages_staff(session: AsyncSession, actor: Actor, staff_id: int) -> None:
    roles = (await repository.roles_of(session, [staff_id]))[staff_id]
    paths = await session.scalars(select(Area.path).where(Area.id.in_([r.area_id for r in roles])))
    if not any(actor.manages(p) for p in paths):
        raise Forbidden("You do not manage any area of this staff member")


async def update_staff(session: AsyncSession, actor: Actor, staff_id: int, body: StaffUpdate) -> StaffRead:
    staff, account = await _load_staff(session, actor, staff_id)
    if staff.id != actor.staff_id or body.is_active is not None:
        await _require_manages_staff(session, actor, staff_id)
    changes = body.model_dump(exclude_unset=True)
    if "full_name" in changes and body.full_name is not None:
        staff.full_name = body.full_name
    if "phone" in changes:
        staff.phone = body.phone
    if body.is_active is not None:
        account.is_active = body.is_active
    if body.password is not None:
        account.password_hash = await hash_password_async(body.password)
    await session.flush()
    return await get_staff(session, actor, staff_id)


async def add_role(session: AsyncSession, actor: Actor, staff_id: int, body: RoleAssign) -> StaffRead:
    await _load_staff(session, actor, staff_id)
    role, area = await _validated_role(session, body, None)
    _require_manager(actor, area.path, "role")
    role.staff_id = staff_id
    session.add(role)
    await session.flush()
    return await get_staff(session, actor, staff_id)


async def remove_role(session: AsyncSession, actor: Actor, staff_id: int, role_id: int) -> StaffRead:
    await _load_staff(session, actor, staff_id)
    role = await session.get(StaffRole, role_id)
    if role is None or role.staff_id != staff_id:
        raise NotFound(f"Role {role_id} of staff {staff_id} was not found")
    area = await session.get_one(Area, role.area_id)
    _require_manager(actor, area.path, "role")
    await session.delete(role)
    await session.flush()
    return await get_staff(session, actor, staff_id)


async def add_absence(session: AsyncSession, actor: Actor, staff_id: int, body: AbsenceCreate) -> AbsenceRead:
    """Records an absence. The backup must be another staff member the caller can see."""
    await _load_staff(session, actor, staff_id)
    if staff_id != actor.staff_id:
        await _require_manages_staff(session, actor, staff_id)
    if body.backup_staff_id is not None:
        if body.backup_staff_id == staff_id:
            raise InvalidInput("A backup must be someone else", field="body.backup_staff_id")
        try:
            await _load_staff(session, actor, body.backup_staff_id)
        except StaffNotFound as exc:
            raise InvalidInput(f"No staff {body.backup_staff_id} in your areas", field="body.backup_staff_id") from exc
    absence = StaffAbsence(staff_id=staff_id, **body.model_dump())
    session.add(absence)
    await session.flush()
    return AbsenceRead.model_validate(absence)


async def list_absences(session: AsyncSession, actor: Actor, staff_id: int) -> list[AbsenceRead]:
    await _load_staff(session, actor, staff_id)
    rows = await session.scalars(
        select(StaffAbsence).where(StaffAbsence.staff_id == staff_id).order_by(StaffAbsence.starts_on)
    )
    return [AbsenceRead.model_validate(a) for a in rows]


async def delete_absence(session: AsyncSession, actor: Actor, staff_id: int, absence_id: int) -> None:
    await _load_staff(session, actor, staff_id)
    if staff_id != actor.staff_id:
        await _require_manages_staff(session, actor, staff_id)
    absence = await session.get(StaffAbsence, absence_id)
    if absence is None or absence.staff_id != staff_id:
        raise NotFound(f"Absence {absence_id} of staff {staff_id} was not found")
    await session.delete(absence)
    await session.flush()


async def away_on(session: AsyncSession, staff_ids: Sequence[int], day: date) -> dict[int, int | None]:
    """For those of ``staff_ids`` away on ``day``: their backup's id (None when no backup was named)."""
    if not staff_ids:
        return {}
    rows = await session.execute(
        select(StaffAbsence.staff_id, StaffAbsence.backup_staff_id)
        .where(
            StaffAbsence.staff_id.in_(staff_ids),
            and_(StaffAbsence.starts_on <= day, StaffAbsence.ends_on >= day),
        )
        .order_by(StaffAbsence.starts_on)
    )
    return {staff_id: backup for staff_id, backup in rows}


# Residents ---------------------------------------------------------------------------------------------


async def _building(session: AsyncSession, actor: Actor | None, building_id: int, field: str) -> Area:
    area = await session.get(Area, building_id)
    if area is None or area.kind != AreaKind.building or (actor is not None and not actor.covers(area.path)):
        raise InvalidInput(f"No building {building_id} in your areas", field=field)
    return area


async def _resident_read(session: AsyncSession, resident: Resident) -> ResidentRead:
    read = ResidentRead.model_validate(resident)
    read.username = await repository.resident_username(session, resident)
    return read


async def create_resident(session: AsyncSession, actor: Actor | None, body: ResidentCreate) -> ResidentRead:
    """Registers a resident of a building in the caller's areas, with a sign-in if a username is given."""
    building = await _building(session, actor, body.building_id, "body.building_id")
    if body.unit is not None and building.unit_count and body.unit > building.unit_count:
        raise InvalidInput(f"{building.name} has {building.unit_count} units", field="body.unit")
    account_id = None
    if body.username is not None and body.password is not None:
        if await repository.username_exists(session, body.username):
            raise UsernameTaken(f"The username {body.username!r} is already taken")
        account = Account(
            username=body.username, password_hash=await hash_password_async(body.password), kind=AccountKind.resident
        )
        session.add(account)
        await session.flush()
        account_id = account.id
    resident = Resident(
        account_id=account_id,
        full_name=body.full_name,
        phone=body.phone,
        building_id=building.id,
        unit=body.unit,
        room=body.room,
    )
    session.add(resident)
    await session.flush()
    return await _resident_read(session, resident)


async def _load_resident(session: AsyncSession, actor: Actor, resident_id: int) -> Resident:
    resident = await session.get(Resident, resident_id)
    if resident is None:
        raise ResidentNotFound(f"Resident {resident_id} was not found")
    if actor.is_resident:
        if resident.id != actor.resident_id:
            raise ResidentNotFound(f"Resident {resident_id} was not found")
        return resident
    path = await session.scalar(select(Area.path).where(Area.id == resident.building_id))
    if not actor.covers(path):
        raise ResidentNotFound(f"Resident {resident_id} was not found")
    return resident


async def get_resident(session: AsyncSession, actor: Actor, resident_id: int) -> ResidentRead:
    return await _resident_read(session, await _load_resident(session, actor, resident_id))


async def update_resident(
    session: AsyncSession, actor: Actor, resident_id: int, body: ResidentUpdate
) -> ResidentRead:
    resident = await _load_resident(session, actor, resident_id)
    changes = body.model_dump(exclude_unset=True)
    if "building_id" in changes and body.building_id is not None:
        resident.building_id = (await _building(session, actor, body.building_id, "body.building_id")).id
    for key in ("full_name", "phone", "unit", "room"):
        if key in changes:
            setattr(resident, key, changes[key])
    await session.flush()
    return await _resident_read(session, resident)


async def list_residents(
    session: AsyncSession, actor: Actor, *, building_id: int | None, cursor: str | None, limit: int
) -> Page[ResidentRead]:
    paths = actor.scope_paths()
    stmt = (
        select(Resident)
        .join(Area, Area.id == Resident.building_id)
        .where(or_(*[Area.path.startswith(p, autoescape=True) for p in paths]) if paths else False)
        .order_by(Resident.id)
        .limit(limit + 1)
    )
    if building_id is not None:
        stmt = stmt.where(Resident.building_id == building_id)
    if cursor:
        (after,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(Resident.id > after)
    rows = list(await session.scalars(stmt))
    usernames = dict(
        (await session.execute(
            select(Account.id, Account.username).where(
                Account.id.in_([r.account_id for r in rows if r.account_id is not None])
            )
        )).all()
    )
    items = []
    for resident in rows[:limit]:
        read = ResidentRead.model_validate(resident)
        read.username = usernames.get(resident.account_id) if resident.account_id else None
        items.append(read)
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None)
