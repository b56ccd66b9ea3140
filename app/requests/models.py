"""Categories, requests (诉求 / work orders), their participants and their append-only events."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
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


class Priority(enum.StrEnum):
    urgent = "urgent"
    high = "high"
    normal = "normal"
    low = "low"


PRIORITY_RANK = {Priority.low: 0, Priority.normal: 1, Priority.high: 2, Priority.urgent: 3}


class RoutingRule(enum.StrEnum):
    building_captain = "building_captain"
    joint_handling = "joint_handling"
    street_chief = "street_chief"
    station_head = "station_head"
    community_desk = "community_desk"


class Channel(enum.StrEnum):
    app = "app"
    hotline = "hotline"
    open311 = "open311"
    walk_in = "walk_in"
    door_visit = "door_visit"
    patrol = "patrol"
    wristband = "wristband"


class Status(enum.StrEnum):
    submitted = "submitted"
    assigned = "assigned"
    accepted = "accepted"
    in_progress = "in_progress"
    awaiting_resident = "awaiting_resident"
    resolved = "resolved"
    closed = "closed"
    declined = "declined"
    rejected = "rejected"
    duplicate = "duplicate"
    reopened = "reopened"


OPEN_STATUSES = (
    Status.submitted,
    Status.assigned,
    Status.accepted,
    Status.in_progress,
    Status.awaiting_resident,
    Status.declined,
    Status.reopened,
)


class Satisfaction(enum.StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    dissatisfied = "dissatisfied"


class Category(IdMixin, TimestampMixin, Base):
    """A kind of request. Data, not code: seeded with defaults, editable by district admins."""

    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    default_priority: Mapped[str] = mapped_column(String(16))
    respond_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    routing_rule: Mapped[str] = mapped_column(String(32))
    # Joint handling: the subdistrict department that joins (e.g. safety_supervision).
    department: Mapped[str | None] = mapped_column(String(32))
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    sort_order: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    # "calendar": targets count all time; "working_hours": only the area's working hours.
    clock: Mapped[str] = mapped_column(String(16), server_default="calendar")


class ServiceRequest(IdMixin, TimestampMixin, Base):
    """A request. Times are stamped by transitions; ``area_path`` copies the best-known area's path so
    scope and subtree filters are one indexed prefix match."""

    __tablename__ = "service_request"
    # INSERT/UPDATE … RETURNING the computed reference and the stamped updated_at: no reload round trip.
    __mapper_args__ = {"eager_defaults": True}

    reference: Mapped[str] = mapped_column(
        String(16), Computed("'DS' || lpad(id::text, 10, '0')", persisted=True), unique=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    integration_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("integration.id", ondelete="RESTRICT")
    )
    external_reference: Mapped[str | None] = mapped_column(String(100))
    category_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("category.id", ondelete="RESTRICT"))
    priority: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    # Where: the best-known area (a building, a street, or a coarser node) and its path.
    area_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    area_path: Mapped[str | None] = mapped_column(String(512))
    building_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    street_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    unit: Mapped[int | None] = mapped_column(SmallInteger)
    room: Mapped[str | None] = mapped_column(String(32))
    address_text: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Who reported it: a resident, or a name and phone (hotline callers, walk-ins).
    reporter_resident_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("resident.id", ondelete="SET NULL")
    )
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    photos: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    created_by_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL")
    )

    status: Mapped[str] = mapped_column(String(20))
    needs_triage: Mapped[bool] = mapped_column(Boolean, server_default="false")
    assignee_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="SET NULL"))

    submitted_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    respond_by_at: Mapped[datetime | None]
    resolve_by_at: Mapped[datetime | None]
    # The clock pauses while awaiting the resident: when the current pause began, and the total so far.
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer, server_default="0")

    resolution_note: Mapped[str | None] = mapped_column(Text)
    status_reason: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("service_request.id", ondelete="SET NULL")
    )
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    reopened_count: Mapped[int] = mapped_column(SmallInteger, server_default="0")

    # The SLA clock. 0 = with the assignee; each escalation raises one level (station head, community, ...).
    escalation_level: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    respond_warned_at: Mapped[datetime | None]
    respond_breached_at: Mapped[datetime | None]
    resolve_warned_at: Mapped[datetime | None]
    resolve_breach_count: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    breached: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # When the SLA clock next needs to look at this request (a warning or a deadline); null when nothing is due.
    next_timer_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("integration_id", "external_reference"),
        CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude_range"),
        Index("ix_service_request_created_at_id", "created_at", "id"),
        Index(
            "ix_service_request_area_path",
            "area_path",
            "created_at",
            postgresql_ops={"area_path": "text_pattern_ops"},
        ),
        Index("ix_service_request_reporter_resident_id", "reporter_resident_id", "created_at"),
        Index("ix_service_request_assignee_open", "assignee_staff_id", "status"),
        Index("ix_service_request_status", "status", postgresql_where=text("status = 'submitted'")),
        Index(
            "ix_service_request_next_timer_at", "next_timer_at", postgresql_where=text("next_timer_at IS NOT NULL")
        ),
    )


class RequestParticipant(IdMixin, TimestampMixin, Base):
    """Joint handling: staff who take part besides the owner (the captain, a named department)."""

    __tablename__ = "request_participant"

    request_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("service_request.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="CASCADE"))
    reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("request_id", "staff_id"),
        Index("ix_request_participant_staff_id", "staff_id"),
    )


class RequestEvent(IdMixin, Base):
    """Append-only history: every transition, assignment and escalation, with who, when and why."""

    __tablename__ = "request_event"

    request_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("service_request.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    action: Mapped[str | None] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor_account_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("account.id", ondelete="SET NULL"))
    # "system" for the pipeline, else the actor's account kind.
    actor_kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_request_event_request_id_id", "request_id", "id"),)
