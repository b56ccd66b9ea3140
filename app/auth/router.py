from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import service
from app.auth.dependencies import CurrentActor
from app.auth.schemas import MeRead, Token
from app.core.openapi import errors
from app.db.dependencies import ClockDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post(
    "/auth/token",
    response_model=Token,
    summary="Sign in (OAuth2 password flow)",
    description="Form-encoded `username` and `password`; returns a short-lived bearer token (JWT).",
    responses=errors(401, 422),
)
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    clock: ClockDep,
) -> Token:
    settings = request.app.state.settings
    return await service.sign_in(
        session,
        username=form.username.strip(),
        password=form.password,
        secret=settings.secret_key,
        now=clock.now(),
        minutes=settings.access_token_minutes,
    )


@router.get(
    "/me",
    response_model=MeRead,
    summary="Who am I: profile, roles and their areas",
    responses=errors(401),
)
async def me(actor: CurrentActor, session: SessionDep) -> MeRead:
    return await service.describe(session, actor)
