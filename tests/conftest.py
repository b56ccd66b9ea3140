"""Test harness: a real PostgreSQL built by the migrations, an app with a frozen clock, an httpx client.

The database: ``DOORSTEP_TEST_DATABASE_URL`` names a server (its maintenance database) on which this run
creates and drops its own database; without it an embedded PostgreSQL starts in a temporary folder.
Each test starts from empty business tables (the seeded categories stay).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli import run_migrations
from app.core.config import Settings
from app.core.time import FrozenClock
from app.main import create_app
from app.pipeline.app import libpq_conninfo

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

# Seed data kept between tests; every other table starts each test empty.
SEEDED = {"category", "sla_target", "alembic_version"}
PIPELINE_TABLES = ["procrastinate_events", "procrastinate_periodic_defers", "procrastinate_jobs",
                   "procrastinate_workers"]


def _tables() -> list[str]:
    from app.db.registry import metadata

    return [t for t in metadata.tables if t not in SEEDED] + PIPELINE_TABLES


def _admin_conn(url: str) -> psycopg.Connection:
    return psycopg.connect(libpq_conninfo(url), autocommit=True)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server_url = os.environ.get("DOORSTEP_TEST_DATABASE_URL")
    embedded = None
    tmp = None
    if not server_url:
        from app.db.embedded import EmbeddedPostgres

        tmp = tempfile.TemporaryDirectory(prefix="doorstep-test-")
        embedded = EmbeddedPostgres(tmp.name, delete_on_stop=True)
        embedded.start()
        server_url = embedded.url("postgres")
    name = f"doorstep_test_{uuid.uuid4().hex[:10]}"
    with _admin_conn(server_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    from sqlalchemy.engine import make_url

    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        run_migrations(url)
        yield url
    finally:
        with _admin_conn(server_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if embedded is not None:
            embedded.stop()
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.cleanup()


@pytest.fixture(scope="session")
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key="test-secret-" + "x" * 32,
        run_worker_in_process=False,
        log_level="WARNING",
    )


@pytest.fixture(scope="session")
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(autouse=True)
async def _clean(request: pytest.FixtureRequest, clock: FrozenClock) -> AsyncIterator[None]:
    clock.set(START)
    if "app" in request.fixturenames or "session" in request.fixturenames:
        application = request.getfixturevalue("app")
        async with application.state.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE"))
    yield


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def session(app) -> AsyncIterator[AsyncSession]:  # type: ignore[no-untyped-def]
    """A session for arranging rows and checking them; commit explicitly to make rows visible to the API."""
    async with app.state.sessionmaker() as s:
        yield s
