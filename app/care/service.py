"""Elder profiles, care records, readings, per-area care settings and the alarms' staff actions.

Health data and emergency contacts are sensitive: returned only to the assigned captain and volunteer, the
station head of the elder's compound and district admins (see ``access.sensitive_basis``), and every read that
returns them is logged. Everyone else who may see the elder gets the record without them
(``sensitive_hidden: true``). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.care import access
from app.care.access import ELDER_SENSITIVE, RECORD_SENSITIVE, ElderPlace
from app.care.errors import AlarmNotFound, IllegalAlarmTransition
from app.care.models import (
    OPEN_ALARM_STATUSES,
    AlarmStatus,
    AreaCareSetting,
    CareAlarm,
    CareRecord,
    CareRecordKind,
    Elder,
    ElderService,
    SensitiveReadLog,
    WristbandReading,
)
from app.care.schemas import (
    AlarmRead,
    AreaCareSettingRead,
    AreaCareSettingWrite,
    Bounds,
    CareRecordCreate,
    CareRecordRead,
    ElderCreate,
    ElderRead,
    ElderUpdate,
    EmergencyContact,
    PersonRef,
    ReadingRead,
    SafeZone,
    SensitiveReadRead,
    VitalThresholds,
)
from app.core.actor import Actor
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.pagination import decode_cursor, encode_cursor
from app.core.schemas import Page
from app.core.time import Clock
from app.people.models import Resident, Staff
from app.requests import repository as requests_repository
from app.requests import service as requests_service
from app.requests.models import ServiceRequest
from app.volunteers import service as volunteers_service
from app.volunteers.models import TaskKind, TaskSource, TaskStatus, Volunteer, VolunteerTask

# Defaults of the vital thresholds, per measure: (min, max), both inclusive bounds of the normal range.
DEFAULT_THRESHOLDS: dict[str, tuple[int, int]] = {"heart_rate": (50, 120), "systolic": (90, 160),
                                                  "diastolic": (60, 100)}
DEFAULT_VISIT_INTERVAL_DAYS = 7


def thresholds_of(elder: Elder) -> dict[str, tuple[int, int]]:
    """The thresholds in force: the defaults, with each bound the elder overrides."""
    out = dict(DEFAULT_THRESHOLDS)
    for measure, bounds in (elder.vital_thresholds or {}).items():
        if measure in out and isinstance(bounds, dict):
            low, high = out[measure]
            out[measure] = (bounds.get("min") if bounds.get("min") is not None else low,
                            bounds.get("max") if bounds.get("max") is not None else high)
    return out


# Elders: reads ------------------------------------------------------------------------------------------


async def _names(session: AsyncSession, staff_ids: Sequence[int | None], volunteer_ids: Sequence[int | None]) -> (
    tuple[dict[int, str], dict[int, str]]
):
    staff_wanted = {i for i in staff_ids if i is not None}
    volunteer_wanted = {i for i in volunteer_ids if i is not None}
    staff = dict((await session.execute(select(Staff.id, Staff.full_name).where(Staff.id.in_(staff_wanted))))
                 .all()) if staff_wanted else {}
    volunteers = dict((await session.execute(select(Volunteer.id, Volunteer.full_name)
                                             .where(Volunteer.id.in_(volunteer_wanted)))).all()
                      ) if volunteer_wanted else {}
    return staff, volunteers


async def last_visits(session: AsyncSession, elder_ids: Sequence[int]) -> dict[int, datetime]:
    """Each elder's latest visit: a visit care record, or a completed home-visit task."""
    if not elder_ids:
        return {}
    out: dict[int, datetime] = {}
    records = await session.execute(
        select(CareRecord.elder_id, func.max(CareRecord.occurred_at))
        .where(CareRecord.elder_id.in_(elder_ids), CareRecord.kind == CareRecordKind.visit)
        .group_by(CareRecord.elder_id)
    )
    tasks = await session.execute(
        select(VolunteerTask.elder_id, func.max(VolunteerTask.completed_at))
        .where(VolunteerTask.elder_id.in_(elder_ids), VolunteerTask.kind == TaskKind.home_visit,
               VolunteerTask.status == TaskStatus.completed)
        .group_by(VolunteerTask.elder_id)
    )
    for elder_id, at in [*records, *tasks]:
        if elder_id is not None and at is not None and (elder_id not in out or at > out[elder_id]):
            out[elder_id] = at
    return out


