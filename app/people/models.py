"""Accounts, staff with area-scoped roles, absences with a backup, residents."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class AccountKind(enum.StrEnum):
    staff = "staff"
    resident = "resident"


class Role(enum.StrEnum):
    building_captain = "building_captain"
    station_head = "station_head"
    community_staff = "community_staff"
    subdistrict_staff = "subdistrict_staff"
    district_admin = "district_admin"
    street_chief = "street_chief"
    alley_steward = "alley_steward"
    property_manager = "property_manager"


class Department(enum.StrEnum):
    duty_desk = "duty_desk"
    safety_supervision = "safety_supervision"
    urban_management = "urban_management"
    civil_affairs = "civil_affairs"
    health = "health"
    housing = "housing"


class Account(IdMixin, TimestampMixin, Base):
    """Something that signs in: a staff member or a resident."""

    __tablename__ = "account"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")


class Staff(IdMixin, TimestampMixin, Base):
    __tablename__ = "staff"

    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.id", ondelete="CASCADE"), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))


class StaffRole(IdMixin, TimestampMixin, Base):
    """A role held over an area node. A captain may be limited to certain units of a building."""

    __tablename__ = "staff_role"

    staff_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    area_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    units: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))
    department: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_staff_role_area_id_role", "area_id", "role"),
        Index("ix_staff_role_staff_id", "staff_id"),
    )


class StaffAbsence(IdMixin, TimestampMixin, Base):
    """Away from ``starts_on`` to ``ends_on`` inclusive; work meant for them goes to ``backup_staff_id``."""

    __tablename__ = "staff_absence"

    staff_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    backup_staff_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("staff.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("backup_staff_id IS NULL OR backup_staff_id <> staff_id", name="backup_not_self"),
        Index("ix_staff_absence_staff_id_dates", "staff_id", "starts_on", "ends_on"),
    )


class Resident(IdMixin, TimestampMixin, Base):
    __tablename__ = "resident"

    account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("account.id", ondelete="SET NULL"), unique=True
    )
    full_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id", ondelete="RESTRICT"))
    unit: Mapped[int | None] = mapped_column(SmallInteger)
    room: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_resident_building_id", "building_id"),)
