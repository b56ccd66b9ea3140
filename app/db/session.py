"""Engine and session. The request (or pipeline job) owns one transaction and commits it once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"options": "-c timezone=UTC"},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def transaction(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit if the body finished, roll back if it raised."""
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def driver_connection(session: AsyncSession) -> psycopg.AsyncConnection[Any]:
    """The session's own psycopg connection, inside its transaction.

    For the few statements every request runs (the sign-in check, intake's event): sent as plain SQL they
    cost well under half the CPU of the same statement through SQLAlchemy (about 0.08 ms against 0.2 ms).
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
