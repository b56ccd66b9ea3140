from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from app.core.schemas import Latitude, Longitude, Name, Phone, ReadModel, SingleLine, WriteModel
from app.people.models import Department
from app.requests.models import Channel, Priority, RoutingRule, Satisfaction, Status

CategoryCode = Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[a-z][a-z0-9_]*$",
                                    examples=["water_leak"])]
Keyword = Annotated[SingleLine, Field(min_length=1, max_length=30)]
Minutes = Annotated[int, Field(ge=1, le=365 * 24 * 60)]
PhotoUrl = Annotated[
    str,
    Field(max_length=2048, pattern=r"^https?://[^\s/?#]+[^\s]*$", examples=["https://img.example/leak-1.jpg"]),
]
Note = Annotated[str, Field(min_length=1, max_length=5000)]
ShortName = Annotated[SingleLine, Field(min_length=1, max_length=100)]


# Categories -------------------------------------------------------------------------------------------


class CategoryRead(ReadModel):
    code: str
    name_zh: str
    name_en: str
    default_priority: str
    respond_minutes: int = Field(description="Target to respond (accept), in minutes")
    resolve_minutes: int = Field(description="Target to resolve, in minutes")
    routing_rule: str
    department: str | None = Field(default=None, description="joint_handling: the department that joins")
    keywords: list[str] = Field(description="Words in free text that suggest this category")
    is_active: bool
    sort_order: int

    model_config = {
        "from_attributes": True,
        "json_schema_extra": {
            "examples": [{"code": "water_leak", "name_zh": "漏水", "name_en": "Water leak",
                          "default_priority": "high", "respond_minutes": 30, "resolve_minutes": 1440,
                          "routing_rule": "building_captain", "department": None,
                          "keywords": ["漏水", "渗水", "水管"], "is_active": True, "sort_order": 3}]
        },
    }


class CategoryCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"code": "heating", "name_zh": "供暖", "name_en": "Heating", "default_priority": "high",
                          "respond_minutes": 30, "resolve_minutes": 1440, "routing_rule": "building_captain",
                          "keywords": ["暖气", "不热", "供暖"], "sort_order": 16}]
        }
    }

    code: CategoryCode
    name_zh: Name
    name_en: Name
    default_priority: Priority = Priority.normal
    respond_minutes: Minutes
    resolve_minutes: Minutes
    routing_rule: RoutingRule = RoutingRule.building_captain
    department: Department | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=100)
    is_active: bool = True
    sort_order: Annotated[int, Field(ge=0, le=32767)] = 0


class CategoryUpdate(WriteModel):
    """Only the fields given change; ``code`` never does."""

    model_config = {
        "json_schema_extra": {"examples": [{"respond_minutes": 20, "keywords": ["漏水", "渗水", "滴水"]}]}
    }

    name_zh: Name | None = None
    name_en: Name | None = None
    default_priority: Priority | None = None
    respond_minutes: Minutes | None = None
    resolve_minutes: Minutes | None = None
    routing_rule: RoutingRule | None = None
    department: Department | None = None
    keywords: list[Keyword] | None = Field(default=None, max_length=100)
    is_active: bool | None = None
    sort_order: Annotated[int, Field(ge=0, le=32767)] | None = None


# Requests ---------------------------------------------------------------------------------------------


