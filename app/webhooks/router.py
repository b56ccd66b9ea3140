from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import StaffActor
from app.core.openapi import errors
from app.core.schemas import Page
from app.db.dependencies import ClockDep, SessionDep
from app.webhooks import queries
from app.webhooks.schemas import DeliveryRead

router = APIRouter(prefix="/api/v1", tags=["deliveries"])


@router.get(
    "/deliveries",
    response_model=Page[DeliveryRead],
    summary="Webhook deliveries (push notifications) with every attempt",
    description=(
        "Deliveries about requests in the areas you manage, and those addressed to you. Each is signed with "
        "HMAC-SHA256: `X-Doorstep-Signature: sha256=HMAC(secret, X-Doorstep-Timestamp + '.' + raw body)`. "
        "Failed attempts are retried with exponential backoff; after the last one the delivery is `dead` "
        "and can be replayed."
    ),
    responses=errors(401, 403, 422),
)
async def list_deliveries(
    actor: StaffActor,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
    request_id: Annotated[int | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[DeliveryRead]:
    return await queries.list_deliveries(
        session, actor, status=status, request_id=request_id, cursor=cursor, limit=limit
    )


@router.get("/deliveries/{delivery_id}", response_model=DeliveryRead, summary="One delivery and its attempts",
            responses=errors(401, 403, 404))
async def get_delivery(delivery_id: int, actor: StaffActor, session: SessionDep) -> DeliveryRead:
    return await queries.get_delivery(session, actor, delivery_id)


@router.post("/deliveries/{delivery_id}/replay", response_model=DeliveryRead,
             summary="Send a delivery again (e.g. a dead one once the receiver is fixed)",
             responses=errors(401, 403, 404))
async def replay_delivery(delivery_id: int, actor: StaffActor, session: SessionDep, clock: ClockDep) -> DeliveryRead:
    return await queries.replay(session, actor, delivery_id, now=clock.now())
