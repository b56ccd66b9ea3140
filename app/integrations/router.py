"""Integrations: the registry (district admins, JWT), hotline work orders (the hotline's API key), and the
callback deliveries (either)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from app.auth.dependencies import StaffActor
from app.core.openapi import errors
from app.core.params import Cursor, Limit
from app.core.schemas import Page
from app.db.dependencies import ClockDep, SessionDep
from app.integrations import callbacks, service
from app.integrations.dependencies import AdminOrIntegration, IntegrationActor
from app.integrations.schemas import (
    CallbackBody,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationRead,
    IntegrationUpdate,
    KeyCreated,
    WorkOrderCreate,
    WorkOrderRead,
)
from app.webhooks.schemas import DeliveryRead

# Every process that serves these routes also sends their callbacks (the worker installs it from the tasks).
callbacks.install()

router = APIRouter(prefix="/api/v1", tags=["integrations"])

SIGNATURE_HELP = (
    "Each callback is a JSON `POST` signed with the integration's `callback_secret`:\n\n"
    "```\nX-Doorstep-Event: request.status_changed\nX-Doorstep-Delivery: 42\n"
    "X-Doorstep-Timestamp: 1796202000\nX-Doorstep-Signature: sha256=<hex HMAC-SHA256(callback_secret, "
    "timestamp + \".\" + raw body)>\n```\n\n"
    "Recompute the HMAC over the raw body, compare in constant time, refuse old timestamps. Answer 2xx; "
    "anything else is retried with exponential backoff (10 s, 20 s, 40 s … capped at an hour) until the "
    "delivery is `dead`. Events of one request are sent one at a time, in order (`event_id` increases)."
)

# Documents the callback on the registry route (OpenAPI "callbacks"); never mounted.
callback_router = APIRouter()


@callback_router.post("{$request.body#/callback_url}", summary="A request's status changed",
                      description=SIGNATURE_HELP)
def status_changed(
    body: CallbackBody,
    x_doorstep_signature: Annotated[str, Header(alias="X-Doorstep-Signature")],
    x_doorstep_timestamp: Annotated[str, Header(alias="X-Doorstep-Timestamp")],
    x_doorstep_event: Annotated[str, Header(alias="X-Doorstep-Event")],
    x_doorstep_delivery: Annotated[str, Header(alias="X-Doorstep-Delivery")],
) -> None:  # pragma: no cover - documentation only
    pass




# Hotline work orders (the hotline's key) ----------------------------------------------------------------


@router.post(
    "/integrations/hotline/work-orders",
    response_model=WorkOrderRead,
    status_code=status.HTTP_201_CREATED,
    summary="Push a hotline work order (201 new, 200 already received)",
    description=(
        "For `hotline` integrations (`X-API-Key`). The work order becomes a request (channel `hotline`) in the "
        "integration's area, routed like any other: the address locates the building, the caller's words give "
        "the category when none is sent (the title is the first sentence). The same `order_number` again "
        "returns the same request with 200, also when two posts race.\n\n" + SIGNATURE_HELP
    ),
    responses={200: {"model": WorkOrderRead, "description": "Already received: the same request"},
               **errors(401, 403, 413, 422)},
)
async def submit_work_order(
    body: WorkOrderCreate, actor: IntegrationActor, session: SessionDep, clock: ClockDep, response: Response
) -> WorkOrderRead:
    order, created = await service.submit_work_order(session, actor, body, clock=clock)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return order


@router.get(
    "/integrations/hotline/work-orders/{order_number}",
    response_model=WorkOrderRead,
    summary="A work order's current state",
    description="Status (with its Chinese text), who handles it (role and area), times, targets, the resolution "
    "note and the satisfaction once known. Only the integration's own work orders (404 otherwise).",
    responses=errors(401, 403, 404),
)
async def get_work_order(order_number: str, actor: IntegrationActor, session: SessionDep) -> WorkOrderRead:
    return await service.get_work_order(session, actor, order_number)


# Registry (district admins) -----------------------------------------------------------------------------


@router.post(
    "/integrations",
    response_model=IntegrationCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Register an integration (district admin): its key and callback secret are shown once",
    description="The integration may file into and read the subtree of `area_id` (an area you administer). "
    "Store `api_key` and `callback_secret` now: only the key's SHA-256 is kept, and neither is shown again.",
    responses=errors(401, 403, 409, 422),
    callbacks=callback_router.routes,
)
async def create_integration(
    body: IntegrationCreate, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> IntegrationCreated:
    return await service.create_integration(session, actor, body, now=clock.now())


@router.get("/integrations", response_model=list[IntegrationRead],
            summary="Integrations over your areas (district admin), with their keys' prefixes",
            responses=errors(401, 403))
async def list_integrations(actor: StaffActor, session: SessionDep) -> list[IntegrationRead]:
    return await service.list_integrations(session, actor)


@router.get("/integrations/{integration_id}", response_model=IntegrationRead, summary="One integration",
            responses=errors(401, 403, 404))
async def get_integration(integration_id: int, actor: StaffActor, session: SessionDep) -> IntegrationRead:
    return await service.get_integration(session, actor, integration_id)


@router.patch("/integrations/{integration_id}", response_model=IntegrationRead,
              summary="Rename, change the callback URL, or (de)activate an integration",
              responses=errors(401, 403, 404, 409, 422))
async def update_integration(
    integration_id: int, body: IntegrationUpdate, actor: StaffActor, session: SessionDep, clock: ClockDep
) -> IntegrationRead:
    return await service.update_integration(session, actor, integration_id, body, now=clock.now())


@router.post("/integrations/{integration_id}/keys", response_model=KeyCreated, status_code=status.HTTP_201_CREATED,
             summary="Rotate: issue a new key (shown once); older keys work until revoked",
             responses=errors(401, 403, 404))
async def rotate_key(integration_id: int, actor: StaffActor, session: SessionDep, clock: ClockDep) -> KeyCreated:
    return await service.rotate_key(session, actor, integration_id, now=clock.now())


@router.delete("/integrations/{integration_id}/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Revoke a key: refused (401) from now on", responses=errors(401, 403, 404))
async def revoke_key(integration_id: int, key_id: int, actor: StaffActor, session: SessionDep, clock: ClockDep) -> (
    Response
):
    await service.revoke_key(session, actor, integration_id, key_id, now=clock.now())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Callback deliveries (a district admin, or the integration itself) ----------------------------------------


@router.get(
    "/integrations/{integration_id}/deliveries",
    response_model=Page[DeliveryRead],
    summary="The integration's callbacks, newest first, with every attempt",
    description="For a district admin over the integration's area (JWT) or the integration itself "
    "(`X-API-Key`).\n\n" + SIGNATURE_HELP,
    responses=errors(401, 403, 404, 422),
)
async def list_deliveries(
    integration_id: int,
    actor: AdminOrIntegration,
    session: SessionDep,
    status_: Annotated[str | None, Query(alias="status", pattern="^(pending|delivered|dead)$")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[DeliveryRead]:
    return await service.list_deliveries(session, actor, integration_id, status=status_, cursor=cursor, limit=limit)


@router.post(
    "/integrations/{integration_id}/deliveries/{delivery_id}/replay",
    response_model=DeliveryRead,
    summary="Send a callback again (e.g. a dead one once the receiver is fixed)",
    responses=errors(401, 403, 404),
)
async def replay_delivery(
    integration_id: int, delivery_id: int, actor: AdminOrIntegration, session: SessionDep, clock: ClockDep
) -> DeliveryRead:
    return await service.replay_delivery(session, actor, integration_id, delivery_id, now=clock.now())