class RequestCreate(WriteModel):
    """A new request. Residents give only what they know; staff also say how it reached them and for whom."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"title": "9号楼2单元楼道灯不亮", "description": "三楼到五楼的声控灯都不亮，晚上看不清台阶。",
                 "category_code": "public_lighting", "unit": 2, "photos": ["https://img.example/light-1.jpg"]},
                {"title": "凤城八路人行道井盖松动", "street_id": 10, "channel": "patrol",
                 "latitude": 34.3301, "longitude": 108.9502, "priority": "high"},
                {"title": "帮王阿姨补办医保卡", "category_code": "paperwork", "channel": "walk_in",
                 "on_behalf_of_resident_id": 31},
            ]
        }
    }

    title: Name = Field(description="One line, at most 200 characters")
    description: Annotated[str, Field(max_length=5000)] = ""
    category_code: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="From GET /api/v1/categories; omit when unsure (routing will classify)"
    )
    building_id: int | None = Field(
        default=None, description="Residents: their own building (the default). Staff: a building in their areas"
    )
    street_id: int | None = Field(default=None, description="Staff: a street in their areas (instead of a building)")
    unit: Annotated[int, Field(ge=1, le=99)] | None = Field(default=None, description="单元; needs a building")
    room: Annotated[SingleLine, Field(max_length=32)] | None = None
    address_text: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="Where, in words, when there is no building or street to name"
    )
    latitude: Latitude | None = Field(default=None, description="Give with longitude")
    longitude: Longitude | None = Field(default=None, description="Give with latitude")
    photos: list[PhotoUrl] = Field(default_factory=list, max_length=9, description="http(s) links, at most 9")
    channel: Channel | None = Field(
        default=None, description="Residents: `app` (the default). Staff (required): walk_in, door_visit, patrol "
        "or app"
    )
    priority: Priority | None = Field(
        default=None, description="Staff only; otherwise the category's default priority, else normal"
    )
    on_behalf_of_resident_id: int | None = Field(
        default=None, description="Staff only: the resident (in your areas) who asked"
    )
    reporter_name: ShortName | None = Field(
        default=None, description="Staff only, with reporter_phone: someone who is not a registered resident"
    )
    reporter_phone: Phone | None = Field(default=None, description="Staff only, with reporter_name")


class AssignBody(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"staff_id": 3, "note": "9号楼楼栋长负责"}]}}

    staff_id: int = Field(description="A staff member holding a role on the request's area (above or inside it)")
    note: Note | None = None


class ActionNote(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"note": "已联系居民，下午上门"}]}}

    note: Note | None = None


class ResolveBody(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"note": "已更换三至五楼声控灯"}]}}

    note: Note = Field(description="What was done; the resident sees it")


class ReasonBody(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"reason": "不属于本楼栋，属市政管辖"}]}}

    reason: Note


class ReopenBody(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"reason": "灯又不亮了"}]}}

    reason: Note | None = None


class DuplicateBody(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"duplicate_of_id": 41, "note": "同一处漏水"}]}}

    duplicate_of_id: int = Field(description="The original: another request you can see, not itself a duplicate")
    note: Note | None = None


class RateBody(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"satisfaction": "satisfied", "comment": "修得很快，谢谢"}]}}

    satisfaction: Satisfaction
    comment: Annotated[str, Field(max_length=1000)] | None = None


class CategoryBrief(ReadModel):
    code: str
    name_zh: str
    name_en: str


class StaffBrief(ReadModel):
    staff_id: int
    full_name: str


class ParticipantRead(ReadModel):
    staff_id: int
    full_name: str
    reason: str | None = None


class RequestLink(ReadModel):
    id: int
    reference: str


class RequestTiming(ReadModel):
    """How the request stands against its targets, from its own stamps and the clock. The due times are the
    request's ``respond_by_at`` and ``resolve_by_at``."""

    seconds_to_assign: int | None = Field(
        default=None, description="From submission to the latest assignment; null until assigned", examples=[2]
    )
    seconds_to_accept: int | None = Field(
        default=None, description="From submission to the first acceptance; null until accepted", examples=[1800]
    )
    seconds_to_resolve: int | None = Field(
        default=None, examples=[75600],
        description="From submission to the resolution, less the time spent awaiting the resident; null until "
        "resolved (and again after a reopening)",
    )
    respond_met: bool | None = Field(
        default=None,
        description="Accepted by respond-by with no respond-by missed before (a missed one re-routes the "
        "request); false as soon as a respond-by passes without acceptance; null while neither accepted nor "
        "past due, and for a request ended without acceptance and without a miss",
    )
    resolve_met: bool | None = Field(
        default=None,
        description="Resolved by resolve-by (of the current cycle: a reopening starts a new one); false as soon "
        "as resolve-by passes unresolved; null while open and not past due (a pause keeps moving it), and for a "
        "request ended unresolved that never breached",
    )
    breached: bool = Field(description="A resolve-by has passed unresolved at least once")
    escalation_level: int = Field(
        description="0 while with the assignee; each resolve breach raises it one level (station head, "
        "community staff, subdistrict duty desk, subdistrict staff)"
    )


class RequestRead(ReadModel):
    """A request as the caller may see it. ``reporter_phone`` is masked unless the caller is the reporter,
    the assignee, a participant or a manager over its area."""

    id: int
    reference: str = Field(examples=["DS0000000042"])
    channel: str
    external_reference: str | None = None
    category: CategoryBrief | None = None
    priority: str
    title: str
    description: str
    status: Status
    needs_triage: bool
    area_id: int | None = Field(default=None, description="The best-known area: building, street or coarser")
    building_id: int | None = None
    street_id: int | None = None
    unit: int | None = None
    room: str | None = None
    address_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: list[str] = []
    reporter_resident_id: int | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = Field(default=None, examples=["139****9000"])
    assignee: StaffBrief | None = None
    participants: list[ParticipantRead] = []
    respond_by_at: datetime | None = None
    resolve_by_at: datetime | None = None
    created_at: datetime
    submitted_at: datetime
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    paused_at: datetime | None = Field(default=None, description="Set while awaiting the resident")
    paused_seconds: int = Field(description="Total time spent awaiting the resident, finished pauses only")
    resolution_note: str | None = None
    status_reason: str | None = Field(default=None, description="Why it was declined, rejected or reopened")
    duplicate_of: RequestLink | None = None
    duplicates: list[RequestLink] = Field(default=[], description="Requests marked as duplicates of this one")
    satisfaction: Satisfaction | None = None
    satisfaction_comment: str | None = None
    rated_at: datetime | None = None
    reopened_count: int
    allowed_actions: list[str] = Field(
        default=[], description="Lifecycle actions the caller may take now", examples=[["accept", "decline"]]
    )
    timing: RequestTiming = Field(description="Times to assign, accept and resolve, and whether targets were met")


class EventRead(ReadModel):
    id: int
    kind: str = Field(examples=["transition"])
    action: str | None = Field(default=None, examples=["accept"])
    from_status: str | None = Field(default=None, examples=["assigned"])
    to_status: str | None = Field(default=None, examples=["accepted"])
    actor_account_id: int | None = None
    actor_kind: str = Field(examples=["staff"])
    note: str | None = None
    data: dict[str, Any] = {}
    created_at: datetime
