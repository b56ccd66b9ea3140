"""Find the database: the configured URL, or the embedded PostgreSQL started on demand."""

from __future__ import annotations

from app.core.config import Settings
from app.db.embedded import EmbeddedPostgres, ensure_database

EMBEDDED_DATABASE = "doorstep"


async def resolve_database_url(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    """The configured URL, or that of a freshly started embedded server (returned so the caller stops it)."""
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir)
    embedded.start()
    await ensure_database(embedded.url("postgres"), EMBEDDED_DATABASE)
    return embedded.url(EMBEDDED_DATABASE), embedded
