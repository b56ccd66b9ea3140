"""The pool checks a connection's liveness on checkout only after it sat idle: one the server dropped in a
quiet spell is replaced before use; one used a moment ago is handed out without a round trip."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import exc, text

from app.db import session as db_session
from app.pipeline.app import libpq_conninfo


async def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")))


def _terminate(database_url: str, pid: int) -> None:
    with psycopg.connect(libpq_conninfo(database_url), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


async def test_a_connection_dropped_while_idle_is_replaced(database_url, monkeypatch):
    engine = db_session.create_engine(database_url, pool_size=1)
    try:
        pid = await _backend_pid(engine)
        assert await _backend_pid(engine) == pid  # reused while fresh
        _terminate(database_url, pid)
        monkeypatch.setattr(db_session, "IDLE_CHECK_SECONDS", -1.0)  # as if it had sat idle a while
        assert await _backend_pid(engine) != pid
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_not_asked(database_url):
    engine = db_session.create_engine(database_url, pool_size=1)
    try:
        pid = await _backend_pid(engine)
        _terminate(database_url, pid)
        # Within the idle window the pool trusts the connection: the statement itself meets the dead socket.
        with pytest.raises(exc.OperationalError):
            await _backend_pid(engine)
        assert await _backend_pid(engine) != pid  # and the pool replaced it after the failure
    finally:
        await engine.dispose()
