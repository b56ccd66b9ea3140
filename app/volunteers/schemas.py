from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, model_validator

from app.core.schemas import AwareDatetime, Name, Phone, ReadModel, WriteModel
from app.people.schemas import Password, Username
from app.volunteers.models import Skill, TaskKind, TaskStatus

Note = Annotated[str, Field(min_length=1, max_length=5000)]
# Hours as people say them: up to two decimals ("1.5"); a task takes at most a day.
TaskHours = Annotated[Decimal, Field(gt=0, le=24, max_digits=4, decimal_places=2, examples=["1.5"])]
CorrectionHours = Annotated[Decimal, Field(ge=-1000, le=1000, max_digits=6, decimal_places=2, examples=["-0.5"])]


# Availability ---------------------------------------------------------------------------------------------


class AvailabilityWindow(WriteModel):
    """A weekly window in local time (Asia/Shanghai). ISO weekday: 1 = Monday … 7 = Sunday."""

    weekday: Annotated[int, Field(ge=1, le=7, examples=[6])]
    start: time = Field(examples=["09:00"])
    end: time = Field(examples=["12:00"])

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilityWindow:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local times (Asia/Shanghai): give them without an offset")
        if self.end <= self.start:
            raise ValueError("end must be after start (a window does not cross midnight: split it)")
        return self


class AvailabilityRead(ReadModel):
    weekday: int
    start: time
    end: time


# Teams ------------------------------------------------------------------------------------------------------


class TeamCreate(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"name": "小蜜蜂", "compound_id": 4, "leader_volunteer_id": 7}]}}

    name: Name
    compound_id: int = Field(description="The compound the team is based in (one you manage)")
    leader_volunteer_id: int | None = Field(
        default=None, description="A volunteer of your areas; one without a team joins this one"
    )


class TeamUpdate(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"name": "小蜜蜂志愿服务队", "leader_volunteer_id": 7}]}}

    name: Name | None = None
    leader_volunteer_id: int | None = None


class TeamRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"id": 1, "name": "小蜜蜂", "compound_id": 4, "compound_name": "翠湖明居",
                          "leader_volunteer_id": 7, "leader_name": "刘芳", "member_count": 12}]
        }
    }

    id: int
    name: str
    compound_id: int
    compound_name: str
    leader_volunteer_id: int | None = None
    leader_name: str | None = None
    member_count: int


# Volunteers -------------------------------------------------------------------------------------------------


class VolunteerCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"full_name": "刘芳", "phone": "13700137000", "skills": ["errands", "companionship"],
                 "compound_id": 4, "team_id": 1,
                 "availability": [{"weekday": 6, "start": "09:00", "end": "12:00"}],
                 "username": "vol.liufang", "password": "s3cret-pass"}
            ]
        }
    }

    full_name: Name
    phone: Phone | None = None
    skills: list[Skill] = Field(default_factory=list, max_length=len(Skill))
    compound_id: int = Field(description="Home compound (one you manage)")
    team_id: int | None = None
    availability: list[AvailabilityWindow] = Field(default_factory=list, max_length=50)
    is_active: bool = True
    username: Username | None = Field(default=None, description="With password: the volunteer can sign in")
    password: Password | None = None

    @model_validator(mode="after")
    def _credentials_together(self) -> VolunteerCreate:
        if (self.username is None) != (self.password is None):
            raise ValueError("give username and password together (or neither)")
        return self


