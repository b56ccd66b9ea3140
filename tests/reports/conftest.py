"""A fixed month of requests in the test district, small enough to count by hand.

Times are UTC; the reports count local (Asia/Shanghai, +08:00) days. T0 = 2026-10-05 02:00 UTC (10:00 local).

====  =========  ==============  ======================================================================
 id   place      category        what happened (minutes/hours/days after submission)
====  =========  ==============  ======================================================================
 R1   9号楼      public_lighting accepted 10 min (respond-by 60), resolved 2 h, satisfied, closed
 R2   9号楼      public_lighting accepted 90 min (respond breach at 60), resolved 30 h with 6 h awaiting
                                 the resident (to resolve: 24 h), breached, basically satisfied
 R3   10号楼     water_leak      accepted 20 min (respond-by 30), in progress, breached
 R4   10号楼     water_leak      never accepted: respond breach recorded, breached
 R5   10号楼     water_leak      assigned, nothing due yet
 R6   中铁9栋    sanitation      accepted 5 min, resolved in 3 d with 1 d awaiting, rated dissatisfied: reopened
 R7   中铁9栋    sanitation      accepted 40 min, reopened once, resolved again at 5 d, satisfied
 R8   9号楼      public_lighting rejected
 R9   9号楼      public_lighting duplicate (had been accepted and resolved: still set aside)
 R10  凤城八路   public_lighting accepted 3 min, resolved 4 h, not rated
====  =========  ==============  ======================================================================

September (the bulletin's month before): R11 9号楼 public_lighting, R12 中铁9栋 water_leak, R13 9号楼 sanitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.requests.models import Category, ServiceRequest
from tests import factories

T0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


async def category_ids(session: AsyncSession) -> dict[str, int]:
    return dict((await session.execute(select(Category.code, Category.id))).all())  # type: ignore[arg-type]


async def add_request(
    session: AsyncSession, place: Area, category_id: int | None, submitted_at: datetime, *, status: str,
    **fields: Any,
) -> ServiceRequest:
    """A request row with its times already stamped, as the lifecycle and the SLA clock would leave them."""
    where: dict[str, Any] = {"building_id": place.id} if place.kind == "building" else {"street_id": place.id}
    request = ServiceRequest(
        channel="hotline", category_id=category_id, priority="normal", title="测试诉求", description="",
        area_id=place.id, area_path=place.path, status=status, submitted_at=submitted_at, created_at=submitted_at,
        **where, **fields,
    )
    session.add(request)
    await session.flush()
    return request


@dataclass
class Month:
    w: factories.World
    ids: dict[str, int]  # R1 … R13 → request id
    categories: dict[str, int]


async def build_month(session: AsyncSession, app: Any) -> Month:
    w = await factories.world(session, app)
    c = await category_ids(session)
    light, water, sanitation = c["public_lighting"], c["water_leak"], c["sanitation"]
    captain, other = w.captain.id, w.other_captain.id
    rows: dict[str, ServiceRequest] = {}
    t = T0
    rows["R1"] = await add_request(
        session, w.building9, light, t, status="closed", assignee_staff_id=captain, assigned_at=t,
        accepted_at=t + 10 * MIN, respond_by_at=t + 60 * MIN, resolved_at=t + 2 * HOUR, closed_at=t + 3 * HOUR,
        resolve_by_at=t + DAY, satisfaction="satisfied", rated_at=t + 3 * HOUR,
    )
    t = T0 + DAY
    rows["R2"] = await add_request(
        session, w.building9, light, t, status="resolved", assignee_staff_id=captain, assigned_at=t,
        accepted_at=t + 90 * MIN, respond_by_at=t + 150 * MIN, respond_breached_at=t + 60 * MIN,
        resolved_at=t + 30 * HOUR, paused_seconds=6 * 3600, resolve_by_at=t + DAY, breached=True,
        resolve_breach_count=1, satisfaction="basically_satisfied", rated_at=t + 31 * HOUR,
    )
    t = T0 + 2 * DAY
    rows["R3"] = await add_request(
        session, w.building10, water, t, status="in_progress", assignee_staff_id=captain, assigned_at=t,
        accepted_at=t + 20 * MIN, respond_by_at=t + 30 * MIN, resolve_by_at=t + DAY, breached=True,
        resolve_breach_count=1,
    )
    t = T0 + 3 * DAY
    rows["R4"] = await add_request(
        session, w.building10, water, t, status="assigned", assignee_staff_id=captain, assigned_at=t,
        respond_by_at=t + 90 * MIN, respond_breached_at=t + 30 * MIN, resolve_by_at=t + DAY, breached=True,
        resolve_breach_count=1,
    )
    t = datetime(2026, 10, 30, 1, 0, tzinfo=UTC)
    rows["R5"] = await add_request(
        session, w.building10, water, t, status="assigned", assignee_staff_id=captain, assigned_at=t,
        respond_by_at=t + 30 * MIN, resolve_by_at=t + DAY,
    )
    t = T0 + 4 * DAY
    rows["R6"] = await add_request(
        session, w.other_building, sanitation, t, status="reopened", assignee_staff_id=other, assigned_at=t,
        accepted_at=t + 5 * MIN, respond_by_at=t + 60 * MIN, paused_seconds=24 * 3600, reopened_count=1,
        resolve_by_at=t + 10 * DAY, satisfaction="dissatisfied", rated_at=t + 3 * DAY + HOUR,
    )
    t = T0 + 4 * DAY + HOUR
    rows["R7"] = await add_request(
        session, w.other_building, sanitation, t, status="closed", assignee_staff_id=other, assigned_at=t,
        accepted_at=t + 40 * MIN, respond_by_at=t + 60 * MIN, resolved_at=t + 5 * DAY, closed_at=t + 6 * DAY,
        reopened_count=1, resolve_by_at=t + 7 * DAY, satisfaction="satisfied", rated_at=t + 6 * DAY,
    )
    t = T0 + 5 * DAY
    rows["R8"] = await add_request(session, w.building9, light, t, status="rejected", status_reason="不属实")
    rows["R9"] = await add_request(
        session, w.building9, light, t + HOUR, status="duplicate", assignee_staff_id=captain,
        accepted_at=t + 2 * HOUR, respond_by_at=t + 3 * HOUR, resolved_at=t + 4 * HOUR,
    )
    t = T0 + 6 * DAY
    rows["R10"] = await add_request(
        session, w.street, light, t, status="resolved", accepted_at=t + 3 * MIN, respond_by_at=t + 60 * MIN,
        resolved_at=t + 4 * HOUR, resolve_by_at=t + DAY,
    )
    september = datetime(2026, 9, 20, 2, 0, tzinfo=UTC)
    rows["R11"] = await add_request(session, w.building9, light, september, status="submitted")
    rows["R12"] = await add_request(session, w.other_building, water, september + HOUR, status="submitted")
    rows["R13"] = await add_request(session, w.building9, sanitation, september + 2 * HOUR, status="submitted")
    await session.commit()
    return Month(w=w, ids={name: r.id for name, r in rows.items()}, categories=c)


@pytest.fixture
async def month(session, app) -> Month:  # type: ignore[no-untyped-def]
    return await build_month(session, app)
