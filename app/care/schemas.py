from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, model_validator

from app.care.models import (
    AlarmKind,
    AlarmStatus,
    CareRecordKind,
    DeliveredService,
    ElderService,
    Mobility,
    ReadingKind,
)
from app.core.schemas import AwareDatetime, Latitude, Longitude, Name, Phone, ReadModel, SingleLine, WriteModel

Note = Annotated[str, Field(min_length=1, max_length=5000)]
DeviceId = Annotated[SingleLine, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$",
                                       examples=["WB-0042"])]
MAX_BATCH = 500


# Elders ---------------------------------------------------------------------------------------------------


class EmergencyContact(WriteModel):
    name: Name
    relation: Annotated[SingleLine, Field(min_length=1, max_length=50)] | None = Field(default=None, examples=["儿子"])
    phone: Phone


class Bounds(WriteModel):
    min: Annotated[int, Field(ge=0, le=300)] | None = None
    max: Annotated[int, Field(ge=0, le=300)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if self.min is not None and self.max is not None and self.max <= self.min:
            raise ValueError("max must be above min")
        return self


class VitalThresholds(WriteModel):
    """Overrides of the defaults (heart rate 50–120, systolic 90–160, diastolic 60–100); a bound left out keeps
    its default."""

    heart_rate: Bounds | None = None
    systolic: Bounds | None = None
    diastolic: Bounds | None = None


class SafeZone(WriteModel):
    latitude: Latitude
    longitude: Longitude
    radius_m: Annotated[int, Field(ge=10, le=100_000, examples=[500])]


class ElderCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"resident_id": 31, "birth_year": 1948, "lives_alone": True, "mobility": "walks_with_aid",
                 "conditions": ["高血压"], "emergency_contacts": [{"name": "王小明", "relation": "儿子",
                                                                   "phone": "13900000000"}],
                 "captain_staff_id": 3, "volunteer_id": 7, "services": ["meal_assistance", "wristband"],
                 "wristband_device_id": "WB-0042",
                 "safe_zone": {"latitude": 34.365, "longitude": 108.942, "radius_m": 500}}
            ]
        }
    }

    resident_id: int = Field(description="A resident of your areas")
    birth_year: Annotated[int, Field(ge=1900, le=2100, examples=[1948])]
    lives_alone: bool = False
    mobility: Mobility = Mobility.independent
    conditions: list[Annotated[SingleLine, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="Sensitive"
    )
    emergency_contacts: list[EmergencyContact] = Field(default_factory=list, max_length=10, description="Sensitive")
    captain_staff_id: int | None = Field(default=None, description="Staff holding a role on the elder's building")
    volunteer_id: int | None = Field(default=None, description="An active volunteer of the elder's community")
    services: list[ElderService] = Field(default_factory=list, max_length=len(ElderService))
    wristband_device_id: DeviceId | None = Field(default=None, description="Unique; implies the wristband service")
    vital_thresholds: VitalThresholds | None = Field(default=None, description="Sensitive")
    safe_zone: SafeZone | None = None
    visit_interval_days: Annotated[int, Field(ge=1, le=365)] | None = Field(
        default=None, description="Override of the area's visit interval for the visit watch"
    )


class ElderUpdate(WriteModel):
    """Only the fields given change (null clears an optional one)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"mobility": "wheelchair", "visit_interval_days": 3},
                {"vital_thresholds": {"systolic": {"max": 150}}, "volunteer_id": 7},
            ]
        }
    }

    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    lives_alone: bool | None = None
    mobility: Mobility | None = None
    conditions: list[Annotated[SingleLine, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=50
    )
    emergency_contacts: list[EmergencyContact] | None = Field(default=None, max_length=10)
    captain_staff_id: int | None = None
    volunteer_id: int | None = None
    services: list[ElderService] | None = Field(default=None, max_length=len(ElderService))
    wristband_device_id: DeviceId | None = None
    vital_thresholds: VitalThresholds | None = None
    safe_zone: SafeZone | None = None
    visit_interval_days: Annotated[int, Field(ge=1, le=365)] | None = None
    is_active: bool | None = None


class PersonRef(ReadModel):
    id: int
    full_name: str


ELDER_EXAMPLE: dict[str, Any] = {
    "id": 2, "resident_id": 31, "full_name": "王秀英", "building_id": 5, "building_name": "9号楼", "unit": 2,
    "room": "301", "compound_id": 4, "birth_year": 1948, "lives_alone": True, "mobility": "walks_with_aid",
    "services": ["meal_assistance", "wristband"], "wristband_device_id": "WB-0042",
    "captain": {"id": 3, "full_name": "李建国"}, "volunteer": {"id": 7, "full_name": "刘芳"},
    "safe_zone": {"latitude": 34.365, "longitude": 108.942, "radius_m": 500}, "visit_interval_days": None,
    "last_visit_at": "2026-11-25T02:30:00Z", "is_active": True, "created_at": "2026-10-08T03:00:00Z",
}


class ElderRead(ReadModel):
    """An elder's profile. ``conditions``, ``emergency_contacts`` and ``vital_thresholds`` are sensitive: for
    anyone but the assigned captain and volunteer, the station head of the elder's compound and district admins
    they are null and ``sensitive_hidden`` is true. Reading them is logged."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {**ELDER_EXAMPLE, "sensitive_hidden": False, "conditions": ["高血压"],
                 "emergency_contacts": [{"name": "王小明", "relation": "儿子", "phone": "13900000000"}],
                 "vital_thresholds": {"heart_rate": {"min": 50, "max": 120}, "systolic": {"min": 90, "max": 150},
                                      "diastolic": {"min": 60, "max": 100}}},
                {**ELDER_EXAMPLE, "sensitive_hidden": True, "conditions": None, "emergency_contacts": None,
                 "vital_thresholds": None},
            ]
        }
    }

    id: int
    resident_id: int
    full_name: str
    building_id: int
    building_name: str
    unit: int | None = None
    room: str | None = None
    compound_id: int | None = None
    birth_year: int
    lives_alone: bool
    mobility: str
    services: list[str]
    wristband_device_id: str | None = None
    captain: PersonRef | None = None
    volunteer: PersonRef | None = None
    safe_zone: SafeZone | None = None
    visit_interval_days: int | None = Field(default=None, description="The elder's own override, if any")
    last_visit_at: datetime | None = None
    is_active: bool
    created_at: datetime
    sensitive_hidden: bool = Field(description="True when the sensitive fields were withheld from you")
    conditions: list[str] | None = None
    emergency_contacts: list[EmergencyContact] | None = None
    vital_thresholds: VitalThresholds | None = Field(
        default=None, description="The thresholds in force (defaults with the elder's overrides)"
    )


