"""The rollups follow every change of a request (the trigger, the fold), and a rebuild agrees with the fold."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.reports import repository, tasks
from app.requests.models import ServiceRequest
from tests import factories
from tests.reports.conftest import Month
from tests.requests.support import renew_tokens

SNAPSHOT = text(
    "SELECT period, area_depth, period_on, area_id, area_path, category_id, requests, set_aside, respond_due, "
    "responded_in_time, resolve_due, resolved, rated, satisfied, breached, reopened, accept_histogram, "
    "resolve_histogram FROM report_rollup "
    "ORDER BY period, area_depth, period_on, area_path, category_id NULLS FIRST"
)


async def snapshot(session) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    return [tuple(row) for row in (await session.execute(SNAPSHOT)).all()]


async def test_a_lifecycle_through_the_api_is_counted_as_it_happens(client, session, app, clock) -> None:
    w = await factories.world(session, app)
    h = w.h

    async def act(who: str, action: str, **body: Any) -> None:
        response = await client.post(f"/api/v1/requests/{request_id}/{action}", json=body, headers=h[who])
        assert response.status_code == 200, response.text

    def advance(**delta: float) -> None:
        clock.advance(**delta)
        renew_tokens(app, w)  # tokens last an hour of the frozen clock

    async def report(**query: Any) -> dict[str, Any]:
        today = clock.now().date().isoformat()  # 17:00 local: the same day in UTC and locally
        response = await client.get("/api/v1/reports/rates",
                                    params={"from": today, "to": today, **query}, headers=h["admin"])
        assert response.status_code == 200, response.text
        return response.json()

    filed = await client.post("/api/v1/requests", json={"title": "楼道灯不亮", "category_code": "public_lighting"},
                              headers=h["resident"])
    assert filed.status_code == 201
    request_id = filed.json()["id"]
    await act("admin", "assign", staff_id=w.captain.id)
    advance(minutes=10)
    await act("captain", "accept")
    await act("captain", "start")
    advance(hours=1)
    await act("captain", "await-resident", note="等居民在家")
    advance(hours=3)
    await act("resident", "resume")
    advance(hours=1)
    await act("captain", "resolve", note="换了灯泡")
    first = (await report())["total"]
    # accepted after 600 s; resolved after 5 h 10 min less 3 h awaiting the resident = 7800 s
    assert (first["requests"], first["respond_due"], first["responded_in_time"]) == (1, 1, 1)
    assert (first["resolve_due"], first["resolved"], first["rated"]) == (1, 1, 0)
    live = (await report(area=w.building9.id))["total"]
    assert (live["median_seconds_to_accept"], live["median_seconds_to_resolve"]) == (600, 7800)

    await act("resident", "rate", satisfaction="dissatisfied", comment="还是暗")  # reopens it
    reopened = (await report())["total"]
    assert (reopened["resolve_due"], reopened["resolved"], reopened["resolution_rate"]) == (0, 0, None)
    assert (reopened["rated"], reopened["satisfied"], reopened["reopened"]) == (1, 0, 1)
    assert reopened["median_seconds_to_resolve"] is None

    await tasks.fold_once()
    advance(hours=2)
    await act("captain", "start")
    await act("captain", "resolve", note="换了灯具")
    await act("resident", "rate", satisfaction="basically_satisfied")
    final = await report()
    total = final["total"]
    assert final["source"] == "rollup"
    assert (total["resolve_due"], total["resolved"], total["satisfaction_rate"], total["reopened"]) == (1, 1, 1.0, 1)
    exact = (await report(area=w.building9.id))["total"]
    assert exact["median_seconds_to_resolve"] == 7 * 3600 + 10 * 60 - 3 * 3600  # 7 h 10 min less the pause
    await tasks.fold_once()
    assert (await report()) == final

    folded = await snapshot(session)
    await session.commit()
    async with app.state.sessionmaker() as fresh:
        await repository.rebuild(fresh)
        await fresh.commit()
    assert await snapshot(session) == folded


async def test_a_request_moving_key_leaves_its_old_one(client, month: Month, session) -> None:
    await tasks.fold_once()
    r11 = await session.get(ServiceRequest, month.ids["R11"])
    assert r11 is not None
    # Routing found it is a leak in another compound (as apply_routing writes it).
    r11.category_id = month.categories["water_leak"]
    r11.area_id, r11.area_path = month.w.other_building.id, month.w.other_building.path
    await session.commit()
    await tasks.fold_once()
    response = await client.get("/api/v1/reports/rates", headers=month.w.h["admin"], params={
        "from": "2026-09-01", "to": "2026-09-30", "area": month.w.subdistrict.id, "group_by": "child_area"})
    groups = {g["key"]["label"]: g["requests"] for g in response.json()["groups"]}
    assert groups == {"太华路社区": 2, "未央湖社区": 1}
    by_category = await client.get("/api/v1/reports/rates", headers=month.w.h["admin"], params={
        "from": "2026-09-01", "to": "2026-09-30", "group_by": "category"})
    assert {g["key"]["category"]["code"]: g["requests"] for g in by_category.json()["groups"]} == {
        "water_leak": 2, "sanitation": 1}
    folded = await snapshot(session)
    await session.commit()
    chunks: list[tuple[int, int]] = []
    await repository.rebuild(session, chunk=3, progress=lambda done, total: chunks.append((done, total)))
    await session.commit()
    assert chunks[-1][0] == chunks[-1][1] and len(chunks) >= 4  # several ranges, each added into the rows
    assert await snapshot(session) == folded


async def test_only_changes_that_count_are_logged(month: Month, session) -> None:
    await tasks.fold_once()
    r5 = await session.get(ServiceRequest, month.ids["R5"])
    assert r5 is not None
    r5.title = "改了标题"
    r5.respond_by_at = r5.submitted_at  # before acceptance respond-by moves freely: nothing counted changes
    r5.escalation_level = 2
    await session.commit()
    assert (await repository.pending_changes(session))[0] == 0
    r5.status = "rejected"
    await session.commit()
    assert (await repository.pending_changes(session))[0] == 2  # the old state out, the new one in
    await session.delete(r5)
    await session.commit()
    assert (await repository.pending_changes(session))[0] == 3
    assert await tasks.fold_once() == 3
