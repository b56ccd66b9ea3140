"""Import areas, buildings and staff from CSV or XLSX: every row is checked first, then all are written or none.

Used by the ``doorstep import`` command (no actor: the operator) and by ``POST /api/v1/imports/{kind}``
(an actor: every row must fall inside an area the caller manages). Rows are numbered as the spreadsheet shows
them: the header is row 1, the first data row is row 2. Row 0 in an error means the file as a whole.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository
from app.areas.errors import ImportFailed
from app.areas.models import Area, AreaKind
from app.areas.schemas import Address, AreaCode, BuildingNumber, ImportKind, ImportReport, UnitCount
from app.areas.service import allowed_fields_text, misplaced_fields, parent_kind_problem, point_problem
from app.core.actor import MANAGER_ROLES, Actor
from app.core.errors import Forbidden
from app.core.schemas import Latitude, Longitude, Name
from app.core.text import clean_text
from app.people import repository as people_repository
from app.people.models import Role
from app.people.schemas import RoleAssign, StaffCreate
from app.people.service import ROLE_AREA_KIND, create_staff_unchecked

# Enough for a whole district's roster; a bigger file is split by the operator (and keeps a request short).
MAX_DATA_ROWS = 20_000

ALIASES = {
    "编码": "code", "名称": "name", "类型": "kind", "上级编码": "parent_code", "纬度": "latitude",
    "经度": "longitude", "地址": "address", "小区编码": "compound_code", "楼号": "building_number",
    "单元数": "unit_count", "用户名": "username", "密码": "password", "姓名": "full_name", "电话": "phone",
    "角色": "role", "区域编码": "area_code", "单元": "units", "部门": "department",
}

KIND_ALIASES = {
    "区": AreaKind.district, "街道": AreaKind.subdistrict, "社区": AreaKind.community, "小区": AreaKind.compound,
    "楼栋": AreaKind.building, "街巷": AreaKind.street,
}
ROLE_ALIASES = {
    "楼栋长": Role.building_captain, "站长": Role.station_head, "社区工作人员": Role.community_staff,
    "街道工作人员": Role.subdistrict_staff, "区管理员": Role.district_admin, "街巷长": Role.street_chief,
    "小巷管家": Role.alley_steward, "物业经理": Role.property_manager,
}
DEPARTMENT_ALIASES = {
    "值班": "duty_desk", "安全监管": "safety_supervision", "城市管理": "urban_management", "民政": "civil_affairs",
    "卫生健康": "health", "住房": "housing",
}


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional


COLUMNS = {
    ImportKind.areas: Columns(("code", "name", "kind"), ("parent_code", "latitude", "longitude", "address")),
    ImportKind.buildings: Columns(
        ("code", "compound_code"), ("name", "building_number", "unit_count", "latitude", "longitude", "address")
    ),
    ImportKind.staff: Columns(
        ("username", "password", "full_name", "role", "area_code"), ("phone", "units", "department")
    ),
}


# Reading the file (CPU work: runs in a thread) ---------------------------------------------------------


@dataclass
class Sheet:
    header_row: int = 0
    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, cells), empty rows left out


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # a code or phone typed as a number: 610112.0 means "610112"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _file_error(message: str, column: str = "file") -> ImportFailed:
    return ImportFailed([{"row": 0, "column": column, "message": message}])


def _csv_rows(content: bytes) -> Any:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")  # what Excel in China saves as "CSV"
        except UnicodeDecodeError as exc:
            raise _file_error("the CSV is neither UTF-8 nor GB18030 text") from exc
    return csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(content: bytes) -> Any:
    import openpyxl  # imported here: only imports need it

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # a zip that is not a workbook fails in many ways; all mean the same to the user
        raise _file_error("the file is not a readable XLSX workbook") from exc
    try:
        if not workbook.worksheets:
            raise _file_error("the workbook has no sheet")
        try:
            yield from workbook.worksheets[0].iter_rows(values_only=True)
        except Exception as exc:  # a damaged sheet inside a valid zip
            raise _file_error("the first sheet of the workbook cannot be read") from exc
    finally:
        workbook.close()


def read_sheet(filename: str, content: bytes) -> Sheet:
    """Decodes the file into a header and the non-empty rows of plain strings (not yet cleaned)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    reader: Callable[[bytes], Any]
    if extension == "csv":
        reader = _csv_rows
    elif extension == "xlsx":
        reader = _xlsx_rows
    else:
        raise _file_error(f"{filename or 'the file'} is neither .csv nor .xlsx")
    sheet = Sheet()
    try:
        for number, raw in enumerate(reader(content), start=1):
            cells = [_cell_text(value) for value in raw]
            if not any(cell.strip() for cell in cells):
                continue
            if not sheet.header_row:
                sheet.header_row, sheet.header = number, cells
                continue
            if len(sheet.rows) >= MAX_DATA_ROWS:
                raise _file_error(f"more than {MAX_DATA_ROWS} rows: split the file")
            sheet.rows.append((number, cells))
    except csv.Error as exc:
        raise _file_error(f"the CSV cannot be read: {exc}") from exc
    if not sheet.header_row:
        raise ImportFailed([{"row": 1, "column": "", "message": "the file is empty: no header row"}])
    return sheet


