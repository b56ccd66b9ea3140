"""The three rates and the monthly bulletin: scope, period, the plan (rollups or the base table), and labels.

Reads only, never commits. How the rollups are kept and why is in ``app.reports.repository``; the figures'
definitions are on the schemas (``app.reports.schemas``), which the OpenAPI page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.service import load_visible
from app.core.actor import Actor
from app.core.errors import InvalidInput
from app.reports import metrics, repository
from app.reports.errors import NoReportScope, ReportTooLarge
from app.reports.repository import Grouping, Root, Row, Slice
from app.reports.schemas import (
    AreaBrief,
    AreaVolume,
    BulletinRead,
    CategoryVolume,
    CommunityRates,
    GroupBy,
    GroupKey,
    RateGroup,
    Rates,
    RatesRead,
    ThreeRates,
    VolumeChange,
)
from app.requests.schemas import CategoryBrief, StaffBrief

TIMEZONE = repository.ZONE
LOCAL = ZoneInfo(TIMEZONE)
# An answer from the base table that would read more requests than this (by the day rollups) is refused.
LIVE_LIMIT = 300_000
COMMUNITY_DEPTH = 2
DAY_DEPTH = 1  # day rows are kept down to subdistricts
TOP_CATEGORIES = 3
TOP_AREAS = 10
KIND_AT_DEPTH = {0: "district", 1: "subdistrict", 2: "community", 3: "compound", 4: "building"}
UNCATEGORISED = "未分类"
UNASSIGNED = "未指派"


# Time ---------------------------------------------------------------------------------------------------


def local_midnight(day: date) -> datetime:
    """The UTC moment a local day begins."""
    return datetime.combine(day, time(), LOCAL).astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class Period:
    """Requests submitted in ``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def days(self) -> tuple[date, date] | None:
        """``[first, last)`` local days when both ends are local midnights, else None."""
        ends = [moment.astimezone(LOCAL) for moment in (self.start, self.end)]
        if any(e.time() != time() for e in ends):
            return None
        return ends[0].date(), ends[1].date()


def period_of(start: date | datetime | None, end: date | datetime | None, *, now: datetime) -> Period:
    """From the query: a date is a local day (``to`` inclusive), a datetime a moment (``to`` exclusive).
    Defaults: from the first day of this local month to the end of today."""
    today = local_day(now)
    begin = start if start is not None else today.replace(day=1)
    finish = end if end is not None else today
    begin_at = begin if isinstance(begin, datetime) else local_midnight(begin)
    end_at = finish if isinstance(finish, datetime) else local_midnight(finish + timedelta(days=1))
    if begin_at >= end_at:
        raise InvalidInput("The period is empty: 'to' must come after 'from'", field="query.to")
    return Period(begin_at, end_at)


# Planning -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    source: str  # "rollup" or "live"
    slices: tuple[Slice, ...] = ()


LIVE = Plan("live")


def plan(period: Period, roots: Sequence[Root], grouping: Grouping, *, by_assignee: bool) -> Plan:
    """Rollups when they can answer exactly: whole local days; areas (and area groups) no deeper than a
    community; nothing about assignees; days and weeks at subdistrict depth or above (day rows stop there).
    Whole months come from month rows, the days around them from day rows, each at the coarsest depth that
    still tells the areas asked about apart."""
    days = period.days
    if by_assignee or days is None:
        return LIVE
    need = max(root.depth for root in roots)
    if grouping.kind == "area":
        need = max(need, grouping.depth)
    day_from, day_to = days
    if grouping.kind in ("day", "week"):
        return Plan("rollup", (Slice("day", need, day_from, day_to),)) if need <= DAY_DEPTH else LIVE
    first_month = day_from if day_from.day == 1 else _month_after(day_from)
    last_month = day_to.replace(day=1)
    if first_month >= last_month:
        return Plan("rollup", (Slice("day", need, day_from, day_to),)) if need <= DAY_DEPTH else LIVE
    edges = [(a, b) for a, b in ((day_from, first_month), (last_month, day_to)) if a < b]
    if need > COMMUNITY_DEPTH or (edges and need > DAY_DEPTH):
        return LIVE
    return Plan("rollup", (Slice("month", need, first_month, last_month),
                           *(Slice("day", need, a, b) for a, b in edges)))


