"""The pipeline engine's own connections: one round trip per call (autocommit), no wait for the WAL flush on
those doorbell commits, and a connection the server dropped while idle replaced before use."""

from __future__ import annotations

import psycopg

from app.db import session as db_session
from app.pipeline.app import PipelinePool, libpq_conninfo


async def test_calls_run_in_autocommit_without_waiting_for_the_wal(database_url):
    async with PipelinePool(libpq_conninfo(database_url), min_size=1, max_size=1, open=False) as pool:
        async with pool.connection() as conn:
            assert conn.autocommit
            assert (await (await conn.execute("SHOW synchronous_commit")).fetchone()) == ("off",)


async def test_a_connection_dropped_while_idle_is_replaced(database_url, monkeypatch):
    async with PipelinePool(libpq_conninfo(database_url), min_size=1, max_size=1, open=False) as pool:
        async with pool.connection() as conn:
            pid = (await (await conn.execute("SELECT pg_backend_pid()")).fetchone())[0]
        with psycopg.connect(libpq_conninfo(database_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
        monkeypatch.setattr(db_session, "IDLE_CHECK_SECONDS", -1.0)  # as if it had sat idle a while
        async with pool.connection() as conn:
            assert (await (await conn.execute("SELECT pg_backend_pid()")).fetchone())[0] != pid
