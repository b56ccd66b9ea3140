from __future__ import annotations

from pydantic import BaseModel, Field


class Token(BaseModel):
    access_token: str = Field(examples=["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."])
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_in: int = Field(description="Seconds until the token expires", examples=[3600])


class RoleRead(BaseModel):
    role: str = Field(examples=["building_captain"])
    area_id: int
    area_name: str = Field(examples=["9号楼"])
    area_kind: str = Field(examples=["building"])
    units: list[int] | None = Field(default=None, examples=[[1, 2]])
    department: str | None = None


class MeRead(BaseModel):
    account_id: int
    username: str
    kind: str = Field(description="staff, resident or volunteer", examples=["staff"])
    full_name: str
    phone: str | None = None
    staff_id: int | None = None
    resident_id: int | None = None
    volunteer_id: int | None = None
    building_id: int | None = None
    unit: int | None = None
    room: str | None = None
    roles: list[RoleRead] = []