async def _rows(
    session: AsyncSession,
    period: Period,
    roots: Sequence[Root],
    grouping: Grouping,
    *,
    category_id: int | None = None,
    assignee_staff_id: int | None = None,
    with_times: bool,
) -> tuple[str, list[Row]]:
    by_assignee = assignee_staff_id is not None or grouping.kind == "assignee"
    chosen = plan(period, roots, grouping, by_assignee=by_assignee)
    if chosen.source == "rollup":
        day_from, day_to = period.days  # type: ignore[misc]
        rows = await repository.rollup_rows(
            session, slices=chosen.slices, day_from=day_from, day_to=day_to, roots=roots, category_id=category_id,
            grouping=grouping, with_times=with_times,
        )
        return chosen.source, rows
    if assignee_staff_id is None:
        # Nothing narrows it but the area and the period: make sure the base table is not read wholesale.
        estimate = await repository.estimated_requests(
            session, day_from=local_day(period.start), day_to=local_day(period.end) + timedelta(days=1),
            roots=roots, category_id=category_id,
        )
        if estimate > LIVE_LIMIT:
            raise ReportTooLarge(
                f"Answering this reads about {estimate:,} requests one by one (at most {LIVE_LIMIT:,}): give whole "
                "local days (dates), a smaller area or a shorter period, or group by something other than "
                "assignee",
                field="query",
            )
    rows = await repository.live_rows(
        session, start=period.start, end=period.end, roots=roots, category_id=category_id,
        assignee_staff_id=assignee_staff_id, grouping=grouping, with_times=with_times,
    )
    return chosen.source, rows


# Scope --------------------------------------------------------------------------------------------------


async def _scope(session: AsyncSession, actor: Actor, area_id: int | None) -> tuple[list[Root], list[AreaBrief]]:
    """The chosen area (404 unless it is in the caller's areas), else every area of the caller's roles."""
    if area_id is not None:
        area = await load_visible(session, actor, area_id)
        return [Root(area.path, area.depth)], [AreaBrief(id=area.id, name=area.name, kind=area.kind)]
    paths = actor.scope_paths()
    found = await repository.areas_by_path(session, paths)
    if not found:
        raise NoReportScope("Reports cover the areas of your roles, and you hold none")
    ordered = sorted(found.items())
    return (
        [Root(path, depth) for path, (_, _, _, depth) in ordered],
        [AreaBrief(id=i, name=name, kind=kind) for _, (i, name, kind, _) in ordered],
    )


def _child_depth(roots: Sequence[Root]) -> int:
    return min(root.depth for root in roots) + 1


def _area_id(path: str) -> int:
    return int(path.rstrip("/").rsplit("/", 1)[-1])


# Rates --------------------------------------------------------------------------------------------------


def _rates(row: Row) -> Rates:
    c = row.counts
    if row.exact is not None:
        accepted = row.accepted
        times = row.exact
    else:
        accept = row.accept_histogram or [0] * metrics.BUCKETS
        resolve = row.resolve_histogram or [0] * metrics.BUCKETS
        accepted = sum(accept)
        times = {
            f"{short}_{name}": metrics.histogram_percentile(histogram, quantile)
            for short, histogram in (("accept", accept), ("resolve", resolve))
            for name, quantile in metrics.QUANTILES.items()
        }
    return Rates(
        requests=row.requests,
        set_aside=c["set_aside"],
        respond_due=c["respond_due"],
        responded_in_time=c["responded_in_time"],
        response_rate=metrics.rate(c["responded_in_time"], c["respond_due"]),
        resolve_due=c["resolve_due"],
        resolved=c["resolved"],
        resolution_rate=metrics.rate(c["resolved"], c["resolve_due"]),
        rated=c["rated"],
        satisfied=c["satisfied"],
        satisfaction_rate=metrics.rate(c["satisfied"], c["rated"]),
        accepted=accepted,
        median_seconds_to_accept=times["accept_median"],
        p90_seconds_to_accept=times["accept_p90"],
        median_seconds_to_resolve=times["resolve_median"],
        p90_seconds_to_resolve=times["resolve_p90"],
        breached=c["breached"],
        reopened=c["reopened"],
    )


def _empty_row() -> Row:
    return Row(key=None, is_total=True, requests=0, counts=dict.fromkeys(repository.COUNTS, 0),
               accept_histogram=[0] * metrics.BUCKETS, resolve_histogram=[0] * metrics.BUCKETS)


