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


DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": 12, "channel": "push", "event": "request.assigned", "target_url": "https://push.example.gov.cn/doorstep",
    "request_id": 42, "recipient_staff_id": 3, "status": "delivered", "attempts": 2, "next_attempt_at": None,
    "last_status_code": 200, "last_error": None, "created_at": "2026-11-27T09:00:02Z",
    "delivered_at": "2026-11-27T09:00:35Z",
    "payload": {
        "version": 1, "event": "request.assigned", "sent_at": "2026-11-27T09:00:02+00:00",
        "recipient": {"staff_id": 3, "role": "building_captain"},
        "request": {"id": 42, "reference": "DS0000000042", "title": "9号楼外墙瓷砖脱落", "status": "assigned",
                    "priority": "urgent", "needs_triage": False, "building_id": 5, "street_id": None, "unit": 2,
                    "respond_by_at": "2026-11-27T09:15:02+00:00", "resolve_by_at": "2026-11-28T09:00:02+00:00"},
    },
    "attempt_log": [
        {"attempt": 1, "attempted_at": "2026-11-27T09:00:03Z", "status_code": 503,
         "error": "receiver answered 503", "duration_ms": 212},
        {"attempt": 2, "attempted_at": "2026-11-27T09:00:35Z", "status_code": 200, "error": None, "duration_ms": 87},
    ],
}


class DeliveryRead(ReadModel):
    model_config = {"json_schema_extra": {"examples": [DELIVERY_EXAMPLE]}}

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
