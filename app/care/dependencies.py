"""The wristband gateway: an integration's ``X-API-Key`` (checked by the integrations domain: shape, hash,
revocation with its rotation grace, active integration), which must belong to a ``device_gateway``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.actor import Actor
from app.core.errors import Forbidden
from app.db.dependencies import SessionDep
from app.integrations.dependencies import IntegrationActor
from app.integrations.models import Integration

DEVICE_GATEWAY = "device_gateway"


async def require_device_gateway(actor: IntegrationActor, session: SessionDep) -> Actor:
    integration = await session.get(Integration, actor.integration_id)
    if integration is None or integration.kind != DEVICE_GATEWAY:
        raise Forbidden("Only a device gateway's key may post wristband readings")
    return actor


GatewayActor = Annotated[Actor, Depends(require_device_gateway)]
