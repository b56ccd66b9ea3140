"""Elder profiles, care records, wristband readings and alarms, the visit watch's markers, per-area care
settings, and the log of sensitive reads."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class Mobility(enum.StrEnum):
    independent = "independent"
    walks_with_aid = "walks_with_aid"
    wheelchair = "wheelchair"
    bedridden = "bedridden"


class ElderService(enum.StrEnum):
    meal_assistance = "meal_assistance"
    day_care = "day_care"
    wristband = "wristband"


class CareRecordKind(enum.StrEnum):
    visit = "visit"
    service = "service"


class DeliveredService(enum.StrEnum):
    meal = "meal"
    health_check = "health_check"
    vaccination_reminder = "vaccination_reminder"


class ReadingKind(enum.StrEnum):
    heart_rate = "heart_rate"
    blood_pressure = "blood_pressure"
    emergency_call = "emergency_call"
    location = "location"


class AlarmKind(enum.StrEnum):
    emergency_call = "emergency_call"
    abnormal_vitals = "abnormal_vitals"
    left_safe_zone = "left_safe_zone"


class AlarmStatus(enum.StrEnum):
    active = "active"
    acknowledged = "acknowledged"
    cleared = "cleared"


OPEN_ALARM_STATUSES = (AlarmStatus.active, AlarmStatus.acknowledged)


class Elder(IdMixin, TimestampMixin, Base):
    """An elder's care profile, linked to a resident (whose building places it).

    Sensitive (health and contacts): ``conditions``, ``emergency_contacts``, ``vital_thresholds``. Only the
    assigned captain and volunteer, the station head of the elder's compound and district admins read them."""

    __tablename__ = "elder"
    # Written to the audit trail as "(redacted)": the audit log is not a way around the sensitive-read rules.
    __audit_redact__ = frozenset({"conditions", "emergency_contacts", "vital_thresholds"})

    resident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("resident.id", ondelete="RESTRICT"), unique=True
    )
    birth_year: Mapped[int] = mapped_column(SmallInteger)
    lives_alone: Mapped[bool] = mapped_column(Boolean, server_default="false")
    mobility: Mapped[str] = mapped_column(String(16), server_default="independent")
    conditions: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    # [{"name": "王小明", "relation": "儿子", "phone": "13900000000"}, ...]
    emergency_contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    captain_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="SET NULL"))
    volunteer_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("volunteer.id", ondelete="SET NULL"))
    services: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    wristband_device_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Per-elder overrides of the default vital thresholds: {"heart_rate": {"min": 45, "max": 110}, ...}.
    vital_thresholds: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    safe_zone_latitude: Mapped[float | None] = mapped_column(Float)
    safe_zone_longitude: Mapped[float | None] = mapped_column(Float)
    safe_zone_radius_m: Mapped[int | None] = mapped_column(Integer)
    visit_interval_days: Mapped[int | None] = mapped_column(SmallInteger)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        CheckConstraint(
            "(safe_zone_latitude IS NULL) = (safe_zone_longitude IS NULL) "
            "AND (safe_zone_latitude IS NULL) = (safe_zone_radius_m IS NULL)",
            name="safe_zone_complete",
        ),
        CheckConstraint("safe_zone_radius_m IS NULL OR safe_zone_radius_m > 0", name="safe_zone_radius_positive"),
        CheckConstraint("visit_interval_days IS NULL OR visit_interval_days > 0", name="visit_interval_positive"),
        Index("ix_elder_captain_staff_id", "captain_staff_id"),
        Index("ix_elder_volunteer_id", "volunteer_id"),
        Index("ix_elder_lives_alone", "id", postgresql_where=text("lives_alone AND is_active")),
    )


