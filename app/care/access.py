"""Who may see an elder, who may read their sensitive fields, and the log of those reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.care.errors import ElderNotFound
from app.care.models import Elder, SensitiveReadLog
from app.core.actor import Actor
from app.people.models import Resident, Role

# The profile's sensitive fields (a care record's are its notes and vitals; an alarm's its detail).
ELDER_SENSITIVE = ("conditions", "emergency_contacts", "vital_thresholds")
RECORD_SENSITIVE = ("notes", "systolic", "diastolic", "heart_rate")


@dataclass(frozen=True)
class ElderPlace:
    elder: Elder
    resident: Resident
    building: Area

    @property
    def path(self) -> str:
        return self.building.path


def sees(actor: Actor, place: ElderPlace) -> bool:
    """The elder's record (without sensitive fields, unless ``sensitive_basis`` says so): staff whose areas
    include the elder's building, the assigned captain and the assigned volunteer."""
    if actor.is_system or actor.covers(place.path):
        return True
    if actor.staff_id is not None and actor.staff_id == place.elder.captain_staff_id:
        return True
    return actor.volunteer_id is not None and actor.volunteer_id == place.elder.volunteer_id


def sensitive_basis(actor: Actor, place: ElderPlace) -> str | None:
    """Why the caller may read the elder's health data and contacts, or None: the assigned captain, the assigned
    volunteer, the station head of the elder's compound, a district admin over it."""
    if actor.staff_id is not None and actor.staff_id == place.elder.captain_staff_id:
        return "assigned_captain"
    if actor.volunteer_id is not None and actor.volunteer_id == place.elder.volunteer_id:
        return "assigned_volunteer"
    for grant in actor.roles:
        if grant.role == Role.station_head and place.path.startswith(grant.area_path):
            return "station_head"
    for grant in actor.roles:
        if grant.role == Role.district_admin and place.path.startswith(grant.area_path):
            return "district_admin"
    return None


async def places(session: AsyncSession, elder_ids: Sequence[int]) -> dict[int, ElderPlace]:
    if not elder_ids:
        return {}
    rows = await session.execute(
        select(Elder, Resident, Area)
        .join(Resident, Resident.id == Elder.resident_id)
        .join(Area, Area.id == Resident.building_id)
        .where(Elder.id.in_(set(elder_ids)))
    )
    return {e.id: ElderPlace(e, r, a) for e, r, a in rows}


async def load(session: AsyncSession, actor: Actor, elder_id: int, *, lock: bool = False) -> ElderPlace:
    """The elder if the caller may see them (404 otherwise, whether or not they exist)."""
    if lock:
        await session.scalar(select(Elder.id).where(Elder.id == elder_id).with_for_update())
    place = (await places(session, [elder_id])).get(elder_id)
    if place is None or not sees(actor, place):
        raise ElderNotFound(f"Elder {elder_id} was not found")
    return place


async def log_reads(
    session: AsyncSession,
    actor: Actor,
    reads: Sequence[tuple[int, str, Sequence[str]]],
    *,
    resource: str,
    now: datetime,
) -> None:
    """One log row per (elder id, basis, fields) read. Written with a plain INSERT: the log is its own trail."""
    if not reads:
        return
    await session.execute(
        insert(SensitiveReadLog),
        [
            {"elder_id": elder_id, "account_id": actor.account_id, "actor_kind": actor.kind, "basis": basis,
             "resource": resource, "fields": list(fields), "read_at": now}
            for elder_id, basis, fields in reads
        ],
    )
