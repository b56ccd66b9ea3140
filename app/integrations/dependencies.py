"""How machines authenticate: ``X-API-Key: ds_…`` (an OpenAPI security scheme). A key only reaches the routes
that depend on ``IntegrationActor`` (or ``AdminOrIntegration``); every other route keeps requiring a staff or
resident JWT, so a key sent there is a 401."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from app.auth.dependencies import get_current_actor, oauth2_scheme
from app.core.actor import Actor, current_actor
from app.db.dependencies import ClockDep, SessionDep
from app.integrations import service
from app.integrations.errors import InvalidApiKey

API_KEY_HEADER = "X-API-Key"

api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="IntegrationKey",
    description=(
        "An integration's API key (`ds_` and 40 characters), issued by a district admin with "
        "`POST /api/v1/integrations` or `doorstep integrations create`, shown once. Revoked keys and keys of "
        "inactive integrations are refused (401). Keys reach only the integration routes."
    ),
    auto_error=False,
)


async def get_integration_actor(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Actor:
    if not api_key:
        raise InvalidApiKey(f"Send your integration's key in the {API_KEY_HEADER} header")
    actor = await service.authenticate(session, api_key, now=clock.now())
    current_actor.set(actor)
    request.state.integration_id = actor.integration_id
    return actor


IntegrationActor = Annotated[Actor, Depends(get_integration_actor)]


async def get_admin_or_integration(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    api_key: Annotated[str | None, Depends(api_key_scheme)],
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    """An integration by its key, else a signed-in staff member (the service then checks they administer it)."""
    if api_key:
        return await get_integration_actor(request, session, clock, api_key)
    return await get_current_actor(request, session, clock, token)


AdminOrIntegration = Annotated[Actor, Depends(get_admin_or_integration)]