class CareRecord(IdMixin, Base):
    """A visit (who, when, notes, blood pressure, heart rate) or a delivered service (meal, health check,
    vaccination reminder). Sensitive: ``notes`` and the vitals."""

    __tablename__ = "care_record"
    __audit_redact__ = frozenset({"notes", "systolic", "diastolic", "heart_rate"})

    elder_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("elder.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    service: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="SET NULL"))
    volunteer_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("volunteer.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(Text)
    systolic: Mapped[int | None] = mapped_column(SmallInteger)
    diastolic: Mapped[int | None] = mapped_column(SmallInteger)
    heart_rate: Mapped[int | None] = mapped_column(SmallInteger)
    recorded_by_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("(kind = 'service') = (service IS NOT NULL)", name="service_for_service_kind"),
        Index("ix_care_record_elder_id_kind_occurred_at", "elder_id", "kind", "occurred_at"),
    )


class WristbandReading(IdMixin, Base):
    """One reading as the gateway sent it (sensitive). The same device, kind and time is kept once, so a
    gateway may resend a batch."""

    __tablename__ = "wristband_reading"

    elder_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("elder.id", ondelete="CASCADE"))
    integration_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("integration.id", ondelete="SET NULL")
    )
    device_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime]
    values: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    alarm_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("care_alarm.id", ondelete="SET NULL"))
    received_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("device_id", "kind", "recorded_at"),
        Index("ix_wristband_reading_elder_id_recorded_at", "elder_id", "recorded_at"),
    )


class CareAlarm(IdMixin, Base):
    """An alarm: active → acknowledged → cleared. A repeat of the same kind for the same elder within the fold
    window of ``last_at`` counts into the open alarm instead of raising a new one. ``detail`` (the reading that
    raised it, and which limit it broke) is sensitive."""

    __tablename__ = "care_alarm"
    __audit_redact__ = frozenset({"detail"})

    elder_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("elder.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer, server_default="1")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    request_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("service_request.id", ondelete="SET NULL")
    )
    # Who it went to: the elder's captain (the request's assignee) and volunteer (a task of their own).
    captain_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="SET NULL"))
    volunteer_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("volunteer.id", ondelete="SET NULL"))
    volunteer_task_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer_task.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL")
    )
    cleared_at: Mapped[datetime | None]
    cleared_by_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL")
    )
    clear_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("count >= 1", name="count_positive"),
        Index("ix_care_alarm_elder_id_kind_status", "elder_id", "kind", "status"),
        Index("ix_care_alarm_open", "status", "first_at", postgresql_where=text("status <> 'cleared'")),
        Index("ix_care_alarm_volunteer_id", "volunteer_id"),
    )


class VisitWatch(IdMixin, Base):
    """A marker: the visit watch raised a visit task for this elder's gap without visits, which began at
    ``gap_started_at`` (the last visit, or the profile's creation). Unique per gap, so the hourly runs raise
    one task per gap, however many times they run and even if that task is cancelled."""

    __tablename__ = "visit_watch"

    elder_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("elder.id", ondelete="CASCADE"))
    gap_started_at: Mapped[datetime]
    task_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("volunteer_task.id", ondelete="SET NULL"))
    interval_days: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("elder_id", "gap_started_at"),)


class AreaCareSetting(IdMixin, TimestampMixin, Base):
    """Care settings for an area and everything under it (the nearest area up the tree wins)."""

    __tablename__ = "area_care_setting"

    area_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="CASCADE"), unique=True)
    visit_interval_days: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (CheckConstraint("visit_interval_days > 0", name="visit_interval_positive"),)


class SensitiveReadLog(IdMixin, Base):
    """Who read which elder's sensitive fields, when, and through what. Append-only."""

    __tablename__ = "sensitive_read_log"

    elder_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("elder.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("account.id", ondelete="SET NULL"))
    actor_kind: Mapped[str] = mapped_column(String(16))
    # Why the caller may read them: assigned_captain, assigned_volunteer, station_head or district_admin.
    basis: Mapped[str] = mapped_column(String(32))
    # What was read: "elder", "care_records", "readings", "alarms".
    resource: Mapped[str] = mapped_column(String(32))
    fields: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    read_at: Mapped[datetime]

    __table_args__ = (Index("ix_sensitive_read_log_elder_id_read_at", "elder_id", "read_at"),)
