"""The demo data: Weiyang district in Xi'an (the workstation and building-captain programme) and one Beijing
subdistrict with its streets (street chiefs and alley stewards), with staff, residents and an absence.

Everything here is invented but plausible: names, phone numbers and coordinates (WGS-84) near the real places.
Every demo account signs in with ``DEMO_PASSWORD``; ``DEMO_ACCOUNTS`` lists who is who.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import PARENT_KIND, Area, AreaKind, Workstation
from app.people.models import Department, Role, StaffAbsence
from app.people.schemas import ResidentCreate, RoleAssign, StaffCreate
from app.people.service import create_resident, create_staff_unchecked

DEMO_PASSWORD = "doorstep-demo"
# Its presence means the demo is loaded (or a real Weiyang district is): then nothing is written.
DEMO_DISTRICT_CODE = "610112"


# Places ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compound:
    slug: str
    name: str
    # The compound's centre: its buildings are laid out from here (compounds themselves carry no point).
    latitude: float
    longitude: float
    workstation_phone: str
    buildings: tuple[tuple[str, int], ...]  # (the number as residents say it, how many units)


@dataclass(frozen=True)
class _Community:
    slug: str
    name: str
    compounds: tuple[_Compound, ...]


@dataclass(frozen=True)
class _Street:
    slug: str
    name: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class _Subdistrict:
    slug: str
    name: str
    communities: tuple[_Community, ...] = ()
    streets: tuple[_Street, ...] = ()


@dataclass(frozen=True)
class _District:
    code: str
    name: str
    city: str  # the prefix of every address
    subdistricts: tuple[_Subdistrict, ...]


def _numbered(count: int, units: int, suffix: str = "号楼") -> tuple[tuple[str, int], ...]:
    return tuple((f"{n}{suffix}", units) for n in range(1, count + 1))


_WEIYANG = _District(
    code=DEMO_DISTRICT_CODE,
    name="未央区",
    city="陕西省西安市",
    subdistricts=(
        _Subdistrict("dmg", "大明宫街道", communities=(
            _Community("taihualu", "太华路社区", (
                _Compound("zhongtie20", "中铁二十局小区", 34.2965, 108.9685, "029-86271120",
                          (("7栋", 2), ("8栋", 2), ("9栋", 3), ("10栋", 2))),
            )),
        )),
        _Subdistrict("wyh", "未央湖街道", communities=(
            _Community("weiyanghu", "未央湖社区", (
                # 9号楼 and 10号楼: the loose facade of the spec's story.
                _Compound("cuihu", "翠湖明居", 34.3868, 108.9745, "029-86039901",
                          (("8号楼", 2), ("9号楼", 2), ("10号楼", 2), ("11号楼", 3))),
            )),
        )),
        _Subdistrict("hc", "汉城街道", communities=(
            _Community("qingdong", "青东社区", (
                _Compound("huayuan", "青东花园", 34.2985, 108.8935, "029-84251677", _numbered(3, 3)),
            )),
        )),
        _Subdistrict("xjm", "辛家庙街道", communities=(
            _Community("xinjiamiao", "辛家庙社区", (
                _Compound("zhonghai", "中海开元壹号", 34.3045, 108.9905, "029-86523310", _numbered(5, 2)),
                _Compound("baoli", "保利中央公园", 34.3080, 108.9860, "029-86523322", _numbered(6, 3)),
                _Compound("tianding", "天鼎花园", 34.3012, 108.9838, "029-86523345", _numbered(4, 3)),
                _Compound("weilan", "蔚蓝人家", 34.3108, 108.9921, "029-86523368", _numbered(3, 4)),
            )),
            _Community("guangyuntan", "广运潭社区", (
                _Compound("chenjiabao", "陈家堡", 34.3150, 108.9800, "029-86524401", _numbered(4, 2)),
                _Compound("xinhe", "馨和居", 34.3176, 108.9852, "029-86524412", _numbered(3, 3)),
                _Compound("weibin-a", "渭滨小区A区", 34.3195, 108.9760, "029-86524437", _numbered(5, 4)),
            )),
        )),
    ),
)

_DONGCHENG = _District(
    code="110101",
    name="东城区",
    city="北京市",
    subdistricts=(
        _Subdistrict("dhm", "东华门街道", streets=(
            _Street("nanchizi", "南池子大街", 39.9128, 116.4018),
            _Street("beichizi", "北池子大街", 39.9205, 116.4012),
            _Street("donghuamen", "东华门大街", 39.9142, 116.4045),
        )),
    ),
)

_DISTRICTS = (_WEIYANG, _DONGCHENG)


def _building_code(compound_code: str, number: str) -> str:
    return f"{compound_code}-{re.sub(r'[^0-9A-Za-z]', '', number)}"


def _building_point(compound: _Compound, index: int) -> tuple[float, float]:
    # Rows of three about 55 m apart: close enough to read as one compound, far enough apart that the
    # nearest building to a reported point is unambiguous.
    return (
        round(compound.latitude + 0.0005 * (index // 3), 6),
        round(compound.longitude + 0.0006 * (index % 3), 6),
    )


def _workstation_name(compound: _Compound) -> str:
    return f"{compound.name}工作站" if "小区" in compound.name else f"{compound.name}小区工作站"


async def _add_area(
    session: AsyncSession, parent: Area | None, kind: AreaKind, code: str, name: str, **fields: object
) -> Area:
    """Adds one node under ``parent``. Its path ends with its own id, so it is set after a flush (the update
    goes out with the next flush)."""
    if PARENT_KIND[kind] != (AreaKind(parent.kind) if parent is not None else None):
        raise ValueError(f"A {kind} cannot hang under {parent.kind if parent else 'nothing'}")
    node = Area(
        code=code,
        name=name,
        kind=kind,
        parent_id=parent.id if parent is not None else None,
        path="",
        depth=parent.depth + 1 if parent is not None else 0,
        **fields,
    )
    session.add(node)
    await session.flush()
    node.path = f"{parent.path if parent is not None else '/'}{node.id}/"
    return node


async def _load_places(session: AsyncSession) -> dict[str, Area]:
    """Creates both districts' trees and every compound's workstation; returns the areas by code."""
    areas: dict[str, Area] = {}
    for district in _DISTRICTS:
        district_area = await _add_area(session, None, AreaKind.district, district.code, district.name)
        areas[district.code] = district_area
        for sub in district.subdistricts:
            sub_code = f"{district.code}-{sub.slug}"
            sub_address = f"{district.city}{district.name}{sub.name}"
            sub_area = await _add_area(session, district_area, AreaKind.subdistrict, sub_code, sub.name)
            areas[sub_code] = sub_area
            for street in sub.streets:
                code = f"{sub_code}-{street.slug}"
                areas[code] = await _add_area(
                    session, sub_area, AreaKind.street, code, street.name,
                    latitude=street.latitude, longitude=street.longitude, address=f"{sub_address}{street.name}",
                )
            for community in sub.communities:
                community_code = f"{sub_code}-{community.slug}"
                community_area = await _add_area(
                    session, sub_area, AreaKind.community, community_code, community.name
                )
                areas[community_code] = community_area
                for compound in community.compounds:
                    compound_code = f"{community_code}-{compound.slug}"
                    compound_address = f"{sub_address}{compound.name}"
                    compound_area = await _add_area(
                        session, community_area, AreaKind.compound, compound_code, compound.name,
                        address=compound_address,
                    )
                    areas[compound_code] = compound_area
                    session.add(
                        Workstation(
                            compound_id=compound_area.id,
                            name=_workstation_name(compound),
                            phone=compound.workstation_phone,
                            address=f"{compound_address}物业服务中心一层",
                        )
                    )
                    for index, (number, units) in enumerate(compound.buildings):
                        latitude, longitude = _building_point(compound, index)
                        code = _building_code(compound_code, number)
                        areas[code] = await _add_area(
                            session, compound_area, AreaKind.building, code, number,
                            building_number=number, unit_count=units, latitude=latitude, longitude=longitude,
                            address=f"{compound_address}{number}",
                        )
    await session.flush()
    return areas


# Codes the people below refer to.
_DMG = "610112-dmg"
_WYH = "610112-wyh"
_HC = "610112-hc"
_XJM = "610112-xjm"
_ZHONGTIE = f"{_DMG}-taihualu-zhongtie20"
_CUIHU = f"{_WYH}-weiyanghu-cuihu"
_QINGDONG = f"{_HC}-qingdong-huayuan"
_XJM_COMMUNITY = f"{_XJM}-xinjiamiao"
_GYT_COMMUNITY = f"{_XJM}-guangyuntan"
_DHM = "110101-dhm"


# People ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grant:
    role: Role
    area_code: str
    units: tuple[int, ...] | None = None
    department: Department | None = None


@dataclass(frozen=True)
class _Person:
    username: str
    full_name: str
    phone: str
    about: str  # who they are, in English, for DEMO_ACCOUNTS
    grants: tuple[_Grant, ...]


def _person(username: str, full_name: str, phone: str, about: str, *grants: _Grant) -> _Person:
    return _Person(username, full_name, phone, about, grants)


def _captain(code: str, units: tuple[int, ...] | None = None) -> _Grant:
    return _Grant(Role.building_captain, code, units)


def _compound_codes() -> dict[str, _Compound]:
    return {
        f"{district.code}-{sub.slug}-{community.slug}-{compound.slug}": compound
        for district in _DISTRICTS
        for sub in district.subdistricts
        for community in sub.communities
        for compound in community.compounds
    }


_COMPOUNDS_BY_CODE = _compound_codes()


def _all_buildings(compound_code: str) -> tuple[_Grant, ...]:
    """A captain covering every building of one compound."""
    buildings = _COMPOUNDS_BY_CODE[compound_code].buildings
    return tuple(_captain(_building_code(compound_code, number)) for number, _ in buildings)


@dataclass(frozen=True)
class _Team:
    """A compound where one station head and one captain for every building is all there is."""

    compound_code: str
    login: str  # head.<login>, captain.<login>
    head: tuple[str, str]  # full name, phone
    captain: tuple[str, str]


_TEAMS = (
    _Team(_ZHONGTIE, "zhongtie", ("高建国", "13892851101"), ("杨卫东", "13892851102")),
    _Team(_QINGDONG, "qingdong", ("雷振华", "13892851201"), ("曹永红", "13892851202")),
    _Team(f"{_XJM_COMMUNITY}-zhonghai", "zhonghai", ("薛梅", "13891820561"), ("彭晓军", "13991736201")),
    _Team(f"{_XJM_COMMUNITY}-baoli", "baoli", ("袁志勇", "13891820572"), ("许文静", "13991736212")),
    _Team(f"{_XJM_COMMUNITY}-tianding", "tianding", ("严秀兰", "13891820583"), ("邓志明", "13991736223")),
    _Team(f"{_XJM_COMMUNITY}-weilan", "weilan", ("蒋涛", "13891820594"), ("潘玉兰", "13991736234")),
    _Team(f"{_GYT_COMMUNITY}-chenjiabao", "chenjiabao", ("陈建平", "13891820605"), ("陈德明", "13991736245")),
    _Team(f"{_GYT_COMMUNITY}-xinhe", "xinhe", ("宋丽华", "13891820616"), ("康建华", "13991736256")),
    _Team(f"{_GYT_COMMUNITY}-weibin-a", "weibin", ("白永胜", "13891820627"), ("姚淑珍", "13991736267")),
)


def _team_people(team: _Team) -> tuple[_Person, _Person]:
    compound = _COMPOUNDS_BY_CODE[team.compound_code]
    numbers = [number for number, _ in compound.buildings]
    covers = f"{numbers[0]}–{numbers[-1]}" if len(numbers) > 1 else numbers[0]
    return (
        _person(f"head.{team.login}", *team.head, f"station head, {compound.name}",
                _Grant(Role.station_head, team.compound_code)),
        _person(f"captain.{team.login}", *team.captain, f"building captain, {compound.name} {covers}",
                *_all_buildings(team.compound_code)),
    )


_STAFF: tuple[_Person, ...] = (
    # Weiyang: the district, the subdistrict desks and the communities.
    _person("admin", "韩志刚", "13809186001", "district admin, 未央区",
            _Grant(Role.district_admin, DEMO_DISTRICT_CODE)),
    _person("duty.weiyanghu", "杜晓燕", "13809186011", "subdistrict staff, duty desk, 未央湖街道",
            _Grant(Role.subdistrict_staff, _WYH, department=Department.duty_desk)),
    _person("safety.weiyanghu", "冯建军", "13809186012", "subdistrict staff, safety supervision, 未央湖街道",
            _Grant(Role.subdistrict_staff, _WYH, department=Department.safety_supervision)),
    _person("duty.daminggong", "赵敏", "13809186021", "subdistrict staff, duty desk, 大明宫街道",
            _Grant(Role.subdistrict_staff, _DMG, department=Department.duty_desk)),
    _person("duty.hancheng", "郭丽娟", "13809186031", "subdistrict staff, duty desk, 汉城街道",
            _Grant(Role.subdistrict_staff, _HC, department=Department.duty_desk)),
    _person("duty.xinjiamiao", "何海涛", "13809186041", "subdistrict staff, duty desk, 辛家庙街道",
            _Grant(Role.subdistrict_staff, _XJM, department=Department.duty_desk)),
    _person("community.taihualu", "吴秀梅", "13809186101", "community staff, 太华路社区",
            _Grant(Role.community_staff, f"{_DMG}-taihualu")),
    _person("community.weiyanghu", "罗春燕", "13809186102", "community staff, 未央湖社区",
            _Grant(Role.community_staff, f"{_WYH}-weiyanghu")),
    _person("community.qingdong", "段伟", "13809186103", "community staff, 青东社区",
            _Grant(Role.community_staff, f"{_HC}-qingdong")),
    _person("community.xinjiamiao", "马丽萍", "13809186104", "community staff, 辛家庙社区",
            _Grant(Role.community_staff, _XJM_COMMUNITY)),
    _person("community.guangyuntan", "田红霞", "13809186105", "community staff, 广运潭社区",
            _Grant(Role.community_staff, _GYT_COMMUNITY)),
    # 翠湖明居: the compound of the facade story, with its head, property manager and four captains.
    _person("head.cuihu", "张红梅", "13892851001", "station head, 翠湖明居",
            _Grant(Role.station_head, _CUIHU)),
    _person("pm.cuihu", "胡志鹏", "13892851002", "property manager, 翠湖明居",
            _Grant(Role.property_manager, _CUIHU)),
    _person("captain.cuihu9a", "李建国", "13892851011", "building captain, 翠湖明居 9号楼 unit 1",
            _captain(f"{_CUIHU}-9", (1,))),
    _person("captain.cuihu9b", "王芳", "13892851012", "building captain, 翠湖明居 9号楼 unit 2",
            _captain(f"{_CUIHU}-9", (2,))),
    _person("captain.away", "刘强", "13892851013", "building captain, 翠湖明居 10号楼 (away; backup captain.backup)",
            _captain(f"{_CUIHU}-10")),
    _person("captain.backup", "孙桂芝", "13892851014",
            "building captain, 翠湖明居 8号楼 and 11号楼; backup for captain.away",
            _captain(f"{_CUIHU}-8"), _captain(f"{_CUIHU}-11")),
    # The other compounds: a station head and one captain for every building each.
    *(person for team in _TEAMS for person in _team_people(team)),
    # Beijing: a district admin, the subdistrict's duty desk, and the people of 南池子大街.
    _person("admin.dongcheng", "王立新", "13901101001", "district admin, 东城区 (Beijing)",
            _Grant(Role.district_admin, "110101")),
    _person("duty.donghuamen", "刘畅", "13901101011", "subdistrict staff, duty desk, 东华门街道",
            _Grant(Role.subdistrict_staff, _DHM, department=Department.duty_desk)),
    _person("chief.nanchizi", "张卫国", "13901101021", "street chief, 南池子大街",
            _Grant(Role.street_chief, f"{_DHM}-nanchizi")),
    _person("steward.nanchizi", "李淑华", "13901101022", "alley steward, 南池子大街",
            _Grant(Role.alley_steward, f"{_DHM}-nanchizi")),
)


@dataclass(frozen=True)
class _Resident:
    username: str | None  # None: no sign-in (their captain acts for them)
    full_name: str
    phone: str | None
    compound_code: str
    building: str  # the number as residents say it
    unit: int
    room: str

    @property
    def building_code(self) -> str:
        return _building_code(self.compound_code, self.building)

    @property
    def about(self) -> str:
        compound = _COMPOUNDS_BY_CODE[self.compound_code].name
        return f"resident, {compound} {self.building} unit {self.unit}, room {self.room}"


_RESIDENTS: tuple[_Resident, ...] = (
    _Resident("resident.wang", "王秀英", "13909181234", _CUIHU, "9号楼", 2, "301"),
    _Resident("resident.zhao", "赵建华", "13909181267", _CUIHU, "9号楼", 1, "502"),
    # The 77-year-old veteran whose preferential-treatment card his captain got for him at home: a plain
    # resident row (age and veteran status belong to the elderly-care records, which are not built yet).
    _Resident(None, "刘振山", "029-86031178", _CUIHU, "9号楼", 1, "101"),
    _Resident("resident.chen", "陈丽", "13709182045", _CUIHU, "10号楼", 1, "602"),
    # Over 70 and living alone: one of those given a smart wristband.
    _Resident(None, "孙秀珍", "13609183310", _CUIHU, "10号楼", 2, "201"),
    _Resident("resident.li", "李桂兰", "13509184421", _ZHONGTIE, "9栋", 2, "401"),
    _Resident("resident.zhou", "周文博", "18691845532", _ZHONGTIE, "9栋", 3, "203"),
    _Resident(None, "马德胜", "13891846643", _ZHONGTIE, "9栋", 1, "102"),
)

# Away from yesterday for two weeks; work meant for them goes to their backup.
_AWAY = ("captain.away", "captain.backup", "回老家照顾住院的母亲")
_AWAY_FROM_DAYS, _AWAY_UNTIL_DAYS = -1, 14

DEMO_ACCOUNTS: list[tuple[str, str]] = [(p.username, p.about) for p in _STAFF] + [
    (r.username, r.about) for r in _RESIDENTS if r.username is not None
]


async def load_demo(session: AsyncSession, today: date | None = None) -> bool:
    """Loads the demo places, staff, residents and one absence in the caller's transaction (flushed, not
    committed). Returns False, writing nothing, when the demo district (code 610112) already exists.

    ``today`` (default: the current UTC date) places the absence: from the day before to two weeks after.
    """
    if await session.scalar(select(Area.id).where(Area.code == DEMO_DISTRICT_CODE)) is not None:
        return False
    today = today or datetime.now(UTC).date()
    areas = await _load_places(session)

    staff_ids: dict[str, int] = {}
    for person in _STAFF:
        created = await create_staff_unchecked(
            session,
            StaffCreate(
                username=person.username,
                password=DEMO_PASSWORD,
                full_name=person.full_name,
                phone=person.phone,
                roles=[
                    RoleAssign(
                        role=grant.role,
                        area_id=areas[grant.area_code].id,
                        units=list(grant.units) if grant.units else None,
                        department=grant.department,
                    )
                    for grant in person.grants
                ],
            ),
        )
        staff_ids[person.username] = created.id

    for resident in _RESIDENTS:
        await create_resident(
            session,
            None,
            ResidentCreate(
                full_name=resident.full_name,
                phone=resident.phone,
                building_id=areas[resident.building_code].id,
                unit=resident.unit,
                room=resident.room,
                username=resident.username,
                password=DEMO_PASSWORD if resident.username is not None else None,
            ),
        )

    away, backup, reason = _AWAY
    session.add(
        StaffAbsence(
            staff_id=staff_ids[away],
            starts_on=today + timedelta(days=_AWAY_FROM_DAYS),
            ends_on=today + timedelta(days=_AWAY_UNTIL_DAYS),
            backup_staff_id=staff_ids[backup],
            reason=reason,
        )
    )
    await session.flush()
    return True
