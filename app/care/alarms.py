"""Wristband readings in, alarms out.

A gateway posts a batch; each item is checked on its own (shape, known device inside the gateway's area, time
not ahead of the clock), kept once (device, kind, time), and looked at: an emergency call, vitals outside the
elder's thresholds, or a location outside the safe zone raises an alarm. A repeat of the same kind for the same
elder within ``FOLD_WINDOW`` of the open alarm's last reading counts into it instead. A new alarm files an
urgent request (channel ``wristband``, category ``wristband_alarm``: respond within 5 minutes) assigned at once,
as the system, to the elder's captain (their backup when they are away), and gives the elder's volunteer a
home-visit task linked to it. With no captain to take it, the request goes to the routing pipeline like any
other. Nothing here commits: the batch is one transaction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.care import access
from app.care.access import ElderPlace
from app.care.models import (
    OPEN_ALARM_STATUSES,
    AlarmKind,
    AlarmStatus,
    CareAlarm,
    Elder,
    ReadingKind,
    WristbandReading,
)
from app.care.schemas import (
    AcceptedItem,
    AlarmOutcome,
    BatchResult,
    BloodPressureValues,
    HeartRateValues,
    LocationValues,
    ReadingItem,
    RefusedItem,
)
from app.care.service import thresholds_of
from app.core.actor import SYSTEM, Actor
from app.core.config import Settings
from app.core.time import Clock
from app.integrations.models import Integration
from app.people import service as people_service
from app.requests import repository as requests_repository
from app.requests import service as requests_service
from app.requests.models import Channel, Priority, ServiceRequest
from app.requests.service import MachineIntake
from app.volunteers import service as volunteers_service
from app.volunteers.models import TaskKind, TaskSource, Volunteer
from app.webhooks import service as webhooks

# Repeats of the same kind for the same elder within this long of the open alarm's last reading fold into it.
FOLD_WINDOW = timedelta(minutes=30)
# A device clock may run a little ahead; a reading further ahead than this is refused.
CLOCK_SKEW = timedelta(minutes=5)
# The category alarms are filed under (seeded by revision 0006: urgent, respond 5 min, resolve 120 min).
ALARM_CATEGORY = "wristband_alarm"
ALARM_RESPOND = timedelta(minutes=5)
EARTH_RADIUS_M = 6_371_008.8

TITLES = {
    AlarmKind.emergency_call: "紧急呼叫：{name}",
    AlarmKind.abnormal_vitals: "生命体征异常：{name}",
    AlarmKind.left_safe_zone: "离开安全区域：{name}",
}
VALUES_SHAPE: dict[ReadingKind, type[BaseModel]] = {
    ReadingKind.heart_rate: HeartRateValues,
    ReadingKind.blood_pressure: BloodPressureValues,
    ReadingKind.location: LocationValues,
}


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def alarm_for(elder: Elder, kind: ReadingKind, values: dict[str, Any]) -> tuple[AlarmKind, dict[str, Any]] | None:
    """The alarm a reading raises (with what broke which limit), or None for a normal reading."""
    if kind == ReadingKind.emergency_call:
        return AlarmKind.emergency_call, {"kind": str(kind), "values": values}
    limits = thresholds_of(elder)
    measures: dict[str, int] = {}
    if kind == ReadingKind.heart_rate:
        measures = {"heart_rate": values["bpm"]}
    elif kind == ReadingKind.blood_pressure:
        measures = {"systolic": values["systolic"], "diastolic": values["diastolic"]}
    breaches = [
        {"measure": m, "value": v, "min": limits[m][0], "max": limits[m][1]}
        for m, v in measures.items()
        if not limits[m][0] <= v <= limits[m][1]
    ]
    if breaches:
        return AlarmKind.abnormal_vitals, {"kind": str(kind), "values": values, "breaches": breaches}
    if kind == ReadingKind.location and elder.safe_zone_radius_m and elder.safe_zone_latitude is not None \
            and elder.safe_zone_longitude is not None:
        distance = haversine_m(elder.safe_zone_latitude, elder.safe_zone_longitude, values["latitude"],
                               values["longitude"])
        if distance > elder.safe_zone_radius_m:
            return AlarmKind.left_safe_zone, {"kind": str(kind), "values": values, "distance_m": round(distance),
                                              "radius_m": elder.safe_zone_radius_m}
    return None


@dataclass
class _Item:
    index: int
    device_id: str
    kind: ReadingKind
    recorded_at: datetime
    values: dict[str, Any]
    place: ElderPlace | None = None
    reading_id: int | None = None
    duplicate: bool = False
    alarm_id: int | None = None


@dataclass
class _Batch:
    items: list[_Item] = field(default_factory=list)
    refused: list[RefusedItem] = field(default_factory=list)
    outcomes: dict[int, AlarmOutcome] = field(default_factory=dict)


def _parse(index: int, raw: Any, now: datetime) -> _Item | RefusedItem:
    device_id = raw.get("device_id") if isinstance(raw, dict) and isinstance(raw.get("device_id"), str) else None
    prefix = f"body.readings.{index}"
    try:
        item = ReadingItem.model_validate(raw)
        shape = VALUES_SHAPE.get(item.kind)
        prefix += ".values"
        values = shape.model_validate(item.values).model_dump(exclude_none=True) if shape else dict(item.values)
    except ValidationError as exc:
        errors = [{"field": ".".join([prefix, *(str(p) for p in e["loc"])]), "message": e["msg"], "type": e["type"]}
                  for e in exc.errors(include_url=False, include_context=False)]
        return RefusedItem(index=index, device_id=device_id, code="invalid_reading",
                           reason="; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    if item.recorded_at > now + CLOCK_SKEW:
        return RefusedItem(index=index, device_id=item.device_id, code="time_in_future",
                           reason=f"recorded_at {item.recorded_at.isoformat()} is ahead of the server clock")
    return _Item(index=index, device_id=item.device_id, kind=item.kind, recorded_at=item.recorded_at, values=values)


async def _elders_by_device(session: AsyncSession, device_ids: set[str], area_path: str) -> dict[str, ElderPlace]:
    """Active elders wearing these devices, inside the gateway's area; their rows locked (in id order, so two
    batches for the same elders queue rather than deadlock) for the fold-or-raise decision."""
    if not device_ids:
        return {}
    ids = list(await session.scalars(
        select(Elder.id).where(Elder.wristband_device_id.in_(device_ids), Elder.is_active.is_(True))
        .order_by(Elder.id).with_for_update()
    ))
    places = await access.places(session, ids)
    return {p.elder.wristband_device_id: p for p in places.values()
            if p.elder.wristband_device_id and p.path.startswith(area_path)}


async def _store(session: AsyncSession, items: list[_Item], integration_id: int, now: datetime) -> None:
    """Keeps each reading once (device, kind, time): a resent one is marked a duplicate and not looked at again.
    A plain INSERT: readings are an append-only stream, their own record."""
    if not items:
        return
    assert all(i.place is not None for i in items)
    rows = [{"elder_id": i.place.elder.id, "integration_id": integration_id,
             "device_id": i.device_id, "kind": str(i.kind), "recorded_at": i.recorded_at, "values": i.values,
             "received_at": now} for i in items]
    stmt = (
        pg_insert(WristbandReading)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["device_id", "kind", "recorded_at"])
        .returning(WristbandReading.id, WristbandReading.device_id, WristbandReading.kind,
                   WristbandReading.recorded_at)
    )
    kept = {(d, k, at): reading_id for reading_id, d, k, at in (await session.execute(stmt))}
    for item in items:
        key = (item.device_id, str(item.kind), item.recorded_at)
        if key in kept:
            item.reading_id = kept.pop(key)  # the first of the batch with this key; any later one is a repeat
        else:
            item.duplicate = True


async def receive_readings(
    session: AsyncSession, actor: Actor, readings: list[Any], *, clock: Clock, settings: Settings
) -> BatchResult:
    """Takes a gateway's batch: keeps every valid reading of a known device, refuses the others by index with a
    reason, and raises or folds alarms (see the module's docstring). One transaction for the whole batch."""
    now = clock.now()
    integration = await session.get_one(Integration, actor.integration_id)
    area_path = await requests_repository.area_path(session, integration.area_id) or "/"
    batch = _Batch()
    for index, raw in enumerate(readings):
        parsed = _parse(index, raw, now)
        if isinstance(parsed, RefusedItem):
            batch.refused.append(parsed)
        else:
            batch.items.append(parsed)
    by_device = await _elders_by_device(session, {i.device_id for i in batch.items}, area_path)
    known: list[_Item] = []
    for item in batch.items:
        item.place = by_device.get(item.device_id)
        if item.place is None:
            batch.refused.append(RefusedItem(index=item.index, device_id=item.device_id, code="unknown_device",
                                             reason=f"No elder wears device {item.device_id} in this gateway's area"))
        else:
            known.append(item)
    await _store(session, known, integration.id, now)
    # Oldest first per elder, so repeats fold in the order they happened.
    fresh = sorted((i for i in known if not i.duplicate), key=lambda i: (i.recorded_at, i.index))
    raised: dict[int, list[int]] = defaultdict(list)
    for item in fresh:
        assert item.place is not None
        found = alarm_for(item.place.elder, item.kind, item.values)
        if found is None:
            continue
        kind, detail = found
        alarm, new = await _fold_or_raise(session, actor, item.place, kind, item.recorded_at, detail, now=now,
                                          clock=clock, settings=settings)
        item.alarm_id = alarm.id
        assert item.reading_id is not None
        raised[alarm.id].append(item.reading_id)
        previous = batch.outcomes.get(alarm.id)
        reference = await _reference(session, alarm.request_id)
        batch.outcomes[alarm.id] = AlarmOutcome(
            alarm_id=alarm.id, elder_id=alarm.elder_id, kind=alarm.kind, new=new or bool(previous and previous.new),
            count=alarm.count, request_id=alarm.request_id, request_reference=reference,
        )
    for alarm_id, reading_ids in raised.items():
        await session.execute(update(WristbandReading).where(WristbandReading.id.in_(reading_ids))
                              .values(alarm_id=alarm_id))
    accepted = [AcceptedItem(index=i.index, reading_id=i.reading_id, duplicate=i.duplicate, alarm_id=i.alarm_id)
                for i in sorted(known, key=lambda i: i.index)]
    return BatchResult(received=len(readings), accepted=accepted, refused=sorted(batch.refused, key=lambda r: r.index),
                       alarms=list(batch.outcomes.values()))


async def _reference(session: AsyncSession, request_id: int | None) -> str | None:
    if request_id is None:
        return None
    return await session.scalar(select(ServiceRequest.reference).where(ServiceRequest.id == request_id))


async def _fold_or_raise(
    session: AsyncSession, actor: Actor, place: ElderPlace, kind: AlarmKind, at: datetime, detail: dict[str, Any],
    *, now: datetime, clock: Clock, settings: Settings,
) -> tuple[CareAlarm, bool]:
    """(the alarm, whether it is new). The elder's row is locked by the caller, so two batches decide one after
    the other."""
    open_alarm = await session.scalar(
        select(CareAlarm)
        .where(CareAlarm.elder_id == place.elder.id, CareAlarm.kind == kind,
               CareAlarm.status.in_([str(s) for s in OPEN_ALARM_STATUSES]))
        .order_by(CareAlarm.last_at.desc(), CareAlarm.id.desc())
        .limit(1)
    )
    if open_alarm is not None and abs(at - open_alarm.last_at) <= FOLD_WINDOW:
        open_alarm.count += 1
        open_alarm.last_at = max(open_alarm.last_at, at)
        open_alarm.detail = {**open_alarm.detail, "last": detail}
        await session.flush()
        request = await session.get(ServiceRequest, open_alarm.request_id) if open_alarm.request_id else None
        if request is not None:
            await requests_service.record_event(session, request, kind="alarm", action="repeat", now=now,
                                                data={"alarm_id": open_alarm.id, "count": open_alarm.count,
                                                      "at": at.isoformat()}, actor=actor)
        return open_alarm, False
    alarm = CareAlarm(
        elder_id=place.elder.id, kind=kind, status=AlarmStatus.active, first_at=at, last_at=at, count=1,
        detail={"first": detail}, captain_staff_id=place.elder.captain_staff_id,
        volunteer_id=place.elder.volunteer_id, created_at=now,
    )
    session.add(alarm)
    await session.flush()
    await _file_urgent_request(session, actor, place, alarm, detail, now=now, clock=clock, settings=settings)
    return alarm, True


async def _on_duty(session: AsyncSession, place: ElderPlace, now: datetime) -> tuple[int, str] | None:
    """(staff id, why) of who takes the elder's alarm: the captain, or their backup when they are away today;
    None when there is no captain, or the one named holds no role on the elder's building, or is away without
    a backup (then routing decides)."""
    captain = place.elder.captain_staff_id
    if captain is None:
        return None
    away = await people_service.away_on(session, [captain], now.astimezone(volunteers_service.LOCAL_ZONE).date())
    staff_id, why = (captain, "elder_captain")
    if captain in away:
        if away[captain] is None:
            return None
        staff_id, why = away[captain], "elder_captain_backup"
    paths = await requests_repository.assignable_role_paths(session, staff_id)
    building_path = place.path
    if not paths or not any(building_path.startswith(p) or p.startswith(building_path) for p in paths):
        return None
    return staff_id, why


async def _file_urgent_request(
    session: AsyncSession, actor: Actor, place: ElderPlace, alarm: CareAlarm, detail: dict[str, Any], *,
    now: datetime, clock: Clock, settings: Settings,
) -> None:
    resident, building = place.resident, place.building
    category = await requests_repository.category_by_code(session, ALARM_CATEGORY)
    where = f"{building.name}" + (f"{resident.unit}单元" if resident.unit else "") + (resident.room or "")
    who = f"{resident.full_name}（{where}）"
    if alarm.kind == AlarmKind.emergency_call:
        description = f"{who}按下了手环紧急呼叫，请立即联系并上门查看。"
    elif alarm.kind == AlarmKind.abnormal_vitals:
        # The values stay on the alarm (sensitive); the request, seen by all staff of the area, only says so.
        description = f"{who}手环测得的生命体征超出正常范围，请立即联系并上门查看。"
    else:
        values = detail["values"]
        description = (f"{who}已离开安全区域（距家约{detail.get('distance_m')}米），"
                       f"最后位置 {values['latitude']:.5f}, {values['longitude']:.5f}。请立即联系。")
    request = await requests_service.submit_machine_request(
        session,
        actor,
        MachineIntake(
            channel=Channel.wristband, integration_id=actor.integration_id or 0, area=(building.id, building.path),
            building=building, title=TITLES[AlarmKind(alarm.kind)].format(name=resident.full_name)[:200],
            description=description, category=category, priority=Priority.urgent, unit=resident.unit,
            room=resident.room, reporter_name=resident.full_name, reporter_phone=resident.phone,
            external_reference=f"care-alarm-{alarm.id}", event_data={"alarm_id": alarm.id, "alarm_kind": alarm.kind},
        ),
        clock=clock,
    )
    # The elder reported it (their wristband did): they see it in the residents' app like their own requests.
    request.reporter_resident_id = resident.id
    alarm.request_id = request.id
    await session.flush()
    duty = await _on_duty(session, place, now)
    if duty is not None:
        # At once, as the system, to the elder's own captain (routing would pick by unit and load among the
        # building's captains). The routing job enqueued with the intake then finds it assigned and does nothing.
        staff_id, why = duty
        await requests_service.assign_request(
            session, SYSTEM, request.id, staff_id=staff_id, note="手环报警：直接派给老人的楼栋长",
            data={"rule": why, "alarm_id": alarm.id}, clock=clock,
        )
        # The SLA job enqueued with the assignment sets the same from the category's 5-minute target; set it now
        # so the captain's queue shows it from the first moment.
        request.respond_by_at = now + ALARM_RESPOND
        await _push(session, request, staff_id, now=now, settings=settings)
    await _join_volunteer(session, actor, place, alarm, request, now=now)
    await session.flush()


async def _join_volunteer(
    session: AsyncSession, actor: Actor, place: ElderPlace, alarm: CareAlarm, request: ServiceRequest, *,
    now: datetime,
) -> None:
    """The elder's volunteer joins: not staff, so not a request participant, but a home-visit task of their own
    linked to the request (in ``GET /volunteers/me/tasks``), and the alarm names them (``GET /care/alarms``)."""
    volunteer = await session.get(Volunteer, place.elder.volunteer_id) if place.elder.volunteer_id else None
    if volunteer is None or not volunteer.is_active:
        return
    compound = await session.get_one(Area, place.building.parent_id)
    task = await volunteers_service.create_system_task(
        session, kind=TaskKind.home_visit, title=f"{request.title}：请立即上门查看"[:200],
        description=request.description, area=place.building, compound=compound, source=TaskSource.alarm, now=now,
        volunteer_id=volunteer.id, coordinator_staff_id=request.assignee_staff_id or place.elder.captain_staff_id,
        request_id=request.id, elder_id=place.elder.id, scheduled_at=now, expected_minutes=60,
    )
    alarm.volunteer_task_id = task.id
    await requests_service.record_event(
        session, request, kind="participant", action="volunteer_join", now=now, note=f"志愿者{volunteer.full_name}协助",
        data={"volunteer_id": volunteer.id, "volunteer_task_id": task.id, "alarm_id": alarm.id}, actor=actor,
    )


async def _push(session: AsyncSession, request: ServiceRequest, staff_id: int, *, now: datetime,
                settings: Settings) -> None:
    """The same push as routing sends to an assignee (``request.assigned``), when a push gateway is set."""
    if not settings.push_gateway_url:
        return
    await session.refresh(request, ["reference"])
    payload = {
        "version": 1,
        "event": "request.assigned",
        "sent_at": now.isoformat(),
        "recipient": {"staff_id": staff_id, "role": "assignee"},
        "request": {
            "id": request.id, "reference": request.reference, "title": request.title, "status": request.status,
            "priority": request.priority, "needs_triage": request.needs_triage, "building_id": request.building_id,
            "street_id": request.street_id, "unit": request.unit,
            "respond_by_at": request.respond_by_at.isoformat() if request.respond_by_at else None,
            "resolve_by_at": request.resolve_by_at.isoformat() if request.resolve_by_at else None,
        },
    }
    await webhooks.enqueue(session, channel="push", event="request.assigned", target_url=settings.push_gateway_url,
                           payload=payload, now=now, request_id=request.id, recipient_staff_id=staff_id,
                           ordering_key=f"push:staff:{staff_id}")

