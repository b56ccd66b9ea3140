"""Alembic environment: async psycopg, our metadata, procrastinate's tables left to their own revisions."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config

from app.db.registry import metadata

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging_config"):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from app.core.config import get_settings

    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    # No database configured: use (and start if needed) the embedded server, as `doorstep serve` would.
    from app.db.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres(settings.data_dir)
    embedded.start()
    config.attributes["embedded"] = embedded
    asyncio.run(_ensure_doorstep_database(embedded))
    return embedded.url("doorstep")


async def _ensure_doorstep_database(embedded) -> None:  # type: ignore[no-untyped-def]
    from app.db.embedded import ensure_database

    await ensure_database(embedded.url("postgres"), "doorstep")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # procrastinate's schema is applied by our revisions from a pinned copy; autogenerate must not touch it.
    if type_ == "table" and name and name.startswith("procrastinate_"):
        return False
    return True


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=include_name,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations(url: str) -> None:
    engine = async_engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
        return
    asyncio.run(run_async_migrations(_database_url()))


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
