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
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    # A worker beats every heartbeat; a job whose worker missed beats for stalled seconds is retried.
    pipeline_heartbeat_seconds: float = Field(default=10.0, gt=0)
    pipeline_stalled_seconds: float = Field(default=30.0, gt=0)
    # How often the reconciler looks for pending work without a job (seconds, 1-59).
    reconcile_seconds: int = Field(default=30, ge=1, le=59)

    # Routing: how far from a reported point the nearest building may be.
    routing_radius_m: float = Field(default=300.0, gt=0)
    # SLA: warn when this fraction of a target's time has passed.
    sla_warn_fraction: float = Field(default=0.8, gt=0, lt=1)

    # The staff app's push gateway: a webhook receiving signed JSON. Unset: no push notifications are sent.
    push_gateway_url: str | None = None
    push_gateway_secret: str = "doorstep-development-push-secret"
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_seconds: float = Field(default=10.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)

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
