"""API schemas of the places domain (separate from the ORM models in models.py)."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator

from app.areas.models import AreaKind
from app.core.schemas import Latitude, Longitude, Name, Phone, ReadModel, SingleLine, WriteModel

AreaCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$",
        description="Stable code of the node (letters, digits, `_ . -`), e.g. the statistical division code",
        examples=["610112001001"],
    ),
]
BuildingNumber = Annotated[
    SingleLine, Field(min_length=1, max_length=32, description="As residents say it", examples=["9号楼"])
]
UnitCount = Annotated[int, Field(ge=1, le=99, description="How many units (单元) the building has", examples=[2])]
Address = Annotated[SingleLine, Field(min_length=1, max_length=500, examples=["西安市未央区未央路翠湖明居9号楼"])]

# Fields only some kinds of node may carry; everything else is refused for that kind.
BUILDING_FIELDS = ("building_number", "unit_count", "latitude", "longitude", "address")
FIELDS_ALLOWED: dict[AreaKind, frozenset[str]] = {
    AreaKind.building: frozenset(BUILDING_FIELDS),
    AreaKind.street: frozenset({"latitude", "longitude"}),
    AreaKind.compound: frozenset({"address"}),
}


class AreaCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "610112001001001011",
                    "name": "11号楼",
                    "kind": "building",
                    "parent_id": 4,
                    "building_number": "11号楼",
                    "unit_count": 3,
                    "latitude": 34.3655,
                    "longitude": 108.9431,
                    "address": "西安市未央区未央路翠湖明居11号楼",
                },
                {"code": "610112001003", "name": "凤城九路", "kind": "street", "parent_id": 2,
                 "latitude": 34.3301, "longitude": 108.9512},
            ]
        }
    }

    code: AreaCode
    name: Name = Field(description="The Chinese name", examples=["11号楼"])
    kind: AreaKind
    parent_id: int | None = Field(
        default=None, description="The parent node; its kind must fit (a building under a compound, ...)",
        examples=[4],
    )
    building_number: BuildingNumber | None = Field(default=None, description="Buildings only")
    unit_count: UnitCount | None = Field(default=None, description="Buildings only")
    latitude: Latitude | None = Field(default=None, description="Buildings and streets: WGS-84 latitude")
    longitude: Longitude | None = Field(default=None, description="Buildings and streets: WGS-84 longitude")
    address: Address | None = Field(default=None, description="Buildings and compounds")


class AreaUpdate(WriteModel):
    """Only the fields sent change; send null to clear an optional field. The parent cannot change."""

    model_config = {"json_schema_extra": {"examples": [{"name": "11号楼", "unit_count": 4}]}}

    code: AreaCode | None = None
    name: Name | None = None
    building_number: BuildingNumber | None = None
    unit_count: UnitCount | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    address: Address | None = None

    @field_validator("code", "name")
    @classmethod
    def _not_cleared(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("cannot be cleared")
        return value


class AreaRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 5, "code": "610112001001001009", "name": "9号楼", "kind": "building", "parent_id": 4,
                 "path": "/1/2/3/4/5/", "depth": 4, "building_number": "9号楼", "unit_count": 2,
                 "latitude": 34.365, "longitude": 108.942, "address": None}
            ]
        }
    }

    id: int
    code: str
    name: str
    kind: AreaKind
    parent_id: int | None = None
    path: str = Field(description="Ids from the root down, e.g. /1/2/3/4/5/")
    depth: int = Field(description="0 for a district")
    building_number: str | None = None
    unit_count: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None


class AreaNode(ReadModel):
    """A node of a tree view with its children (sorted by kind, then name in natural order)."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 4, "code": "610112001001001", "name": "翠湖明居", "kind": "compound", "children": [
                    {"id": 5, "code": "610112001001001002", "name": "2号楼", "kind": "building",
                     "building_number": "2号楼", "unit_count": 2, "latitude": 34.365, "longitude": 108.942,
                     "children": []},
                    {"id": 6, "code": "610112001001001010", "name": "10号楼", "kind": "building",
                     "building_number": "10号楼", "unit_count": 3, "latitude": 34.3652, "longitude": 108.9425,
                     "children": []},
                ]}
            ]
        }
    }

    id: int
    code: str
    name: str
    kind: AreaKind
    building_number: str | None = None
    unit_count: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    children: list[AreaNode] = Field(default_factory=list)


class WorkstationWrite(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"name": "翠湖明居小区工作站", "phone": "029-86251234", "address": "翠湖明居3号楼一层"}]
        }
    }

    name: Name
    phone: Phone | None = None
    address: Address | None = None


class WorkstationHead(ReadModel):
    id: int = Field(description="The staff id")
    full_name: str


class WorkstationRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"id": 1, "compound_id": 4, "name": "翠湖明居小区工作站", "phone": "029-86251234",
                          "address": "翠湖明居3号楼一层", "head": {"id": 2, "full_name": "张站长"}}]
        }
    }

    id: int
    compound_id: int
    name: str
    phone: str | None = None
    address: str | None = None
    head: WorkstationHead | None = Field(
        default=None, description="The staff member holding station_head on the compound, if any"
    )


class ImportKind(enum.StrEnum):
    areas = "areas"
    buildings = "buildings"
    staff = "staff"


class ImportReport(BaseModel):
    model_config = {"json_schema_extra": {"examples": [{"kind": "buildings", "imported": 42, "created": 42}]}}

    kind: ImportKind
    imported: int = Field(description="Data rows imported")
    created: int = Field(description="Records created: areas, or staff members (several rows may be one person)")


class ImportRowError(BaseModel):
    row: int = Field(description="As the spreadsheet shows it: the header is row 1; 0 is the file as a whole",
                     examples=[3])
    column: str = Field(examples=["parent_code"])
    message: str = Field(examples=["no area with code 610112009 in your areas"])


class ImportProblem(BaseModel):
    """The 422 of an import: every problem found, nothing imported."""

    type: str = Field(examples=["https://doorstep.example/problems/import-failed"])
    title: str = Field(examples=["Nothing was imported"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["Nothing was imported: 2 problems found; fix them and retry"])
    code: str = Field(examples=["import_failed"])
    instance: str | None = None
    errors: list[ImportRowError]


def import_problem_example() -> dict[str, Any]:
    return {
        "type": "https://doorstep.example/problems/import-failed",
        "title": "Nothing was imported",
        "status": 422,
        "detail": "Nothing was imported: 2 problems found; fix them and retry",
        "code": "import_failed",
        "errors": [
            {"row": 3, "column": "parent_code", "message": "no area with code 610112009 in your areas"},
            {"row": 5, "column": "latitude", "message": "Input should be less than or equal to 90"},
        ],
    }
