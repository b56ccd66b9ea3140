from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from app.core.schemas import ReadModel


class AttemptRead(ReadModel):
    attempt: int
    attempted_at: datetime
    status_code: int | None = Field(default=None, description="The receiver's HTTP status; null if unreachable")
    error: str | None = None
    duration_ms: int


class DeliveryRead(ReadModel):
    id: int
    channel: str = Field(examples=["push"])
    event: str = Field(examples=["request.assigned"])
    target_url: str
    request_id: int | None = None
    recipient_staff_id: int | None = None
    status: str = Field(description="pending, delivered or dead", examples=["delivered"])
    attempts: int
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None
    payload: dict[str, Any]
    attempt_log: list[AttemptRead] = []