async def _keys(session: AsyncSession, group_by: GroupBy, keys: Sequence[str | None]) -> dict[str | None, GroupKey]:
    """A label (and the object) for each group key."""
    out: dict[str | None, GroupKey] = {}
    if group_by == GroupBy.child_area:
        areas = await repository.areas_by_id(session, [_area_id(k) for k in keys if k])
        for key in keys:
            name, kind, _, _ = areas.get(_area_id(key), ("?", "?", "", 0)) if key else ("?", "?", "", 0)
            out[key] = GroupKey(label=name, area=AreaBrief(id=_area_id(key), name=name, kind=kind) if key else None)
    elif group_by == GroupBy.category:
        categories = await repository.categories_by_id(session, [int(k) for k in keys if k])
        for key in keys:
            if key is None or int(key) not in categories:
                out[key] = GroupKey(label=UNCATEGORISED)
                continue
            code, zh, en, _ = categories[int(key)]
            out[key] = GroupKey(label=zh, category=CategoryBrief(code=code, name_zh=zh, name_en=en))
    elif group_by == GroupBy.assignee:
        names = await repository.staff_names(session, [int(k) for k in keys if k])
        for key in keys:
            if key is None:
                out[key] = GroupKey(label=UNASSIGNED)
            else:
                name = names.get(int(key), "?")
                out[key] = GroupKey(label=name, assignee=StaffBrief(staff_id=int(key), full_name=name))
    else:
        for key in keys:
            day = date.fromisoformat(key) if key else None
            label = (day.strftime("%Y-%m") if group_by == GroupBy.month else day.isoformat()) if day else "?"
            out[key] = GroupKey(label=label, period_on=day)
    return out


def _grouping(group_by: GroupBy, roots: Sequence[Root]) -> Grouping:
    if group_by == GroupBy.child_area:
        return Grouping("area", _child_depth(roots))
    return Grouping(str(group_by))


async def rates(
    session: AsyncSession,
    actor: Actor,
    *,
    area_id: int | None,
    start: date | datetime | None,
    end: date | datetime | None,
    category: str | None,
    assignee_staff_id: int | None,
    group_by: GroupBy,
    now: datetime,
) -> RatesRead:
    """The rates over the requests submitted in the period inside the area (default: the caller's areas),
    optionally of one category and one assignee, in total and per group. Exact counts as of ``now``;
    percentiles exact from the base table or within ``metrics.RESOLUTION`` from the rollups."""
    roots, scope = await _scope(session, actor, area_id)
    period = period_of(start, end, now=now)
    category_id = None
    category_brief = None
    if category is not None:
        category_id = await repository.category_id_by_code(session, category)
        if category_id is None:
            raise InvalidInput(f"No category {category!r}; see GET /api/v1/categories", field="query.category")
        code, zh, en, _ = (await repository.categories_by_id(session, [category_id]))[category_id]
        category_brief = CategoryBrief(code=code, name_zh=zh, name_en=en)
    assignee = None
    if assignee_staff_id is not None:
        names = await repository.staff_names(session, [assignee_staff_id])
        if assignee_staff_id not in names:
            raise InvalidInput(f"No staff member {assignee_staff_id}", field="query.assignee")
        assignee = StaffBrief(staff_id=assignee_staff_id, full_name=names[assignee_staff_id])
    source, rows = await _rows(
        session, period, roots, _grouping(group_by, roots), category_id=category_id,
        assignee_staff_id=assignee_staff_id, with_times=True,
    )
    total = next((r for r in rows if r.is_total), None) or _empty_row()
    groups = [r for r in rows if not r.is_total and r.requests != 0]
    keys = await _keys(session, group_by, [r.key for r in groups])
    items = [RateGroup(key=keys[r.key], **_rates(r).model_dump()) for r in groups]
    if group_by in (GroupBy.day, GroupBy.week, GroupBy.month):
        items.sort(key=lambda g: g.key.period_on or date.min)
    else:
        items.sort(key=lambda g: (-g.requests, g.key.label))
    return RatesRead(
        scope=scope,
        period_from=period.start,
        period_to=period.end,
        timezone=TIMEZONE,
        category=category_brief,
        assignee=assignee,
        group_by=group_by,
        source=source,  # type: ignore[arg-type]
        percentiles="exact" if source == "live" else metrics.RESOLUTION_TEXT,
        as_of=now,
        total=_rates(total),
        groups=items,
    )


# The monthly bulletin -----------------------------------------------------------------------------------


def parse_month(month: str) -> date:
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise InvalidInput("Give the month as YYYY-MM", field="query.month") from None
    return first


def _three(row: Row | None) -> ThreeRates:
    if row is None:
        return ThreeRates(requests=0, response_rate=None, resolution_rate=None, satisfaction_rate=None)
    c = row.counts
    return ThreeRates(
        requests=row.requests,
        response_rate=metrics.rate(c["responded_in_time"], c["respond_due"]),
        resolution_rate=metrics.rate(c["resolved"], c["resolve_due"]),
        satisfaction_rate=metrics.rate(c["satisfied"], c["rated"]),
    )


def _volume(current: int, previous: int) -> dict[str, int | float | None]:
    return {"requests": current, "previous_requests": previous, "change": current - previous,
            "change_rate": metrics.change_rate(current, previous)}


def _by_key(rows: Sequence[Row]) -> dict[str | None, Row]:
    return {r.key: r for r in rows if not r.is_total}