async def _elder_reads(
    session: AsyncSession, actor: Actor, elder_places: Sequence[ElderPlace], *, now: datetime,
    include_sensitive: bool, resource: str = "elder",
) -> list[ElderRead]:
    elders = [p.elder for p in elder_places]
    staff, volunteers = await _names(session, [e.captain_staff_id for e in elders], [e.volunteer_id for e in elders])
    visits = await last_visits(session, [e.id for e in elders])
    out: list[ElderRead] = []
    logged: list[tuple[int, str, Sequence[str]]] = []
    for place in elder_places:
        e = place.elder
        basis = access.sensitive_basis(actor, place) if include_sensitive else None
        read = ElderRead(
            id=e.id,
            resident_id=e.resident_id,
            full_name=place.resident.full_name,
            building_id=place.building.id,
            building_name=place.building.name,
            unit=place.resident.unit,
            room=place.resident.room,
            compound_id=place.building.parent_id,
            birth_year=e.birth_year,
            lives_alone=e.lives_alone,
            mobility=e.mobility,
            services=list(e.services or []),
            wristband_device_id=e.wristband_device_id,
            captain=PersonRef(id=e.captain_staff_id, full_name=staff.get(e.captain_staff_id, ""))
            if e.captain_staff_id else None,
            volunteer=PersonRef(id=e.volunteer_id, full_name=volunteers.get(e.volunteer_id, ""))
            if e.volunteer_id else None,
            safe_zone=SafeZone(latitude=e.safe_zone_latitude, longitude=e.safe_zone_longitude,
                               radius_m=e.safe_zone_radius_m)
            if e.safe_zone_latitude is not None and e.safe_zone_longitude is not None and e.safe_zone_radius_m
            else None,
            visit_interval_days=e.visit_interval_days,
            last_visit_at=visits.get(e.id),
            is_active=e.is_active,
            created_at=e.created_at,
            sensitive_hidden=basis is None,
        )
        if basis is not None:
            read.conditions = list(e.conditions or [])
            read.emergency_contacts = [EmergencyContact.model_validate(c) for c in e.emergency_contacts or []]
            read.vital_thresholds = VitalThresholds(
                **{m: Bounds(min=low, max=high) for m, (low, high) in thresholds_of(e).items()}
            )
            logged.append((e.id, basis, ELDER_SENSITIVE))
        out.append(read)
    await access.log_reads(session, actor, logged, resource=resource, now=now)
    return out


async def get_elder(session: AsyncSession, actor: Actor, elder_id: int, *, clock: Clock) -> ElderRead:
    """One elder; the sensitive fields only for those who may read them (and then the read is logged)."""
    place = await access.load(session, actor, elder_id)
    return (await _elder_reads(session, actor, [place], now=clock.now(), include_sensitive=True))[0]


async def list_elders(
    session: AsyncSession,
    actor: Actor,
    *,
    area_id: int | None,
    lives_alone: bool | None,
    cursor: str | None,
    limit: int,
    clock: Clock,
) -> Page[ElderRead]:
    """Elders the caller may see, by id. Lists never carry the sensitive fields (read one elder for them), so a
    list is never a bulk read of health data."""
    conditions: list[Any] = []
    if actor.volunteer_id is not None:
        conditions.append(Elder.volunteer_id == actor.volunteer_id)
    elif actor.is_staff:
        scope = [Area.path.startswith(p, autoescape=True) for p in actor.scope_paths()]
        conditions.append(or_(*scope, Elder.captain_staff_id == actor.staff_id))
    else:
        raise Forbidden("Only staff and volunteers see elders")
    if area_id is not None:
        path = await requests_repository.area_path(session, area_id)
        if path is None:
            raise InvalidInput(f"No area {area_id}", field="query.area_id")
        conditions.append(Area.path.startswith(path, autoescape=True))
    if lives_alone is not None:
        conditions.append(Elder.lives_alone.is_(lives_alone))
    if cursor:
        (after,) = decode_cursor(cursor, (int,))
        conditions.append(Elder.id > after)
    rows = list(
        await session.execute(
            select(Elder, Resident, Area)
            .join(Resident, Resident.id == Elder.resident_id)
            .join(Area, Area.id == Resident.building_id)
            .where(*conditions)
            .order_by(Elder.id)
            .limit(limit + 1)
        )
    )
    elder_places = [ElderPlace(e, r, a) for e, r, a in rows[:limit]]
    items = await _elder_reads(session, actor, elder_places, now=clock.now(), include_sensitive=False)
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None)


