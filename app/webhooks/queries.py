"""Reading and replaying deliveries within the caller's scope."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import MANAGER_ROLES, Actor
from app.core.errors import NotFound
from app.core.pagination import decode_cursor, encode_cursor
from app.core.schemas import Page
from app.requests.models import ServiceRequest
from app.webhooks import service
from app.webhooks.models import WebhookDelivery
from app.webhooks.schemas import DeliveryRead


def _visible(actor: Actor) -> ColumnElement[bool]:
    managed = [g.area_path for g in actor.roles if g.role in MANAGER_ROLES]
    in_managed_areas = (
        WebhookDelivery.request_id.in_(
            select(ServiceRequest.id).where(
                or_(*[ServiceRequest.area_path.startswith(p, autoescape=True) for p in managed])
            )
        )
        if managed
        else false()
    )
    # Staff see push notifications; integration callbacks belong to the integration and its admins.
    return and_(
        WebhookDelivery.channel == "push",
        or_(WebhookDelivery.recipient_staff_id == actor.staff_id, in_managed_areas),
    )


async def list_deliveries(
    session: AsyncSession,
    actor: Actor,
    *,
    status: str | None,
    request_id: int | None,
    cursor: str | None,
    limit: int,
) -> Page[DeliveryRead]:
    """Newest first."""
    stmt = select(WebhookDelivery).where(_visible(actor)).order_by(WebhookDelivery.id.desc()).limit(limit + 1)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    if request_id is not None:
        stmt = stmt.where(WebhookDelivery.request_id == request_id)
    if cursor:
        (before,) = decode_cursor(cursor, (int,))
        stmt = stmt.where(WebhookDelivery.id < before)
    rows = list(await session.scalars(stmt))
    items = await service.delivery_reads(session, rows[:limit])
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None)


async def _load(session: AsyncSession, actor: Actor, delivery_id: int) -> WebhookDelivery:
    delivery = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, _visible(actor))
    )
    if delivery is None:
        raise NotFound(f"Delivery {delivery_id} was not found")
    return delivery


async def get_delivery(session: AsyncSession, actor: Actor, delivery_id: int) -> DeliveryRead:
    return (await service.delivery_reads(session, [await _load(session, actor, delivery_id)]))[0]


async def replay(session: AsyncSession, actor: Actor, delivery_id: int, *, now: datetime) -> DeliveryRead:
    delivery = await _load(session, actor, delivery_id)
    await service.replay(session, delivery, now=now)
    return (await service.delivery_reads(session, [delivery]))[0]
