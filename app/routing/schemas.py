"""What the routing API shows: a request's routing decisions with their steps, and a staff member's queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from app.core.schemas import ReadModel
from app.requests.schemas import CategoryBrief


class StaffRef(ReadModel):
    id: int
    name: str


class TraceStepRead(ReadModel):
    step: str = Field(description="The stage: where, what, priority, who or fallback", examples=["who"])
    rule: str = Field(description="The rule applied", examples=["building_captain"])
    outcome: str = Field(description="A short machine-readable result", examples=["chosen"])
    reason: str = Field(description="Why, in a sentence for the staff member reading it")
    detail: dict[str, Any] = Field(default={}, description="The same facts as JSON values")


class RoutingDecisionRead(ReadModel):
    """One routing decision: what triggered it, who it chose and each step of the reasoning."""

    id: int
    trigger: str = Field(description="submitted, declined, respond_breach, resolve_breach or manual",
                         examples=["submitted"])
    outcome: str = Field(description="assigned, needs_triage or escalated", examples=["assigned"])
    rule: str | None = Field(default=None, description="The rule that chose the assignee", examples=["joint_handling"])
    assignee: StaffRef | None = None
    participants: list[StaffRef] = Field(default=[], description="Staff who joined (joint handling)")
    escalation_level: int
    created_at: datetime
    steps: list[TraceStepRead]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": 12,
                    "trigger": "submitted",
                    "outcome": "assigned",
                    "rule": "joint_handling",
                    "assignee": {"id": 2, "name": "站长张"},
                    "participants": [{"id": 3, "name": "楼栋长李"}, {"id": 9, "name": "安监冯"}],
                    "escalation_level": 0,
                    "created_at": "2026-11-27T09:00:00Z",
                    "steps": [
                        {"step": "where", "rule": "building_id", "outcome": "given",
                         "reason": "Building #5 was given.", "detail": {"building_id": 5}},
                        {"step": "what", "rule": "keywords", "outcome": "classified",
                         "reason": "Classified as facade_hazard: keywords 外墙、瓷砖、脱落 (score 6).",
                         "detail": {"code": "facade_hazard", "score": 6}},
                        {"step": "priority", "rule": "hazard_words", "outcome": "unchanged",
                         "reason": "Hazard word 脱落; already urgent.", "detail": {"words": ["脱落"]}},
                        {"step": "who", "rule": "joint_handling", "outcome": "owner",
                         "reason": "Owner (station head): 站长张 (#2) chosen (among 1 candidates): the only one "
                                   "available.", "detail": {"staff_id": 2, "role": "owner"}},
                    ],
                }
            ]
        }
    }


class QueueItem(ReadModel):
    """One piece of open work, with the deadline that matters now."""

    id: int
    reference: str = Field(examples=["DS0000000042"])
    title: str
    status: str = Field(examples=["assigned"])
    priority: str = Field(examples=["high"])
    category: CategoryBrief | None = None
    compound_name: str | None = Field(default=None, examples=["翠湖明居"])
    building_name: str | None = Field(default=None, examples=["9号楼"])
    unit: int | None = None
    street_name: str | None = Field(default=None, examples=["凤城八路"])
    due_at: datetime | None = Field(
        default=None, description="respond_by_at until accepted, then resolve_by_at; null when not scheduled"
    )
    which: Literal["respond", "resolve"] | None = Field(default=None, description="Which deadline due_at is")
    seconds_left: int | None = Field(default=None, description="Until due_at; negative when overdue")
    paused: bool = Field(description="Awaiting the resident: the resolve clock is stopped")
    needs_triage: bool
    role: Literal["assignee", "participant"]


class QueueRead(ReadModel):
    as_of: datetime = Field(description="The moment seconds_left is counted from")
    items: list[QueueItem]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "as_of": "2026-11-27T09:20:00Z",
                    "items": [
                        {"id": 42, "reference": "DS0000000042", "title": "楼道漏水", "status": "assigned",
                         "priority": "high", "category": {"code": "water_leak", "name_zh": "漏水",
                                                          "name_en": "Water leak"},
                         "compound_name": "翠湖明居", "building_name": "9号楼", "unit": 2, "street_name": None,
                         "due_at": "2026-11-27T09:30:00Z", "which": "respond", "seconds_left": 600,
                         "paused": False, "needs_triage": False, "role": "assignee"},
                        {"id": 40, "reference": "DS0000000040", "title": "外墙瓷砖脱落", "status": "accepted",
                         "priority": "urgent", "category": {"code": "facade_hazard", "name_zh": "外墙及结构隐患",
                                                            "name_en": "Facade or structural hazard"},
                         "compound_name": "翠湖明居", "building_name": "9号楼", "unit": None, "street_name": None,
                         "due_at": "2026-11-27T11:00:00Z", "which": "resolve", "seconds_left": 6000,
                         "paused": False, "needs_triage": False, "role": "participant"},
                    ],
                }
            ]
        }
    }