# Rows to records ---------------------------------------------------------------------------------------


class Errors:
    """Row errors, collected while checking; raised together."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._seen: set[tuple[int, str]] = set()

    def add(self, row: int, column: str, message: str) -> None:
        # One error per cell: a cell refused while cleaning is not reported again as "required".
        if (row, column) not in self._seen:
            self._seen.add((row, column))
            self.items.append({"row": row, "column": column, "message": message})

    def add_validation(self, row: int, exc: ValidationError, columns: Callable[[tuple[Any, ...]], str]) -> None:
        for error in exc.errors():
            message = "is required" if error["type"] == "missing" else str(error["msg"]).removeprefix("Value error, ")
            self.add(row, columns(tuple(error["loc"])), message)

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportFailed(sorted(self.items, key=lambda e: e["row"]))


def _column_name(raw: str) -> str:
    name = clean_text(raw, multiline=False).lower()
    name = ALIASES.get(name, name)
    return re.sub(r"[\s\-]+", "_", name)


def _records(sheet: Sheet, columns: Columns, errors: Errors) -> list[tuple[int, dict[str, str]]]:
    """Each data row as {column: cleaned text}, blanks left out. Header problems end the import at once."""
    positions: dict[str, int] = {}
    header_errors = Errors()
    for index, raw in enumerate(sheet.header):
        if not raw.strip():
            continue
        try:
            name = _column_name(raw)
        except ValueError as exc:
            header_errors.add(sheet.header_row, raw, str(exc))
            continue
        if name not in columns.known:
            header_errors.add(sheet.header_row, raw, f"unknown column; expected {', '.join(columns.known)}")
        elif name in positions:
            header_errors.add(sheet.header_row, name, "this column appears twice")
        else:
            positions[name] = index
    for name in columns.required:
        if name not in positions:
            header_errors.add(sheet.header_row, name, "required column is missing")
    header_errors.raise_if_any()
    if not sheet.rows:
        raise ImportFailed([{"row": sheet.header_row + 1, "column": "", "message": "no data rows under the header"}])
    records = []
    for number, cells in sheet.rows:
        record: dict[str, str] = {}
        for name, index in positions.items():
            if index >= len(cells):
                continue
            try:
                value = clean_text(cells[index], multiline=False)
            except ValueError as exc:
                errors.add(number, name, str(exc))
                continue
            if value:
                record[name] = value
        records.append((number, record))
    return records


def _by_field(loc: tuple[Any, ...]) -> str:
    return str(loc[0]) if loc else ""


KIND_VALUES = frozenset(kind.value for kind in AreaKind)
Write = Callable[[], Awaitable[int]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AreaRow(_Strict):
    code: AreaCode
    name: Name
    kind: AreaKind
    parent_code: AreaCode | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    address: Address | None = None


class BuildingRow(_Strict):
    code: AreaCode
    name: Name
    compound_code: AreaCode
    building_number: BuildingNumber | None = None
    unit_count: UnitCount | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    address: Address | None = None


def _alias(value: str | None, aliases: dict[str, Any]) -> str | None:
    if value is None:
        return None
    return str(aliases.get(value, value.lower()))


def _area_problem(actor: Actor | None, area: Area | None, code: str) -> str | None:
    """Why the caller cannot import rows into ``area`` (None: they can). Unseen areas read as missing."""
    if area is None or (actor is not None and not actor.covers(area.path)):
        return f"no area with code {code}" + (" in your areas" if actor is not None else "")
    if actor is not None and not actor.manages(area.path):
        return f"you do not manage {area.name} ({code})"
    return None


def _point_and_fields(number: int, kind: str, row: BaseModel, errors: Errors) -> bool:
    given = [name for name in ("building_number", "unit_count", "latitude", "longitude", "address")
             if getattr(row, name, None) is not None]
    bad = misplaced_fields(kind, given)
    for name in bad:
        errors.add(number, name, f"not allowed: {allowed_fields_text(kind)}")
    missing = point_problem(getattr(row, "latitude", None), getattr(row, "longitude", None))
    if missing:
        errors.add(number, missing, "give latitude and longitude together")
    return not bad and not missing


# Areas -------------------------------------------------------------------------------------------------


async def _check_areas(
    session: AsyncSession, records: list[tuple[int, dict[str, str]]], actor: Actor | None, errors: Errors
) -> Write:
    rows: list[tuple[int, AreaRow]] = []
    first_row_of: dict[str, int] = {}
    kind_in_file: dict[str, str | None] = {}
    for number, record in records:
        if "kind" in record:
            record["kind"] = _alias(record["kind"], KIND_ALIASES) or ""
        code = record.get("code")
        if code and code in first_row_of:
            errors.add(number, "code", f"code {code} repeats row {first_row_of[code]}")
        elif code:
            first_row_of[code] = number
            kind_in_file[code] = record.get("kind") if record.get("kind") in KIND_VALUES else None
        try:
            row = AreaRow.model_validate(record)
        except ValidationError as exc:
            errors.add_validation(number, exc, _by_field)
            continue
        if _point_and_fields(number, row.kind, row, errors):
            rows.append((number, row))

    existing = await repository.by_codes(
        session, [row.code for _, row in rows] + [row.parent_code for _, row in rows if row.parent_code]
    )
    for number, row in rows:
        if row.code in existing:
            errors.add(number, "code", f"code {row.code} is already taken")
        if row.parent_code is None:
            if problem := parent_kind_problem(row.kind, None):
                errors.add(number, "parent_code", problem)
            elif actor is not None:
                errors.add(number, "parent_code", "only the operator imports districts (doorstep import areas)")
            continue
        if row.parent_code in first_row_of:
            parent_row = first_row_of[row.parent_code]
            if parent_row >= number:
                errors.add(number, "parent_code", f"{row.parent_code} is on row {parent_row}: put parents first")
                continue
            parent_kind = kind_in_file[row.parent_code]
            if parent_kind is None:
                continue  # that row has its own error
        else:
            parent = existing.get(row.parent_code)
            if problem := _area_problem(actor, parent, row.parent_code):
                errors.add(number, "parent_code", problem)
                continue
            assert parent is not None
            parent_kind = parent.kind
        if problem := parent_kind_problem(row.kind, parent_kind):
            errors.add(number, "parent_code", problem)

    async def write() -> int:
        # Parents come first, so each generation's parents exist once the one before it is flushed.
        created: dict[str, Area] = {}
        generation_of: dict[str, int] = {}
        generations: list[list[tuple[Area, str | None]]] = []
        for _, row in rows:
            level = generation_of[row.parent_code] + 1 if row.parent_code in generation_of else 0
            generation_of[row.code] = level
            if level == len(generations):
                generations.append([])
            area = Area(code=row.code, name=row.name, kind=row.kind, latitude=row.latitude,
                        longitude=row.longitude, address=row.address)
            created[row.code] = area
            generations[level].append((area, row.parent_code))
        for generation in generations:
            await repository.add_many(
                session,
                [(area, (created.get(code) or existing[code]) if code else None) for area, code in generation],
            )
        return len(created)

    return write


# Buildings ---------------------------------------------------------------------------------------------


async def _check_buildings(
    session: AsyncSession, records: list[tuple[int, dict[str, str]]], actor: Actor | None, errors: Errors
) -> Write:
    rows: list[tuple[int, BuildingRow]] = []
    first_row_of: dict[str, int] = {}
    for number, record in records:
        if "name" not in record and "building_number" in record:
            record["name"] = record["building_number"]  # "9号楼" is the name people use
        code = record.get("code")
        if code and code in first_row_of:
            errors.add(number, "code", f"code {code} repeats row {first_row_of[code]}")
        elif code:
            first_row_of[code] = number
        try:
            row = BuildingRow.model_validate(record)
        except ValidationError as exc:
            errors.add_validation(number, exc, _by_field)
            continue
        if _point_and_fields(number, AreaKind.building, row, errors):
            rows.append((number, row))

    existing = await repository.by_codes(
        session, [row.code for _, row in rows] + [row.compound_code for _, row in rows]
    )
    for number, row in rows:
        if row.code in existing:
            errors.add(number, "code", f"code {row.code} is already taken")
        compound = existing.get(row.compound_code)
        if problem := _area_problem(actor, compound, row.compound_code):
            errors.add(number, "compound_code", problem)
        elif compound is not None and compound.kind != AreaKind.compound:
            errors.add(number, "compound_code", f"{row.compound_code} is a {compound.kind}, not a compound")

    async def write() -> int:
        nodes = [
            (
                Area(code=row.code, name=row.name, kind=AreaKind.building, building_number=row.building_number,
                     unit_count=row.unit_count, latitude=row.latitude, longitude=row.longitude,
                     address=row.address),
                existing[row.compound_code],
            )
            for _, row in rows
        ]
        await repository.add_many(session, nodes)
        return len(nodes)

    return write


# Staff -------------------------------------------------------------------------------------------------


@dataclass
class _Person:
    row: int
    record: dict[str, str]
    roles: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


_UNIT_SEPARATORS = re.compile(r"[;,、，；/\s]+")


def _units(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [part for part in _UNIT_SEPARATORS.split(value) if part]


def _role_column(loc: tuple[Any, ...]) -> str:
    # A model-level error of RoleAssign is about units given for a role that has none.
    return str(loc[0]) if loc and loc[0] in ("role", "units", "department") else "units"


async def _check_staff(
    session: AsyncSession, records: list[tuple[int, dict[str, str]]], actor: Actor | None, errors: Errors
) -> Write:
    people: dict[str, _Person] = {}
    for number, record in records:
        username = record.get("username")
        if username is None:
            errors.add(number, "username", "is required")
            continue
        person = people.setdefault(username, _Person(number, record))
        person.roles.append((number, record))

    areas = await repository.by_codes(session, [r["area_code"] for _, r in records if "area_code" in r])
    bodies: list[StaffCreate] = []
    for username, person in people.items():
        assigns: list[RoleAssign] = []
        seen: dict[tuple[str, str], int] = {}
        for number, record in person.roles:
            role = _alias(record.get("role"), ROLE_ALIASES)
            area_code = record.get("area_code")
            area = areas.get(area_code) if area_code else None
            if area_code is None:
                errors.add(number, "area_code", "is required")
            elif problem := _area_problem(actor, area, area_code):
                errors.add(number, "area_code", problem)
                area = None
            try:
                values = {
                    "role": role,
                    "area_id": area.id if area else 0,
                    "units": _units(record.get("units")),
                    "department": _alias(record.get("department"), DEPARTMENT_ALIASES),
                }
                assign = RoleAssign.model_validate({k: v for k, v in values.items() if v is not None})
            except ValidationError as exc:
                errors.add_validation(number, exc, _role_column)
                continue
            if area is None:
                continue
            expected = ROLE_AREA_KIND[Role(assign.role)]
            if area.kind != expected:
                errors.add(number, "area_code", f"a {assign.role} is held over a {expected}; {area_code} is a "
                                                f"{area.kind}")
                continue
            if assign.units and area.unit_count and max(assign.units) > area.unit_count:
                errors.add(number, "units", f"{area.name} has {area.unit_count} units")
                continue
            key = (str(assign.role), area.code)
            if key in seen:
                errors.add(number, "role", f"repeats row {seen[key]}")
                continue
            seen[key] = number
            assigns.append(assign)
        first = person.record
        try:
            body = StaffCreate.model_validate({
                name: first[name] for name in ("username", "password", "full_name", "phone") if name in first
            })
        except ValidationError as exc:
            errors.add_validation(person.row, exc, _by_field)
            continue
        if await people_repository.username_exists(session, username):
            errors.add(person.row, "username", f"the username {username} is already taken")
            continue
        bodies.append(body.model_copy(update={"roles": assigns}))

    async def write() -> int:
        for body in bodies:
            await create_staff_unchecked(session, body)
        return len(bodies)

    return write


# Entry point -------------------------------------------------------------------------------------------

_CHECKS = {
    ImportKind.areas: _check_areas,
    ImportKind.buildings: _check_buildings,
    ImportKind.staff: _check_staff,
}


async def import_file(
    session: AsyncSession, *, kind: str, filename: str, content: bytes, actor: Actor | None = None
) -> ImportReport:
    """Imports every row of the file, or nothing: ImportFailed lists every bad row (row, column, message).

    Without an actor (the operator's command line) any area may be written, districts included; with one,
    every row must fall inside an area the actor manages. The writes run in a savepoint, so even an unexpected
    database error leaves nothing behind.
    """
    try:
        import_kind = ImportKind(kind)
    except ValueError as exc:
        raise _file_error(f"cannot import {kind!r}: choose areas, buildings or staff", column="kind") from exc
    if actor is not None and not actor.is_system and not actor.has_role(*MANAGER_ROLES):
        raise Forbidden("Only staff who manage areas can import")
    sheet = await asyncio.to_thread(read_sheet, filename, content)
    errors = Errors()
    records = _records(sheet, COLUMNS[import_kind], errors)
    write = await _CHECKS[import_kind](session, records, actor, errors)
    errors.raise_if_any()
    async with session.begin_nested():
        created = await write()
    return ImportReport(kind=import_kind, imported=len(records), created=created)


__all__ = ["ImportFailed", "ImportReport", "import_file"]
