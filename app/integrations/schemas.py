"""API shapes of the integrations domain: the registry, keys, hotline work orders, and the callback body."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from app.core.schemas import AwareDatetime, Phone, ReadModel, SingleLine, WriteModel
from app.requests.models import Priority, Satisfaction, Status

CALLBACK_VERSION = 1
CALLBACK_EVENT = "request.status_changed"


class IntegrationKind(enum.StrEnum):
    hotline = "hotline"
    device_gateway = "device_gateway"
    open311_client = "open311_client"


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


CallbackUrl = Annotated[
    SingleLine,
    Field(min_length=8, max_length=2000, examples=["https://12345.example.gov.cn/doorstep/callback"]),
    AfterValidator(_http_url),
]
IntegrationName = Annotated[SingleLine, Field(min_length=1, max_length=100, examples=["西安12345热线"])]


# Registry ---------------------------------------------------------------------------------------------


class IntegrationCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"name": "西安12345热线", "kind": "hotline",
                          "callback_url": "https://12345.example.gov.cn/doorstep/callback", "area_id": 1}]
        }
    }

    name: IntegrationName
    kind: IntegrationKind
    callback_url: CallbackUrl | None = Field(
        default=None, description="Where status changes are POSTed (signed); none: no callbacks"
    )
    area_id: int = Field(description="The area whose subtree the integration may file into and read")


class IntegrationUpdate(WriteModel):
    """Only the fields given change. ``callback_url: null`` stops callbacks; ``is_active: false`` refuses
    every key of the integration (401) until it is set back."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"callback_url": "https://12345.example.gov.cn/doorstep/callback/v2"},
                {"is_active": False},
            ]
        }
    }

    name: IntegrationName | None = None
    callback_url: CallbackUrl | None = None
    is_active: bool | None = None


class AreaBrief(ReadModel):
    id: int
    code: str
    name: str
    kind: str


class KeyRead(ReadModel):
    id: int
    prefix: str = Field(description="The key's first characters, to recognise it; the key itself is never "
                        "shown again", examples=["ds_Xq3v9bKf"])
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = Field(default=None, description="Stamped at most once a minute")


class KeyCreated(KeyRead):
    api_key: str = Field(description="Shown once: send it as `X-API-Key`. Only its SHA-256 is kept.",
                         examples=["ds_Xq3v9bKf0cT2mJ8yH4nL6pR1sW5uZ7aD3eG9iK0o"])


INTEGRATION_EXAMPLE: dict[str, Any] = {
    "id": 1, "name": "西安12345热线", "kind": "hotline",
    "callback_url": "https://12345.example.gov.cn/doorstep/callback",
    "area": {"id": 1, "code": "610112", "name": "未央区", "kind": "district"},
    "is_active": True, "created_at": "2026-11-20T02:00:00Z",
    "keys": [
        {"id": 2, "prefix": "ds_Xq3v9bKf", "created_at": "2026-11-25T06:30:00Z", "revoked_at": None,
         "last_used_at": "2026-11-27T08:58:03Z"},
        {"id": 1, "prefix": "ds_H7pLw2Qa", "created_at": "2026-11-20T02:00:00Z",
         "revoked_at": "2026-11-25T06:35:00Z", "last_used_at": "2026-11-25T06:31:12Z"},
    ],
}


class IntegrationRead(ReadModel):
    model_config = {"json_schema_extra": {"examples": [INTEGRATION_EXAMPLE]}}

    id: int
    name: str
    kind: IntegrationKind
    callback_url: str | None = None
    area: AreaBrief
    is_active: bool
    created_at: datetime
    keys: list[KeyRead] = Field(default=[], description="Every key, newest first, revoked ones included")


class IntegrationCreated(IntegrationRead):
    model_config = {
        "json_schema_extra": {
            "examples": [{
                **INTEGRATION_EXAMPLE,
                "keys": [{"id": 1, "prefix": "ds_Xq3v9bKf", "created_at": "2026-11-20T02:00:00Z",
                          "revoked_at": None, "last_used_at": None}],
                "api_key": "ds_Xq3v9bKf0cT2mJ8yH4nL6pR1sW5uZ7aD3eG9iK0o",
                "callback_secret": "whsec_kM2n8Qp4rT6vX0yB3dF5hJ7lN9pR1tV3xZ5bD7fH9jL",
            }]
        }
    }

    api_key: str = Field(description="Shown once: send it as `X-API-Key`. Only its SHA-256 is kept.",
                         examples=["ds_Xq3v9bKf0cT2mJ8yH4nL6pR1sW5uZ7aD3eG9iK0o"])
    callback_secret: str = Field(
        description="Shown once: the HMAC-SHA256 key callbacks are signed with (see `X-Doorstep-Signature`)",
        examples=["whsec_kM2n8Qp4rT6vX0yB3dF5hJ7lN9pR1tV3xZ5bD7fH9jL"],
    )


# Hotline work orders ----------------------------------------------------------------------------------


