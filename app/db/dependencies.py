"""FastAPI dependencies for the database: one session per request, committed once before the response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.time import Clock


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    sessionmaker = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
            # scope="function" (below) runs this before the response is sent: a failed commit is an error
            # response, never a 2xx for data that was not kept.
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_clock(request: Request) -> Clock:
    # async, as are all dependencies on the hot path: FastAPI runs a plain ``def`` in a worker thread.
    return request.app.state.clock


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ClockDep = Annotated[Clock, Depends(get_clock)]
