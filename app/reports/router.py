"""Reports: the three rates with times to accept and resolve, and the monthly bulletin. Staff only, scoped."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.auth.dependencies import StaffActor
from app.core.errors import PROBLEM_JSON, InvalidInput
from app.core.openapi import Problem, errors
from app.db.dependencies import ClockDep, SessionDep
from app.reports import formats, metrics, service
from app.reports.schemas import BulletinFormat, BulletinRead, GroupBy, RatesRead

router = APIRouter(prefix="/api/v1", tags=["reports"])

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _moment(value: str | None, field: str) -> date | datetime | None:
    if value is None:
        return None
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{value!r} is not a date", field=field) from None
    try:
        # An unescaped '+' of a UTC offset arrives as a space.
        moment = datetime.fromisoformat(value.replace(" ", "+") if "T" in value else value)
    except ValueError:
        raise InvalidInput(f"{value!r} is neither a date (YYYY-MM-DD) nor a datetime", field=field) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("A datetime needs a timezone (e.g. +08:00 or Z)", field=field)
    return moment


_RATES_DESCRIPTION = f"""
The three rates by which 12345 work is judged, with counts and times, over the requests **submitted** in the
period inside the area's whole subtree; in total and per group.

- **Response rate** = accepted by respond-by ÷ due to respond. *Due to respond*: accepted, or respond-by passed
  without acceptance (the SLA clock records the breach the moment it passes; the request stays due after a
  re-routing).
- **Resolution rate** = resolved ÷ due to resolve. *Due to resolve*: resolved, or a resolve-by passed before
  resolution (the SLA clock marks the request breached; awaiting the resident pauses the clock, so a waiting
  request is not due). Requests not yet due count in neither part.
- **Satisfaction rate** = (satisfied + basically satisfied) ÷ rated.
- **Times**: to accept = submission → first acceptance; to resolve = submission → latest resolution, less the
  time awaiting the resident. Median and 90th percentile are nearest-rank (the ⌈q·n⌉-th smallest).
- Rejected and duplicate requests count in `requests` only. `breached`: a resolve-by passed before resolution;
  `reopened`: reopened at least once.

**Period**: `from`/`to` as dates (local {service.TIMEZONE} days, both inclusive) or as datetimes with a timezone
(`from` inclusive, `to` exclusive). Default: this month so far. **Area**: default, all your areas; another
area must be inside them (404 otherwise).

**Source**: answers come from pre-aggregated daily and monthly rollups plus the changes not folded into them
yet, so they are current; percentiles then come from a histogram — {metrics.RESOLUTION_TEXT} An assignee, an
area below community level, a period not in whole days, or days/weeks of a single community are answered from
the requests themselves, with exact percentiles (`source: live`); such a question over more than
{service.LIVE_LIMIT:,} requests is refused (422 `report_too_large`).
"""


@router.get(
    "/reports/rates",
    response_model=RatesRead,
    summary="Response, resolution and satisfaction rates, counts and times, by area, period, category, assignee",
    description=_RATES_DESCRIPTION,
    responses=errors(401, 403, 404, 422),
)
async def get_rates(
    actor: StaffActor,
    session: SessionDep,
    clock: ClockDep,
    area: Annotated[int | None, Query(description="An area id (its whole subtree); default: all your areas")] = None,
    from_: Annotated[
        str | None,
        Query(alias="from", description="A date (local day, inclusive) or a datetime with a timezone (inclusive)",
              examples=["2026-10-01"]),
    ] = None,
    to: Annotated[
        str | None,
        Query(description="A date (local day, inclusive) or a datetime with a timezone (exclusive)",
              examples=["2026-10-31"]),
    ] = None,
    category: Annotated[str | None, Query(description="A category code", examples=["water_leak"])] = None,
    assignee: Annotated[int | None, Query(description="Only requests assigned to this staff member")] = None,
    group_by: Annotated[
        GroupBy,
        Query(description="child_area: the area's children (a request filed on the area itself is its own group); "
              "day/week (Monday)/month: local calendar"),
    ] = GroupBy.none,
) -> RatesRead:
    return await service.rates(
        session, actor, area_id=area, start=_moment(from_, "query.from"), end=_moment(to, "query.to"),
        category=category, assignee_staff_id=assignee, group_by=group_by, now=clock.now(),
    )


_BULLETIN_DESCRIPTION = """
The month's bulletin for a district, subdistrict or community (default: all your areas): requests against the
month before, the **top-3 categories** and the **top-10 subdistricts** (or the chosen area's children) by
volume with their change, and the **three rates** over all and per community (definitions: see
`GET /api/v1/reports/rates`). Months are local (Asia/Shanghai).

**Formats**: `format=json|csv|xlsx|svg`, or the `Accept` header (`application/json`, `text/csv`,
`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`, `image/svg+xml`); `format` wins.
CSV is UTF-8 with a byte-order mark, so Excel shows the Chinese right; XLSX has a sheet per section; SVG is a bar
chart (this month over last month) with Chinese labels in a CJK font list, to paste into a bulletin.
PNG is not rendered here (406): the server has no CJK font; use SVG.
"""


@router.get(
    "/reports/bulletin",
    response_model=BulletinRead,
    summary="The monthly bulletin: top-3 categories, top-10 areas, the three rates per community",
    description=_BULLETIN_DESCRIPTION,
    responses={
        200: {
            "description": "The bulletin, in the format asked for",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                formats.MEDIA_TYPES[BulletinFormat.xlsx]: {"schema": {"type": "string", "format": "binary"}},
                "image/svg+xml": {"schema": {"type": "string"}},
            },
        },
        406: {"description": "None of the accepted formats can be produced (PNG, or an Accept list of others)",
              "model": Problem, "content": {PROBLEM_JSON: {}}},
        **errors(401, 403, 404, 422),
    },
)
async def get_bulletin(
    actor: StaffActor,
    session: SessionDep,
    clock: ClockDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM", examples=["2026-10"])],
    area: Annotated[int | None, Query(description="A district, subdistrict or community id")] = None,
    format: Annotated[BulletinFormat | None, Query(description="Overrides the Accept header")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> BulletinRead | Response:
    chosen = formats.choose(format, accept)
    bulletin = await service.bulletin(session, actor, month=month, area_id=area, now=clock.now())
    if chosen == BulletinFormat.json:
        return bulletin
    body = await run_in_threadpool(formats.render, bulletin, chosen)
    disposition = "inline" if chosen == BulletinFormat.svg else "attachment"
    return Response(
        content=body,
        media_type=formats.MEDIA_TYPES[chosen],
        headers={"Content-Disposition": f'{disposition}; filename="{formats.filename(bulletin, chosen)}"'},
    )
