"""Volunteers through the API: a team and its volunteers, a paperwork request turned into a task, matching that
prefers skill, compound and availability and skips the busy, a volunteer who signs in, accepts and completes,
and the hours ledger with its totals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.volunteers.models import VolunteerHoursEntry
from tests import factories

# The frozen clock starts on Friday 2026-11-27 at 17:00 in Xi'an; the errand is on Saturday morning.
SATURDAY_10 = "2026-11-28T10:00:00+08:00"


async def post(client, path: str, body: dict[str, Any], headers: dict[str, str], status: int = 201) -> Any:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


async def get(client, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def volunteer(name: str, compound_id: int, skills: list[str], windows: list[tuple[int, str, str]],
              **extra: Any) -> dict[str, Any]:
    return {"full_name": name, "phone": "13700137000", "skills": skills, "compound_id": compound_id,
            "availability": [{"weekday": d, "start": s, "end": e} for d, s, e in windows], **extra}


@pytest.fixture
async def crew(client, session, w):
    """A team in 翠湖明居 and six volunteers around it (one in a neighbouring compound of the same community)."""
    neighbour = await factories.area(session, "compound", "绿地小区", w.community)
    await session.commit()
    team = await post(client, "/api/v1/volunteer-teams", {"name": "小蜜蜂", "compound_id": w.compound.id}, w.h["head"])
    people: dict[str, dict[str, Any]] = {}
    specs = {
        "near": volunteer("刘芳", w.compound.id, ["errands", "companionship"], [(6, "09:00", "12:00")],
                          team_id=team["id"], username="vol.liufang", password="s3cret-pass"),
        "loaded": volunteer("陈静", w.compound.id, ["errands"], [(6, "08:00", "18:00")], team_id=team["id"]),
        "busy": volunteer("张伟", w.compound.id, ["errands"], [(6, "09:00", "12:00")], team_id=team["id"]),
        "unavailable": volunteer("赵敏", w.compound.id, ["errands"], [(7, "09:00", "12:00")]),
        "no_skill": volunteer("李娜", w.compound.id, ["companionship"], [(6, "09:00", "12:00")]),
    }
    for key, body in specs.items():
        people[key] = await post(client, "/api/v1/volunteers", body, w.h["head"])
    # The station head has 翠湖明居 only: the neighbouring compound's volunteer is registered by the admin.
    refused = await client.post("/api/v1/volunteers", json=volunteer("孙强", neighbour.id, ["errands"], []),
                                headers=w.h["head"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.compound_id"
    people["elsewhere"] = await post(
        client, "/api/v1/volunteers", volunteer("孙强", neighbour.id, ["errands"], [(6, "09:00", "12:00")]),
        w.h["admin"],
    )
    return team, people


async def test_team_and_volunteers_are_created_and_scoped(client, w, crew):
    team, people = crew
    near = people["near"]
    assert near["team_name"] == "小蜜蜂" and near["compound_name"] == "翠湖明居"
    assert near["skills"] == ["companionship", "errands"] and near["username"] == "vol.liufang"
    assert near["availability"] == [{"weekday": 6, "start": "09:00:00", "end": "12:00:00"}]
    assert near["phone"] == "13700137000"  # the station head manages them
    # The captain of 9号楼 sees the volunteers of their compound, phones masked; another compound's captain none.
    seen = await get(client, "/api/v1/volunteers", w.h["captain"], compound_id=w.compound.id)
    assert {v["full_name"] for v in seen["items"]} == {"刘芳", "陈静", "张伟", "赵敏", "李娜"}
    assert all(v["phone"] == "137****7000" for v in seen["items"])
    assert (await get(client, "/api/v1/volunteers", w.h["other_captain"]))["items"] == []
    assert (await client.get(f"/api/v1/volunteers/{near['id']}", headers=w.h["other_captain"])).status_code == 404
    teams = await get(client, "/api/v1/volunteer-teams", w.h["head"])
    assert [(t["name"], t["member_count"]) for t in teams] == [("小蜜蜂", 3)]
    leader = await client.patch(f"/api/v1/volunteer-teams/{team['id']}", json={"leader_volunteer_id": near["id"]},
                                headers=w.h["head"])
    assert leader.json()["leader_name"] == "刘芳"
    bad_window = volunteer("王五", w.compound.id, ["errands"], [(6, "12:00", "09:00")])
    assert (await client.post("/api/v1/volunteers", json=bad_window, headers=w.h["head"])).status_code == 422


async def test_a_paperwork_request_becomes_a_task_matched_accepted_completed_and_counted(client, session, app, w,
                                                                                         crew, clock):
    team, people = crew
    # The resident cannot go out: her medical-insurance card must be renewed on her behalf (代办).
    request = await post(client, "/api/v1/requests", {"title": "帮我补办医保卡", "description": "腿脚不便，出不了门",
                                                      "category_code": "paperwork"}, w.h["resident"])
    task = await post(client, f"/api/v1/requests/{request['id']}/volunteer-task",
                      {"scheduled_at": SATURDAY_10, "expected_minutes": 90}, w.h["head"])
    assert task["status"] == "open" and task["source"] == "request" and task["kind"] == "errand"
    assert task["request_id"] == request["id"] and task["title"] == "帮我补办医保卡"
    assert task["needed_skill"] == "errands"  # from the paperwork category
    assert task["area_id"] == w.building9.id and task["compound_id"] == w.compound.id
    events = await get(client, f"/api/v1/requests/{request['id']}/events", w.h["head"])
    assert [(e["kind"], e["data"].get("task_id")) for e in events][-1] == ("volunteer_task", task["id"])

    # 陈静 already has an errand on Sunday; 张伟 one at 10:30 on Saturday, overlapping this one.
    for who, when in (("loaded", "2026-11-29T10:00:00+08:00"), ("busy", "2026-11-28T10:30:00+08:00")):
        await post(client, "/api/v1/volunteer-tasks",
                   {"kind": "delivery", "title": "送餐", "area_id": w.building10.id, "needed_skill": "errands",
                    "scheduled_at": when, "expected_minutes": 60, "volunteer_id": people[who]["id"]}, w.h["head"])

    proposal = await get(client, f"/api/v1/volunteer-tasks/{task['id']}/matches", w.h["head"])
    ranked = [(m["full_name"], m["same_compound"], m["available"], m["open_tasks"]) for m in proposal["matches"]]
    assert ranked == [
        ("刘芳", True, True, 0),  # the skill, the same compound, free at the time, no other tasks
        ("陈静", True, True, 1),  # as good, but busier
        ("赵敏", True, False, 0),  # no window on Saturday morning
        ("孙强", False, True, 0),  # available, but from the neighbouring compound
    ]
    assert proposal["matches"][0]["reasons"] == [
        "has the skill errands", "lives in the same compound (翠湖明居)",
        "available Sat 10:00 (window Sat 09:00–12:00)", "0 open tasks",
    ]
    assert [(s["full_name"], s["reason"].split(":")[0]) for s in proposal["skipped"]] == [("张伟", "busy")]
    assert proposal["without_skill"] == 1  # 李娜

    assigned = await post(client, f"/api/v1/volunteer-tasks/{task['id']}/assign",
                          {"volunteer_id": people["near"]["id"]}, w.h["head"], status=200)
    assert assigned["status"] == "assigned" and assigned["volunteer_name"] == "刘芳"

    # 刘芳 signs in and finds it among her tasks.
    token = await client.post("/api/v1/auth/token", data={"username": "vol.liufang", "password": "s3cret-pass"})
    assert token.status_code == 200, token.text
    mine = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await get(client, "/api/v1/me", mine)
    assert me["kind"] == "volunteer" and me["volunteer_id"] == people["near"]["id"]
    tasks = await get(client, "/api/v1/volunteers/me/tasks", mine)
    assert [(t["id"], t["allowed_actions"]) for t in tasks] == [(task["id"], ["accept", "decline"])]
    assert (await client.get("/api/v1/requests", headers=mine)).json()["items"] == []  # volunteers are not staff
    accepted = await post(client, f"/api/v1/volunteer-tasks/{task['id']}/accept", {}, mine, status=200)
    assert accepted["status"] == "accepted"
    again = await client.post(f"/api/v1/volunteer-tasks/{task['id']}/accept", json={}, headers=mine)
    assert again.status_code == 409 and again.json()["allowed_actions"] == ["complete"]

    # Saturday noon in Xi'an: done, an hour and a half.
    clock.set(datetime(2026, 11, 28, 4, 0, tzinfo=UTC))
    mine_now = factories.headers_for(app, me["account_id"], "volunteer")
    head = factories.headers_for(app, w.head.account_id, "staff")
    done = await post(client, f"/api/v1/volunteer-tasks/{task['id']}/complete",
                      {"note": "医保卡已办好，送到王阿姨家", "hours": "1.5"}, mine_now, status=200)
    assert done["status"] == "completed" and done["hours"] == 1.5

    hours = await get(client, f"/api/v1/volunteers/{people['near']['id']}/hours", head,
                      **{"from": "2026-11-28", "to": "2026-11-28"})
    assert hours["hours"] == 1.5 and hours["from"] == "2026-11-28"
    assert [(e["kind"], e["task_id"], e["duration_seconds"]) for e in hours["entries"]] == [
        ("task", task["id"], 5400)
    ]
    # A correction is a new entry, with a reason; the first entry stays as it was.
    correction = await post(client, f"/api/v1/volunteers/{people['near']['id']}/hours",
                            {"hours": "-0.5", "reason": "其中半小时为等候，不计入", "corrects_entry_id":
                             hours["entries"][0]["id"]}, head)
    assert correction["kind"] == "correction" and correction["hours"] == -0.5
    no_reason = await client.post(f"/api/v1/volunteers/{people['near']['id']}/hours", json={"hours": "1"},
                                  headers=head)
    assert no_reason.status_code == 422
    hours = await get(client, f"/api/v1/volunteers/{people['near']['id']}/hours", head)
    assert hours["hours"] == 1.0 and [e["hours"] for e in hours["entries"]] == [1.5, -0.5]
    outside = await get(client, f"/api/v1/volunteers/{people['near']['id']}/hours", head,
                        **{"from": "2026-11-29", "to": "2026-12-31"})
    assert outside["hours"] == 0 and outside["entries"] == []
    team_hours = await get(client, f"/api/v1/volunteer-teams/{team['id']}/hours", head,
                           **{"from": "2026-11-01", "to": "2026-11-30"})
    assert team_hours["hours"] == 1.0
    assert team_hours["members"] == [{"volunteer_id": people["near"]["id"], "full_name": "刘芳", "hours": 1.0}]

    stats = await get(client, "/api/v1/volunteer-tasks/stats", head,
                      **{"area_id": w.community.id, "from": "2026-11-28", "to": "2026-11-28"})
    assert stats["completed"] == {"errand": 1, "home_visit": 0, "delivery": 0, "escort": 0}
    assert stats["hours"] == 1.5 and stats["open"] == 2  # the two deliveries
    assert [(c["compound_name"], c["completed"]["errand"]) for c in stats["by_compound"]] == [("翠湖明居", 1)]

    # The ledger is append-only in the database itself.
    entry_id = hours["entries"][0]["id"]
    for statement in (f"UPDATE volunteer_hours_entry SET duration_seconds = 1 WHERE id = {entry_id}",
                      f"DELETE FROM volunteer_hours_entry WHERE id = {entry_id}"):
        with pytest.raises(DBAPIError, match="append-only"):
            await session.execute(text(statement))
        await session.rollback()
    kept = await session.scalar(select(VolunteerHoursEntry.duration_seconds).where(VolunteerHoursEntry.id == entry_id))
    assert kept == 5400


async def test_a_volunteer_claims_an_open_task_of_their_compound_only(client, w, crew):
    _, people = crew
    open_task = await post(client, "/api/v1/volunteer-tasks",
                           {"kind": "escort", "title": "陪同赵大爷去医院复查", "area_id": w.building9.id,
                            "needed_skill": "companionship", "scheduled_at": SATURDAY_10}, w.h["head"])
    token = await client.post("/api/v1/auth/token", data={"username": "vol.liufang", "password": "s3cret-pass"})
    mine = {"Authorization": f"Bearer {token.json()['access_token']}"}
    claimable = await get(client, "/api/v1/volunteers/me/claimable-tasks", mine)
    assert [t["id"] for t in claimable] == [open_task["id"]]
    claimed = await post(client, f"/api/v1/volunteer-tasks/{open_task['id']}/claim", {}, mine, status=200)
    assert claimed["status"] == "accepted" and claimed["volunteer_id"] == people["near"]["id"]
    assert (await client.post(f"/api/v1/volunteer-tasks/{open_task['id']}/claim", json={},
                              headers=mine)).status_code == 409
    # The task can be read by her now, and staff of other compounds do not see it.
    assert (await client.get(f"/api/v1/volunteer-tasks/{open_task['id']}", headers=mine)).status_code == 200
    assert (await client.get(f"/api/v1/volunteer-tasks/{open_task['id']}",
                             headers=w.h["other_captain"])).status_code == 404
    # A volunteer cannot hand out tasks or create them.
    assert (await client.post("/api/v1/volunteer-tasks", json={"title": "x", "area_id": w.building9.id},
                              headers=mine)).status_code == 403
