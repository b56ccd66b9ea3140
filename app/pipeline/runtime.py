"""What pipeline jobs need at run time: a sessionmaker, the clock, the settings, an HTTP client.

The API process and each worker process set it up once; jobs read it through ``current()``. Tests install
their own (with a frozen clock) the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.core.time import Clock, SystemClock
from app.db.session import create_engine, create_sessionmaker


@dataclass
class Runtime:
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    settings: Settings
    http: httpx.AsyncClient


_current: Runtime | None = None


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("the pipeline runtime is not set up in this process")
    return _current


def install(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


@contextlib.asynccontextmanager
async def open(
    database_url: str,
    settings: Settings,
    *,
    clock: Clock | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> AsyncIterator[Runtime]:
    engine = None
    if sessionmaker is None:
        engine = create_engine(database_url, pool_size=4)
        sessionmaker = create_sessionmaker(engine)
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
        runtime = Runtime(sessionmaker=sessionmaker, clock=clock or SystemClock(), settings=settings, http=http)
        install(runtime)
        try:
            yield runtime
        finally:
            install(None)
            if engine is not None:
                await engine.dispose()
