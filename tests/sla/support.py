"""Driving a request's life for the SLA tests: act through the API as the people would, run the pipeline
pieces directly (routing, the tick, the refresh after a transition), and read the rows back fresh."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from app.core.time import FrozenClock
from app.people.models import Resident, Staff
from app.requests.models import RequestEvent, ServiceRequest
from app.routing.models import RoutingDecision
from app.routing.tasks import route_request
from app.sla.tasks import sla_update, tick_once
from app.webhooks.models import WebhookDelivery
from tests import factories


def headers(app: Any, person: Staff | Resident) -> dict[str, str]:
    """Fresh auth headers at the frozen now (tokens live an hour of the injected clock)."""
    kind = "resident" if isinstance(person, Resident) else "staff"
    assert person.account_id is not None
    return factories.headers_for(app, person.account_id, kind)


async def submit(client: httpx.AsyncClient, app: Any, resident: Resident, *, route: bool = True,
                 **body: Any) -> int:
    """Files a request as ``resident`` (public lighting unless told otherwise) and, by default, routes it."""
    body.setdefault("title", "9号楼2单元楼道灯不亮")
    body.setdefault("category_code", "public_lighting")
    response = await client.post("/api/v1/requests", json=body, headers=headers(app, resident))
    assert response.status_code == 201, response.text
    request_id = int(response.json()["id"])
    if route:
        await route_request(request_id=request_id)
    return request_id


async def act(client: httpx.AsyncClient, app: Any, person: Staff | Resident, request_id: int, action: str,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST /requests/{id}/{action} as ``person``; then the SLA refresh its transition deferred."""
    response = await client.post(f"/api/v1/requests/{request_id}/{action}", json=body,
                                 headers=headers(app, person))
    assert response.status_code == 200, response.text
    await sla_update(request_id=request_id)
    return dict(response.json())


async def read(client: httpx.AsyncClient, app: Any, person: Staff | Resident, request_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/v1/requests/{request_id}", headers=headers(app, person))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def tick(app: Any, clock: FrozenClock, **advance: float) -> int:
    """Moves the clock (if told), runs one SLA tick, and checks the tick's promise: nothing open is left due."""
    if advance:
        clock.advance(**advance)
    handled = await tick_once()
    async with app.state.sessionmaker() as s:
        overdue = await s.scalars(select(ServiceRequest.id).where(ServiceRequest.next_timer_at <= clock.now()))
        assert list(overdue) == []
    return handled


async def row(app: Any, request_id: int) -> ServiceRequest:
    async with app.state.sessionmaker() as s:
        return await s.get_one(ServiceRequest, request_id)


async def events(app: Any, request_id: int, *kinds: str) -> list[RequestEvent]:
    async with app.state.sessionmaker() as s:
        query = select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)
        if kinds:
            query = query.where(RequestEvent.kind.in_(kinds))
        return list(await s.scalars(query))


async def actions(app: Any, request_id: int, *kinds: str) -> list[tuple[str, str | None]]:
    return [(e.kind, e.action) for e in await events(app, request_id, *kinds)]


async def decisions(app: Any, request_id: int) -> list[RoutingDecision]:
    async with app.state.sessionmaker() as s:
        return list(await s.scalars(
            select(RoutingDecision).where(RoutingDecision.request_id == request_id).order_by(RoutingDecision.id)
        ))


async def pushes(app: Any, request_id: int) -> list[tuple[str, int | None]]:
    async with app.state.sessionmaker() as s:
        rows = await s.execute(
            select(WebhookDelivery.event, WebhookDelivery.recipient_staff_id)
            .where(WebhookDelivery.request_id == request_id)
            .order_by(WebhookDelivery.id)
        )
        return [(event, staff_id) for event, staff_id in rows]


def at(value: str | None) -> datetime | None:
    """A time as the API writes it, back as an aware datetime."""
    return datetime.fromisoformat(value) if value is not None else None