# Care records -------------------------------------------------------------------------------------------


class CareRecordCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"kind": "visit", "notes": "精神不错，按时服药", "systolic": 135, "diastolic": 85, "heart_rate": 72},
                {"kind": "service", "service": "meal", "notes": "送午餐"},
            ]
        }
    }

    kind: CareRecordKind
    service: DeliveredService | None = Field(default=None, description="Required for kind service")
    occurred_at: AwareDatetime | None = Field(default=None, description="Default: now")
    notes: Annotated[str, Field(max_length=5000)] | None = None
    systolic: Annotated[int, Field(ge=40, le=300)] | None = None
    diastolic: Annotated[int, Field(ge=20, le=200)] | None = None
    heart_rate: Annotated[int, Field(ge=20, le=250)] | None = None

    @model_validator(mode="after")
    def _service_for_service(self) -> CareRecordCreate:
        if (self.kind == CareRecordKind.service) != (self.service is not None):
            raise ValueError("service is given for kind service, and only then")
        if (self.systolic is None) != (self.diastolic is None):
            raise ValueError("give systolic and diastolic together")
        return self


class CareRecordRead(ReadModel):
    """``notes`` and the vitals are sensitive (null with ``sensitive_hidden`` for those who may not read them)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 8, "elder_id": 2, "kind": "visit", "service": None, "occurred_at": "2026-11-25T02:30:00Z",
                 "staff": {"id": 3, "full_name": "李建国"}, "volunteer": None,
                 "created_at": "2026-11-25T02:41:00Z", "sensitive_hidden": False, "notes": "精神不错，按时服药",
                 "systolic": 135, "diastolic": 85, "heart_rate": 72},
                {"id": 9, "elder_id": 2, "kind": "service", "service": "meal", "occurred_at": "2026-11-26T04:00:00Z",
                 "staff": None, "volunteer": {"id": 7, "full_name": "刘芳"},
                 "created_at": "2026-11-26T04:05:00Z", "sensitive_hidden": True, "notes": None, "systolic": None,
                 "diastolic": None, "heart_rate": None},
            ]
        }
    }

    id: int
    elder_id: int
    kind: str
    service: str | None = None
    occurred_at: datetime
    staff: PersonRef | None = None
    volunteer: PersonRef | None = None
    created_at: datetime
    sensitive_hidden: bool
    notes: str | None = None
    systolic: int | None = None
    diastolic: int | None = None
    heart_rate: int | None = None


class ReadingRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"id": 311, "device_id": "WB-0042", "kind": "blood_pressure",
                          "recorded_at": "2026-11-27T09:00:05Z", "values": {"systolic": 182, "diastolic": 104},
                          "alarm_id": 4, "received_at": "2026-11-27T09:00:06Z"}]
        }
    }

    id: int
    device_id: str
    kind: str
    recorded_at: datetime
    values: dict[str, Any]
    alarm_id: int | None = None
    received_at: datetime


class SensitiveReadRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"id": 57, "elder_id": 2, "account_id": 5, "actor_kind": "staff", "basis": "assigned_captain",
                          "resource": "elder", "fields": ["conditions", "emergency_contacts", "vital_thresholds"],
                          "read_at": "2026-11-27T09:12:00Z"}]
        }
    }

    id: int
    elder_id: int
    account_id: int | None = None
    actor_kind: str = Field(description="staff or volunteer")
    basis: str = Field(description="Why they may read it: assigned_captain, assigned_volunteer, station_head or "
                       "district_admin")
    resource: str = Field(description="What was read: elder, care_records, readings or alarms")
    fields: list[str]
    read_at: datetime


# Settings -----------------------------------------------------------------------------------------------


class AreaCareSettingWrite(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"visit_interval_days": 5}]}}

    visit_interval_days: Annotated[int, Field(ge=1, le=365)]


class AreaCareSettingRead(ReadModel):
    model_config = {"json_schema_extra": {"examples": [{"area_id": 4, "visit_interval_days": 5, "set_on_area_id": 2}]}}

    area_id: int
    visit_interval_days: int = Field(description="In force here: this area's, else the nearest above, else 7")
    set_on_area_id: int | None = Field(description="Where the value comes from; null for the default")


# Gateway ------------------------------------------------------------------------------------------------


class HeartRateValues(WriteModel):
    bpm: Annotated[int, Field(ge=1, le=300)]


class BloodPressureValues(WriteModel):
    systolic: Annotated[int, Field(ge=1, le=350)]
    diastolic: Annotated[int, Field(ge=1, le=250)]


class LocationValues(WriteModel):
    latitude: Latitude
    longitude: Longitude
    accuracy_m: Annotated[float, Field(ge=0, le=100_000)] | None = None


class ReadingItem(WriteModel):
    """One reading. ``values`` by kind: heart_rate ``{"bpm": 72}``; blood_pressure ``{"systolic": 135,
    "diastolic": 85}``; location ``{"latitude": 34.365, "longitude": 108.942, "accuracy_m": 15}``;
    emergency_call ``{}`` (anything given is kept)."""

    device_id: DeviceId
    recorded_at: AwareDatetime
    kind: ReadingKind
    values: dict[str, Any] = Field(default_factory=dict)


class ReadingBatch(WriteModel):
    """Up to 500 readings. Each item is checked on its own: a malformed item or an unknown device is refused
    by index, and the rest are kept."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"readings": [
                    {"device_id": "WB-0042", "recorded_at": "2026-11-27T17:00:00+08:00", "kind": "emergency_call",
                     "values": {}},
                    {"device_id": "WB-0042", "recorded_at": "2026-11-27T17:00:05+08:00", "kind": "heart_rate",
                     "values": {"bpm": 72}},
                    {"device_id": "WB-0042", "recorded_at": "2026-11-27T17:00:05+08:00", "kind": "blood_pressure",
                     "values": {"systolic": 182, "diastolic": 104}},
                ]}
            ]
        }
    }

    readings: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_BATCH,
        description="Items of the ReadingItem shape: `device_id`, `recorded_at` (with a timezone), `kind` "
        "(heart_rate, blood_pressure, emergency_call, location) and `values`",
    )


