"""Places API: nodes of the area tree, tree views, workstations and spreadsheet imports. Thin: one service call each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile, status

from app.areas import importer, service
from app.areas.models import AreaKind
from app.areas.schemas import (
    AreaCreate,
    AreaNode,
    AreaRead,
    AreaUpdate,
    ImportKind,
    ImportProblem,
    ImportReport,
    WorkstationRead,
    WorkstationWrite,
    import_problem_example,
)
from app.auth.dependencies import CurrentActor, StaffActor
from app.core.errors import PROBLEM_JSON
from app.core.openapi import errors
from app.core.params import Cursor, Limit
from app.core.schemas import Page
from app.db.dependencies import SessionDep

router = APIRouter(prefix="/api/v1", tags=["areas"])
Depth = Annotated[
    int | None, Query(ge=0, le=10, description="Levels below each root to include (0: the root alone); all if omitted")
]


@router.post(
    "/areas", response_model=AreaRead, status_code=status.HTTP_201_CREATED,
    summary="Create a node under a parent you manage",
    description="The parent's kind must fit: a subdistrict under a district, a community or street under a "
    "subdistrict, a compound under a community, a building under a compound. Buildings may carry a number, "
    "units, a point and an address; streets a point; compounds an address. Districts (roots) are created by "
    "the operator with `doorstep import areas`, never through the API (403).",
    responses=errors(401, 403, 404, 409, 422),
)
async def create_area(body: AreaCreate, actor: StaffActor, session: SessionDep) -> AreaRead:
    return await service.create_area(session, actor, body)


@router.get(
    "/areas", response_model=Page[AreaRead], summary="List areas in your scope",
    description="Staff only: nodes inside the areas of your roles, by id. Filters combine.",
    responses=errors(401, 403, 404, 422),
)
async def list_areas(
    actor: StaffActor,
    session: SessionDep,
    parent_id: Annotated[int | None, Query(description="Only the children of this node")] = None,
    kind: Annotated[AreaKind | None, Query(description="Only nodes of this kind")] = None,
    within: Annotated[int | None, Query(description="Only this node and its subtree")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="Name contains (any case)")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[AreaRead]:
    return await service.list_areas(
        session, actor, parent_id=parent_id, kind=kind, within=within, q=q, cursor=cursor, limit=limit
    )


@router.get(
    "/areas/tree", response_model=list[AreaNode], summary="The trees of your areas",
    description="Staff only: one tree per area you hold a role over (areas nested in another fold into it), "
    "children sorted by kind, then by name in natural order (2号楼 before 10号楼).",
    responses=errors(401, 403, 422),
)
async def scope_trees(actor: StaffActor, session: SessionDep, depth: Depth = None) -> list[AreaNode]:
    return await service.scope_trees(session, actor, depth)


@router.get(
    "/areas/{area_id}", response_model=AreaRead, summary="One area",
    description="Staff read nodes inside their areas; a resident reads their own building and its ancestors.",
    responses=errors(401, 404, 422),
)
async def get_area(area_id: int, actor: CurrentActor, session: SessionDep) -> AreaRead:
    return await service.get_area(session, actor, area_id)


@router.patch(
    "/areas/{area_id}", response_model=AreaRead, summary="Update a node you manage",
    description="Changes name, code, building number and units, point and address; send null to clear an "
    "optional field. A node cannot be moved to another parent (re-parenting is not supported): create the "
    "node anew under the right parent instead.",
    responses=errors(401, 403, 404, 409, 422),
)
async def update_area(area_id: int, body: AreaUpdate, actor: StaffActor, session: SessionDep) -> AreaRead:
    return await service.update_area(session, actor, area_id, body)


@router.get(
    "/areas/{area_id}/tree", response_model=AreaNode, summary="A node and its subtree, nested",
    description="Staff only. Children are sorted by kind, then by name in natural order (2号楼 before 10号楼).",
    responses=errors(401, 403, 404, 422),
)
async def area_tree(area_id: int, actor: StaffActor, session: SessionDep, depth: Depth = None) -> AreaNode:
    return await service.area_tree(session, actor, area_id, depth)


@router.put(
    "/areas/{compound_id}/workstation", response_model=WorkstationRead,
    summary="Create or replace a compound's workstation",
    description="201 when created, 200 when replaced. The head shown is the staff member holding "
    "station_head on the compound: grant that role through the people API.",
    responses={201: {"description": "Created", "model": WorkstationRead}, **errors(401, 403, 404, 422)},
)
async def put_workstation(
    compound_id: int, body: WorkstationWrite, actor: StaffActor, session: SessionDep, response: Response
) -> WorkstationRead:
    workstation, created = await service.put_workstation(session, actor, compound_id, body)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return workstation


@router.get(
    "/areas/{compound_id}/workstation", response_model=WorkstationRead,
    summary="A compound's workstation and its head",
    description="Residents may read the workstation of their own compound.",
    responses=errors(401, 404, 422),
)
async def get_workstation(compound_id: int, actor: CurrentActor, session: SessionDep) -> WorkstationRead:
    return await service.get_workstation(session, actor, compound_id)


@router.post(
    "/imports/{kind}", response_model=ImportReport, status_code=status.HTTP_201_CREATED,
    summary="Import areas, buildings or staff from a CSV or XLSX file",
    description="Upload one `.csv` (UTF-8 or GB18030) or `.xlsx` file (first sheet), at most 10 MiB. The header "
    "row names the columns in English or Chinese:\n\n"
    "- **areas**: code 编码, name 名称, kind 类型, parent_code 上级编码, latitude 纬度, longitude 经度, "
    "address 地址\n"
    "- **buildings**: code 编码, name 名称, compound_code 小区编码, building_number 楼号, unit_count 单元数, "
    "latitude 纬度, longitude 经度, address 地址\n"
    "- **staff**: username 用户名, password 密码, full_name 姓名, phone 电话, role 角色, area_code 区域编码, "
    "units 单元 (e.g. `1;2`), department 部门 — one row per role; repeat the username for more roles\n\n"
    "Every row must lie inside an area you manage; districts are imported only by the operator "
    "(`doorstep import areas`). All rows are checked first: if any is bad, **nothing** is imported and the "
    "422 lists every problem by row (as the spreadsheet numbers it) and column.",
    responses={
        **errors(401, 403, 413),
        422: {
            "description": "Nothing was imported: every bad row and column is listed (`import_failed`). "
            "A request without a `file` part is a `validation_error` naming `body.file`.",
            "model": ImportProblem,
            "content": {PROBLEM_JSON: {"example": import_problem_example()}},
        },
    },
)
async def import_spreadsheet(
    kind: ImportKind,
    file: Annotated[UploadFile, File(description="The .csv or .xlsx file")],
    actor: StaffActor,
    session: SessionDep,
) -> ImportReport:
    content = await file.read()
    return await importer.import_file(session, kind=kind, filename=file.filename or "", content=content, actor=actor)