# Elders: writes -----------------------------------------------------------------------------------------


async def _captain(session: AsyncSession, staff_id: int, building: Area) -> int:
    paths = await requests_repository.assignable_role_paths(session, staff_id)
    if not paths or not any(building.path.startswith(p) or p.startswith(building.path) for p in paths):
        raise InvalidInput(f"Staff {staff_id} is not active staff with a role on {building.name}",
                           field="body.captain_staff_id")
    return staff_id


async def _volunteer(session: AsyncSession, volunteer_id: int, building: Area) -> int:
    volunteer = await session.get(Volunteer, volunteer_id)
    community = volunteers_service.parent_path(volunteers_service.parent_path(building.path))
    if volunteer is None or not volunteer.is_active or not volunteer.area_path.startswith(community):
        raise InvalidInput(f"No active volunteer {volunteer_id} in the elder's community", field="body.volunteer_id")
    return volunteer.id


async def _device_free(session: AsyncSession, device_id: str, elder_id: int | None) -> None:
    holder = await session.scalar(select(Elder.id).where(Elder.wristband_device_id == device_id))
    if holder is not None and holder != elder_id:
        raise Conflict(f"Wristband {device_id} is already worn by elder {holder}")


def _apply(elder: Elder, values: dict[str, Any]) -> None:
    for key in ("birth_year", "lives_alone", "mobility", "conditions", "visit_interval_days", "is_active"):
        if key in values:
            setattr(elder, key, values[key])
    if "emergency_contacts" in values:
        elder.emergency_contacts = values["emergency_contacts"] or []
    if "services" in values:
        elder.services = sorted(set(values["services"] or []))
    if "vital_thresholds" in values:
        elder.vital_thresholds = {k: v for k, v in (values["vital_thresholds"] or {}).items() if v is not None}
    if "safe_zone" in values:
        zone = values["safe_zone"]
        elder.safe_zone_latitude = zone["latitude"] if zone else None
        elder.safe_zone_longitude = zone["longitude"] if zone else None
        elder.safe_zone_radius_m = zone["radius_m"] if zone else None
    if "wristband_device_id" in values:
        elder.wristband_device_id = values["wristband_device_id"]
    if elder.wristband_device_id and ElderService.wristband not in (elder.services or []):
        elder.services = sorted({*(elder.services or []), ElderService.wristband.value})


async def create_elder(session: AsyncSession, actor: Actor, body: ElderCreate, *, clock: Clock) -> ElderRead:
    """A profile for a resident of a building the caller manages (one per resident); the captain must hold a
    role on the building and the volunteer belong to the elder's community; a wristband id is unique."""
    resident = await session.get(Resident, body.resident_id)
    building = await session.get(Area, resident.building_id) if resident else None
    if resident is None or building is None or not actor.covers(building.path):
        raise InvalidInput(f"No resident {body.resident_id} in your areas", field="body.resident_id")
    if not actor.manages(building.path):
        raise Forbidden("Only managers of the elder's area keep elder profiles")
    if await session.scalar(select(Elder.id).where(Elder.resident_id == resident.id)) is not None:
        raise Conflict(f"Resident {resident.id} already has an elder profile")
    if body.wristband_device_id:
        await _device_free(session, body.wristband_device_id, None)
    values = body.model_dump(mode="json", exclude={"resident_id", "captain_staff_id", "volunteer_id"})
    now = clock.now()
    elder = Elder(resident_id=resident.id, created_at=now, is_active=True, conditions=[], emergency_contacts=[],
                  services=[], vital_thresholds={})
    _apply(elder, values)
    if body.captain_staff_id is not None:
        elder.captain_staff_id = await _captain(session, body.captain_staff_id, building)
    if body.volunteer_id is not None:
        elder.volunteer_id = await _volunteer(session, body.volunteer_id, building)
    session.add(elder)
    await session.flush()
    return (await _elder_reads(session, actor, [ElderPlace(elder, resident, building)], now=now,
                               include_sensitive=True))[0]


