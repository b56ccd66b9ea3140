"""What every job body uses: one transaction, the system actor, the runtime's clock."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import SYSTEM, current_actor
from app.pipeline import runtime


@contextlib.asynccontextmanager
async def job_session() -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the block ends (rolls back if it raises), written as the
    system actor. A job owns exactly this one transaction."""
    token = current_actor.set(SYSTEM)
    try:
        async with runtime.current().sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
    finally:
        current_actor.reset(token)
