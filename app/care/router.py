"""Elder profiles, care records, readings, alarms, care settings, and the wristband gateway's intake."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from app.auth.dependencies import CurrentActor, StaffActor
from app.care import alarms, service
from app.care.dependencies import GatewayActor
from app.care.models import AlarmStatus, CareRecordKind
from app.care.schemas import (
    AlarmClear,
    AlarmNote,
    AlarmRead,
    AreaCareSettingRead,
    AreaCareSettingWrite,
    BatchResult,
    CareRecordCreate,
    CareRecordRead,
    ElderCreate,
    ElderRead,
    ElderUpdate,
    ReadingBatch,
    ReadingRead,
    SensitiveReadRead,
)
from app.core.openapi import errors
from app.core.params import Cursor, Limit
from app.core.schemas import AwareDatetime, Page
from app.db.dependencies import ClockDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["care"])
Since = Annotated[AwareDatetime | None, Query(alias="from", description="Inclusive; with a timezone")]
Until = Annotated[AwareDatetime | None, Query(alias="to", description="Exclusive; with a timezone")]

SENSITIVE_NOTE = (
    "Health data (conditions, thresholds, vitals, care notes) and emergency contacts are returned only to the "
    "elder's assigned captain and volunteer, the station head of their compound and district admins, and each such "
    "read is logged; anyone else who may see the elder gets `sensitive_hidden: true` and nulls."
)


# Gateway ------------------------------------------------------------------------------------------------


@router.post(
    "/care/device-readings",
    response_model=BatchResult,
    summary="Wristband gateway: post a batch of readings (X-API-Key)",
    description=(
        "For a `device_gateway` integration's key, sent as `X-API-Key`. Up to 500 readings, each "
        "`{device_id, recorded_at, kind, values}` with kind `heart_rate` (`{bpm}`), `blood_pressure` "
        "(`{systolic, diastolic}`), `emergency_call` (`{}`) or `location` (`{latitude, longitude, accuracy_m?}`).\n\n"
        "**Item by item**: the answer is always **200** once the key and the envelope are valid (not 207), listing "
        "`accepted` and `refused` items by their index in `readings`. A reading of a device no active elder in the "
        "gateway's area wears is refused (`unknown_device`), as are malformed ones (`invalid_reading`, with the "
        "fields) and those ahead of the clock by more than 5 minutes (`time_in_future`); the rest are kept. The "
        "same device, kind and time again is accepted as a `duplicate` and not looked at again, so a batch may be "
        "resent.\n\n"
        "**Alarms**: an emergency call, vitals outside the elder's thresholds (defaults heart rate 50–120, "
        "systolic 90–160, diastolic 60–100) or a location outside the safe zone raises an alarm, and an urgent "
        "request (channel `wristband`, category `wristband_alarm`, respond within 5 minutes) assigned at once to "
        "the elder's captain, with a home-visit task for the elder's volunteer. A repeat of the same kind within "
        "30 minutes of the open alarm's last reading counts into it (`count`, `last_at`) instead."
    ),
    responses=errors(401, 403, 413, 422),
)
async def post_readings(
    request: Request, body: ReadingBatch, actor: GatewayActor, session: SessionDep, clock: ClockDep
) -> BatchResult:
    return await alarms.receive_readings(session, actor, body.readings, clock=clock,
                                         settings=request.app.state.settings)


# Elders -------------------------------------------------------------------------------------------------


@router.post("/care/elders", response_model=ElderRead, status_code=status.HTTP_201_CREATED,
             summary="Create an elder's profile for a resident of an area you manage",
             description=SENSITIVE_NOTE, responses=errors(401, 403, 409, 422))
async def create_elder(body: ElderCreate, actor: StaffActor, session: SessionDep, clock: ClockDep) -> ElderRead:
    return await service.create_elder(session, actor, body, clock=clock)


@router.get("/care/elders", response_model=Page[ElderRead], summary="Elders you may see, by id",
            description="Lists never carry the sensitive fields: read one elder for them.",
            responses=errors(401, 403, 422))
async def list_elders(
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    area_id: Annotated[int | None, Query(description="Only elders inside this area's subtree")] = None,
    lives_alone: Annotated[bool | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ElderRead]:
    return await service.list_elders(session, actor, area_id=area_id, lives_alone=lives_alone, cursor=cursor,
                                     limit=limit, clock=clock)


@router.get("/care/elders/{elder_id}", response_model=ElderRead, summary="One elder's profile",
            description=SENSITIVE_NOTE, responses=errors(401, 404))
async def get_elder(elder_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> ElderRead:
    return await service.get_elder(session, actor, elder_id, clock=clock)


@router.patch("/care/elders/{elder_id}", response_model=ElderRead, summary="Change an elder's profile",
              description=SENSITIVE_NOTE, responses=errors(401, 403, 404, 409, 422))
async def update_elder(
    elder_id: int, body: ElderUpdate, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> ElderRead:
    return await service.update_elder(session, actor, elder_id, body, clock=clock)


@router.post("/care/elders/{elder_id}/care-records", response_model=CareRecordRead,
             status_code=status.HTTP_201_CREATED, summary="Record a visit or a delivered service",
             description="By staff who see the elder, or by the elder's volunteer; the caller is the visitor.",
             responses=errors(401, 403, 404, 422))
async def add_care_record(
    elder_id: int, body: CareRecordCreate, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> CareRecordRead:
    return await service.add_care_record(session, actor, elder_id, body, clock=clock)


@router.get("/care/elders/{elder_id}/care-records", response_model=Page[CareRecordRead],
            summary="An elder's care records, newest first", description=SENSITIVE_NOTE,
            responses=errors(401, 404, 422))
async def list_care_records(
    elder_id: int,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    kind: Annotated[CareRecordKind | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[CareRecordRead]:
    return await service.list_care_records(session, actor, elder_id, kind=kind, since=since, until=until,
                                           cursor=cursor, limit=limit, clock=clock)


@router.get("/care/elders/{elder_id}/readings", response_model=list[ReadingRead],
            summary="An elder's wristband readings, newest first (health data: logged)",
            description="Only for the elder's captain and volunteer, the station head and district admins (403 "
            "for others who see the elder).", responses=errors(401, 403, 404, 422))
async def list_readings(
    elder_id: int,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ReadingRead]:
    return await service.list_readings(session, actor, elder_id, since=since, until=until, limit=limit, clock=clock)


@router.get("/care/elders/{elder_id}/sensitive-reads", response_model=list[SensitiveReadRead],
            summary="Who read the elder's sensitive fields, newest first",
            description="For the station head of the elder's compound and district admins.",
            responses=errors(401, 403, 404))
async def list_sensitive_reads(
    elder_id: int, actor: StaffActor, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[SensitiveReadRead]:
    return await service.list_sensitive_reads(session, actor, elder_id, limit=limit)


# Alarms -------------------------------------------------------------------------------------------------


@router.get("/care/alarms", response_model=Page[AlarmRead], summary="Alarms you may see, newest first",
            description="Staff: alarms of elders in their areas or assigned to them. A volunteer: their elders'. "
            "`detail` is sensitive.", responses=errors(401, 403, 422))
async def list_alarms(
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    statuses: Annotated[list[AlarmStatus] | None, Query(alias="status")] = None,
    elder_id: Annotated[int | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AlarmRead]:
    return await service.list_alarms(session, actor, statuses=statuses or (), elder_id=elder_id, cursor=cursor,
                                     limit=limit, clock=clock)


@router.get("/care/alarms/{alarm_id}", response_model=AlarmRead, summary="One alarm", responses=errors(401, 404))
async def get_alarm(alarm_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> AlarmRead:
    return await service.get_alarm(session, actor, alarm_id, clock=clock)


@router.post("/care/alarms/{alarm_id}/acknowledge", response_model=AlarmRead,
             summary="Someone is on it (active → acknowledged)", responses=errors(401, 403, 404, 409, 422))
async def acknowledge_alarm(
    alarm_id: int, body: AlarmNote, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> AlarmRead:
    return await service.acknowledge_alarm(session, actor, alarm_id, note=body.note, clock=clock)


@router.post("/care/alarms/{alarm_id}/clear", response_model=AlarmRead,
             summary="It is over (active or acknowledged → cleared), with a note",
             responses=errors(401, 403, 404, 409, 422))
async def clear_alarm(
    alarm_id: int, body: AlarmClear, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> AlarmRead:
    return await service.clear_alarm(session, actor, alarm_id, note=body.note, clock=clock)


# Settings -----------------------------------------------------------------------------------------------


@router.get("/care/area-settings/{area_id}", response_model=AreaCareSettingRead,
            summary="The visit interval in force for an area", responses=errors(401, 404))
async def get_area_setting(area_id: int, actor: StaffActor, session: SessionDep) -> AreaCareSettingRead:
    return await service.get_area_setting(session, actor, area_id)


@router.put("/care/area-settings/{area_id}", response_model=AreaCareSettingRead,
            summary="Set the visit interval for an area you manage (and everything under it)",
            responses=errors(401, 403, 404, 422))
async def put_area_setting(
    area_id: int, body: AreaCareSettingWrite, actor: StaffActor, session: SessionDep
) -> AreaCareSettingRead:
    return await service.put_area_setting(session, actor, area_id, body)