async def update_elder(
    session: AsyncSession, actor: Actor, elder_id: int, body: ElderUpdate, *, clock: Clock
) -> ElderRead:
    """Changes the fields given (managers of the elder's area)."""
    place = await access.load(session, actor, elder_id, lock=True)
    if not actor.manages(place.path):
        raise Forbidden("Only managers of the elder's area keep elder profiles")
    values = body.model_dump(mode="json", exclude_unset=True)
    for required in ("birth_year", "lives_alone", "mobility", "conditions", "emergency_contacts", "services",
                     "is_active"):
        if required in values and values[required] is None:
            raise InvalidInput(f"{required} cannot be null", field=f"body.{required}")
    if values.get("wristband_device_id"):
        await _device_free(session, values["wristband_device_id"], place.elder.id)
    elder = place.elder
    if "captain_staff_id" in values:
        elder.captain_staff_id = (await _captain(session, values["captain_staff_id"], place.building)
                                  if values["captain_staff_id"] is not None else None)
    if "volunteer_id" in values:
        elder.volunteer_id = (await _volunteer(session, values["volunteer_id"], place.building)
                              if values["volunteer_id"] is not None else None)
    _apply(elder, {k: v for k, v in values.items() if k not in ("captain_staff_id", "volunteer_id")})
    await session.flush()
    return (await _elder_reads(session, actor, [place], now=clock.now(), include_sensitive=True))[0]


# Care records -------------------------------------------------------------------------------------------


async def _record_reads(
    session: AsyncSession, actor: Actor, place: ElderPlace, records: Sequence[CareRecord], *, now: datetime,
    log: bool = True,
) -> list[CareRecordRead]:
    staff, volunteers = await _names(session, [r.staff_id for r in records], [r.volunteer_id for r in records])
    basis = access.sensitive_basis(actor, place)
    out = []
    for r in records:
        read = CareRecordRead(
            id=r.id, elder_id=r.elder_id, kind=r.kind, service=r.service, occurred_at=r.occurred_at,
            staff=PersonRef(id=r.staff_id, full_name=staff.get(r.staff_id, "")) if r.staff_id else None,
            volunteer=PersonRef(id=r.volunteer_id, full_name=volunteers.get(r.volunteer_id, ""))
            if r.volunteer_id else None,
            created_at=r.created_at, sensitive_hidden=basis is None,
        )
        if basis is not None:
            read.notes, read.systolic, read.diastolic, read.heart_rate = r.notes, r.systolic, r.diastolic, r.heart_rate
        out.append(read)
    if basis is not None and records and log:
        await access.log_reads(session, actor, [(place.elder.id, basis, RECORD_SENSITIVE)], resource="care_records",
                               now=now)
    return out


async def add_care_record(
    session: AsyncSession, actor: Actor, elder_id: int, body: CareRecordCreate, *, clock: Clock
) -> CareRecordRead:
    """A visit or a delivered service, by staff who see the elder or by the elder's volunteer (the visitor is the
    caller). The answer shows the sensitive fields back only to those who may read them (not logged: the caller
    just wrote them)."""
    if not (actor.is_staff or actor.volunteer_id is not None):
        raise Forbidden("Only staff and volunteers record care")
    place = await access.load(session, actor, elder_id)
    now = clock.now()
    occurred_at = body.occurred_at or now
    if occurred_at > now:
        raise InvalidInput("A care record cannot be in the future", field="body.occurred_at")
    record = CareRecord(
        elder_id=place.elder.id, kind=body.kind, service=body.service, occurred_at=occurred_at,
        staff_id=actor.staff_id, volunteer_id=actor.volunteer_id, notes=body.notes, systolic=body.systolic,
        diastolic=body.diastolic, heart_rate=body.heart_rate, recorded_by_account_id=actor.account_id,
        created_at=now,
    )
    session.add(record)
    await session.flush()
    return (await _record_reads(session, actor, place, [record], now=now, log=False))[0]


