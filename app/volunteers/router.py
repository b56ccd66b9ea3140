"""Volunteer teams, volunteers, their tasks (with matching) and the hours ledger."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.auth.dependencies import CurrentActor, StaffActor
from app.core.openapi import errors
from app.core.params import Cursor, Limit
from app.core.schemas import Page
from app.db.dependencies import ClockDep, SessionDep
from app.volunteers import service
from app.volunteers.models import Skill, TaskKind, TaskStatus
from app.volunteers.schemas import (
    AssignTaskBody,
    CancelTaskBody,
    CompleteTaskBody,
    FromRequestBody,
    HoursCorrection,
    HoursEntryRead,
    MatchesRead,
    TaskCreate,
    TaskRead,
    TaskStatsRead,
    TeamCreate,
    TeamHoursRead,
    TeamRead,
    TeamUpdate,
    VolunteerCreate,
    VolunteerHoursRead,
    VolunteerRead,
    VolunteerUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["volunteers"])
DateFrom = Annotated[date | None, Query(alias="from", description="First day (local date), inclusive")]
DateTo = Annotated[date | None, Query(alias="to", description="Last day (local date), inclusive")]
Statuses = Annotated[list[TaskStatus] | None, Query(alias="status", description="Any of these statuses")]


# Teams --------------------------------------------------------------------------------------------------


@router.post("/volunteer-teams", response_model=TeamRead, status_code=status.HTTP_201_CREATED,
             summary="Create a volunteer team in a compound you manage", responses=errors(401, 403, 409, 422))
async def create_team(body: TeamCreate, actor: StaffActor, session: SessionDep) -> TeamRead:
    return await service.create_team(session, actor, body)


@router.get("/volunteer-teams", response_model=list[TeamRead],
            summary="Teams of the compounds you see (a volunteer: their own team)", responses=errors(401, 403))
async def list_teams(
    actor: CurrentActor, session: SessionDep, compound_id: Annotated[int | None, Query()] = None
) -> list[TeamRead]:
    return await service.list_teams(session, actor, compound_id=compound_id)


@router.get("/volunteer-teams/{team_id}", response_model=TeamRead, summary="One team", responses=errors(401, 404))
async def get_team(team_id: int, actor: CurrentActor, session: SessionDep) -> TeamRead:
    return await service.get_team(session, actor, team_id)


@router.patch("/volunteer-teams/{team_id}", response_model=TeamRead, summary="Rename a team or change its leader",
              responses=errors(401, 403, 404, 409, 422))
async def update_team(team_id: int, body: TeamUpdate, actor: StaffActor, session: SessionDep) -> TeamRead:
    return await service.update_team(session, actor, team_id, body)


@router.get("/volunteer-teams/{team_id}/hours", response_model=TeamHoursRead,
            summary="Hours the team served in a period, per member",
            description="Each ledger entry counts for the team its volunteer was in when it was written.",
            responses=errors(401, 404, 422))
async def team_hours(
    team_id: int, actor: CurrentActor, session: SessionDep, date_from: DateFrom = None, date_to: DateTo = None
) -> TeamHoursRead:
    return await service.team_hours(session, actor, team_id, date_from=date_from, date_to=date_to)


# Volunteers ---------------------------------------------------------------------------------------------


@router.post("/volunteers", response_model=VolunteerRead, status_code=status.HTTP_201_CREATED,
             summary="Register a volunteer of a compound you manage",
             description="With `username` and `password` the volunteer can sign in (`POST /api/v1/auth/token`) "
             "and see their own tasks. Availability windows are weekly, local time (Asia/Shanghai), "
             "ISO weekday 1 = Monday.",
             responses=errors(401, 403, 409, 422))
async def create_volunteer(body: VolunteerCreate, actor: StaffActor, session: SessionDep) -> VolunteerRead:
    return await service.create_volunteer(session, actor, body)


@router.get("/volunteers", response_model=Page[VolunteerRead], summary="Volunteers of the compounds you see",
            responses=errors(401, 403, 422))
async def list_volunteers(
    actor: StaffActor,
    session: SessionDep,
    compound_id: Annotated[int | None, Query()] = None,
    team_id: Annotated[int | None, Query()] = None,
    skill: Annotated[Skill | None, Query()] = None,
    active: Annotated[bool | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[VolunteerRead]:
    return await service.list_volunteers(session, actor, compound_id=compound_id, team_id=team_id, skill=skill,
                                         active=active, cursor=cursor, limit=limit)


@router.get("/volunteers/me", response_model=VolunteerRead, summary="The signed-in volunteer's profile",
            responses=errors(401, 403))
async def me(actor: CurrentActor, session: SessionDep) -> VolunteerRead:
    return await service.me(session, actor)


@router.get("/volunteers/me/tasks", response_model=list[TaskRead], summary="The signed-in volunteer's tasks",
            description="Unfinished (assigned, accepted) first by scheduled time, then the rest newest first.",
            responses=errors(401, 403, 422))
async def my_tasks(actor: CurrentActor, session: SessionDep, statuses: Statuses = None) -> list[TaskRead]:
    return await service.my_tasks(session, actor, statuses=statuses or ())


@router.get("/volunteers/me/claimable-tasks", response_model=list[TaskRead],
            summary="Open tasks of the signed-in volunteer's compound they could claim", responses=errors(401, 403))
async def claimable_tasks(actor: CurrentActor, session: SessionDep) -> list[TaskRead]:
    return await service.claimable_tasks(session, actor)


@router.get("/volunteers/{volunteer_id}", response_model=VolunteerRead, summary="One volunteer",
            responses=errors(401, 404))
async def get_volunteer(volunteer_id: int, actor: CurrentActor, session: SessionDep) -> VolunteerRead:
    return await service.get_volunteer(session, actor, volunteer_id)


@router.patch("/volunteers/{volunteer_id}", response_model=VolunteerRead,
              summary="Change a volunteer (skills, team, compound, availability, active)",
              description="`availability` replaces every window. Deactivating also disables the sign-in.",
              responses=errors(401, 403, 404, 422))
async def update_volunteer(
    volunteer_id: int, body: VolunteerUpdate, actor: StaffActor, session: SessionDep
) -> VolunteerRead:
    return await service.update_volunteer(session, actor, volunteer_id, body)


@router.get("/volunteers/{volunteer_id}/hours", response_model=VolunteerHoursRead,
            summary="A volunteer's hours in a period: the ledger entries and their total",
            responses=errors(401, 404, 422))
async def volunteer_hours(
    volunteer_id: int, actor: CurrentActor, session: SessionDep, date_from: DateFrom = None, date_to: DateTo = None
) -> VolunteerHoursRead:
    return await service.volunteer_hours(session, actor, volunteer_id, date_from=date_from, date_to=date_to)


@router.post("/volunteers/{volunteer_id}/hours", response_model=HoursEntryRead,
             status_code=status.HTTP_201_CREATED, summary="Correct a volunteer's hours (a new ledger entry)",
             description="The ledger is append-only: a correction is a new entry, negative allowed, with a reason.",
             responses=errors(401, 403, 404, 422))
async def add_correction(
    volunteer_id: int, body: HoursCorrection, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> HoursEntryRead:
    return await service.add_correction(session, actor, volunteer_id, body, clock=clock)


# Tasks --------------------------------------------------------------------------------------------------


@router.post("/volunteer-tasks", response_model=TaskRead, status_code=status.HTTP_201_CREATED,
             summary="Create a volunteer task (from scratch or from a request)",
             description="From scratch: `kind`, `title` and a compound or building you manage (`area_id`). With "
             "`request_id` everything defaults from the request: its place, title, description and the skill "
             "its category calls for (paperwork and elderly service → errands, health service → health, "
             "counselling → counselling); its assignee may create it too. `volunteer_id` assigns it at once.",
             responses=errors(401, 403, 422))
async def create_task(body: TaskCreate, actor: StaffActor, session: SessionDep, clock: ClockDep) -> TaskRead:
    return await service.create_task(session, actor, body, clock=clock)


@router.post("/requests/{request_id}/volunteer-task", response_model=TaskRead, status_code=status.HTTP_201_CREATED,
             summary="Turn a request into a volunteer task (e.g. 代办 paperwork for a resident who cannot go out)",
             responses=errors(401, 403, 404, 422))
async def create_task_from_request(
    request_id: int, body: FromRequestBody, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> TaskRead:
    return await service.create_task_from_request(session, actor, request_id, body, clock=clock)


@router.get("/volunteer-tasks", response_model=Page[TaskRead], summary="Tasks you may see, newest first",
            description="Staff: tasks inside their areas and those they coordinate. A volunteer: their own.",
            responses=errors(401, 403, 422))
async def list_tasks(
    actor: CurrentActor,
    session: SessionDep,
    statuses: Statuses = None,
    kind: Annotated[TaskKind | None, Query()] = None,
    area_id: Annotated[int | None, Query(description="Only tasks inside this area's subtree")] = None,
    volunteer_id: Annotated[int | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[TaskRead]:
    return await service.list_tasks(session, actor, statuses=statuses or (), kind=kind, area_id=area_id,
                                    volunteer_id=volunteer_id, cursor=cursor, limit=limit)


@router.get("/volunteer-tasks/stats", response_model=TaskStatsRead,
            summary="Errands, visits, deliveries and escorts completed in an area in a period",
            responses=errors(401, 404, 422))
async def task_stats(
    actor: StaffActor,
    session: SessionDep,
    area_id: Annotated[int, Query(description="Any area you see; its whole subtree counts")],
    date_from: DateFrom = None,
    date_to: DateTo = None,
) -> TaskStatsRead:
    return await service.task_stats(session, actor, area_id=area_id, date_from=date_from, date_to=date_to)


@router.get("/volunteer-tasks/{task_id}", response_model=TaskRead, summary="One task", responses=errors(401, 404))
async def get_task(task_id: int, actor: CurrentActor, session: SessionDep) -> TaskRead:
    return await service.get_task(session, actor, task_id)


@router.get("/volunteer-tasks/{task_id}/matches", response_model=MatchesRead,
            summary="Volunteers proposed for a task, best first, each with why",
            description="The pool is the active volunteers of the task's community. The needed skill is required; "
            "then the same compound first, then those with a weekly window holding the task's time, then the "
            "fewest open tasks. Volunteers with another task at an overlapping time are skipped and listed.",
            responses=errors(401, 403, 404))
async def task_matches(
    task_id: int, actor: StaffActor, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many proposals")] = 10,
) -> MatchesRead:
    return await service.matches(session, actor, task_id, limit=limit)


@router.post("/volunteer-tasks/{task_id}/assign", response_model=TaskRead,
             summary="Give an open (or assigned, not accepted) task to a volunteer",
             responses=errors(401, 403, 404, 409, 422))
async def assign_task(
    task_id: int, body: AssignTaskBody, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> TaskRead:
    return await service.assign_task(session, actor, task_id, body.volunteer_id, clock=clock)


@router.post("/volunteer-tasks/{task_id}/claim", response_model=TaskRead,
             summary="A volunteer takes an open task of their compound (accepted at once)",
             responses=errors(401, 403, 404, 409))
async def claim_task(task_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> TaskRead:
    return await service.claim_task(session, actor, task_id, clock=clock)


@router.post("/volunteer-tasks/{task_id}/accept", response_model=TaskRead,
             summary="The assigned volunteer (or a manager on their behalf) accepts",
             responses=errors(401, 403, 404, 409))
async def accept_task(task_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> TaskRead:
    return await service.accept_task(session, actor, task_id, clock=clock)


@router.post("/volunteer-tasks/{task_id}/decline", response_model=TaskRead,
             summary="The assigned volunteer hands the task back (open again)", responses=errors(401, 403, 404, 409))
async def decline_task(task_id: int, actor: CurrentActor, session: SessionDep, clock: ClockDep) -> TaskRead:
    return await service.decline_task(session, actor, task_id, clock=clock)


@router.post("/volunteer-tasks/{task_id}/complete", response_model=TaskRead,
             summary="Done: a note and the hours spent (added to the hours ledger)",
             responses=errors(401, 403, 404, 409, 422))
async def complete_task(
    task_id: int, body: CompleteTaskBody, actor: CurrentActor, session: SessionDep, clock: ClockDep
) -> TaskRead:
    return await service.complete_task(session, actor, task_id, note=body.note, hours=body.hours, clock=clock)


@router.post("/volunteer-tasks/{task_id}/cancel", response_model=TaskRead, summary="Cancel an unfinished task",
             responses=errors(401, 403, 404, 409, 422))
async def cancel_task(
    task_id: int, body: CancelTaskBody, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> TaskRead:
    return await service.cancel_task(session, actor, task_id, reason=body.reason, clock=clock)
