"""GET /api/v1/reports/rates against numbers counted by hand from the month in conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.reports import metrics, repository, service, tasks
from tests import factories
from tests.reports.conftest import Month, add_request

OCTOBER = {"from": "2026-10-01", "to": "2026-10-31"}

# The whole district in October: R1-R10 (counted by hand; see conftest.py).
DISTRICT = {
    "requests": 10,
    "set_aside": 2,  # R8 rejected, R9 duplicate
    "respond_due": 7,  # accepted R1 R2 R3 R6 R7 R10, never accepted but breached R4; not R5 (nothing due)
    "responded_in_time": 5,  # R2 was late (respond breach), R4 never accepted
    "response_rate": 0.7143,
    "resolve_due": 6,  # resolved R1 R2 R7 R10, breached unresolved R3 R4; not R5, not R6 (reopened, in time)
    "resolved": 4,
    "resolution_rate": 0.6667,
    "rated": 4,  # R1 satisfied, R2 basically, R6 dissatisfied, R7 satisfied
    "satisfied": 3,
    "satisfaction_rate": 0.75,
    "accepted": 6,  # 180 (R10), 300 (R6), 600 (R1), 1200 (R3), 2400 (R7), 5400 (R2) seconds
    "breached": 3,  # R2 R3 R4
    "reopened": 2,  # R6 R7
}
# Exact nearest rank: accept ⌈6/2⌉ = 3rd = 600 s, ⌈5.4⌉ = 6th = 5400 s; resolve over 7200 (R1), 14400 (R10),
# 86400 (R2: 30 h less 6 h awaiting the resident), 432000 (R7): 2nd = 14400, ⌈3.6⌉ = 4th = 432000.
EXACT_TIMES = {
    "median_seconds_to_accept": 600,
    "p90_seconds_to_accept": 5400,
    "median_seconds_to_resolve": 14400,
    "p90_seconds_to_resolve": 432000,
}
# The same ranks read from the histogram: the geometric middle of each value's bucket.
# 600 s is in [508, 640) → 570; 5400 in [5120, 6451) → 5747; 14400 in [12902, 16255) → 14482;
# 432000 in [412851, 520160) → 463410.
HISTOGRAM_TIMES = {
    "median_seconds_to_accept": 570,
    "p90_seconds_to_accept": 5747,
    "median_seconds_to_resolve": 14482,
    "p90_seconds_to_resolve": 463410,
}


def figures(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in DISTRICT}


def times(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in EXACT_TIMES}


async def rates(client, month: Month, who: str = "admin", **query: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/reports/rates", params=query, headers=month.w.h[who])
    assert response.status_code == 200, response.text
    return response.json()


def test_histogram_representatives_are_what_the_tests_expect() -> None:
    for exact, approximate in zip(EXACT_TIMES.values(), HISTOGRAM_TIMES.values(), strict=True):
        assert metrics.representative(metrics.bucket_of(exact)) == approximate
        assert abs(approximate - exact) / exact <= metrics.RESOLUTION


async def test_district_month_from_the_rollups_matches_hand_counts(client, month: Month) -> None:
    body = await rates(client, month, area=month.w.district.id, **OCTOBER)
    assert body["source"] == "rollup"
    assert body["period_from"] == "2026-09-30T16:00:00Z"  # local midnight, Asia/Shanghai
    assert body["period_to"] == "2026-10-31T16:00:00Z"  # 'to' is an inclusive date
    assert figures(body["total"]) == DISTRICT
    assert times(body["total"]) == HISTOGRAM_TIMES
    assert "±13%" in body["percentiles"]
    assert body["scope"] == [{"id": month.w.district.id, "name": "未央区", "kind": "district"}]


async def test_folding_changes_nothing_a_reader_sees(client, month: Month, session) -> None:
    before = await rates(client, month, **OCTOBER, group_by="category")
    assert (await repository.pending_changes(session))[0] == 13  # every insert logged, nothing folded yet
    assert await tasks.fold_once() == 13
    assert await tasks.fold_once() == 0  # a second run has nothing to do
    assert (await repository.pending_changes(session))[0] == 0
    after = await rates(client, month, **OCTOBER, group_by="category")
    assert after == before
    assert figures(after["total"]) == DISTRICT


async def test_the_base_table_gives_exact_percentiles(client, month: Month) -> None:
    # A moment that is not a local midnight cannot come from day rows: the requests themselves answer.
    body = await rates(client, month, **{"from": "2026-10-01T00:00:01+08:00", "to": "2026-11-01T00:00:00+08:00"})
    assert body["source"] == "live"
    assert body["percentiles"] == "exact"
    assert figures(body["total"]) == DISTRICT
    assert times(body["total"]) == EXACT_TIMES


async def test_period_ends_are_moments_from_inclusive_to_exclusive(client, month: Month) -> None:
    # R1 is submitted exactly at 10:00 local on 5 Oct; R7 exactly at 11:00 on 9 Oct (excluded), R6 at 10:00.
    body = await rates(client, month, **{"from": "2026-10-05T10:00:00+08:00", "to": "2026-10-09T03:00:00Z"})
    assert body["total"]["requests"] == 5  # R1 R2 R3 R4 R6
    assert body["total"]["median_seconds_to_accept"] == 600  # 300, 600, 1200, 5400 → 2nd
    assert body["total"]["p90_seconds_to_resolve"] == 86400  # 7200, 86400 → 2nd


async def test_children_of_a_subdistrict(client, month: Month) -> None:
    w = month.w
    body = await rates(client, month, area=w.subdistrict.id, group_by="child_area", **OCTOBER)
    assert body["source"] == "rollup"
    groups = {g["key"]["label"]: g for g in body["groups"]}
    assert [g["key"]["label"] for g in body["groups"]] == ["未央湖社区", "太华路社区", "凤城八路"]
    home = groups["未央湖社区"]
    assert home["key"]["area"] == {"id": w.community.id, "name": "未央湖社区", "kind": "community"}
    assert (home["requests"], home["set_aside"], home["respond_due"], home["responded_in_time"]) == (7, 2, 4, 2)
    assert (home["response_rate"], home["resolution_rate"], home["satisfaction_rate"]) == (0.5, 0.5, 1.0)
    assert (home["breached"], home["reopened"], home["accepted"]) == (3, 0, 3)
    # 600, 1200, 5400 → median 1200 (bucket [1016, 1280) → 1140), p90 5400 (→ 5747)
    assert (home["median_seconds_to_accept"], home["p90_seconds_to_accept"]) == (1140, 5747)
    other = groups["太华路社区"]
    assert (other["requests"], other["response_rate"], other["resolution_rate"], other["satisfaction_rate"]) == (
        2, 1.0, 1.0, 0.5)
    assert (other["resolve_due"], other["resolved"], other["reopened"]) == (1, 1, 2)
    street = groups["凤城八路"]
    assert street["key"]["area"]["kind"] == "street"
    assert (street["requests"], street["rated"], street["satisfaction_rate"]) == (1, 0, None)
    assert figures(body["total"]) == DISTRICT


async def test_by_category(client, month: Month) -> None:
    body = await rates(client, month, group_by="category", **OCTOBER)
    by_code = {g["key"]["category"]["code"]: g for g in body["groups"]}
    light, water, sanitation = by_code["public_lighting"], by_code["water_leak"], by_code["sanitation"]
    assert [g["key"]["label"] for g in body["groups"]] == ["公共照明", "漏水", "环境卫生"]
    assert (light["requests"], light["set_aside"], light["response_rate"], light["resolution_rate"]) == (
        5, 2, 0.6667, 1.0)
    assert (water["requests"], water["respond_due"], water["response_rate"], water["resolve_due"]) == (3, 2, 0.5, 2)
    assert (water["resolution_rate"], water["satisfaction_rate"], water["p90_seconds_to_resolve"]) == (0.0, None, None)
    assert (sanitation["requests"], sanitation["satisfaction_rate"]) == (2, 0.5)
    one = await rates(client, month, category="water_leak", **OCTOBER)
    assert one["category"]["name_zh"] == "漏水"
    assert {k: one["total"][k] for k in ("requests", "respond_due", "resolve_due")} == {
        "requests": 3, "respond_due": 2, "resolve_due": 2}


async def test_by_day_shows_requests_not_yet_due(client, month: Month) -> None:
    body = await rates(client, month, group_by="day", **OCTOBER)
    assert body["source"] == "rollup"
    days = {g["key"]["label"]: g for g in body["groups"]}
    assert list(days) == ["2026-10-05", "2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09", "2026-10-10",
                          "2026-10-11", "2026-10-30"]
    assert days["2026-10-09"]["requests"] == 2 and days["2026-10-10"]["set_aside"] == 2
    r5 = days["2026-10-30"]  # assigned, nothing stamped: counted, due for nothing
    assert (r5["requests"], r5["respond_due"], r5["resolve_due"], r5["response_rate"], r5["resolution_rate"]) == (
        1, 0, 0, None, None)
    weeks = await rates(client, month, group_by="week", **OCTOBER)
    # 5 October 2026 is a Monday; R5 (30 October) is in the week of the 26th.
    assert [(g["key"]["period_on"], g["requests"]) for g in weeks["groups"]] == [("2026-10-05", 9),
                                                                                  ("2026-10-26", 1)]


async def test_by_month_across_a_month_boundary(client, month: Month, session) -> None:
    # 00:30 on 1 October local is still 30 September in UTC: it belongs to October.
    w = month.w
    await add_request(session, w.building9, month.categories["greening"], datetime(2026, 9, 30, 16, 30, tzinfo=UTC),
                      status="submitted")
    await session.commit()
    await tasks.fold_once()
    body = await rates(client, month, group_by="month", **{"from": "2026-09-15", "to": "2026-10-31"})
    assert body["source"] == "rollup"  # half a month of day rows, a month row
    assert [(g["key"]["label"], g["requests"]) for g in body["groups"]] == [("2026-09", 3), ("2026-10", 11)]


async def test_one_assignee_and_by_assignee(client, month: Month) -> None:
    w = month.w
    mine = await rates(client, month, assignee=w.captain.id, **OCTOBER)
    assert mine["source"] == "live"
    assert mine["assignee"] == {"staff_id": w.captain.id, "full_name": "楼栋长李"}
    # R1 R2 R3 R4 R5 R9: accept 600, 5400, 1200 → median 1200, p90 5400
    total = mine["total"]
    assert (total["requests"], total["set_aside"], total["respond_due"], total["responded_in_time"]) == (6, 1, 4, 2)
    assert (total["median_seconds_to_accept"], total["p90_seconds_to_accept"]) == (1200, 5400)
    body = await rates(client, month, group_by="assignee", **OCTOBER)
    assert [(g["key"]["label"], g["requests"]) for g in body["groups"]] == [
        ("楼栋长李", 6), ("未指派", 2), ("楼栋长王", 2)]


async def test_paused_time_is_left_out_of_the_time_to_resolve(client, month: Month) -> None:
    # R2 alone: resolved 30 h after submission, 6 h of it awaiting the resident.
    body = await rates(client, month, area=month.w.compound.id, **{"from": "2026-10-06", "to": "2026-10-06"})
    assert body["source"] == "live"  # a compound is deeper than the rollups keep
    assert body["total"]["requests"] == 1
    assert body["total"]["median_seconds_to_resolve"] == 24 * 3600
    assert body["total"]["median_seconds_to_accept"] == 90 * 60


async def test_a_communitys_staff_sees_only_its_subtree(client, month: Month, session, app) -> None:
    w = month.w
    clerk = await factories.staff(session, "clerk", [("community_staff", w.community)], full_name="社区干事")
    await session.commit()
    w.h["clerk"] = factories.headers_for(app, clerk.account_id, "staff")
    body = await rates(client, month, who="clerk", **OCTOBER)
    assert body["scope"] == [{"id": w.community.id, "name": "未央湖社区", "kind": "community"}]
    assert body["total"]["requests"] == 7  # R1-R5, R8, R9: not 太华路 nor the street
    for outside in (w.district.id, w.subdistrict.id, w.other_community.id):
        response = await client.get("/api/v1/reports/rates", params={"area": outside, **OCTOBER}, headers=w.h["clerk"])
        assert response.status_code == 404
    inside = await rates(client, month, who="clerk", area=w.compound.id, **OCTOBER)
    assert inside["total"]["requests"] == 7
    captain = await rates(client, month, who="captain", **OCTOBER)
    assert captain["total"]["requests"] == 4  # 9号楼: R1 R2 R8 R9


async def test_refused_and_invalid(client, month: Month, monkeypatch: pytest.MonkeyPatch) -> None:
    h = month.w.h
    url = "/api/v1/reports/rates"
    assert (await client.get(url, params=OCTOBER, headers=h["resident"])).status_code == 403
    assert (await client.get(url, params=OCTOBER)).status_code == 401
    cases = [
        ({"category": "no_such", **OCTOBER}, "query.category"),
        ({"from": "2026-10-01T00:00:00", "to": "2026-10-31"}, "query.from"),
        ({"from": "2026-10-31", "to": "2026-10-01"}, "query.to"),
        ({"from": "October", "to": "2026-10-31"}, "query.from"),
        ({"assignee": 999999, **OCTOBER}, "query.assignee"),
    ]
    for params, field in cases:
        response = await client.get(url, params=params, headers=h["admin"])
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field
    assert (await client.get(url, params={"group_by": "year"}, headers=h["admin"])).status_code == 422
    await tasks.fold_once()
    monkeypatch.setattr(service, "LIVE_LIMIT", 5)
    response = await client.get(url, params={"group_by": "assignee", **OCTOBER}, headers=h["admin"])
    assert response.status_code == 422
    assert response.json()["code"] == "report_too_large"


async def test_openapi_writes_the_definitions_down(client) -> None:
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"]["/api/v1/reports/rates"]["get"]
    for words in ("Due to respond", "Due to resolve", "Satisfaction rate", "nearest-rank", "awaiting the resident"):
        assert words.lower() in operation["description"].lower(), words
    rates_schema = schema["components"]["schemas"]["Rates"]["properties"]
    assert "responded_in_time / respond_due" in rates_schema["response_rate"]["description"]
    assert "awaiting the resident" in rates_schema["median_seconds_to_resolve"]["description"]
    assert operation["tags"] == ["reports"]