class VolunteerUpdate(WriteModel):
    """Only the fields given change. ``availability`` replaces all windows."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"skills": ["errands", "companionship", "meal_delivery"],
                 "availability": [{"weekday": 6, "start": "09:00", "end": "12:00"},
                                  {"weekday": 7, "start": "14:00", "end": "17:00"}]},
                {"is_active": False},
            ]
        }
    }

    full_name: Name | None = None
    phone: Phone | None = None
    skills: list[Skill] | None = Field(default=None, max_length=len(Skill))
    compound_id: int | None = None
    team_id: int | None = None
    availability: list[AvailabilityWindow] | None = Field(default=None, max_length=50)
    is_active: bool | None = None


class VolunteerRead(ReadModel):
    """``phone`` is masked unless the caller manages the volunteer's compound or is the volunteer."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 7, "full_name": "刘芳", "phone": "137****7000", "skills": ["errands", "companionship"],
                 "compound_id": 4, "compound_name": "翠湖明居", "team_id": 1, "team_name": "小蜜蜂",
                 "availability": [{"weekday": 6, "start": "09:00:00", "end": "12:00:00"}], "is_active": True,
                 "username": "vol.liufang", "open_tasks": 1}
            ]
        }
    }

    id: int
    full_name: str
    phone: str | None = Field(default=None, examples=["137****7000"])
    skills: list[str]
    compound_id: int
    compound_name: str
    team_id: int | None = None
    team_name: str | None = None
    availability: list[AvailabilityRead] = []
    is_active: bool
    username: str | None = None
    open_tasks: int = Field(description="Tasks assigned to or accepted by the volunteer, not yet completed")


# Tasks ------------------------------------------------------------------------------------------------------


class TaskCreate(WriteModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"kind": "errand", "title": "帮王阿姨补办医保卡", "area_id": 5, "needed_skill": "errands",
                 "scheduled_at": "2026-11-28T09:30:00+08:00", "expected_minutes": 90},
                {"request_id": 42, "needed_skill": "errands", "scheduled_at": "2026-11-28T09:30:00+08:00"},
            ]
        }
    }

    kind: TaskKind | None = Field(default=None, description="Default: errand")
    title: Name | None = Field(default=None, description="Default with request_id: the request's title")
    description: Annotated[str, Field(max_length=5000)] | None = None
    area_id: int | None = Field(
        default=None, description="A compound or building you manage; default with request_id: the request's place"
    )
    needed_skill: Skill | None = Field(
        default=None, description="Default with request_id: from the request's category (paperwork → errands …)"
    )
    scheduled_at: AwareDatetime | None = Field(default=None, description="When it should happen, with a timezone")
    expected_minutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    request_id: int | None = Field(default=None, description="The request this task serves (one you can see)")
    elder_id: int | None = Field(default=None, description="The elder this task serves")
    volunteer_id: int | None = Field(default=None, description="Assign at once to this volunteer")


class FromRequestBody(WriteModel):
    """Turning a request into a volunteer task: everything defaults from the request."""

    model_config = {"json_schema_extra": {"examples": [{"needed_skill": "errands",
                                                        "scheduled_at": "2026-11-28T09:30:00+08:00",
                                                        "expected_minutes": 90}]}}

    kind: TaskKind | None = None
    title: Name | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    needed_skill: Skill | None = None
    scheduled_at: AwareDatetime | None = None
    expected_minutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    elder_id: int | None = None
    volunteer_id: int | None = None


class AssignTaskBody(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"volunteer_id": 7}]}}

    volunteer_id: int


class CompleteTaskBody(WriteModel):
    model_config = {"json_schema_extra": {"examples": [{"note": "医保卡已办好，送到王阿姨家", "hours": "1.5"}]}}

    note: Note = Field(description="What was done")
    hours: TaskHours = Field(description="Hours spent (up to two decimals); added to the hours ledger")


class CancelTaskBody(WriteModel):
    reason: Note


class TaskRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"id": 15, "kind": "errand", "title": "帮王阿姨补办医保卡",
                 "description": "王秀英阿姨的医保卡丢了，陪她到未央湖街道便民服务中心补办", "status": "accepted",
                 "source": "request", "area_id": 5, "area_name": "9号楼", "compound_id": 4,
                 "compound_name": "翠湖明居", "needed_skill": "errands", "scheduled_at": "2026-11-28T01:30:00Z",
                 "expected_minutes": 90, "request_id": 42, "elder_id": 2, "volunteer_id": 7,
                 "volunteer_name": "刘芳", "coordinator_staff_id": 3, "assigned_at": "2026-11-27T09:10:00Z",
                 "accepted_at": "2026-11-27T09:25:00Z", "completed_at": None, "cancelled_at": None,
                 "completion_note": None, "hours": None, "cancel_reason": None,
                 "created_at": "2026-11-27T09:05:00Z", "allowed_actions": ["complete", "cancel"]}
            ]
        }
    }

    id: int
    kind: str
    title: str
    description: str
    status: TaskStatus
    source: str = Field(description="staff, request, visit_watch or alarm")
    area_id: int
    area_name: str
    compound_id: int
    compound_name: str
    needed_skill: str | None = None
    scheduled_at: datetime | None = None
    expected_minutes: int | None = None
    request_id: int | None = None
    elder_id: int | None = None
    volunteer_id: int | None = None
    volunteer_name: str | None = None
    coordinator_staff_id: int | None = None
    assigned_at: datetime | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    completion_note: str | None = None
    hours: float | None = Field(default=None, description="Hours logged at completion")
    cancel_reason: str | None = None
    created_at: datetime
    allowed_actions: list[str] = Field(default=[], examples=[["accept"]])


class MatchRead(ReadModel):
    volunteer_id: int
    full_name: str
    compound_id: int
    same_compound: bool
    available: bool | None = Field(description="Inside a weekly window at scheduled_at; null without a time")
    open_tasks: int
    reasons: list[str] = Field(description="Why this place in the list", examples=[["has the skill errands"]])


class SkippedRead(ReadModel):
    volunteer_id: int
    full_name: str
    reason: str


class MatchesRead(ReadModel):
    """Candidates, best first: the skill is required; then same compound, available at the time, fewest open
    tasks. Busy volunteers (another task of theirs overlaps this one's time) are skipped and listed."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"task_id": 15, "needed_skill": "errands", "scheduled_at": "2026-11-28T01:30:00Z",
                 "matches": [
                     {"volunteer_id": 7, "full_name": "刘芳", "compound_id": 4, "same_compound": True,
                      "available": True, "open_tasks": 0,
                      "reasons": ["has the skill errands", "lives in the same compound (翠湖明居)",
                                  "available Sat 09:30 (window Sat 09:00–12:00)", "0 open tasks"]},
                     {"volunteer_id": 11, "full_name": "赵敏", "compound_id": 4, "same_compound": True,
                      "available": False, "open_tasks": 1,
                      "reasons": ["has the skill errands", "lives in the same compound (翠湖明居)",
                                  "no availability window at Sat 09:30", "1 open task"]},
                 ],
                 "skipped": [{"volunteer_id": 9, "full_name": "张伟",
                              "reason": "busy: task #14 (陪李大爷复诊) at 2026-11-28 09:00 overlaps"}],
                 "without_skill": 3}
            ]
        }
    }

    task_id: int
    needed_skill: str | None = None
    scheduled_at: datetime | None = None
    matches: list[MatchRead]
    skipped: list[SkippedRead]
    without_skill: int = Field(description="Active volunteers nearby left out for lacking the skill")


# Hours ------------------------------------------------------------------------------------------------------


class HoursCorrection(WriteModel):
    model_config = {"json_schema_extra": {"examples": [
        {"hours": "-0.5", "reason": "重复登记，扣回半小时", "served_on": "2026-11-28", "corrects_entry_id": 3}
    ]}}

    hours: CorrectionHours = Field(description="Not zero; negative takes hours away")
    reason: Note
    served_on: date | None = Field(default=None, description="The day it counts for; default: today (local)")
    corrects_entry_id: int | None = Field(default=None, description="The entry this corrects, if any")

    @model_validator(mode="after")
    def _not_zero(self) -> HoursCorrection:
        if self.hours == 0:
            raise ValueError("hours must not be zero")
        return self


HOURS_ENTRY_EXAMPLES: list[dict[str, Any]] = [
    {"id": 3, "volunteer_id": 7, "team_id": 1, "task_id": 15, "kind": "task", "hours": 1.5,
     "duration_seconds": 5400, "served_on": "2026-11-28", "reason": None, "corrects_entry_id": None,
     "created_by_account_id": 21, "created_at": "2026-11-28T03:05:00Z"},
    {"id": 4, "volunteer_id": 7, "team_id": 1, "task_id": None, "kind": "correction", "hours": -0.5,
     "duration_seconds": -1800, "served_on": "2026-11-28", "reason": "重复登记，扣回半小时",
     "corrects_entry_id": 3, "created_by_account_id": 5, "created_at": "2026-11-29T01:00:00Z"},
]


class HoursEntryRead(ReadModel):
    model_config = {"json_schema_extra": {"examples": HOURS_ENTRY_EXAMPLES[1:]}}

    id: int
    volunteer_id: int
    team_id: int | None = None
    task_id: int | None = None
    kind: str
    hours: float
    duration_seconds: int
    served_on: date
    reason: str | None = None
    corrects_entry_id: int | None = None
    created_by_account_id: int | None = None
    created_at: datetime


class VolunteerHoursRead(ReadModel):
    """One volunteer's hours ledger by the day served (``from``/``to``: local dates, both ends inclusive; left
    out: no bound), oldest first."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"volunteer_id": 7, "full_name": "刘芳", "from": "2026-11-01", "to": "2026-11-30",
                          "hours": 1.0, "duration_seconds": 3600, "entries": HOURS_ENTRY_EXAMPLES}]
        }
    }

    volunteer_id: int
    full_name: str
    date_from: date | None = Field(default=None, serialization_alias="from")
    date_to: date | None = Field(default=None, serialization_alias="to")
    hours: float
    duration_seconds: int
    entries: list[HoursEntryRead]


