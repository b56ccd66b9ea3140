"""The pipeline engine (procrastinate) on Doorstep's PostgreSQL.

Jobs are doorbells: the rows are the truth. A job that must exist exactly when a row does is deferred on the
session's own psycopg connection, inside the caller's transaction, so both commit or neither does.
"""

from __future__ import annotations

import weakref
from time import monotonic
from typing import Any

import procrastinate
import psycopg
import psycopg_pool
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import session as db_session

# Modules whose import registers tasks. Domains add theirs here.
TASK_MODULES: list[str] = [
    "app.webhooks.tasks",
    "app.pipeline.maintenance",
    "app.routing.tasks",
    "app.sla.tasks",
    "app.integrations.tasks",
    "app.care.tasks",
    "app.reports.tasks",
]

# Task names are the seam between domains: a lower domain rings a higher one's doorbell by name.
ROUTE_TASK = "route_request"
SLA_UPDATE_TASK = "sla_update"


def route_lock(request_id: int) -> str:
    """The queueing lock of a request's routing job: at most one waiting job per request."""
    return f"route:{request_id}"


pipeline = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=TASK_MODULES)


def libpq_conninfo(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://… → postgresql://… (what psycopg and procrastinate take)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PipelinePool(psycopg_pool.AsyncConnectionPool):
    """The pipeline engine's own connections, tuned for its calls (fetch a job, finish a job, …), each one
    statement:
    - in autocommit, so a call is one round trip rather than the statement and a COMMIT;
    - without waiting for the WAL flush on commit (``synchronous_commit = off``): these commits only move a
      doorbell (a job fetched, a job finished), and a crash that loses the last few of them loses nothing —
      the job runs again and finds its work done (every step is a compare-and-set on the rows, which are
      written by the job's own transaction on an ordinary, durable connection);
    - checked for liveness only after sitting idle, so a busy worker does not pay an extra round trip per
      call while a connection the server dropped in a quiet spell is still replaced before use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["check"] = self._check_if_idle
        kwargs["configure"] = self._configure
        super().__init__(*args, **kwargs)
        self._returned_at: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = (
            weakref.WeakKeyDictionary()
        )

    @staticmethod
    async def _configure(conn: psycopg.AsyncConnection[Any]) -> None:
        await conn.set_autocommit(True)
        await conn.execute("SET synchronous_commit = off")

    async def _check_if_idle(self, conn: psycopg.AsyncConnection[Any]) -> None:
        returned = self._returned_at.get(conn)
        if returned is None or monotonic() - returned > db_session.IDLE_CHECK_SECONDS:
            await self.check_connection(conn)

    async def putconn(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self._returned_at[conn] = monotonic()
        await super().putconn(conn)


def use_database(sqlalchemy_url: str, *, min_size: int = 1, max_size: int = 4) -> procrastinate.App:
    """Point the pipeline at the database for the life of the process."""
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_conninfo(sqlalchemy_url), min_size=min_size, max_size=max_size, pool_factory=PipelinePool
    )
    pipeline.connector = connector
    pipeline.job_manager.connector = connector
    return pipeline


async def defer_in_transaction(
    session: AsyncSession,
    task_name: str,
    *,
    queueing_lock: str | None = None,
    schedule_at: Any = None,
    **task_kwargs: Any,
) -> int:
    """Enqueue ``task_name`` on the session's connection: the job exists if and only if the transaction
    commits. Arguments must be JSON values (ids, ISO strings)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    options: dict[str, Any] = {"connection": raw.driver_connection}
    if queueing_lock is not None:
        options["queueing_lock"] = queueing_lock
    if schedule_at is not None:
        options["schedule_at"] = schedule_at
    return await pipeline.configure_task(task_name, **options).defer_async(**task_kwargs)


async def defer_unless_waiting(
    session: AsyncSession, task_name: str, *, queueing_lock: str, **task_kwargs: Any
) -> bool:
    """As ``defer_in_transaction`` with a queueing lock, but a job already waiting under that lock is enough:
    the clash is absorbed in a savepoint (it would otherwise poison the whole transaction). True if deferred."""
    try:
        async with session.begin_nested():
            await defer_in_transaction(session, task_name, queueing_lock=queueing_lock, **task_kwargs)
        return True
    except AlreadyEnqueued:
        return False