def _total(rows: Sequence[Row]) -> Row | None:
    return next((r for r in rows if r.is_total), None)


async def bulletin(session: AsyncSession, actor: Actor, *, month: str, area_id: int | None, now: datetime) -> (
    BulletinRead
):
    """The month's bulletin for a district, subdistrict or community (default: the caller's areas): volume
    against the month before, the top-3 categories and top-10 child areas (subdistricts for a district or the
    whole city) by volume with their change, the three rates over all and per community. Exact as of ``now``."""
    first = parse_month(month)
    before = (first - timedelta(days=1)).replace(day=1)
    after = _month_after(first)
    roots, scope = await _scope(session, actor, area_id)
    if any(root.depth > COMMUNITY_DEPTH for root in roots):
        if area_id is not None:
            raise InvalidInput("The bulletin is for a district, subdistrict or community", field="query.area")
        raise NoReportScope("The bulletin covers districts, subdistricts and communities; name one with 'area'")
    this_month = Period(local_midnight(first), local_midnight(after))
    last_month = Period(local_midnight(before), local_midnight(first))
    rank_depth = _child_depth(roots)

    _, categories_now = await _rows(session, this_month, roots, Grouping("category"), with_times=False)
    _, categories_before = await _rows(session, last_month, roots, Grouping("category"), with_times=False)
    _, areas_now = await _rows(session, this_month, roots, Grouping("area", rank_depth), with_times=False)
    _, areas_before = await _rows(session, last_month, roots, Grouping("area", rank_depth), with_times=False)
    communities_now = areas_now
    if rank_depth != COMMUNITY_DEPTH:
        _, communities_now = await _rows(
            session, this_month, roots, Grouping("area", COMMUNITY_DEPTH), with_times=False
        )

    now_total, before_total = _total(categories_now), _total(categories_before)
    previous = _by_key(categories_before)
    ranked = sorted(
        (r for r in _by_key(categories_now).values() if r.key is not None and r.requests > 0),
        key=lambda r: (-r.requests, int(r.key or 0)),
    )[:TOP_CATEGORIES]
    names = await repository.categories_by_id(session, [int(r.key or 0) for r in ranked])
    top_categories = []
    for n, row in enumerate(ranked, start=1):
        code, zh, en, _ = names[int(row.key or 0)]
        old = previous.get(row.key)
        top_categories.append(CategoryVolume(rank=n, category=CategoryBrief(code=code, name_zh=zh, name_en=en),
                                             **_volume(row.requests, old.requests if old else 0)))

    previous = _by_key(areas_before)
    candidates = [
        r for r in _by_key(areas_now).values()
        if r.key is not None and r.requests > 0 and r.key.count("/") - 2 >= rank_depth
    ]
    areas = await repository.areas_by_id(session, [_area_id(r.key or "") for r in candidates])
    ranked = sorted(candidates, key=lambda r: (-r.requests, areas.get(_area_id(r.key or ""), ("",))[0]))[:TOP_AREAS]
    top_areas = []
    for n, row in enumerate(ranked, start=1):
        name, kind, _, _ = areas.get(_area_id(row.key or ""), ("?", "?", "", 0))
        old = previous.get(row.key)
        top_areas.append(AreaVolume(rank=n, area=AreaBrief(id=_area_id(row.key or ""), name=name, kind=kind),
                                    **_volume(row.requests, old.requests if old else 0)))

    per_community = _by_key(communities_now)
    listed = await repository.areas_at_depth(session, roots, COMMUNITY_DEPTH)
    parents = await repository.areas_by_id(
        session, [int(path.strip("/").split("/")[1]) for _, _, _, path, depth in listed if depth >= 2]
    )
    communities = []
    for area_id_, name, kind, path, depth in listed:
        parent = None
        if depth >= 2:
            parent_id = int(path.strip("/").split("/")[1])
            if parent_id in parents:
                parent = AreaBrief(id=parent_id, name=parents[parent_id][0], kind=parents[parent_id][1])
        three = _three(per_community.get(path))
        communities.append(CommunityRates(area=AreaBrief(id=area_id_, name=name, kind=kind), parent=parent,
                                          **three.model_dump()))

    return BulletinRead(
        month=first.strftime("%Y-%m"),
        previous_month=before.strftime("%Y-%m"),
        scope=scope,
        ranked_kind=KIND_AT_DEPTH.get(rank_depth, "area"),
        timezone=TIMEZONE,
        as_of=now,
        total=VolumeChange(**_volume(now_total.requests if now_total else 0,
                                     before_total.requests if before_total else 0)),
        rates=_three(now_total),
        top_categories=top_categories,
        top_areas=top_areas,
        communities=communities,
    )