class MemberHours(ReadModel):
    volunteer_id: int
    full_name: str
    hours: float


class TeamHoursRead(ReadModel):
    model_config = {
        "json_schema_extra": {
            "examples": [{"team_id": 1, "name": "小蜜蜂", "from": "2026-11-01", "to": "2026-11-30", "hours": 23.5,
                          "duration_seconds": 84600,
                          "members": [{"volunteer_id": 9, "full_name": "张伟", "hours": 12.0},
                                      {"volunteer_id": 7, "full_name": "刘芳", "hours": 8.5},
                                      {"volunteer_id": 12, "full_name": "陈静", "hours": 3.0}]}]
        }
    }

    team_id: int
    name: str
    date_from: date | None = Field(default=None, serialization_alias="from")
    date_to: date | None = Field(default=None, serialization_alias="to")
    hours: float
    duration_seconds: int
    members: list[MemberHours] = Field(description="Hours per volunteer, most first")


# Stats ------------------------------------------------------------------------------------------------------


class KindCounts(ReadModel):
    errand: int = 0
    home_visit: int = 0
    delivery: int = 0
    escort: int = 0


class CompoundStats(ReadModel):
    compound_id: int
    compound_name: str
    completed: KindCounts
    hours: float


class TaskStatsRead(ReadModel):
    """Tasks completed in the period (by their completion, local dates, both ends inclusive), by kind."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"area_id": 1, "from": "2026-11-01", "to": "2026-11-30",
                 "completed": {"errand": 18, "home_visit": 25, "delivery": 40, "escort": 6}, "hours": 96.5,
                 "open": 7,
                 "by_compound": [
                     {"compound_id": 4, "compound_name": "翠湖明居",
                      "completed": {"errand": 11, "home_visit": 15, "delivery": 28, "escort": 4}, "hours": 61.0},
                     {"compound_id": 9, "compound_name": "中铁二十局小区",
                      "completed": {"errand": 7, "home_visit": 10, "delivery": 12, "escort": 2}, "hours": 35.5},
                 ]}
            ]
        }
    }

    area_id: int
    date_from: date | None = Field(default=None, serialization_alias="from")
    date_to: date | None = Field(default=None, serialization_alias="to")
    completed: KindCounts
    hours: float
    open: int = Field(description="Tasks inside the area not finished now (open, assigned or accepted)")
    by_compound: list[CompoundStats]
