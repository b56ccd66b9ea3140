from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, model_validator

from app.core.schemas import Name, Phone, ReadModel, WriteModel
from app.people.models import Department, Role

Username = Annotated[str, Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$", examples=["captain.li"])]
Password = Annotated[str, Field(min_length=8, max_length=128, examples=["s3cret-pass"])]


class RoleAssign(WriteModel):
    role: Role
    area_id: int = Field(examples=[12])
    units: list[Annotated[int, Field(ge=1, le=99)]] | None = Field(
        default=None, description="building_captain only: the units (单元) covered; omit for the whole building"
    )
    department: Department | None = Field(default=None, description="subdistrict_staff: their department")

    @model_validator(mode="after")
    def _units_only_for_captains(self) -> RoleAssign:
        if self.units is not None and self.role != Role.building_captain:
            raise ValueError("units can only be given for a building_captain role")
        return self


class RoleGrantRead(ReadModel):
    id: int
    role: str
    area_id: int
    units: list[int] | None = None
    department: str | None = None


class StaffCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "username": "captain.li",
                    "password": "s3cret-pass",
                    "full_name": "李建国",
                    "phone": "13800138001",
                    "roles": [{"role": "building_captain", "area_id": 12, "units": [1, 2]}],
                }
            ]
        }
    }

    username: Username
    password: Password
    full_name: Name
    phone: Phone | None = None
    roles: list[RoleAssign] = Field(default_factory=list, max_length=50)


class StaffUpdate(WriteModel):
    """Only the fields given change."""

    model_config = {"json_schema_extra": {"examples": [{"phone": "13800138002"}, {"is_active": False}]}}

    full_name: Name | None = None
    phone: Phone | None = None
    is_active: bool | None = None
    password: Password | None = None


class StaffRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 3, "account_id": 5, "username": "captain.li", "full_name": "李建国", "phone": "13800138001",
                 "is_active": True,
                 "roles": [{"id": 4, "role": "building_captain", "area_id": 5, "units": [1, 2],
                            "department": None}]}
            ]
        }
    }

    id: int
    account_id: int
    username: str
    full_name: str
    phone: str | None = None
    is_active: bool
    roles: list[RoleGrantRead] = []


class AbsenceCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"starts_on": "2026-12-01", "ends_on": "2026-12-07", "backup_staff_id": 7,
                          "reason": "年假"}]
        }
    }

    starts_on: date
    ends_on: date
    backup_staff_id: int | None = None
    reason: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AbsenceCreate:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class AbsenceRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"id": 1, "staff_id": 3, "starts_on": "2026-12-01", "ends_on": "2026-12-07",
                          "backup_staff_id": 7, "reason": "年假"}]
        }
    }

    id: int
    staff_id: int
    starts_on: date
    ends_on: date
    backup_staff_id: int | None = None
    reason: str | None = None


class ResidentCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"full_name": "王秀英", "phone": "13900139000", "building_id": 12, "unit": 2,
                          "room": "301", "username": "wang.xiuying", "password": "s3cret-pass"}]
        }
    }

    full_name: Name
    phone: Phone | None = None
    building_id: int
    unit: Annotated[int, Field(ge=1, le=99)] | None = None
    room: Annotated[str, Field(max_length=32)] | None = None
    username: Username | None = Field(default=None, description="Give with password to let them sign in")
    password: Password | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> ResidentCreate:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        return self


class ResidentUpdate(WriteModel):
    """Only the fields given change."""

    model_config = {"json_schema_extra": {"examples": [{"phone": "13900139001", "unit": 2, "room": "302"}]}}

    full_name: Name | None = None
    phone: Phone | None = None
    building_id: int | None = None
    unit: Annotated[int, Field(ge=1, le=99)] | None = None
    room: Annotated[str, Field(max_length=32)] | None = None


class ResidentRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"id": 31, "full_name": "王秀英", "phone": "13900139000", "building_id": 5, "unit": 2,
                          "room": "301", "username": "wang.xiuying"}]
        }
    }

    id: int
    full_name: str
    phone: str | None = None
    building_id: int
    unit: int | None = None
    room: str | None = None
    username: str | None = None
