"""Report schemas. Every figure says what it counts: these descriptions are the definitions on the OpenAPI page."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.requests.schemas import CategoryBrief, StaffBrief


class GroupBy(enum.StrEnum):
    none = "none"
    child_area = "child_area"
    category = "category"
    assignee = "assignee"
    day = "day"
    week = "week"
    month = "month"


class BulletinFormat(enum.StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    svg = "svg"
    png = "png"


class AreaBrief(BaseModel):
    id: int
    name: str
    kind: str


class Rates(BaseModel):
    """The figures of one group (or of the whole report)."""

    requests: int = Field(
        description="Requests submitted in the period inside the area, all of them (rejected and duplicates too)."
    )
    set_aside: int = Field(
        description="Of those, rejected or marked duplicate: not counted in any figure below."
    )
    respond_due: int = Field(
        description="**Due to respond**: accepted, or respond-by passed without acceptance (the SLA clock "
        "records a respond breach the moment it passes; after that the request stays due even if re-routed)."
    )
    responded_in_time: int = Field(
        description="Accepted by respond-by, with no respond breach recorded."
    )
    response_rate: float | None = Field(
        description="**Response rate** = responded_in_time / respond_due (0-1, four places); null when nothing "
        "is due to respond."
    )
    resolve_due: int = Field(
        description="**Due to resolve**: resolved, or a resolve-by passed before resolution (the SLA clock marks "
        "the request breached the moment it passes; while awaiting the resident the clock is paused, so a "
        "waiting request is not yet due). Requests still within their resolve-by are not due."
    )
    resolved: int = Field(
        description="Resolved: `resolved_at` is set (a reopened request is not, until it is resolved again)."
    )
    resolution_rate: float | None = Field(
        description="**Resolution rate** = resolved / resolve_due (0-1); null when nothing is due to resolve."
    )
    rated: int = Field(description="Requests whose resolution the reporter rated.")
    satisfied: int = Field(description="Rated satisfied or basically satisfied.")
    satisfaction_rate: float | None = Field(
        description="**Satisfaction rate** = satisfied / rated (0-1); null when nothing was rated."
    )
    accepted: int = Field(description="Accepted requests: the population of the times to accept.")
    median_seconds_to_accept: int | None = Field(
        description="Median time from submission to (first) acceptance, seconds: the nearest-rank value, i.e. "
        "the ⌈n/2⌉-th smallest. See `percentiles` for exact or histogram."
    )
    p90_seconds_to_accept: int | None = Field(
        description="90th percentile of the time to accept, seconds (the ⌈0.9·n⌉-th smallest)."
    )
    median_seconds_to_resolve: int | None = Field(
        description="Median time from submission to the latest resolution, less the time spent awaiting the "
        "resident, seconds; over resolved requests."
    )
    p90_seconds_to_resolve: int | None = Field(
        description="90th percentile of the time to resolve (paused time excluded), seconds."
    )
    breached: int = Field(description="Requests marked breached: a resolve-by passed before they were resolved.")
    reopened: int = Field(description="Requests reopened at least once.")


class GroupKey(BaseModel):
    label: str = Field(description="What a person reads: the area's or category's Chinese name, a date, a name.")
    area: AreaBrief | None = Field(default=None, description="group_by=child_area")
    category: CategoryBrief | None = Field(default=None, description="group_by=category (null: uncategorised)")
    assignee: StaffBrief | None = Field(default=None, description="group_by=assignee (null: unassigned)")
    period_on: date | None = Field(
        default=None, description="group_by=day/week/month: the local day, the Monday, the first of the month"
    )


class RateGroup(Rates):
    key: GroupKey


class RatesRead(BaseModel):
    scope: list[AreaBrief] = Field(description="The areas covered, each with its whole subtree.")
    period_from: datetime = Field(description="Inclusive: requests submitted at or after this moment.")
    period_to: datetime = Field(description="Exclusive.")
    timezone: str = Field(description="Days, weeks and months are local days of this zone.")
    category: CategoryBrief | None
    assignee: StaffBrief | None
    group_by: GroupBy
    source: Literal["rollup", "live"] = Field(
        description="`rollup`: from the pre-aggregated rollups plus changes not folded yet (current as of "
        "`as_of`); `live`: straight from the requests (an assignee, an area below community level, a period "
        "not in whole local days, or days of a community)."
    )
    percentiles: str = Field(description="`exact`, or how close histogram percentiles are.")
    as_of: datetime
    total: Rates
    groups: list[RateGroup] = Field(
        description="One per group with requests: dates in order, otherwise most requests first."
    )


class VolumeChange(BaseModel):
    requests: int = Field(description="Requests submitted in the month.")
    previous_requests: int = Field(description="In the month before.")
    change: int = Field(description="requests - previous_requests")
    change_rate: float | None = Field(description="change / previous_requests (0-1); null when there were none.")


class CategoryVolume(VolumeChange):
    rank: int
    category: CategoryBrief


class AreaVolume(VolumeChange):
    rank: int
    area: AreaBrief


class ThreeRates(BaseModel):
    requests: int
    response_rate: float | None = Field(description="As in the rates report: responded_in_time / respond_due.")
    resolution_rate: float | None = Field(description="resolved / resolve_due")
    satisfaction_rate: float | None = Field(description="(satisfied + basically satisfied) / rated")


class CommunityRates(ThreeRates):
    area: AreaBrief
    parent: AreaBrief | None = Field(description="The subdistrict it belongs to.")


class BulletinRead(BaseModel):
    month: str = Field(examples=["2026-10"])
    previous_month: str = Field(examples=["2026-09"])
    scope: list[AreaBrief] = Field(description="The areas the bulletin covers (the chosen area, or yours).")
    ranked_kind: str = Field(description="What `top_areas` ranks: subdistricts, or the chosen area's children.")
    timezone: str
    as_of: datetime
    total: VolumeChange
    rates: ThreeRates = Field(description="The three rates over the whole scope for the month.")
    top_categories: list[CategoryVolume] = Field(description="The 3 categories with most requests in the month.")
    top_areas: list[AreaVolume] = Field(
        description="The 10 areas with most requests in the month (requests filed above their level are left out)."
    )
    communities: list[CommunityRates] = Field(
        description="The three rates of every community (and street) in the scope, in tree order."
    )
