"""Helpers for the request tests: file through the API, or arrange a request in any state directly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import create_access_token
from app.requests.models import ServiceRequest
from tests.factories import World


async def file(client: httpx.AsyncClient, w: World, who: str = "resident", **body: Any) -> dict[str, Any]:
    body.setdefault("title", "楼道灯不亮")
    response = await client.post("/api/v1/requests", json=body, headers=w.h[who])
    assert response.status_code == 201, response.text
    return response.json()


async def arrange(
    session: AsyncSession, w: World, status: str, *, now: datetime, **fields: Any
) -> ServiceRequest:
    """A request of ``w.resident`` in 9号楼, assigned to the captain, in ``status``; committed."""
    values: dict[str, Any] = {
        "channel": "app",
        "priority": "normal",
        "title": "楼道灯不亮",
        "area_id": w.building9.id,
        "area_path": w.building9.path,
        "building_id": w.building9.id,
        "reporter_resident_id": w.resident.id,
        "reporter_name": w.resident.full_name,
        "reporter_phone": w.resident.phone,
        "assignee_staff_id": w.captain.id,
        "status": status,
        "submitted_at": now,
        "created_at": now,
        "assigned_at": now,
    }
    if status in ("awaiting_resident",):
        values["paused_at"] = now
    if status in ("resolved", "closed"):
        values["resolved_at"] = now
        values["resolution_note"] = "修好了"
    if status == "closed":
        values["closed_at"] = now
    values.update(fields)
    request = ServiceRequest(**values)
    session.add(request)
    await session.commit()
    return request


async def count(session: AsyncSession, sql: str) -> int:
    return int((await session.execute(text(sql))).scalar_one())


def renew_tokens(app: Any, w: World) -> None:
    """Tokens live an hour: after moving the clock further, sign everyone in again.

    PyJWT checks ``iat`` against the wall clock, not the injected one, so a token issued at a frozen "now"
    days ahead is refused as not yet valid; issue it no later than the wall clock, expiring an hour after
    the frozen now.
    """
    frozen = app.state.clock.now()
    issued = min(frozen, datetime.now(UTC))
    minutes = int((frozen - issued).total_seconds() // 60) + 60
    settings = app.state.settings
    for name, kind in (("admin", "staff"), ("head", "staff"), ("captain", "staff"), ("other_captain", "staff"),
                       ("resident", "resident"), ("neighbour", "resident")):
        token = create_access_token(account_id=getattr(w, name).account_id, kind=kind, secret=settings.secret_key,
                                    now=issued, minutes=minutes)
        w.h[name] = {"Authorization": f"Bearer {token}"}
