"""``CurrentActor``: every route but health, docs and token depends on it."""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth.errors import InvalidToken
from app.auth.service import load_actor
from app.core.actor import Actor, current_actor
from app.core.errors import Forbidden
from app.core.security import decode_access_token
from app.db.dependencies import ClockDep, SessionDep

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_current_actor(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    if not token:
        raise InvalidToken("Sign in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token")
    try:
        payload = decode_access_token(token, secret=request.app.state.settings.secret_key, now=clock.now())
        account_id = int(payload["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise InvalidToken() from exc
    actor = await load_actor(session, account_id)
    current_actor.set(actor)
    request.state.account_id = actor.account_id
    return actor


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


async def require_staff(actor: CurrentActor) -> Actor:
    if not actor.is_staff:
        raise Forbidden("Only staff may do this")
    return actor


StaffActor = Annotated[Actor, Depends(require_staff)]