class WorkOrderCreate(WriteModel):
    """A 12345-style work order as the hotline platform sends it."""

    model_config = {
        "json_schema_extra": {
            "examples": [{
                "order_number": "XA12345-20261127-0042",
                "received_at": "2026-11-27T16:58:00+08:00",
                "caller_name": "刘女士",
                "caller_phone": "13912345678",
                "content": "翠湖明居小区9号楼外墙瓷砖脱落，楼下有人经过，很危险",
                "address": "未央区未央湖街道翠湖明居小区9号楼",
                "urgency": "urgent",
                "deadline_at": "2026-11-28T17:00:00+08:00",
            }]
        }
    }

    order_number: Annotated[SingleLine, Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$",
                                              description="The platform's own number; unique per integration")]
    received_at: AwareDatetime = Field(description="When the platform took the call, with its offset")
    caller_name: Annotated[SingleLine, Field(min_length=1, max_length=100)]
    caller_phone: Phone
    content: Annotated[str, Field(min_length=1, max_length=5000,
                                  description="The caller's words as recorded: the title is its first sentence")]
    address: Annotated[SingleLine, Field(min_length=1, max_length=500,
                                         description="Where; routing finds the building from it")]
    category_code: Annotated[str | None, Field(default=None, max_length=64, examples=["facade_hazard"],
                                               description="Optional: else routing classifies the words")] = None
    urgency: Priority | None = Field(default=None, description="Optional: else the category's default priority")
    deadline_at: AwareDatetime | None = Field(
        default=None, description="The platform's own deadline, if it sets one (kept and echoed back)"
    )


class StaffRoleBrief(ReadModel):
    role: str = Field(examples=["station_head"])
    role_text: str = Field(examples=["站长"])
    area: str | None = Field(default=None, description="The area the role is held over", examples=["翠湖明居"])
    department: str | None = Field(default=None, examples=["safety_supervision"])


class Due(ReadModel):
    respond_by_at: datetime | None = Field(default=None, description="Accept by (Doorstep's target)")
    resolve_by_at: datetime | None = Field(default=None, description="Resolve by (Doorstep's target)")
    platform_deadline_at: datetime | None = Field(default=None, description="The deadline the platform set")


class CategoryBrief(ReadModel):
    code: str
    name_zh: str


class WorkOrderRead(ReadModel):
    """A work order's state in the platform's terms: status (and its Chinese text), who handles it, the times."""

    order_number: str
    reference: str = Field(description="Doorstep's reference", examples=["DS0000000042"])
    request_id: int
    status: Status
    status_text: str = Field(examples=["已派单"])
    priority: Priority
    category: CategoryBrief | None = Field(default=None, description="Given, or classified by routing")
    area: AreaBrief | None = Field(default=None, description="Where it is (routing's best knowledge)")
    assignee_role: str | None = Field(default=None, examples=["station_head"],
                                      description="The role of the staff member who owns it; null until assigned")
    assignee_role_text: str | None = Field(default=None, examples=["站长"])
    assignee_area: str | None = Field(default=None, examples=["翠湖明居"])
    handling: str | None = Field(default=None, examples=["joint_handling"],
                                 description="The routing rule of the latest assignment (joint_handling: an owner "
                                 "with participants)")
    participants: list[StaffRoleBrief] = Field(default=[], description="Who else takes part (joint handling, "
                                               "escalation)")
    received_at: datetime | None = None
    submitted_at: datetime
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    due: Due
    resolution_note: str | None = None
    status_reason: str | None = Field(default=None, description="Why it was declined or rejected")
    satisfaction: Satisfaction | None = None
    satisfaction_text: str | None = None


CALLBACK_EXAMPLE: dict[str, Any] = {
    "version": 1, "event": CALLBACK_EVENT, "event_id": 7, "action": "assign",
    "order_number": "XA12345-20261127-0042", "reference": "DS0000000042", "request_id": 42,
    "status": "assigned", "previous_status": "submitted", "status_text": "已派单", "priority": "urgent",
    "category": {"code": "facade_hazard", "name_zh": "外墙及结构隐患"},
    "area": {"id": 5, "code": "T000005", "name": "9号楼", "kind": "building"},
    "assignee_role": "station_head", "assignee_role_text": "站长", "assignee_area": "翠湖明居",
    "handling": "joint_handling",
    "participants": [
        {"role": "building_captain", "role_text": "楼栋长", "area": "9号楼", "department": None},
        {"role": "subdistrict_staff", "role_text": "街道工作人员", "area": "未央湖街道",
         "department": "safety_supervision"},
    ],
    "occurred_at": "2026-11-27T09:00:02Z", "received_at": "2026-11-27T08:58:00Z",
    "submitted_at": "2026-11-27T09:00:00Z", "assigned_at": "2026-11-27T09:00:02Z", "accepted_at": None,
    "resolved_at": None, "closed_at": None,
    "due": {"respond_by_at": "2026-11-27T09:15:02Z", "resolve_by_at": "2026-11-28T09:00:02Z",
            "platform_deadline_at": "2026-11-28T09:00:00Z"},
    "resolution_note": None, "status_reason": None, "satisfaction": None, "satisfaction_text": None,
    "note": None,
}


class CallbackBody(WorkOrderRead):
    """The body POSTed to the callback URL on every status change, signed (see the README's "Webhook
    signatures"). Versioned: fields may be added, none removed or changed within a version."""

    model_config = {"json_schema_extra": {"examples": [CALLBACK_EXAMPLE]}}

    version: int = Field(default=CALLBACK_VERSION, examples=[1])
    event: str = Field(default=CALLBACK_EVENT, examples=[CALLBACK_EVENT])
    event_id: int = Field(description="Increases with each change of the request: deduplicate and order by it")
    action: str = Field(description="What happened: submit, assign, accept, start, resolve …", examples=["assign"])
    previous_status: Status | None = Field(default=None, description="Null for the first event (submitted)")
    occurred_at: datetime
    note: str | None = Field(default=None, description="The note given with the change, if any")
