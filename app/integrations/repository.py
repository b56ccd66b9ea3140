"""SQL of the integrations domain: integrations and keys, work orders by the platform's number, what a work
order's state needs (roles, places, events), and callback deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.integrations.models import Integration, IntegrationKey
from app.people.models import StaffRole
from app.requests.models import Category, RequestEvent, RequestParticipant, ServiceRequest
from app.webhooks.models import WebhookDelivery

CALLBACK_CHANNEL = "callback"
# last_used_at is a hint for admins, not an access log: stamped at most this often per key.
LAST_USED_GRANULARITY = timedelta(minutes=1)


# Integrations and keys ----------------------------------------------------------------------------------


async def integration(session: AsyncSession, integration_id: int, *, lock: bool = False) -> Integration | None:
    stmt = select(Integration).where(Integration.id == integration_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def integration_with_area(session: AsyncSession, integration_id: int) -> tuple[Integration, Area] | None:
    row = (
        await session.execute(
            select(Integration, Area).join(Area, Area.id == Integration.area_id).where(Integration.id == integration_id)
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


async def name_taken(session: AsyncSession, name: str, *, other_than: int | None = None) -> bool:
    stmt = select(Integration.id).where(Integration.name == name)
    if other_than is not None:
        stmt = stmt.where(Integration.id != other_than)
    return await session.scalar(stmt) is not None


async def integrations_under(session: AsyncSession, paths: Sequence[str]) -> list[tuple[Integration, Area]]:
    """Integrations whose area lies inside one of ``paths``, by name."""
    if not paths:
        return []
    rows = await session.execute(
        select(Integration, Area)
        .join(Area, Area.id == Integration.area_id)
        .where(or_(*[Area.path.startswith(p, autoescape=True) for p in paths]))
        .order_by(Integration.name, Integration.id)
    )
    return [(i, a) for i, a in rows.all()]


async def keys_of(session: AsyncSession, integration_ids: Sequence[int]) -> dict[int, list[IntegrationKey]]:
    out: dict[int, list[IntegrationKey]] = {i: [] for i in integration_ids}
    if integration_ids:
        rows = await session.scalars(
            select(IntegrationKey)
            .where(IntegrationKey.integration_id.in_(integration_ids))
            .order_by(IntegrationKey.id.desc())
        )
        for key in rows:
            out[key.integration_id].append(key)
    return out


async def key(session: AsyncSession, integration_id: int, key_id: int) -> IntegrationKey | None:
    return await session.scalar(
        select(IntegrationKey).where(IntegrationKey.id == key_id, IntegrationKey.integration_id == integration_id)
    )


async def key_by_hash(session: AsyncSession, key_hash: str) -> Row[Any] | None:
    """The key, its integration and the integration's area path, by the key's SHA-256."""
    return (
        await session.execute(
            select(
                IntegrationKey.id.label("key_id"),
                IntegrationKey.revoked_at,
                IntegrationKey.last_used_at,
                Integration.id.label("integration_id"),
                Integration.name,
                Integration.kind,
                Integration.is_active,
                Area.id.label("area_id"),
                Area.path.label("area_path"),
            )
            .join(Integration, Integration.id == IntegrationKey.integration_id)
            .join(Area, Area.id == Integration.area_id)
            .where(IntegrationKey.key_hash == key_hash)
        )
    ).one_or_none()


async def stamp_key_used(session: AsyncSession, key_id: int, now: datetime) -> None:
    """Sets ``last_used_at`` unless it was set within the last minute. Never waits: if another request holds
    the key's row, that request stamps it (two calls with one key stay concurrent)."""
    stale = (
        select(IntegrationKey.id)
        .where(
            IntegrationKey.id == key_id,
            or_(IntegrationKey.last_used_at.is_(None), IntegrationKey.last_used_at <= now - LAST_USED_GRANULARITY),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    await session.execute(
        update(IntegrationKey)
        .where(IntegrationKey.id == stale)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


# Work orders --------------------------------------------------------------------------------------------


async def request_by_reference(
    session: AsyncSession, integration_id: int, external_reference: str
) -> ServiceRequest | None:
    return await session.scalar(
        select(ServiceRequest)
        .where(ServiceRequest.integration_id == integration_id, ServiceRequest.external_reference == external_reference)
        .execution_options(populate_existing=True)
    )


async def request_by_id(session: AsyncSession, request_id: int) -> ServiceRequest | None:
    return await session.scalar(
        select(ServiceRequest).where(ServiceRequest.id == request_id).execution_options(populate_existing=True)
    )


async def area(session: AsyncSession, area_id: int | None) -> Area | None:
    return await session.get(Area, area_id) if area_id is not None else None


async def category(session: AsyncSession, category_id: int | None) -> Category | None:
    return await session.get(Category, category_id) if category_id is not None else None


async def roles_on_line(
    session: AsyncSession, staff_ids: Sequence[int], area_path: str | None
) -> dict[int, tuple[str, str | None, str]]:
    """Each staff member's role that bears on a place: the deepest role held over it (its area's path is a
    prefix of ``area_path``), else the shallowest held inside it, else their first role.
    Returns staff id → (role, department, the role's area name)."""
    if not staff_ids:
        return {}
    rows = (
        await session.execute(
            select(StaffRole.staff_id, StaffRole.role, StaffRole.department, Area.name, Area.path)
            .join(Area, Area.id == StaffRole.area_id)
            .where(StaffRole.staff_id.in_(staff_ids))
            .order_by(StaffRole.id)
        )
    ).all()
    path = area_path or ""
    best: dict[int, tuple[int, tuple[str, str | None, str]]] = {}
    for staff_id, role, department, name, role_path in rows:
        if path and path.startswith(role_path):
            rank = 2000 + len(role_path)  # over the place: the nearest wins
        elif path and role_path.startswith(path):
            rank = 1000 - len(role_path)  # inside it: the widest wins
        else:
            rank = 0
        if staff_id not in best or rank > best[staff_id][0]:
            best[staff_id] = (rank, (role, department, name))
    return {staff_id: value for staff_id, (_, value) in best.items()}


async def participant_ids(session: AsyncSession, request_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(RequestParticipant.staff_id)
            .where(RequestParticipant.request_id == request_id)
            .order_by(RequestParticipant.id)
        )
    )


async def submit_event_data(session: AsyncSession, request_id: int) -> dict[str, Any]:
    data = await session.scalar(
        select(RequestEvent.data)
        .where(RequestEvent.request_id == request_id, RequestEvent.action == "submit")
        .order_by(RequestEvent.id)
        .limit(1)
    )
    return dict(data or {})


async def latest_assignment_rule(session: AsyncSession, request_id: int) -> str | None:
    data = await session.scalar(
        select(RequestEvent.data)
        .where(RequestEvent.request_id == request_id, RequestEvent.kind == "transition",
               RequestEvent.action == "assign")
        .order_by(RequestEvent.id.desc())
        .limit(1)
    )
    return (data or {}).get("rule")


# Callbacks ----------------------------------------------------------------------------------------------


async def callback_targets(session: AsyncSession, event_ids: Sequence[int]) -> list[tuple[RequestEvent, Integration]]:
    """The transition events among ``event_ids`` (still there: a rolled-back savepoint drops some) of requests
    whose integration is active and has a callback URL, oldest first."""
    if not event_ids:
        return []
    rows = await session.execute(
        select(RequestEvent, Integration)
        .join(ServiceRequest, ServiceRequest.id == RequestEvent.request_id)
        .join(Integration, Integration.id == ServiceRequest.integration_id)
        .where(
            RequestEvent.id.in_(event_ids),
            RequestEvent.kind == "transition",
            Integration.is_active.is_(True),
            Integration.callback_url.is_not(None),
        )
        .order_by(RequestEvent.id)
    )
    return [(e, i) for e, i in rows.all()]


async def deliveries(
    session: AsyncSession, integration_id: int, *, status: str | None, before_id: int | None, limit: int
) -> list[WebhookDelivery]:
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.integration_id == integration_id, WebhookDelivery.channel == CALLBACK_CHANNEL)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if before_id is not None:
        stmt = stmt.where(WebhookDelivery.id < before_id)
    return list(await session.scalars(stmt))


async def delivery(session: AsyncSession, integration_id: int, delivery_id: int) -> WebhookDelivery | None:
    return await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.integration_id == integration_id,
            WebhookDelivery.channel == CALLBACK_CHANNEL,
        )
    )

