"""The visit watch: an elder living alone without a visit for N days (the elder's own interval, else the nearest
area's setting, else 7) gets a home-visit task for their volunteer, or, with none, an open task in the compound
coordinated by their captain.

Once per gap, not once per run: a gap is named by when it began (the last visit — a visit care record or a
completed home-visit task — else the profile's creation), and a ``visit_watch`` row unique per (elder, gap start)
is written before the task, with ``ON CONFLICT DO NOTHING``; so however often and however concurrently the watch
runs, and even if the task is later cancelled, the gap gets one task. A new visit starts a new gap. An elder who
already has an unfinished home-visit task is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.care.access import ElderPlace
from app.care.models import Elder, VisitWatch
from app.care.service import interval_for, interval_settings, last_visits
from app.people.models import Resident
from app.volunteers import service as volunteers_service
from app.volunteers.models import UNFINISHED_STATUSES, TaskKind, TaskSource, VolunteerTask


async def run_visit_watch(session: AsyncSession, *, now: datetime) -> list[int]:
    """Raises the visit tasks due at ``now``; returns the ids of the tasks created (none on a repeat run)."""
    rows = list(await session.execute(
        select(Elder, Resident, Area)
        .join(Resident, Resident.id == Elder.resident_id)
        .join(Area, Area.id == Resident.building_id)
        .where(Elder.lives_alone.is_(True), Elder.is_active.is_(True))
        .order_by(Elder.id)
    ))
    if not rows:
        return []
    ids = [e.id for e, _, _ in rows]
    visits = await last_visits(session, ids)
    settings = await interval_settings(session)
    busy = set(await session.scalars(
        select(VolunteerTask.elder_id).where(
            VolunteerTask.elder_id.in_(ids), VolunteerTask.kind == TaskKind.home_visit,
            VolunteerTask.status.in_([str(s) for s in UNFINISHED_STATUSES]),
        )
    ))
    created: list[int] = []
    for elder, resident, building in rows:
        if elder.id in busy:
            continue
        days, _ = interval_for(building.path, settings, elder.visit_interval_days)
        gap_started_at = visits.get(elder.id) or elder.created_at
        if now - gap_started_at < timedelta(days=days):
            continue
        marker = await session.scalar(
            pg_insert(VisitWatch)
            .values(elder_id=elder.id, gap_started_at=gap_started_at, interval_days=days, created_at=now)
            .on_conflict_do_nothing(index_elements=["elder_id", "gap_started_at"])
            .returning(VisitWatch.id)
        )
        if marker is None:
            continue  # this gap already has its task
        task = await _visit_task(session, ElderPlace(elder, resident, building), now=now, days=days,
                                 since=gap_started_at)
        await session.execute(update(VisitWatch).where(VisitWatch.id == marker).values(task_id=task.id))
        created.append(task.id)
    return created


async def _visit_task(session: AsyncSession, place: ElderPlace, *, now: datetime, days: int, since: datetime) -> (
    VolunteerTask
):
    compound = await session.get_one(Area, place.building.parent_id)
    elapsed = (now - since).days
    where = place.building.name + (f"{place.resident.unit}单元" if place.resident.unit else "") + (
        place.resident.room or "")
    return await volunteers_service.create_system_task(
        session,
        kind=TaskKind.home_visit,
        title=f"探访独居老人：{place.resident.full_name}"[:200],
        description=f"{place.resident.full_name}（{where}）已{elapsed}天没有探访记录（要求至少每{days}天一次），"
                    "请尽快上门探望并登记探访记录。",
        area=place.building,
        compound=compound,
        source=TaskSource.visit_watch,
        now=now,
        volunteer_id=place.elder.volunteer_id,
        coordinator_staff_id=place.elder.captain_staff_id,
        elder_id=place.elder.id,
        expected_minutes=60,
    )
