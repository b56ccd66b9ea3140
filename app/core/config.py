"""Settings: the only place that reads the environment (prefix ``DOORSTEP_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "doorstep-development-secret-do-not-use-in-production"
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", DEVELOPMENT_SECRET}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DOORSTEP_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # Unset: an embedded PostgreSQL is started in ``data_dir``.
    database_url: str | None = None
    data_dir: Path = Path("doorstep-data")
    database_pool_size: int = 10
    secret_key: str = DEVELOPMENT_SECRET
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    max_body_bytes: int = 64 * 1024
    # Spreadsheet rosters are larger than any JSON body.
    max_import_bytes: int = 10 * 1024 * 1024
    log_level: str = "INFO"
    # Days after resolution during which a resident may reopen or a bad rating reopens.
    reopen_window_days: int = 7
    run_worker_in_process: bool = True

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key in PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            raise ValueError(
                "DOORSTEP_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
