"""Liveness and readiness."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(examples=["ready"])
    database: str = Field(examples=["ok"])
    migrations: str = Field(examples=["0003 (head)"])


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: the database answers and is migrated to head",
    responses={503: {"model": Readiness, "description": "Not ready: database unreachable or not migrated"}},
)
async def readyz(request: Request) -> JSONResponse:
    from app.cli import migrations_script_location

    head = ScriptDirectory(str(migrations_script_location())).get_current_head()
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            current = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    except Exception as exc:  # the point of this route is to say so instead of failing
        body = Readiness(status="not_ready", database=f"unreachable: {type(exc).__name__}", migrations="unknown")
        return JSONResponse(body.model_dump(), status_code=503)
    if current != head:
        body = Readiness(status="not_ready", database="ok", migrations=f"at {current}, head is {head}")
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Readiness(status="ready", database="ok", migrations=f"{current} (head)").model_dump())
