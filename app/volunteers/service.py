"""Teams, volunteers, tasks and the hours ledger.

Staff of an area manage its volunteers and tasks (``actor.manages`` for writes, ``covers`` for reads; a captain
also sees the volunteers and teams of the compound around their buildings). A volunteer signs in and sees their
own tasks, claims open ones of their compound, accepts and completes them. Completing a task appends to the
hours ledger, which is never updated or deleted: corrections are new entries. Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area, AreaKind
from app.care.models import Elder
from app.core.actor import Actor
from app.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.core.pagination import decode_cursor, encode_cursor
from app.core.schemas import Page
from app.core.security import hash_password_async, mask_phone
from app.core.time import Clock
from app.people import repository as people_repository
from app.people.errors import UsernameTaken
from app.people.models import Account, Resident
from app.requests import repository as requests_repository
from app.requests import service as requests_service
from app.requests.models import ServiceRequest
from app.volunteers import repository
from app.volunteers.errors import IllegalTaskTransition, TaskNotFound, TeamNotFound, VolunteerNotFound
from app.volunteers.models import (
    LOAD_STATUSES,
    LedgerKind,
    Skill,
    TaskKind,
    TaskSource,
    TaskStatus,
    Volunteer,
    VolunteerAvailability,
    VolunteerHoursEntry,
    VolunteerTask,
    VolunteerTeam,
)
from app.volunteers.schemas import (
    AvailabilityRead,
    AvailabilityWindow,
    CompoundStats,
    FromRequestBody,
    HoursCorrection,
    HoursEntryRead,
    KindCounts,
    MatchesRead,
    MatchRead,
    MemberHours,
    SkippedRead,
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

# Availability windows are local time where the volunteers live.
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
# How long a task without expected minutes is taken to last, when checking a volunteer's calendar.
DEFAULT_TASK_MINUTES = 60
# The skill a request's category calls for when a request becomes a task.
CATEGORY_SKILL: dict[str, Skill] = {
    "paperwork": Skill.errands,
    "elderly_service": Skill.errands,
    "health_service": Skill.health,
    "counselling": Skill.counselling,
}
WEEKDAYS = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def to_seconds(hours: Decimal) -> int:
    return int((hours * 3600).to_integral_value(rounding=ROUND_HALF_UP))


def to_hours(seconds: int | None) -> float:
    return round((seconds or 0) / 3600, 2)


def local_day_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """[start of ``date_from``, start of the day after ``date_to``) in local time, as aware instants."""
    since = datetime.combine(date_from, time(), LOCAL_ZONE) if date_from else None
    until = datetime.combine(date_to + timedelta(days=1), time(), LOCAL_ZONE) if date_to else None
    return since, until


def _check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("to must not be before from", field="query.to")


def parent_path(path: str) -> str:
    """'/1/2/3/4/' → '/1/2/3/'."""
    trimmed = path.rstrip("/")
    return trimmed.rsplit("/", 1)[0] + "/" if "/" in trimmed.strip("/") else path


def sees_compound(actor: Actor, compound_path: str) -> bool:
    """Staff whose areas include the compound, or lie inside it (a captain of one of its buildings)."""
    if actor.covers(compound_path):
        return True
    return actor.is_staff and any(p.startswith(compound_path) for p in actor.scope_paths())


# Places -------------------------------------------------------------------------------------------------


async def _compound(session: AsyncSession, actor: Actor, compound_id: int, field: str) -> Area:
    """A compound the caller manages (else 422 on ``field``)."""
    area = await session.get(Area, compound_id)
    if area is None or area.kind != AreaKind.compound or not sees_compound(actor, area.path):
        raise InvalidInput(f"No compound {compound_id} in your areas", field=field)
    if not actor.manages(area.path):
        raise Forbidden(f"You do not manage {area.name}")
    return area


async def _task_place(session: AsyncSession, area_id: int, field: str) -> tuple[Area, Area]:
    """(the task's area, its compound): a compound or a building."""
    area = await session.get(Area, area_id)
    if area is None or area.kind not in (AreaKind.compound, AreaKind.building):
        raise InvalidInput(f"Area {area_id} is not a compound or a building", field=field)
    if area.kind == AreaKind.compound:
        return area, area
    assert area.parent_id is not None
    return area, await session.get_one(Area, area.parent_id)


# Teams --------------------------------------------------------------------------------------------------


async def _team_reads(session: AsyncSession, teams: Sequence[VolunteerTeam]) -> list[TeamRead]:
    compounds = await repository.area_names(session, [t.compound_id for t in teams])
    leaders = await repository.volunteer_names(session, [t.leader_volunteer_id for t in teams])
    members = await repository.member_counts(session, [t.id for t in teams])
    return [
        TeamRead(
            id=t.id,
            name=t.name,
            compound_id=t.compound_id,
            compound_name=compounds.get(t.compound_id, ""),
            leader_volunteer_id=t.leader_volunteer_id,
            leader_name=leaders.get(t.leader_volunteer_id) if t.leader_volunteer_id else None,
            member_count=members.get(t.id, 0),
        )
        for t in teams
    ]


async def _load_team(session: AsyncSession, actor: Actor, team_id: int) -> VolunteerTeam:
    team = await session.get(VolunteerTeam, team_id)
    if team is None or not (sees_compound(actor, team.area_path) or await _is_member(session, actor, team.id)):
        raise TeamNotFound(f"Team {team_id} was not found")
    return team


async def _is_member(session: AsyncSession, actor: Actor, team_id: int) -> bool:
    if actor.volunteer_id is None:
        return False
    volunteer = await session.get(Volunteer, actor.volunteer_id)
    return volunteer is not None and volunteer.team_id == team_id


async def _leader(session: AsyncSession, actor: Actor, volunteer_id: int, team: VolunteerTeam) -> int:
    volunteer = await session.get(Volunteer, volunteer_id)
    if volunteer is None or not actor.manages(volunteer.area_path) or not volunteer.is_active:
        raise InvalidInput(f"No active volunteer {volunteer_id} in your areas", field="body.leader_volunteer_id")
    if volunteer.team_id is None:
        volunteer.team_id = team.id
    elif volunteer.team_id != team.id:
        raise InvalidInput("The leader must be a member of the team (or of no team yet)",
                           field="body.leader_volunteer_id")
    return volunteer.id


async def create_team(session: AsyncSession, actor: Actor, body: TeamCreate) -> TeamRead:
    """A team in a compound the caller manages; names are unique per compound. A leader without a team joins."""
    compound = await _compound(session, actor, body.compound_id, "body.compound_id")
    taken = await session.scalar(
        select(VolunteerTeam.id).where(VolunteerTeam.compound_id == compound.id, VolunteerTeam.name == body.name)
    )
    if taken is not None:
        raise Conflict(f"{compound.name} already has a team named {body.name}")
    team = VolunteerTeam(name=body.name, compound_id=compound.id, area_path=compound.path)
    session.add(team)
    await session.flush()
    if body.leader_volunteer_id is not None:
        team.leader_volunteer_id = await _leader(session, actor, body.leader_volunteer_id, team)
    await session.flush()
    return (await _team_reads(session, [team]))[0]


async def update_team(session: AsyncSession, actor: Actor, team_id: int, body: TeamUpdate) -> TeamRead:
    team = await _load_team(session, actor, team_id)
    if not actor.manages(team.area_path):
        raise Forbidden("You do not manage this team's compound")
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name") is not None and changes["name"] != team.name:
        taken = await session.scalar(
            select(VolunteerTeam.id).where(VolunteerTeam.compound_id == team.compound_id,
                                           VolunteerTeam.name == changes["name"])
        )
        if taken is not None:
            raise Conflict(f"This compound already has a team named {changes['name']}")
        team.name = changes["name"]
    if "leader_volunteer_id" in changes:
        if body.leader_volunteer_id is None:
            team.leader_volunteer_id = None
        else:
            team.leader_volunteer_id = await _leader(session, actor, body.leader_volunteer_id, team)
    await session.flush()
    return (await _team_reads(session, [team]))[0]


async def get_team(session: AsyncSession, actor: Actor, team_id: int) -> TeamRead:
    return (await _team_reads(session, [await _load_team(session, actor, team_id)]))[0]


async def list_teams(session: AsyncSession, actor: Actor, *, compound_id: int | None) -> list[TeamRead]:
    """Teams of the compounds the caller sees (a volunteer: their own team), by name."""
    stmt = select(VolunteerTeam).order_by(VolunteerTeam.name, VolunteerTeam.id)
    if actor.volunteer_id is not None:
        volunteer = await session.get_one(Volunteer, actor.volunteer_id)
        stmt = stmt.where(VolunteerTeam.id == volunteer.team_id)
    elif actor.is_staff:
        stmt = stmt.where(repository.around(VolunteerTeam.area_path, actor.scope_paths()))
    else:
        raise Forbidden("Only staff and volunteers list teams")
    if compound_id is not None:
        stmt = stmt.where(VolunteerTeam.compound_id == compound_id)
    return await _team_reads(session, list(await session.scalars(stmt)))


# Volunteers ---------------------------------------------------------------------------------------------


async def _volunteer_reads(session: AsyncSession, actor: Actor, rows: Sequence[Volunteer]) -> list[VolunteerRead]:
    ids = [v.id for v in rows]
    compounds = await repository.area_names(session, [v.compound_id for v in rows])
    teams = await repository.team_names(session, [v.team_id for v in rows])
    windows = await repository.availability_of(session, ids)
    loads = await repository.open_task_counts(session, ids)
    names = await repository.usernames(session, [v.account_id for v in rows])
    out = []
    for v in rows:
        sees_phone = actor.manages(v.area_path) or actor.volunteer_id == v.id
        out.append(
            VolunteerRead(
                id=v.id,
                full_name=v.full_name,
                phone=v.phone if sees_phone else mask_phone(v.phone),
                skills=list(v.skills or []),
                compound_id=v.compound_id,
                compound_name=compounds.get(v.compound_id, ""),
                team_id=v.team_id,
                team_name=teams.get(v.team_id) if v.team_id else None,
                availability=[AvailabilityRead(weekday=w.weekday, start=w.start_time, end=w.end_time)
                              for w in windows.get(v.id, [])],
                is_active=v.is_active,
                username=names.get(v.account_id) if v.account_id else None,
                open_tasks=loads.get(v.id, 0),
            )
        )
    return out


async def _load_volunteer(session: AsyncSession, actor: Actor, volunteer_id: int) -> Volunteer:
    volunteer = await session.get(Volunteer, volunteer_id)
    visible = volunteer is not None and (
        actor.volunteer_id == volunteer.id or (actor.is_staff and sees_compound(actor, volunteer.area_path))
        or actor.is_system
    )
    if not visible:
        raise VolunteerNotFound(f"Volunteer {volunteer_id} was not found")
    assert volunteer is not None
    return volunteer


async def _team_for(session: AsyncSession, actor: Actor, team_id: int) -> VolunteerTeam:
    team = await session.get(VolunteerTeam, team_id)
    if team is None or not sees_compound(actor, team.area_path):
        raise InvalidInput(f"No team {team_id} in your areas", field="body.team_id")
    return team


def _windows(volunteer_id: int, windows: Sequence[AvailabilityWindow]) -> list[VolunteerAvailability]:
    return [VolunteerAvailability(volunteer_id=volunteer_id, weekday=w.weekday, start_time=w.start, end_time=w.end)
            for w in windows]


async def create_volunteer(session: AsyncSession, actor: Actor, body: VolunteerCreate) -> VolunteerRead:
    """A volunteer of a compound the caller manages, with their windows and, given a username and password, a
    sign-in (account kind ``volunteer``)."""
    compound = await _compound(session, actor, body.compound_id, "body.compound_id")
    team = await _team_for(session, actor, body.team_id) if body.team_id is not None else None
    account_id = None
    if body.username is not None and body.password is not None:
        if await people_repository.username_exists(session, body.username):
            raise UsernameTaken(f"The username {body.username!r} is already taken")
        account = Account(username=body.username, password_hash=await hash_password_async(body.password),
                          kind="volunteer", is_active=body.is_active)
        session.add(account)
        await session.flush()
        account_id = account.id
    volunteer = Volunteer(
        account_id=account_id,
        full_name=body.full_name,
        phone=body.phone,
        skills=sorted({str(s) for s in body.skills}),
        team_id=team.id if team else None,
        compound_id=compound.id,
        area_path=compound.path,
        is_active=body.is_active,
    )
    session.add(volunteer)
    await session.flush()
    session.add_all(_windows(volunteer.id, body.availability))
    await session.flush()
    return (await _volunteer_reads(session, actor, [volunteer]))[0]


async def update_volunteer(
    session: AsyncSession, actor: Actor, volunteer_id: int, body: VolunteerUpdate
) -> VolunteerRead:
    """Changes the fields given (a manager of the volunteer's compound). Deactivating also disables the
    sign-in."""
    volunteer = await _load_volunteer(session, actor, volunteer_id)
    if not actor.manages(volunteer.area_path):
        raise Forbidden("You do not manage this volunteer's compound")
    changes = body.model_dump(exclude_unset=True)
    if changes.get("full_name") is not None:
        volunteer.full_name = changes["full_name"]
    if "phone" in changes:
        volunteer.phone = body.phone
    if body.skills is not None:
        volunteer.skills = sorted({str(s) for s in body.skills})
    if body.compound_id is not None and body.compound_id != volunteer.compound_id:
        compound = await _compound(session, actor, body.compound_id, "body.compound_id")
        volunteer.compound_id, volunteer.area_path = compound.id, compound.path
    if "team_id" in changes:
        volunteer.team_id = (await _team_for(session, actor, body.team_id)).id if body.team_id is not None else None
    if body.availability is not None:
        await session.execute(delete(VolunteerAvailability).where(VolunteerAvailability.volunteer_id == volunteer.id))
        session.add_all(_windows(volunteer.id, body.availability))
    if body.is_active is not None:
        volunteer.is_active = body.is_active
        if volunteer.account_id is not None:
            account = await session.get_one(Account, volunteer.account_id)
            account.is_active = body.is_active
    await session.flush()
    return (await _volunteer_reads(session, actor, [volunteer]))[0]


async def get_volunteer(session: AsyncSession, actor: Actor, volunteer_id: int) -> VolunteerRead:
    return (await _volunteer_reads(session, actor, [await _load_volunteer(session, actor, volunteer_id)]))[0]


async def me(session: AsyncSession, actor: Actor) -> VolunteerRead:
    if actor.volunteer_id is None:
        raise Forbidden("Only volunteers have a volunteer profile")
    return await get_volunteer(session, actor, actor.volunteer_id)


async def list_volunteers(
    session: AsyncSession,
    actor: Actor,
    *,
    compound_id: int | None,
    team_id: int | None,
    skill: Skill | None,
    active: bool | None,
    cursor: str | None,
    limit: int,
) -> Page[VolunteerRead]:
    """Volunteers of the compounds the caller sees, by id."""
    if not actor.is_staff:
        raise Forbidden("Only staff list volunteers")
    stmt = (
        select(Volunteer)
        .where(repository.around(Volunteer.area_path, actor.scope_paths()))
        .order_by(Volunteer.id)
        .limit(limit + 1)
    )
    if compound_id is not None:
        stmt = stmt.where(Volunteer.compound_id == compound_id)
    if team_id is not None:
        stmt = stmt.where(Volunteer.team_id == team_id)
    if skill is not None:
        stmt = stmt.where(Volunteer.skills.any(str(skill)))
    if active is not None:
        stmt = stmt.where(Volunteer.is_active.is_(active))
    if cursor:
        (after,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(Volunteer.id > after)
    rows = list(await session.scalars(stmt))
    items = await _volunteer_reads(session, actor, rows[:limit])
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None)


# Tasks: reads -------------------------------------------------------------------------------------------


def may_manage_task(actor: Actor, task: VolunteerTask) -> bool:
    """Hand out, cancel, or act on a volunteer's behalf: a manager of the task's area or its coordinator."""
    return actor.manages(task.area_path) or (actor.staff_id is not None and actor.staff_id == task.coordinator_staff_id)


def _allowed(actor: Actor, task: VolunteerTask, volunteer: Volunteer | None) -> list[str]:
    status = TaskStatus(task.status)
    manager = may_manage_task(actor, task)
    mine = actor.volunteer_id is not None and actor.volunteer_id == task.volunteer_id
    actions: list[str] = []
    if manager and status in (TaskStatus.open, TaskStatus.assigned):
        actions.append("assign")
    if (status == TaskStatus.open and volunteer is not None and volunteer.is_active
            and volunteer.compound_id == task.compound_id):
        actions.append("claim")
    if status == TaskStatus.assigned and (mine or manager):
        actions += ["accept", "decline"]
    if status == TaskStatus.accepted and (mine or manager):
        actions.append("complete")
    if manager and status in (TaskStatus.open, TaskStatus.assigned, TaskStatus.accepted):
        actions.append("cancel")
    return actions


async def _task_reads(session: AsyncSession, actor: Actor, tasks: Sequence[VolunteerTask]) -> list[TaskRead]:
    areas = await repository.area_names(session, [t.area_id for t in tasks] + [t.compound_id for t in tasks])
    names = await repository.volunteer_names(session, [t.volunteer_id for t in tasks])
    me_ = await session.get(Volunteer, actor.volunteer_id) if actor.volunteer_id is not None else None
    return [
        TaskRead(
            id=t.id,
            kind=t.kind,
            title=t.title,
            description=t.description,
            status=TaskStatus(t.status),
            source=t.source,
            area_id=t.area_id,
            area_name=areas.get(t.area_id, ""),
            compound_id=t.compound_id,
            compound_name=areas.get(t.compound_id, ""),
            needed_skill=t.needed_skill,
            scheduled_at=t.scheduled_at,
            expected_minutes=t.expected_minutes,
            request_id=t.request_id,
            elder_id=t.elder_id,
            volunteer_id=t.volunteer_id,
            volunteer_name=names.get(t.volunteer_id) if t.volunteer_id else None,
            coordinator_staff_id=t.coordinator_staff_id,
            assigned_at=t.assigned_at,
            accepted_at=t.accepted_at,
            completed_at=t.completed_at,
            cancelled_at=t.cancelled_at,
            completion_note=t.completion_note,
            hours=to_hours(t.completion_seconds) if t.completion_seconds is not None else None,
            cancel_reason=t.cancel_reason,
            created_at=t.created_at,
            allowed_actions=_allowed(actor, t, me_),
        )
        for t in tasks
    ]


async def _may_see_task(session: AsyncSession, actor: Actor, task: VolunteerTask) -> bool:
    if actor.is_system or may_manage_task(actor, task) or actor.covers(task.area_path):
        return True
    if actor.volunteer_id is not None:
        if task.volunteer_id == actor.volunteer_id:
            return True
        if task.status == TaskStatus.open:
            volunteer = await session.get(Volunteer, actor.volunteer_id)
            return volunteer is not None and volunteer.compound_id == task.compound_id
    return False


async def _load_task(session: AsyncSession, actor: Actor, task_id: int, *, lock: bool = False) -> VolunteerTask:
    task = await repository.lock_task(session, task_id) if lock else await session.get(VolunteerTask, task_id)
    if task is None or not await _may_see_task(session, actor, task):
        raise TaskNotFound(f"Task {task_id} was not found")
    return task


async def get_task(session: AsyncSession, actor: Actor, task_id: int) -> TaskRead:
    return (await _task_reads(session, actor, [await _load_task(session, actor, task_id)]))[0]


async def list_tasks(
    session: AsyncSession,
    actor: Actor,
    *,
    statuses: Sequence[TaskStatus],
    kind: TaskKind | None,
    area_id: int | None,
    volunteer_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page[TaskRead]:
    """Tasks the caller may see, newest first: staff those inside their areas and those they coordinate;
    a volunteer their own."""
    stmt = select(VolunteerTask).order_by(VolunteerTask.id.desc()).limit(limit + 1)
    if actor.volunteer_id is not None:
        stmt = stmt.where(VolunteerTask.volunteer_id == actor.volunteer_id)
    elif actor.is_staff:
        stmt = stmt.where(
            repository.under(VolunteerTask.area_path, actor.scope_paths())
            | (VolunteerTask.coordinator_staff_id == actor.staff_id)
        )
    else:
        raise Forbidden("Only staff and volunteers have tasks")
    if statuses:
        stmt = stmt.where(VolunteerTask.status.in_([str(s) for s in statuses]))
    if kind is not None:
        stmt = stmt.where(VolunteerTask.kind == kind)
    if volunteer_id is not None:
        stmt = stmt.where(VolunteerTask.volunteer_id == volunteer_id)
    if area_id is not None:
        path = await requests_repository.area_path(session, area_id)
        if path is None:
            raise InvalidInput(f"No area {area_id}", field="query.area_id")
        stmt = stmt.where(VolunteerTask.area_path.startswith(path, autoescape=True))
    if cursor:
        (before,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(VolunteerTask.id < before)
    rows = list(await session.scalars(stmt))
    items = await _task_reads(session, actor, rows[:limit])
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None)


async def my_tasks(session: AsyncSession, actor: Actor, *, statuses: Sequence[TaskStatus]) -> list[TaskRead]:
    """The signed-in volunteer's tasks: unfinished first by scheduled time, then the finished, newest first."""
    if actor.volunteer_id is None:
        raise Forbidden("Only volunteers have their own tasks")
    stmt = select(VolunteerTask).where(VolunteerTask.volunteer_id == actor.volunteer_id)
    if statuses:
        stmt = stmt.where(VolunteerTask.status.in_([str(s) for s in statuses]))
    rows = list(await session.scalars(stmt.order_by(VolunteerTask.id.desc()).limit(500)))
    unfinished = sorted((t for t in rows if t.status in LOAD_STATUSES),
                        key=lambda t: (t.scheduled_at is None, t.scheduled_at or t.created_at, t.id))
    rows = unfinished + [t for t in rows if t.status not in LOAD_STATUSES]
    return await _task_reads(session, actor, rows)


async def claimable_tasks(session: AsyncSession, actor: Actor) -> list[TaskRead]:
    """Open tasks of the signed-in volunteer's compound, soonest first; those needing a skill they lack are
    left out."""
    if actor.volunteer_id is None:
        raise Forbidden("Only volunteers claim tasks")
    volunteer = await session.get_one(Volunteer, actor.volunteer_id)
    rows = await session.scalars(
        select(VolunteerTask)
        .where(VolunteerTask.status == TaskStatus.open, VolunteerTask.compound_id == volunteer.compound_id)
        .order_by(VolunteerTask.scheduled_at.asc().nulls_last(), VolunteerTask.id)
        .limit(200)
    )
    skills = set(volunteer.skills or [])
    return await _task_reads(session, actor, [t for t in rows if t.needed_skill is None or t.needed_skill in skills])


# Tasks: creation ----------------------------------------------------------------------------------------


async def _elder(session: AsyncSession, actor: Actor, elder_id: int) -> Elder:
    row = (
        await session.execute(
            select(Elder, Area.path)
            .join(Resident, Resident.id == Elder.resident_id)
            .join(Area, Area.id == Resident.building_id)
            .where(Elder.id == elder_id)
        )
    ).first()
    if row is None or not (actor.covers(row[1]) or actor.is_system):
        raise InvalidInput(f"No elder {elder_id} in your areas", field="body.elder_id")
    return row[0]


async def _assignable(session: AsyncSession, actor: Actor, volunteer_id: int, task: VolunteerTask,
                      field: str = "body.volunteer_id") -> Volunteer:
    volunteer = await session.get(Volunteer, volunteer_id)
    # Anyone of the volunteer's community may hand them a task (matching proposes the whole community).
    if volunteer is None or not (actor.is_system or sees_compound(actor, parent_path(volunteer.area_path))):
        raise InvalidInput(f"No volunteer {volunteer_id} in your areas", field=field)
    if not volunteer.is_active:
        raise InvalidInput(f"{volunteer.full_name} is not active", field=field)
    if task.needed_skill and task.needed_skill not in (volunteer.skills or []):
        raise InvalidInput(f"{volunteer.full_name} lacks the skill {task.needed_skill}", field=field)
    return volunteer


async def create_task(session: AsyncSession, actor: Actor, body: TaskCreate, *, clock: Clock) -> TaskRead:
    """A task created by staff: from scratch (a compound or building they manage), or from a request they can
    see (its place, title and the skill its category calls for by default; they must manage its area or be its
    assignee). With ``volunteer_id`` it is assigned at once. A request's history records the new task."""
    if not actor.is_staff:
        raise Forbidden("Only staff create volunteer tasks")
    now = clock.now()
    request: ServiceRequest | None = None
    if body.request_id is not None:
        request = await requests_repository.visible_request(session, actor, body.request_id)
        if request is None:
            raise InvalidInput(f"No request {body.request_id} you can see", field="body.request_id")
    area_id = body.area_id
    if area_id is None and request is not None:
        area_id = request.building_id or request.area_id
    if area_id is None:
        raise InvalidInput("Say where: area_id (a compound or a building)", field="body.area_id")
    area, compound = await _task_place(session, area_id, "body.area_id")
    allowed = actor.manages(area.path) or (request is not None and request.assignee_staff_id == actor.staff_id)
    if not allowed:
        if not actor.covers(area.path) and request is None:
            raise InvalidInput(f"No compound or building {area_id} in your areas", field="body.area_id")
        raise Forbidden("Tasks are created by managers of the area, or by the assignee of the request")
    skill = body.needed_skill
    if skill is None and request is not None and request.category_id is not None:
        categories = await requests_repository.categories_by_id(session, [request.category_id])
        category = categories.get(request.category_id)
        skill = CATEGORY_SKILL.get(category.code) if category else None
    title = body.title or (request.title if request else None)
    if title is None:
        raise InvalidInput("Give the task a title", field="body.title")
    elder = await _elder(session, actor, body.elder_id) if body.elder_id is not None else None
    task = VolunteerTask(
        kind=body.kind or TaskKind.errand,
        title=title,
        description=body.description if body.description is not None else (request.description if request else ""),
        area_id=area.id,
        area_path=area.path,
        compound_id=compound.id,
        needed_skill=str(skill) if skill else None,
        scheduled_at=body.scheduled_at,
        expected_minutes=body.expected_minutes,
        request_id=request.id if request else None,
        elder_id=elder.id if elder else None,
        source=TaskSource.request if request else TaskSource.staff,
        status=TaskStatus.open,
        coordinator_staff_id=actor.staff_id,
        created_by_account_id=actor.account_id,
        created_at=now,
    )
    session.add(task)
    await session.flush()
    if body.volunteer_id is not None:
        volunteer = await _assignable(session, actor, body.volunteer_id, task)
        _give(task, volunteer, now)
    if request is not None:
        await requests_service.record_event(
            session, request, kind="volunteer_task", action="created", now=now, note=task.title,
            data={"task_id": task.id, "volunteer_id": task.volunteer_id}, actor=actor,
        )
    await session.flush()
    return (await _task_reads(session, actor, [task]))[0]


async def create_task_from_request(
    session: AsyncSession, actor: Actor, request_id: int, body: FromRequestBody, *, clock: Clock
) -> TaskRead:
    """``POST /requests/{id}/volunteer-task``: as ``create_task`` with ``request_id``; 404 when the request is
    not the caller's to see."""
    if await requests_repository.visible_request(session, actor, request_id) is None:
        raise NotFound(f"Request {request_id} was not found")
    return await create_task(session, actor, TaskCreate(request_id=request_id, **body.model_dump(exclude_unset=True)),
                             clock=clock)


async def create_system_task(
    session: AsyncSession,
    *,
    kind: TaskKind,
    title: str,
    description: str,
    area: Area,
    compound: Area,
    source: TaskSource,
    now: datetime,
    volunteer_id: int | None = None,
    coordinator_staff_id: int | None = None,
    request_id: int | None = None,
    elder_id: int | None = None,
    scheduled_at: datetime | None = None,
    expected_minutes: int | None = None,
) -> VolunteerTask:
    """For the care pipeline (alarms, the visit watch): a task at ``area``, assigned to ``volunteer_id`` when it
    is an active volunteer, else left open in the compound for its coordinator to hand out."""
    task = VolunteerTask(
        kind=kind, title=title, description=description, area_id=area.id, area_path=area.path,
        compound_id=compound.id, scheduled_at=scheduled_at, expected_minutes=expected_minutes,
        request_id=request_id, elder_id=elder_id, source=source, status=TaskStatus.open,
        coordinator_staff_id=coordinator_staff_id, created_at=now,
    )
    session.add(task)
    await session.flush()
    if volunteer_id is not None:
        volunteer = await session.get(Volunteer, volunteer_id)
        if volunteer is not None and volunteer.is_active:
            _give(task, volunteer, now)
            await session.flush()
    return task


# Tasks: lifecycle ---------------------------------------------------------------------------------------


def _refuse(actor: Actor, task: VolunteerTask, action: str, volunteer: Volunteer | None) -> IllegalTaskTransition:
    return IllegalTaskTransition(f"Cannot {action} a task that is {task.status}",
                                 allowed_actions=_allowed(actor, task, volunteer))


def _give(task: VolunteerTask, volunteer: Volunteer, now: datetime) -> None:
    task.volunteer_id = volunteer.id
    task.status = TaskStatus.assigned
    task.assigned_at = now


async def _me(session: AsyncSession, actor: Actor) -> Volunteer | None:
    return await session.get(Volunteer, actor.volunteer_id) if actor.volunteer_id is not None else None


async def assign_task(session: AsyncSession, actor: Actor, task_id: int, volunteer_id: int, *, clock: Clock) -> (
    TaskRead
):
    """Staff (a manager of the area, or the coordinator) give an open task, or an assigned one not yet
    accepted, to an active volunteer with the needed skill."""
    task = await _load_task(session, actor, task_id, lock=True)
    if not may_manage_task(actor, task):
        raise Forbidden("Only a manager of the task's area or its coordinator hands it out")
    if task.status not in (TaskStatus.open, TaskStatus.assigned):
        raise _refuse(actor, task, "assign", None)
    volunteer = await _assignable(session, actor, volunteer_id, task)
    _give(task, volunteer, clock.now())
    await session.flush()
    return (await _task_reads(session, actor, [task]))[0]


async def claim_task(session: AsyncSession, actor: Actor, task_id: int, *, clock: Clock) -> TaskRead:
    """A volunteer takes an open task of their own compound (with the needed skill). Claiming is choosing, so
    the task is accepted at once."""
    volunteer = await _me(session, actor)
    if volunteer is None:
        raise Forbidden("Only volunteers claim tasks")
    task = await _load_task(session, actor, task_id, lock=True)
    if task.status != TaskStatus.open:
        raise _refuse(actor, task, "claim", volunteer)
    if task.compound_id != volunteer.compound_id:
        raise Forbidden("You can claim tasks of your own compound only")
    if task.needed_skill and task.needed_skill not in (volunteer.skills or []):
        raise Forbidden(f"This task needs the skill {task.needed_skill}")
    now = clock.now()
    _give(task, volunteer, now)
    task.status = TaskStatus.accepted
    task.accepted_at = now
    await session.flush()
    return (await _task_reads(session, actor, [task]))[0]


async def _acting_on(
    session: AsyncSession, actor: Actor, task_id: int, action: str
) -> tuple[VolunteerTask, Volunteer | None]:
    task = await _load_task(session, actor, task_id, lock=True)
    volunteer = await _me(session, actor)
    mine = volunteer is not None and task.volunteer_id == volunteer.id
    if not mine and not may_manage_task(actor, task):
        raise Forbidden(f"Only the task's volunteer (or a manager on their behalf) may {action} it")
    return task, volunteer


async def accept_task(session: AsyncSession, actor: Actor, task_id: int, *, clock: Clock) -> TaskRead:
    """The assigned volunteer (or a manager on their behalf) accepts."""
    task, volunteer = await _acting_on(session, actor, task_id, "accept")
    if task.status != TaskStatus.assigned:
        raise _refuse(actor, task, "accept", volunteer)
    task.status = TaskStatus.accepted
    task.accepted_at = clock.now()
    await session.flush()
    return (await _task_reads(session, actor, [task]))[0]


async def decline_task(session: AsyncSession, actor: Actor, task_id: int, *, clock: Clock) -> TaskRead:
    """The assigned volunteer hands an assigned task back: it is open again."""
    task, volunteer = await _acting_on(session, actor, task_id, "decline")
    if task.status != TaskStatus.assigned:
        raise _refuse(actor, task, "decline", volunteer)
    task.status = TaskStatus.open
    task.volunteer_id = None
    task.assigned_at = None
    await session.flush()
    return (await _task_reads(session, actor, [task]))[0]


async def complete_task(
    session: AsyncSession, actor: Actor, task_id: int, *, note: str, hours: Decimal, clock: Clock
) -> TaskRead:
    """Done, with a note and the hours spent: one ``task`` entry in the hours ledger (once per task: a
    database constraint), dated today in local time, credited to the volunteer's current team."""
    task, volunteer = await _acting_on(session, actor, task_id, "complete")
    if task.status != TaskStatus.accepted:
        raise _refuse(actor, task, "complete", volunteer)
    now = clock.now()
    seconds = to_seconds(hours)
    task.status = TaskStatus.completed
    task.completed_at = now
    task.completion_note = note
    task.completion_seconds = seconds
    assert task.volunteer_id is not None
    doer = await session.get_one(Volunteer, task.volunteer_id)
    session.add(
        VolunteerHoursEntry(
            volunteer_id=doer.id, team_id=doer.team_id, task_id=task.id, kind=LedgerKind.task,
            duration_seconds=seconds, served_on=now.astimezone(LOCAL_ZONE).date(),
            created_by_account_id=actor.account_id, created_at=now,
        )
    )
    await session.flush()
    return (await _task_reads(session, actor, [task]))[0]


async def cancel_task(session: AsyncSession, actor: Actor, task_id: int, *, reason: str, clock: Clock) -> TaskRead:
    """A manager of the area (or the coordinator) cancels an unfinished task."""
    task = await _load_task(session, actor, task_id, lock=True)
    if not may_manage_task(actor, task):
        raise Forbidden("Only a manager of the task's area or its coordinator cancels it")
    if task.status not in (TaskStatus.open, TaskStatus.assigned, TaskStatus.accepted):
        raise _refuse(actor, task, "cancel", None)
    task.status = TaskStatus.cancelled
    task.cancelled_at = clock.now()
    task.cancel_reason = reason
    await session.flush()
    return (await _task_reads(session, actor, [task]))[0]


async def cancel_unstarted_tasks_of_request(
    session: AsyncSession, request_id: int, *, source: TaskSource, reason: str, now: datetime
) -> int:
    """For the care pipeline: cancels the request's tasks of ``source`` not yet accepted (an alarm cleared)."""
    tasks = list(await session.scalars(
        select(VolunteerTask)
        .where(VolunteerTask.request_id == request_id, VolunteerTask.source == source,
               VolunteerTask.status.in_([TaskStatus.open, TaskStatus.assigned]))
        .with_for_update()
    ))
    for task in tasks:
        task.status = TaskStatus.cancelled
        task.cancelled_at = now
        task.cancel_reason = reason
    await session.flush()
    return len(tasks)


# Matching -----------------------------------------------------------------------------------------------


def _window_at(windows: Sequence[VolunteerAvailability], at: datetime) -> VolunteerAvailability | None:
    local = at.astimezone(LOCAL_ZONE)
    moment = local.time().replace(tzinfo=None)
    for w in windows:
        if w.weekday == local.isoweekday() and w.start_time <= moment < w.end_time:
            return w
    return None


def _span(task: VolunteerTask) -> tuple[datetime, datetime] | None:
    if task.scheduled_at is None:
        return None
    return task.scheduled_at, task.scheduled_at + timedelta(minutes=task.expected_minutes or DEFAULT_TASK_MINUTES)


async def matches(session: AsyncSession, actor: Actor, task_id: int, *, limit: int) -> MatchesRead:
    """Proposes volunteers for a task, best first, each with the reasons for its place.

    The pool: active volunteers of the task's community (its compound's parent). The needed skill is required.
    Then: same compound first; available (a weekly window holds ``scheduled_at``, local time) before not;
    fewest open tasks; then id. A volunteer with another task whose time overlaps this one's is busy: skipped,
    and listed with the clashing task."""
    task = await _load_task(session, actor, task_id)
    if not actor.is_staff and not actor.is_system:
        raise Forbidden("Only staff match volunteers to tasks")
    compound = await session.get_one(Area, task.compound_id)
    pool = await repository.active_volunteers_under(session, parent_path(compound.path))
    with_skill = [v for v in pool if not task.needed_skill or task.needed_skill in (v.skills or [])]
    ids = [v.id for v in with_skill]
    windows = await repository.availability_of(session, ids)
    loads = await repository.load_tasks(session, ids)
    compounds = await repository.area_names(session, [v.compound_id for v in with_skill])
    span = _span(task)
    at = task.scheduled_at
    at_text = f"{WEEKDAYS[at.astimezone(LOCAL_ZONE).isoweekday()]} {at.astimezone(LOCAL_ZONE):%H:%M}" if at else ""
    ranked: list[tuple[tuple[int, int, int, int], MatchRead]] = []
    skipped: list[SkippedRead] = []
    for v in with_skill:
        others = [t for t in loads.get(v.id, []) if t.id != task.id]
        if span is not None:
            clash = next((t for t in others if (s := _span(t)) is not None and s[0] < span[1] and span[0] < s[1]),
                         None)
            if clash is not None:
                assert clash.scheduled_at is not None
                skipped.append(SkippedRead(
                    volunteer_id=v.id, full_name=v.full_name,
                    reason=f"busy: task #{clash.id} ({clash.title}) at "
                           f"{clash.scheduled_at.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M} overlaps",
                ))
                continue
        reasons = [f"has the skill {task.needed_skill}" if task.needed_skill else "no skill needed"]
        same = v.compound_id == task.compound_id
        reasons.append(f"lives in the same compound ({compounds.get(v.compound_id, '')})" if same
                       else f"lives in another compound ({compounds.get(v.compound_id, '')})")
        available: bool | None = None
        if at is not None:
            window = _window_at(windows.get(v.id, []), at)
            available = window is not None
            reasons.append(
                f"available {at_text} (window {WEEKDAYS[window.weekday]} {window.start_time:%H:%M}–"
                f"{window.end_time:%H:%M})" if window else f"no availability window at {at_text}"
            )
        else:
            reasons.append("the task has no time: availability not considered")
        load = len(others)
        reasons.append(f"{load} open task{'s' if load != 1 else ''}")
        key = (0 if same else 1, 0 if available is not False else 1, load, v.id)
        ranked.append((key, MatchRead(volunteer_id=v.id, full_name=v.full_name, compound_id=v.compound_id,
                                      same_compound=same, available=available, open_tasks=load, reasons=reasons)))
    ranked.sort(key=lambda pair: pair[0])
    return MatchesRead(
        task_id=task.id,
        needed_skill=task.needed_skill,
        scheduled_at=task.scheduled_at,
        matches=[m for _, m in ranked[:limit]],
        skipped=skipped,
        without_skill=len(pool) - len(with_skill),
    )


# Hours --------------------------------------------------------------------------------------------------


def _entry_read(e: VolunteerHoursEntry) -> HoursEntryRead:
    return HoursEntryRead(
        id=e.id, volunteer_id=e.volunteer_id, team_id=e.team_id, task_id=e.task_id, kind=e.kind,
        hours=to_hours(e.duration_seconds), duration_seconds=e.duration_seconds, served_on=e.served_on,
        reason=e.reason, corrects_entry_id=e.corrects_entry_id, created_by_account_id=e.created_by_account_id,
        created_at=e.created_at,
    )


async def volunteer_hours(
    session: AsyncSession, actor: Actor, volunteer_id: int, *, date_from: date | None, date_to: date | None
) -> VolunteerHoursRead:
    """The volunteer's ledger entries served in [from, to] (local dates, inclusive) and their total."""
    _check_period(date_from, date_to)
    volunteer = await _load_volunteer(session, actor, volunteer_id)
    entries = await repository.ledger(session, volunteer_id=volunteer.id, date_from=date_from, date_to=date_to)
    seconds = sum(e.duration_seconds for e in entries)
    return VolunteerHoursRead(
        volunteer_id=volunteer.id, full_name=volunteer.full_name, date_from=date_from, date_to=date_to,
        hours=to_hours(seconds), duration_seconds=seconds, entries=[_entry_read(e) for e in entries],
    )


async def add_correction(
    session: AsyncSession, actor: Actor, volunteer_id: int, body: HoursCorrection, *, clock: Clock
) -> HoursEntryRead:
    """A correction: a new ledger entry (negative allowed) with a reason, by a manager of the volunteer's
    compound. Earlier entries are never changed."""
    volunteer = await _load_volunteer(session, actor, volunteer_id)
    if not actor.manages(volunteer.area_path):
        raise Forbidden("Only a manager of the volunteer's compound corrects their hours")
    now = clock.now()
    team_id = volunteer.team_id
    if body.corrects_entry_id is not None:
        corrected = await session.get(VolunteerHoursEntry, body.corrects_entry_id)
        if corrected is None or corrected.volunteer_id != volunteer.id:
            raise InvalidInput(f"No entry {body.corrects_entry_id} of this volunteer", field="body.corrects_entry_id")
        team_id = corrected.team_id  # a correction counts where the corrected hours counted
    entry = VolunteerHoursEntry(
        volunteer_id=volunteer.id, team_id=team_id, task_id=None, kind=LedgerKind.correction,
        duration_seconds=to_seconds(body.hours), served_on=body.served_on or now.astimezone(LOCAL_ZONE).date(),
        reason=body.reason, corrects_entry_id=body.corrects_entry_id, created_by_account_id=actor.account_id,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    return _entry_read(entry)


async def team_hours(
    session: AsyncSession, actor: Actor, team_id: int, *, date_from: date | None, date_to: date | None
) -> TeamHoursRead:
    """Hours credited to the team in [from, to] (each entry counts for the team its volunteer was in), per
    member, most first."""
    _check_period(date_from, date_to)
    team = await _load_team(session, actor, team_id)
    members = await repository.team_totals(session, team.id, date_from=date_from, date_to=date_to)
    seconds = sum(s for _, _, s in members)
    return TeamHoursRead(
        team_id=team.id, name=team.name, date_from=date_from, date_to=date_to, hours=to_hours(seconds),
        duration_seconds=seconds,
        members=[MemberHours(volunteer_id=i, full_name=n, hours=to_hours(s)) for i, n, s in members],
    )


# Stats --------------------------------------------------------------------------------------------------


async def task_stats(
    session: AsyncSession, actor: Actor, *, area_id: int, date_from: date | None, date_to: date | None
) -> TaskStatsRead:
    """Errands, visits, deliveries and escorts completed inside an area the caller sees, in [from, to] (local
    dates, inclusive), per compound, with the hours logged; and how many are unfinished now."""
    _check_period(date_from, date_to)
    area = await session.get(Area, area_id)
    if area is None or not (actor.covers(area.path) or (actor.is_staff and sees_compound(actor, area.path))):
        raise NotFound(f"Area {area_id} was not found")
    since, until = local_day_bounds(date_from, date_to)
    rows = await repository.completed_by_compound(session, area.path, since=since, until=until)
    names = await repository.area_names(session, [c for c, _, _, _ in rows])
    per: dict[int, dict[str, int]] = defaultdict(dict)
    per_seconds: dict[int, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    for compound_id, kind, count, seconds in rows:
        per[compound_id][kind] = count
        per_seconds[compound_id] += seconds
        totals[kind] += count
    by_compound = [
        CompoundStats(compound_id=c, compound_name=names.get(c, ""), completed=KindCounts(**per[c]),
                      hours=to_hours(per_seconds[c]))
        for c in sorted(per, key=lambda c: (names.get(c, ""), c))
    ]
    return TaskStatsRead(
        area_id=area.id, date_from=date_from, date_to=date_to, completed=KindCounts(**totals),
        hours=to_hours(sum(per_seconds.values())), open=await repository.unfinished_under(session, area.path),
        by_compound=by_compound,
    )