class AcceptedItem(ReadModel):
    index: int
    reading_id: int | None = Field(description="Null for a duplicate of a reading already kept")
    duplicate: bool = Field(default=False, description="The same device, kind and time was already kept")
    alarm_id: int | None = Field(default=None, description="The alarm this reading raised or counted into")


class RefusedItem(ReadModel):
    index: int
    device_id: str | None = None
    code: str = Field(examples=["unknown_device"], description="unknown_device, invalid_reading or time_in_future")
    reason: str
    errors: list[dict[str, Any]] = []


class AlarmOutcome(ReadModel):
    alarm_id: int
    elder_id: int
    kind: str
    new: bool = Field(description="Raised by this batch; false when readings counted into an open alarm")
    count: int
    request_id: int | None = None
    request_reference: str | None = None


class BatchResult(ReadModel):
    """The batch's outcome, item by item: always 200 once the key and the envelope are valid."""

    received: int
    accepted: list[AcceptedItem]
    refused: list[RefusedItem]
    alarms: list[AlarmOutcome]


# Alarms -------------------------------------------------------------------------------------------------


class AlarmNote(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"note": "已电话联系老人，楼栋长李正在上门"}]}}

    note: Note | None = None


class AlarmClear(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"note": "已上门，老人误触按钮，一切正常"}]}}

    note: Note


