"""The demo loader: the places and people a first-time user explores, loaded once, and able to sign in."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import PARENT_KIND, Area, AreaKind, Workstation
from app.audit.models import AuditEntry
from app.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from app.people.models import Account, Resident, Staff, StaffAbsence, StaffRole
from app.people.service import away_on

COUNTED = (Area, Workstation, Account, Staff, StaffRole, StaffAbsence, Resident, AuditEntry)


async def _counts(session: AsyncSession) -> dict[str, int]:
    return {model.__tablename__: await session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


async def _area(session: AsyncSession, name: str, parent: Area | None = None) -> Area:
    stmt = select(Area).where(Area.name == name)
    if parent is not None:
        stmt = stmt.where(Area.parent_id == parent.id)
    return (await session.scalars(stmt)).one()


async def _staff_id(session: AsyncSession, username: str) -> int:
    stmt = select(Staff.id).join(Account, Account.id == Staff.account_id).where(Account.username == username)
    return (await session.scalars(stmt)).one()


async def _sign_in(client, username: str) -> dict:  # type: ignore[no-untyped-def]
    token = await client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    assert token.status_code == 200, token.text
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.status_code == 200, me.text
    return me.json()


async def test_demo_builds_the_two_programmes_once(session, clock):
    today: date = clock.now().date()
    assert await load_demo(session, today) is True
    await session.commit()
    loaded = await _counts(session)

    again = await load_demo(session, today)
    await session.commit()
    assert again is False
    assert await _counts(session) == loaded

    kinds = dict((await session.execute(select(Area.kind, func.count()).group_by(Area.kind))).all())
    assert kinds == {"district": 2, "subdistrict": 5, "community": 5, "compound": 10, "building": 41, "street": 3}
    assert loaded["workstation"] == 10
    assert loaded["staff"] == 39
    assert loaded["staff_role"] == 68  # 42 of them building captains' (one per building, two on 9号楼)
    assert loaded["staff_absence"] == 1
    assert loaded["resident"] == 8
    assert loaded["account"] == 39 + 5 == len(DEMO_ACCOUNTS)
    usernames = set(await session.scalars(select(Account.username)))
    assert usernames == {username for username, _ in DEMO_ACCOUNTS}

    # The tree is consistent: paths, depths and kinds of parent.
    areas = {a.id: a for a in await session.scalars(select(Area))}
    for node in areas.values():
        parent = areas.get(node.parent_id) if node.parent_id else None
        assert PARENT_KIND[AreaKind(node.kind)] == (AreaKind(parent.kind) if parent else None), node.code
        assert node.path == f"{parent.path if parent else '/'}{node.id}/", node.code
        assert node.depth == (parent.depth + 1 if parent else 0), node.code
        if node.kind == AreaKind.building:
            assert 2 <= node.unit_count <= 4 and node.building_number == node.name, node.code
            assert 34.28 <= node.latitude <= 34.40 and 108.88 <= node.longitude <= 109.00, node.code
        if node.kind == AreaKind.street:
            assert 39.91 <= node.latitude <= 39.93 and 116.39 <= node.longitude <= 116.42, node.code

    weiyang = (await session.scalars(select(Area).where(Area.code == "610112"))).one()
    assert weiyang.name == "未央区"
    xinjiamiao = await _area(session, "辛家庙街道")
    compounds = set(
        await session.scalars(
            select(Area.name).where(Area.kind == AreaKind.compound, Area.path.startswith(xinjiamiao.path))
        )
    )
    assert compounds == {"中海开元壹号", "保利中央公园", "天鼎花园", "蔚蓝人家", "陈家堡", "馨和居", "渭滨小区A区"}

    # Every compound has its workstation and head; every building has a captain.
    headless = await session.scalars(
        select(Area.name).where(
            Area.kind == AreaKind.compound,
            ~Area.id.in_(select(StaffRole.area_id).where(StaffRole.role == "station_head")),
        )
    )
    assert list(headless) == []
    captainless = await session.scalars(
        select(Area.code).where(
            Area.kind == AreaKind.building,
            ~Area.id.in_(select(StaffRole.area_id).where(StaffRole.role == "building_captain")),
        )
    )
    assert list(captainless) == []
    cuihu = await _area(session, "翠湖明居")
    station = (await session.scalars(select(Workstation).where(Workstation.compound_id == cuihu.id))).one()
    assert station.name == "翠湖明居小区工作站" and station.phone

    # The facade story's two buildings; 9号楼 split between two captains by unit.
    building9 = await _area(session, "9号楼", cuihu)
    await _area(session, "10号楼", cuihu)
    captains = (
        await session.execute(
            select(Account.username, StaffRole.units)
            .join(Staff, Staff.id == StaffRole.staff_id)
            .join(Account, Account.id == Staff.account_id)
            .where(StaffRole.area_id == building9.id, StaffRole.role == "building_captain")
            .order_by(Account.username)
        )
    ).all()
    assert [tuple(row) for row in captains] == [("captain.cuihu9a", [1]), ("captain.cuihu9b", [2])]
    zhongtie9 = await _area(session, "9栋", await _area(session, "中铁二十局小区"))
    assert zhongtie9.unit_count == 3

    # The away captain: away today and for two weeks, with a named backup; back the day after.
    away = await _staff_id(session, "captain.away")
    backup = await _staff_id(session, "captain.backup")
    for day in (today - timedelta(days=1), today, today + timedelta(days=14)):
        assert await away_on(session, [away], day) == {away: backup}
    assert await away_on(session, [away], today + timedelta(days=15)) == {}

    # Beijing: streets straight under the subdistrict, with a chief and a steward on 南池子大街.
    donghuamen = await _area(session, "东华门街道")
    streets = set(await session.scalars(select(Area.name).where(Area.parent_id == donghuamen.id)))
    assert streets == {"南池子大街", "北池子大街", "东华门大街"}
    nanchizi = await _area(session, "南池子大街")
    roles = set(await session.scalars(select(StaffRole.role).where(StaffRole.area_id == nanchizi.id)))
    assert roles == {"street_chief", "alley_steward"}


async def test_demo_accounts_sign_in_with_their_roles(client, session):
    assert await load_demo(session) is True  # today defaults to the current date
    await session.commit()

    admin = await _sign_in(client, "admin")
    assert [(r["role"], r["area_name"], r["area_kind"]) for r in admin["roles"]] == [
        ("district_admin", "未央区", "district")
    ]
    duty = await _sign_in(client, "duty.weiyanghu")
    assert [(r["role"], r["area_name"], r["department"]) for r in duty["roles"]] == [
        ("subdistrict_staff", "未央湖街道", "duty_desk")
    ]
    captain = await _sign_in(client, "captain.cuihu9a")
    assert [(r["area_name"], r["units"]) for r in captain["roles"]] == [("9号楼", [1])]

    resident = await _sign_in(client, "resident.wang")
    building9 = await _area(session, "9号楼", await _area(session, "翠湖明居"))
    assert resident["kind"] == "resident" and resident["roles"] == []
    assert (resident["full_name"], resident["building_id"], resident["unit"], resident["room"]) == (
        "王秀英", building9.id, 2, "301"
    )

    chief = await _sign_in(client, "chief.nanchizi")
    assert [(r["role"], r["area_name"], r["area_kind"]) for r in chief["roles"]] == [
        ("street_chief", "南池子大街", "street")
    ]
    dongcheng = await _sign_in(client, "admin.dongcheng")
    assert [(r["role"], r["area_name"]) for r in dongcheng["roles"]] == [("district_admin", "东城区")]
