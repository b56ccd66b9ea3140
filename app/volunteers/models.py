"""Volunteer teams, volunteers and their weekly availability, volunteer tasks, and the append-only hours ledger."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class Skill(enum.StrEnum):
    errands = "errands"
    health = "health"
    counselling = "counselling"
    companionship = "companionship"
    tech_help = "tech_help"
    meal_delivery = "meal_delivery"


class TaskKind(enum.StrEnum):
    errand = "errand"
    home_visit = "home_visit"
    delivery = "delivery"
    escort = "escort"


class TaskStatus(enum.StrEnum):
    open = "open"
    assigned = "assigned"
    accepted = "accepted"
    completed = "completed"
    cancelled = "cancelled"


# A volunteer's load: tasks given to them and not yet finished.
LOAD_STATUSES = (TaskStatus.assigned, TaskStatus.accepted)
UNFINISHED_STATUSES = (TaskStatus.open, TaskStatus.assigned, TaskStatus.accepted)


class TaskSource(enum.StrEnum):
    staff = "staff"  # created by staff from scratch
    request = "request"  # made from a request (e.g. 代办 paperwork for a resident who cannot go out)
    visit_watch = "visit_watch"  # the visit watch: an elder living alone without a visit for too long
    alarm = "alarm"  # a wristband alarm: the elder's volunteer joins the urgent request


class LedgerKind(enum.StrEnum):
    task = "task"  # hours of a completed task
    correction = "correction"  # a correction by staff (may be negative), always with a reason


_SKILLS_SQL = ", ".join(f"'{s}'" for s in Skill)


class VolunteerTeam(IdMixin, TimestampMixin, Base):
    """A team (小蜜蜂, 满天星, 蒲公英) based in a compound, with a volunteer as its leader."""

    __tablename__ = "volunteer_team"

    name: Mapped[str] = mapped_column(String(100))
    compound_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    # The compound's path, for scope filters (one prefix match).
    area_path: Mapped[str] = mapped_column(String(512))
    leader_volunteer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer.id", ondelete="SET NULL", use_alter=True)
    )

    __table_args__ = (
        Index("uq_volunteer_team_compound_id_name", "compound_id", "name", unique=True),
        Index("ix_volunteer_team_area_path", "area_path", postgresql_ops={"area_path": "text_pattern_ops"}),
    )


class Volunteer(IdMixin, TimestampMixin, Base):
    """A person who helps: skills from a fixed list, a home compound, a team, and optionally a sign-in."""

    __tablename__ = "volunteer"

    account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL"), unique=True
    )
    full_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    team_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("volunteer_team.id", ondelete="SET NULL"))
    compound_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    area_path: Mapped[str] = mapped_column(String(512))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        CheckConstraint(f"skills <@ ARRAY[{_SKILLS_SQL}]::varchar[]", name="known_skills"),
        Index("ix_volunteer_area_path", "area_path", postgresql_ops={"area_path": "text_pattern_ops"}),
        Index("ix_volunteer_team_id", "team_id"),
    )


class VolunteerAvailability(IdMixin, Base):
    """A weekly window when the volunteer can help, in local time (Asia/Shanghai). ISO weekday: 1 = Monday."""

    __tablename__ = "volunteer_availability"

    volunteer_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("volunteer.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday_range"),
        CheckConstraint("end_time > start_time", name="times_ordered"),
        Index("ix_volunteer_availability_volunteer_id", "volunteer_id"),
    )


class VolunteerTask(IdMixin, TimestampMixin, Base):
    """An errand, a home visit, a delivery or an escort: open → assigned → accepted → completed, or cancelled.

    ``coordinator_staff_id`` is the staff member who looks after the task (its creator, or an elder's captain for
    the visit watch's tasks): they may hand it out like a manager of its area."""

    __tablename__ = "volunteer_task"

    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    # Where: a compound or a building, and its compound (volunteers claim open tasks of their own compound).
    area_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    area_path: Mapped[str] = mapped_column(String(512))
    compound_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    needed_skill: Mapped[str | None] = mapped_column(String(32))
    scheduled_at: Mapped[datetime | None]
    expected_minutes: Mapped[int | None] = mapped_column(Integer)
    request_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("service_request.id", ondelete="SET NULL")
    )
    elder_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("elder.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    volunteer_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("volunteer.id", ondelete="SET NULL"))
    coordinator_staff_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("staff.id", ondelete="SET NULL")
    )
    created_by_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL")
    )
    assigned_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    completion_note: Mapped[str | None] = mapped_column(Text)
    completion_seconds: Mapped[int | None] = mapped_column(Integer)
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("expected_minutes IS NULL OR expected_minutes > 0", name="expected_minutes_positive"),
        CheckConstraint(
            "(status IN ('open', 'cancelled')) OR volunteer_id IS NOT NULL", name="volunteer_when_taken"
        ),
        Index("ix_volunteer_task_area_path", "area_path", "created_at",
              postgresql_ops={"area_path": "text_pattern_ops"}),
        Index("ix_volunteer_task_volunteer_id_status", "volunteer_id", "status"),
        Index("ix_volunteer_task_compound_id_status", "compound_id", "status"),
        Index("ix_volunteer_task_request_id", "request_id"),
        Index("ix_volunteer_task_elder_id", "elder_id", "kind", "status"),
        Index("ix_volunteer_task_completed_at", "completed_at", postgresql_where=text("completed_at IS NOT NULL")),
    )


class VolunteerHoursEntry(IdMixin, Base):
    """The hours ledger: append-only (a database trigger refuses UPDATE and DELETE). A completed task adds its
    hours; a correction is a new entry, negative allowed, always with a reason. ``served_on`` is the local
    date the service counts for; ``team_id`` the volunteer's team at the time, so team totals keep history."""

    __tablename__ = "volunteer_hours_entry"

    volunteer_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("volunteer.id", ondelete="RESTRICT"))
    team_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("volunteer_team.id", ondelete="RESTRICT"))
    task_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("volunteer_task.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    served_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    corrects_entry_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer_hours_entry.id", ondelete="RESTRICT")
    )
    created_by_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("duration_seconds <> 0", name="duration_not_zero"),
        CheckConstraint("kind <> 'task' OR (duration_seconds > 0 AND task_id IS NOT NULL)", name="task_entry"),
        CheckConstraint("kind <> 'correction' OR reason IS NOT NULL", name="correction_reason"),
        Index("uq_volunteer_hours_entry_task_id", "task_id", unique=True, postgresql_where=text("kind = 'task'")),
        Index("ix_volunteer_hours_entry_volunteer_id_served_on", "volunteer_id", "served_on"),
        Index("ix_volunteer_hours_entry_team_id_served_on", "team_id", "served_on"),
    )