class AlarmRead(ReadModel):
    """``detail`` (the readings and limits behind it) is sensitive: null with ``sensitive_hidden`` for those who
    may not read the elder's health data."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 4, "elder_id": 2, "elder_name": "王秀英", "kind": "abnormal_vitals", "status": "acknowledged",
                 "first_at": "2026-11-27T09:00:05Z", "last_at": "2026-11-27T09:00:05Z", "count": 1,
                 "request_id": 43, "captain_staff_id": 3, "volunteer_id": 7, "volunteer_task_id": 16,
                 "acknowledged_at": "2026-11-27T09:03:00Z", "cleared_at": None, "clear_note": None,
                 "created_at": "2026-11-27T09:00:06Z", "sensitive_hidden": False,
                 "detail": {"first": {"kind": "blood_pressure", "values": {"systolic": 182, "diastolic": 104},
                                      "breaches": [{"measure": "systolic", "value": 182, "min": 90, "max": 150},
                                                   {"measure": "diastolic", "value": 104, "min": 60, "max": 100}]}},
                 "allowed_actions": ["clear"]}
            ]
        }
    }

    id: int
    elder_id: int
    elder_name: str
    kind: AlarmKind
    status: AlarmStatus
    first_at: datetime
    last_at: datetime
    count: int
    request_id: int | None = None
    captain_staff_id: int | None = None
    volunteer_id: int | None = None
    volunteer_task_id: int | None = None
    acknowledged_at: datetime | None = None
    cleared_at: datetime | None = None
    clear_note: str | None = None
    created_at: datetime
    sensitive_hidden: bool
    detail: dict[str, Any] | None = None
    allowed_actions: list[str] = []
