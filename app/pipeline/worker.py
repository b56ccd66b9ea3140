"""A standalone pipeline worker (``doorstep worker``): any number of them, on any machine, one database."""

from __future__ import annotations

import logging

from app.audit import listener as audit_listener
from app.core.config import Settings
from app.db import registry  # noqa: F401  (every model mapped: foreign keys across domains resolve)
from app.pipeline.app import use_database

logger = logging.getLogger(__name__)


async def run_worker(database_url: str, *, concurrency: int, settings: Settings) -> None:
    """Runs until SIGTERM/SIGINT; running jobs finish (or are aborted after the graceful timeout)."""
    from app.pipeline import runtime

    audit_listener.install()
    pipeline = use_database(database_url, max_size=concurrency + 2)
    async with runtime.open(database_url, settings):
        async with pipeline.open_async():
            logger.info("pipeline worker started (concurrency %s)", concurrency)
            await pipeline.run_worker_async(
                concurrency=concurrency,
                install_signal_handlers=True,
                update_heartbeat_interval=settings.pipeline_heartbeat_seconds,
                stalled_worker_timeout=settings.pipeline_stalled_seconds,
            )