async def list_care_records(
    session: AsyncSession,
    actor: Actor,
    elder_id: int,
    *,
    kind: CareRecordKind | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
    clock: Clock,
) -> Page[CareRecordRead]:
    """The elder's care records, newest first; notes and vitals only for those who may read them (logged)."""
    place = await access.load(session, actor, elder_id)
    stmt = select(CareRecord).where(CareRecord.elder_id == place.elder.id)
    if kind is not None:
        stmt = stmt.where(CareRecord.kind == kind)
    if since is not None:
        stmt = stmt.where(CareRecord.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(CareRecord.occurred_at < until)
    if cursor:
        at, record_id = decode_cursor(cursor, (datetime, int))
        stmt = stmt.where(
            (CareRecord.occurred_at < at) | ((CareRecord.occurred_at == at) & (CareRecord.id < record_id))
        )
    rows = list(await session.scalars(stmt.order_by(CareRecord.occurred_at.desc(), CareRecord.id.desc())
                                      .limit(limit + 1)))
    items = await _record_reads(session, actor, place, rows[:limit], now=clock.now())
    last = rows[limit - 1] if len(rows) > limit else None
    return Page(items=items, next_cursor=encode_cursor([last.occurred_at, last.id]) if last else None)


async def list_readings(
    session: AsyncSession, actor: Actor, elder_id: int, *, since: datetime | None, until: datetime | None,
    limit: int, clock: Clock,
) -> list[ReadingRead]:
    """The elder's wristband readings, newest first: sensitive, so only for those who may read health data
    (403 for others who see the elder), and logged."""
    place = await access.load(session, actor, elder_id)
    basis = access.sensitive_basis(actor, place)
    if basis is None:
        raise Forbidden("Wristband readings are health data: only the elder's captain, volunteer, station head "
                        "and district admins read them")
    stmt = select(WristbandReading).where(WristbandReading.elder_id == place.elder.id)
    if since is not None:
        stmt = stmt.where(WristbandReading.recorded_at >= since)
    if until is not None:
        stmt = stmt.where(WristbandReading.recorded_at < until)
    rows = list(await session.scalars(stmt.order_by(WristbandReading.recorded_at.desc(), WristbandReading.id.desc())
                                      .limit(limit)))
    if rows:
        await access.log_reads(session, actor, [(place.elder.id, basis, ("readings",))], resource="readings",
                               now=clock.now())
    return [ReadingRead.model_validate(r) for r in rows]


async def list_sensitive_reads(
    session: AsyncSession, actor: Actor, elder_id: int, *, limit: int
) -> list[SensitiveReadRead]:
    """Who read the elder's sensitive fields, newest first: for the station head of the elder's compound and
    district admins."""
    place = await access.load(session, actor, elder_id)
    if access.sensitive_basis(actor, place) not in ("station_head", "district_admin"):
        raise Forbidden("Only the station head and district admins read the sensitive-read log")
    rows = await session.scalars(
        select(SensitiveReadLog).where(SensitiveReadLog.elder_id == place.elder.id)
        .order_by(SensitiveReadLog.read_at.desc(), SensitiveReadLog.id.desc()).limit(limit)
    )
    return [SensitiveReadRead.model_validate(r) for r in rows]


# Area settings ------------------------------------------------------------------------------------------


async def interval_settings(session: AsyncSession) -> list[tuple[str, int, int]]:
    """(area path, area id, visit interval days) of every area with a setting, deepest first."""
    rows = await session.execute(
        select(Area.path, Area.id, AreaCareSetting.visit_interval_days).join(Area, Area.id == AreaCareSetting.area_id)
    )
    return sorted(rows, key=lambda row: -len(row[0]))


def interval_for(path: str, settings: Sequence[tuple[str, int, int]], own: int | None) -> tuple[int, int | None]:
    """(days, area id it comes from): the elder's own override, else the nearest area's, else the default."""
    if own is not None:
        return own, None
    for area_path, area_id, days in settings:
        if path.startswith(area_path):
            return days, area_id
    return DEFAULT_VISIT_INTERVAL_DAYS, None


async def _setting_area(session: AsyncSession, actor: Actor, area_id: int) -> Area:
    area = await session.get(Area, area_id)
    if area is None or not actor.covers(area.path):
        raise NotFound(f"Area {area_id} was not found")
    return area


async def get_area_setting(session: AsyncSession, actor: Actor, area_id: int) -> AreaCareSettingRead:
    area = await _setting_area(session, actor, area_id)
    days, source = interval_for(area.path, await interval_settings(session), None)
    return AreaCareSettingRead(area_id=area.id, visit_interval_days=days, set_on_area_id=source)


async def put_area_setting(
    session: AsyncSession, actor: Actor, area_id: int, body: AreaCareSettingWrite
) -> AreaCareSettingRead:
    """Sets the visit interval for an area the caller manages and everything under it."""
    area = await _setting_area(session, actor, area_id)
    if not actor.manages(area.path):
        raise Forbidden(f"You do not manage {area.name}")
    setting = await session.scalar(select(AreaCareSetting).where(AreaCareSetting.area_id == area.id))
    if setting is None:
        session.add(AreaCareSetting(area_id=area.id, visit_interval_days=body.visit_interval_days))
    else:
        setting.visit_interval_days = body.visit_interval_days
    await session.flush()
    return AreaCareSettingRead(area_id=area.id, visit_interval_days=body.visit_interval_days, set_on_area_id=area.id)


# Alarms: reads and staff actions ------------------------------------------------------------------------


def _alarm_actions(actor: Actor, alarm: CareAlarm, place: ElderPlace) -> list[str]:
    if not actor.is_staff:
        return []
    status = AlarmStatus(alarm.status)
    actions = []
    if status == AlarmStatus.active:
        actions.append("acknowledge")
    if status in OPEN_ALARM_STATUSES:
        actions.append("clear")
    return actions


async def _alarm_reads(
    session: AsyncSession, actor: Actor, alarms: Sequence[CareAlarm], *, now: datetime
) -> list[AlarmRead]:
    elder_places = await access.places(session, [a.elder_id for a in alarms])
    out = []
    logged: dict[int, str] = {}
    for a in alarms:
        place = elder_places[a.elder_id]
        basis = access.sensitive_basis(actor, place)
        out.append(AlarmRead(
            id=a.id, elder_id=a.elder_id, elder_name=place.resident.full_name, kind=a.kind, status=a.status,
            first_at=a.first_at, last_at=a.last_at, count=a.count, request_id=a.request_id,
            captain_staff_id=a.captain_staff_id, volunteer_id=a.volunteer_id, volunteer_task_id=a.volunteer_task_id,
            acknowledged_at=a.acknowledged_at, cleared_at=a.cleared_at, clear_note=a.clear_note,
            created_at=a.created_at, sensitive_hidden=basis is None, detail=dict(a.detail) if basis else None,
            allowed_actions=_alarm_actions(actor, a, place),
        ))
        if basis is not None and a.detail:
            logged[a.elder_id] = basis
    await access.log_reads(session, actor, [(e, b, ("alarm_detail",)) for e, b in logged.items()],
                           resource="alarms", now=now)
    return out


async def _load_alarm(session: AsyncSession, actor: Actor, alarm_id: int, *, lock: bool = False) -> (
    tuple[CareAlarm, ElderPlace]
):
    stmt = select(CareAlarm).where(CareAlarm.id == alarm_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    alarm = await session.scalar(stmt)
    place = (await access.places(session, [alarm.elder_id])).get(alarm.elder_id) if alarm else None
    if alarm is None or place is None or not access.sees(actor, place):
        raise AlarmNotFound(f"Alarm {alarm_id} was not found")
    return alarm, place


async def get_alarm(session: AsyncSession, actor: Actor, alarm_id: int, *, clock: Clock) -> AlarmRead:
    alarm, _ = await _load_alarm(session, actor, alarm_id)
    return (await _alarm_reads(session, actor, [alarm], now=clock.now()))[0]


async def list_alarms(
    session: AsyncSession,
    actor: Actor,
    *,
    statuses: Sequence[AlarmStatus],
    elder_id: int | None,
    cursor: str | None,
    limit: int,
    clock: Clock,
) -> Page[AlarmRead]:
    """Alarms the caller may see, newest first: staff those of elders in their areas or assigned to them; a
    volunteer those of their elders."""
    stmt = (
        select(CareAlarm)
        .join(Elder, Elder.id == CareAlarm.elder_id)
        .join(Resident, Resident.id == Elder.resident_id)
        .join(Area, Area.id == Resident.building_id)
    )
    if actor.volunteer_id is not None:
        stmt = stmt.where(or_(CareAlarm.volunteer_id == actor.volunteer_id, Elder.volunteer_id == actor.volunteer_id))
    elif actor.is_staff:
        stmt = stmt.where(or_(*[Area.path.startswith(p, autoescape=True) for p in actor.scope_paths()],
                              Elder.captain_staff_id == actor.staff_id))
    else:
        raise Forbidden("Only staff and volunteers see alarms")
    if statuses:
        stmt = stmt.where(CareAlarm.status.in_([str(s) for s in statuses]))
    if elder_id is not None:
        stmt = stmt.where(CareAlarm.elder_id == elder_id)
    if cursor:
        (before,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(CareAlarm.id < before)
    rows = list(await session.scalars(stmt.order_by(CareAlarm.id.desc()).limit(limit + 1)))
    items = await _alarm_reads(session, actor, rows[:limit], now=clock.now())
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None)


async def _alarm_request(session: AsyncSession, alarm: CareAlarm) -> ServiceRequest | None:
    return await session.get(ServiceRequest, alarm.request_id) if alarm.request_id else None


async def acknowledge_alarm(
    session: AsyncSession, actor: Actor, alarm_id: int, *, note: str | None, clock: Clock
) -> AlarmRead:
    """Staff who see the elder: someone is on it (active → acknowledged). The urgent request keeps its own
    lifecycle; its history records the acknowledgement."""
    if not actor.is_staff:
        raise Forbidden("Only staff acknowledge alarms")
    alarm, place = await _load_alarm(session, actor, alarm_id, lock=True)
    if alarm.status != AlarmStatus.active:
        raise IllegalAlarmTransition(f"Cannot acknowledge an alarm that is {alarm.status}",
                                     allowed_actions=_alarm_actions(actor, alarm, place))
    now = clock.now()
    alarm.status = AlarmStatus.acknowledged
    alarm.acknowledged_at = now
    alarm.acknowledged_by_account_id = actor.account_id
    request = await _alarm_request(session, alarm)
    if request is not None:
        await requests_service.record_event(session, request, kind="alarm", action="acknowledged", now=now,
                                            note=note, data={"alarm_id": alarm.id}, actor=actor)
    await session.flush()
    return (await _alarm_reads(session, actor, [alarm], now=now))[0]


async def clear_alarm(session: AsyncSession, actor: Actor, alarm_id: int, *, note: str, clock: Clock) -> AlarmRead:
    """Staff who see the elder: the situation is over (active or acknowledged → cleared), with a note. The
    volunteer's alarm task is cancelled if they have not accepted it; a later reading raises a new alarm."""
    if not actor.is_staff:
        raise Forbidden("Only staff clear alarms")
    alarm, place = await _load_alarm(session, actor, alarm_id, lock=True)
    if alarm.status not in OPEN_ALARM_STATUSES:
        raise IllegalAlarmTransition(f"Cannot clear an alarm that is {alarm.status}",
                                     allowed_actions=_alarm_actions(actor, alarm, place))
    now = clock.now()
    alarm.status = AlarmStatus.cleared
    alarm.cleared_at = now
    alarm.cleared_by_account_id = actor.account_id
    alarm.clear_note = note
    request = await _alarm_request(session, alarm)
    if request is not None:
        await volunteers_service.cancel_unstarted_tasks_of_request(
            session, request.id, source=TaskSource.alarm, reason=f"报警已解除：{note}", now=now
        )
        await requests_service.record_event(session, request, kind="alarm", action="cleared", now=now, note=note,
                                            data={"alarm_id": alarm.id}, actor=actor)
    await session.flush()
    return (await _alarm_reads(session, actor, [alarm], now=now))[0]

