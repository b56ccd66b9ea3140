from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.dependencies import CurrentActor, StaffActor
from app.core.openapi import errors
from app.core.params import Cursor, Limit
from app.core.schemas import Page
from app.db.dependencies import SessionDep
from app.people import service
from app.people.models import Role
from app.people.schemas import (
    AbsenceCreate,
    AbsenceRead,
    ResidentCreate,
    ResidentRead,
    ResidentUpdate,
    RoleAssign,
    StaffCreate,
    StaffRead,
    StaffUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["people"])


@router.post("/staff", response_model=StaffRead, status_code=status.HTTP_201_CREATED,
             summary="Create a staff account with roles in areas you manage", responses=errors(401, 403, 409, 422))
async def create_staff(body: StaffCreate, actor: StaffActor, session: SessionDep) -> StaffRead:
    return await service.create_staff(session, actor, body)


@router.get("/staff", response_model=Page[StaffRead], summary="List staff with a role in your areas",
            responses=errors(401, 403, 404, 422))
async def list_staff(
    actor: StaffActor,
    session: SessionDep,
    area_id: Annotated[int | None, Query(description="Only staff with a role inside this area's subtree")] = None,
    role: Annotated[Role | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[StaffRead]:
    return await service.list_staff(session, actor, area_id=area_id, role=role, cursor=cursor, limit=limit)


@router.get("/staff/{staff_id}", response_model=StaffRead, summary="One staff member",
            responses=errors(401, 403, 404))
async def get_staff(staff_id: int, actor: StaffActor, session: SessionDep) -> StaffRead:
    return await service.get_staff(session, actor, staff_id)


@router.patch("/staff/{staff_id}", response_model=StaffRead,
              summary="Update a staff member (name, phone, password; active only by a manager)",
              responses=errors(401, 403, 404, 422))
async def update_staff(staff_id: int, body: StaffUpdate, actor: StaffActor, session: SessionDep) -> StaffRead:
    return await service.update_staff(session, actor, staff_id, body)


@router.post("/staff/{staff_id}/roles", response_model=StaffRead, status_code=status.HTTP_201_CREATED,
             summary="Grant a role over an area you manage", responses=errors(401, 403, 404, 422))
async def add_role(staff_id: int, body: RoleAssign, actor: StaffActor, session: SessionDep) -> StaffRead:
    return await service.add_role(session, actor, staff_id, body)


@router.delete("/staff/{staff_id}/roles/{role_id}", response_model=StaffRead, summary="Take a role away",
               responses=errors(401, 403, 404))
async def remove_role(staff_id: int, role_id: int, actor: StaffActor, session: SessionDep) -> StaffRead:
    return await service.remove_role(session, actor, staff_id, role_id)


@router.post("/staff/{staff_id}/absences", response_model=AbsenceRead, status_code=status.HTTP_201_CREATED,
             summary="Record an absence with a named backup", responses=errors(401, 403, 404, 422))
async def add_absence(staff_id: int, body: AbsenceCreate, actor: StaffActor, session: SessionDep) -> AbsenceRead:
    return await service.add_absence(session, actor, staff_id, body)


@router.get("/staff/{staff_id}/absences", response_model=list[AbsenceRead], summary="A staff member's absences",
            responses=errors(401, 403, 404))
async def list_absences(staff_id: int, actor: StaffActor, session: SessionDep) -> list[AbsenceRead]:
    return await service.list_absences(session, actor, staff_id)


@router.delete("/staff/{staff_id}/absences/{absence_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Cancel an absence", responses=errors(401, 403, 404))
async def delete_absence(staff_id: int, absence_id: int, actor: StaffActor, session: SessionDep) -> None:
    await service.delete_absence(session, actor, staff_id, absence_id)


@router.post("/residents", response_model=ResidentRead, status_code=status.HTTP_201_CREATED,
             summary="Register a resident of a building in your areas", responses=errors(401, 403, 409, 422))
async def create_resident(body: ResidentCreate, actor: StaffActor, session: SessionDep) -> ResidentRead:
    return await service.create_resident(session, actor, body)


@router.get("/residents", response_model=Page[ResidentRead], summary="List residents of buildings in your areas",
            responses=errors(401, 403, 422))
async def list_residents(
    actor: StaffActor,
    session: SessionDep,
    building_id: Annotated[int | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[ResidentRead]:
    return await service.list_residents(session, actor, building_id=building_id, cursor=cursor, limit=limit)


@router.get("/residents/{resident_id}", response_model=ResidentRead,
            summary="One resident (a resident may read only themselves)", responses=errors(401, 404))
async def get_resident(resident_id: int, actor: CurrentActor, session: SessionDep) -> ResidentRead:
    return await service.get_resident(session, actor, resident_id)


@router.patch("/residents/{resident_id}", response_model=ResidentRead, summary="Update a resident",
              responses=errors(401, 403, 404, 422))
async def update_resident(
    resident_id: int, body: ResidentUpdate, actor: StaffActor, session: SessionDep
) -> ResidentRead:
    return await service.update_resident(session, actor, resident_id, body)
