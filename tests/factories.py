"""Plain async factories: the smallest set of rows a test needs. Commit to make them visible to the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.core.security import create_access_token, hash_password
from app.people.models import Account, Resident, Staff, StaffRole

PASSWORD = "correct-horse-9"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashing is deliberately slow: do it once
_codes = iter(range(1, 10**9))


async def area(
    session: AsyncSession, kind: str, name: str, parent: Area | None = None, **fields: Any
) -> Area:
    node = Area(
        code=fields.pop("code", f"T{next(_codes):06d}"),
        name=name,
        kind=kind,
        parent_id=parent.id if parent else None,
        path="",
        depth=(parent.depth + 1) if parent else 0,
        **fields,
    )
    session.add(node)
    await session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    await session.flush()
    return node


async def staff(
    session: AsyncSession,
    username: str,
    roles: list[tuple[str, Area] | tuple[str, Area, dict[str, Any]]] = (),  # type: ignore[assignment]
    full_name: str | None = None,
    phone: str | None = "13800138000",
) -> Staff:
    account = Account(username=username, password_hash=_PASSWORD_HASH, kind="staff")
    session.add(account)
    await session.flush()
    member = Staff(account_id=account.id, full_name=full_name or username, phone=phone)
    session.add(member)
    await session.flush()
    for spec in roles:
        role, node = spec[0], spec[1]
        extra = spec[2] if len(spec) > 2 else {}  # type: ignore[misc]
        session.add(StaffRole(staff_id=member.id, role=role, area_id=node.id, **extra))
    await session.flush()
    return member


async def resident(
    session: AsyncSession,
    username: str | None,
    building: Area,
    unit: int | None = 1,
    room: str | None = "101",
    full_name: str | None = None,
    phone: str | None = "13900139000",
) -> Resident:
    account_id = None
    if username:
        account = Account(username=username, password_hash=_PASSWORD_HASH, kind="resident")
        session.add(account)
        await session.flush()
        account_id = account.id
    person = Resident(
        account_id=account_id,
        full_name=full_name or (username or "居民"),
        phone=phone,
        building_id=building.id,
        unit=unit,
        room=room,
    )
    session.add(person)
    await session.flush()
    return person


def headers_for(app: Any, account_id: int, kind: str) -> dict[str, str]:
    settings = app.state.settings
    token = create_access_token(
        account_id=account_id,
        kind=kind,
        secret=settings.secret_key,
        now=app.state.clock.now() if hasattr(app.state, "clock") else datetime.now(UTC),
        minutes=settings.access_token_minutes,
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass
class World:
    """A small district: two compounds in one community, a second community, a street, and their people."""

    district: Area
    subdistrict: Area
    community: Area
    compound: Area  # 翠湖明居
    building9: Area  # 9号楼, 2 units
    building10: Area
    other_community: Area
    other_compound: Area  # 中铁二十局
    other_building: Area
    street: Area
    admin: Staff
    head: Staff  # station head of 翠湖明居
    captain: Staff  # captain of 9号楼
    other_captain: Staff  # captain in 中铁二十局
    resident: Resident
    neighbour: Resident  # another resident of 9号楼
    h: dict[str, dict[str, str]]  # auth headers by name


async def world(session: AsyncSession, app: Any) -> World:
    district = await area(session, "district", "未央区", code="610112")
    subdistrict = await area(session, "subdistrict", "未央湖街道", district)
    community = await area(session, "community", "未央湖社区", subdistrict)
    compound = await area(session, "compound", "翠湖明居", community)
    building9 = await area(session, "building", "9号楼", compound, building_number="9号楼", unit_count=2,
                           latitude=34.3650, longitude=108.9420)
    building10 = await area(session, "building", "10号楼", compound, building_number="10号楼", unit_count=2,
                            latitude=34.3652, longitude=108.9425)
    other_community = await area(session, "community", "太华路社区", subdistrict)
    other_compound = await area(session, "compound", "中铁二十局小区", other_community)
    other_building = await area(session, "building", "9栋", other_compound, building_number="9栋", unit_count=3,
                                latitude=34.3000, longitude=108.9700)
    street = await area(session, "street", "凤城八路", subdistrict, latitude=34.33, longitude=108.95)
    admin = await staff(session, "admin", [("district_admin", district)], full_name="区管理员")
    head = await staff(session, "head", [("station_head", compound)], full_name="站长张")
    captain = await staff(session, "captain", [("building_captain", building9)], full_name="楼栋长李")
    other_captain = await staff(session, "other_captain", [("building_captain", other_building)], full_name="楼栋长王")
    res = await resident(session, "resident", building9, unit=2, room="301", full_name="王秀英")
    neighbour = await resident(session, "neighbour", building9, unit=1, room="102", full_name="赵大爷")
    await session.commit()
    h = {}
    for name, person in (("admin", admin), ("head", head), ("captain", captain), ("other_captain", other_captain)):
        h[name] = headers_for(app, person.account_id, "staff")
    h["resident"] = headers_for(app, res.account_id, "resident")  # type: ignore[arg-type]
    h["neighbour"] = headers_for(app, neighbour.account_id, "resident")  # type: ignore[arg-type]
    return World(district, subdistrict, community, compound, building9, building10, other_community,
                 other_compound, other_building, street, admin, head, captain, other_captain, res, neighbour, h)
