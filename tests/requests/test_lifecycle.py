from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.actor import SYSTEM
from app.requests import service
from app.requests.models import RequestEvent
from tests.requests.support import arrange, file, renew_tokens

STATUSES = ["submitted", "assigned", "accepted", "in_progress", "awaiting_resident", "resolved", "closed",
            "declined", "rejected", "duplicate", "reopened"]
OPEN = {"submitted", "assigned", "accepted", "in_progress", "awaiting_resident", "declined", "reopened"}
# The table, written out independently of app/requests/lifecycle.py: action → (from, to); None: unchanged.
TABLE = {
    "assign": ({"submitted", "declined", "reopened", "assigned"}, "assigned"),
    "accept": ({"assigned", "reopened"}, "accepted"),
    "start": ({"accepted", "reopened"}, "in_progress"),
    "await-resident": ({"in_progress"}, "awaiting_resident"),
    "resume": ({"awaiting_resident"}, "in_progress"),
    "resolve": ({"accepted", "in_progress"}, "resolved"),
    "close": ({"resolved"}, "closed"),
    "decline": ({"assigned"}, "declined"),
    "reject": (OPEN, "rejected"),
    "mark-duplicate": (OPEN, "duplicate"),
    "reopen": ({"resolved", "closed"}, "reopened"),
    "rate": ({"resolved", "closed"}, None),
}
# Who takes each action in the matrix, and everything each of them may ever do on w.resident's request
# in 9号楼 assigned to the captain (head: a manager; captain: the assignee; resident: the reporter).
ACTOR = {"assign": "head", "accept": "captain", "start": "captain", "await-resident": "captain",
         "resume": "captain", "resolve": "captain", "close": "resident", "decline": "captain", "reject": "head",
         "mark-duplicate": "head", "reopen": "resident", "rate": "resident"}
MAY = {
    "head": {"assign", "resolve", "close", "reject", "mark-duplicate", "reopen"},
    "captain": {"accept", "start", "await-resident", "resume", "resolve", "decline", "reject", "mark-duplicate"},
    "resident": {"resume", "close", "reopen", "rate"},
}


def allowed(who: str, status: str) -> list[str]:
    return [a for a, (sources, _) in TABLE.items() if status in sources and a in MAY[who]]


def body_for(action: str, w, original_id: int) -> dict | None:  # type: ignore[no-untyped-def]
    return {
        "assign": {"staff_id": w.captain.id, "note": "请处理"},
        "resolve": {"note": "已修好"},
        "decline": {"reason": "不归我管"},
        "reject": {"reason": "不属于社区事务"},
        "mark-duplicate": {"duplicate_of_id": original_id},
        "reopen": {"reason": "又坏了"},
        "rate": {"satisfaction": "satisfied", "comment": "谢谢"},
    }.get(action)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", list(TABLE))
async def test_every_action_from_every_state(client, session, w, clock, action, status):
    original = await arrange(session, w, "in_progress", now=clock.now(), title="原始诉求")
    request = await arrange(session, w, status, now=clock.now())
    who = ACTOR[action]
    response = await client.post(
        f"/api/v1/requests/{request.id}/{action}", json=body_for(action, w, original.id), headers=w.h[who]
    )
    sources, target = TABLE[action]
    events = (await session.scalars(select(RequestEvent).where(RequestEvent.request_id == request.id))).all()
    if status in sources:
        assert response.status_code == 200, response.text
        expected = target or status
        assert response.json()["status"] == expected
        assert [(e.action, e.from_status, e.to_status, e.actor_kind) for e in events] == [
            (action, status, expected, "resident" if who == "resident" else "staff")
        ]
        assert events[0].created_at == clock.now()
    else:
        assert response.status_code == 409, response.text
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["code"] == "illegal_transition"
        assert problem["allowed_actions"] == allowed(who, status)
        assert events == []


async def test_a_full_life_stamps_every_time(client, app, w, clock):
    t0 = clock.now()
    created = await file(client, w, "resident", title="2单元楼道漏水", category_code="water_leak")
    rid = created["id"]

    async def act(who: str, action: str, body: dict | None = None) -> dict:  # type: ignore[type-arg]
        renew_tokens(app, w)  # the clock moves past the tokens' hour
        response = await client.post(f"/api/v1/requests/{rid}/{action}", json=body, headers=w.h[who])
        assert response.status_code == 200, response.text
        return response.json()

    clock.advance(minutes=5)
    assigned = await act("head", "assign", {"staff_id": w.captain.id})
    assert assigned["assignee"] == {"staff_id": w.captain.id, "full_name": "楼栋长李"}
    clock.advance(minutes=10)
    await act("captain", "accept")
    clock.advance(minutes=10)
    await act("captain", "start", {"note": "上门查看"})
    clock.advance(minutes=10)
    waiting = await act("captain", "await-resident", {"note": "需要入户，等居民回家"})
    assert waiting["paused_at"] == _z(t0 + timedelta(minutes=35))
    clock.advance(hours=2)
    resumed = await act("resident", "resume", {"note": "我到家了"})
    assert resumed["paused_at"] is None and resumed["paused_seconds"] == 7200
    clock.advance(minutes=30)
    await act("captain", "resolve", {"note": "更换了破裂的水管"})
    clock.advance(minutes=15)
    rated = await act("resident", "rate", {"satisfaction": "satisfied", "comment": "很及时"})
    assert rated["status"] == "resolved"
    clock.advance(minutes=15)
    closed = await act("resident", "close")

    assert closed["status"] == "closed"
    assert closed["submitted_at"] == _z(t0)
    assert closed["assigned_at"] == _z(t0 + timedelta(minutes=5))
    assert closed["accepted_at"] == _z(t0 + timedelta(minutes=15))
    assert closed["paused_at"] is None and closed["paused_seconds"] == 7200
    assert closed["resolved_at"] == _z(t0 + timedelta(hours=2, minutes=65))
    assert closed["resolution_note"] == "更换了破裂的水管"
    assert closed["satisfaction"] == "satisfied" and closed["satisfaction_comment"] == "很及时"
    assert closed["rated_at"] == _z(t0 + timedelta(hours=2, minutes=80))
    assert closed["closed_at"] == _z(t0 + timedelta(hours=2, minutes=95))
    assert closed["reopened_count"] == 0 and closed["allowed_actions"] == ["reopen"]

    events = (await client.get(f"/api/v1/requests/{rid}/events", headers=w.h["resident"])).json()
    assert [(e["action"], e["from_status"], e["to_status"], e["actor_kind"]) for e in events] == [
        ("submit", None, "submitted", "resident"),
        ("assign", "submitted", "assigned", "staff"),
        ("accept", "assigned", "accepted", "staff"),
        ("start", "accepted", "in_progress", "staff"),
        ("await-resident", "in_progress", "awaiting_resident", "staff"),
        ("resume", "awaiting_resident", "in_progress", "resident"),
        ("resolve", "in_progress", "resolved", "staff"),
        ("rate", "resolved", "resolved", "resident"),
        ("close", "resolved", "closed", "resident"),
    ]
    assert events[1]["data"] == {"staff_id": w.captain.id, "previous_staff_id": None}
    assert events[1]["actor_account_id"] == w.head.account_id
    assert events[3]["note"] == "上门查看"
    assert events[7]["data"] == {"satisfaction": "satisfied"}
    assert [e["created_at"] for e in events] == sorted(e["created_at"] for e in events)


def _z(moment) -> str:  # type: ignore[no-untyped-def]
    return moment.isoformat().replace("+00:00", "Z")


async def test_dissatisfied_within_the_window_reopens(client, app, session, w, clock):
    request = await arrange(session, w, "resolved", now=clock.now())
    clock.advance(days=6, hours=23)
    renew_tokens(app, w)
    response = await client.post(f"/api/v1/requests/{request.id}/rate",
                                 json={"satisfaction": "dissatisfied", "comment": "还在漏"}, headers=w.h["resident"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "reopened" and body["reopened_count"] == 1
    assert body["satisfaction"] == "dissatisfied" and body["status_reason"] == "还在漏"
    assert body["resolved_at"] is None
    events = (await client.get(f"/api/v1/requests/{request.id}/events", headers=w.h["resident"])).json()
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
        ("rate", "resolved", "resolved"), ("reopen", "resolved", "reopened")
    ]
    # Back to the captain; a new resolution may be rated afresh.
    for action, body_ in (("start", None), ("resolve", {"note": "换了阀门"})):
        moved = await client.post(f"/api/v1/requests/{request.id}/{action}", json=body_, headers=w.h["captain"])
        assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "resolved" and moved.json()["satisfaction"] is None
    again = await client.post(f"/api/v1/requests/{request.id}/rate", json={"satisfaction": "satisfied"},
                              headers=w.h["resident"])
    assert again.status_code == 200 and again.json()["satisfaction"] == "satisfied"


async def test_dissatisfied_after_the_window_is_only_recorded(client, app, session, w, clock):
    request = await arrange(session, w, "closed", now=clock.now())
    clock.advance(days=8)
    renew_tokens(app, w)
    response = await client.post(f"/api/v1/requests/{request.id}/rate", json={"satisfaction": "dissatisfied"},
                                 headers=w.h["resident"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed" and response.json()["satisfaction"] == "dissatisfied"
    assert response.json()["reopened_count"] == 0
    # Once per resolution; and too late for the resident to reopen, though a manager still may.
    twice = await client.post(f"/api/v1/requests/{request.id}/rate", json={"satisfaction": "satisfied"},
                              headers=w.h["resident"])
    assert twice.status_code == 409 and twice.json()["allowed_actions"] == []
    late = await client.post(f"/api/v1/requests/{request.id}/reopen", json={"reason": "又坏了"},
                             headers=w.h["resident"])
    assert late.status_code == 409 and "window" in late.json()["detail"]
    managed = await client.post(f"/api/v1/requests/{request.id}/reopen", headers=w.h["head"])
    assert managed.status_code == 200 and managed.json()["status"] == "reopened"
    assert managed.json()["closed_at"] is None


async def test_who_may_act(client, session, w, clock):
    request = await arrange(session, w, "resolved", now=clock.now())
    # The neighbour cannot even see it.
    closed = await client.post(f"/api/v1/requests/{request.id}/close", headers=w.h["neighbour"])
    assert closed.status_code == 404 and closed.json()["code"] == "request_not_found"
    # Another compound's captain: 404 on reads and actions alike.
    for method, path in (("GET", ""), ("GET", "/events"), ("POST", "/accept"), ("POST", "/close")):
        response = await client.request(method, f"/api/v1/requests/{request.id}{path}", headers=w.h["other_captain"])
        assert response.status_code == 404, path
    # The reporter rates but may not assign; 403 says what they may do instead.
    assign = await client.post(f"/api/v1/requests/{request.id}/assign", json={"staff_id": w.captain.id},
                               headers=w.h["resident"])
    assert assign.status_code == 403 and assign.json()["code"] == "action_forbidden"
    assert assign.json()["allowed_actions"] == ["close", "reopen", "rate"]

    head_owned = await arrange(session, w, "assigned", now=clock.now(), assignee_staff_id=w.head.id)
    accept = await client.post(f"/api/v1/requests/{head_owned.id}/accept", headers=w.h["captain"])
    assert accept.status_code == 403  # sees it (their building), but it is not theirs
    assert (await client.post(f"/api/v1/requests/{head_owned.id}/accept", headers=w.h["head"])).status_code == 200


async def test_assignment_rules(client, app, session, w, clock):
    request = await arrange(session, w, "submitted", now=clock.now(), assignee_staff_id=None, assigned_at=None)
    url = f"/api/v1/requests/{request.id}/assign"
    for staff_id in (w.other_captain.id, 999999):
        refused = await client.post(url, json={"staff_id": staff_id}, headers=w.h["admin"])
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.staff_id"
    # A station head may hand it up to a district admin? Not one outside the staff of their own areas.
    up = await client.post(url, json={"staff_id": w.admin.id}, headers=w.h["head"])
    assert up.status_code == 422
    assert (await client.post(url, json={"staff_id": w.head.id}, headers=w.h["admin"])).status_code == 200
    # The routing pipeline assigns as the system actor, with its reasons on the event.
    async with app.state.sessionmaker() as work:
        read = await service.assign_request(work, SYSTEM, request.id, staff_id=w.captain.id, clock=clock,
                                            data={"rule": "building_captain"})
        await work.commit()
    assert read.assignee is not None and read.assignee.staff_id == w.captain.id
    event = (await session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.id.desc())
    )).first()
    assert event is not None and event.actor_kind == "system" and event.actor_account_id is None
    assert event.data == {"staff_id": w.captain.id, "previous_staff_id": w.head.id, "rule": "building_captain"}
    # Declining hands it back with nobody assigned.
    declined = await client.post(f"/api/v1/requests/{request.id}/decline", json={"reason": "出差"},
                                 headers=w.h["captain"])
    assert declined.status_code == 200
    assert declined.json()["assignee"] is None and declined.json()["status_reason"] == "出差"


async def test_duplicates_link_both_ways_and_never_chain(client, session, w, clock):
    original = await arrange(session, w, "in_progress", now=clock.now())
    copy = await arrange(session, w, "submitted", now=clock.now())
    elsewhere = await file(client, w, "other_captain", title="别处", channel="patrol", building_id=w.other_building.id)
    url = f"/api/v1/requests/{copy.id}/mark-duplicate"
    for target in (copy.id, elsewhere["id"], 999999):
        refused = await client.post(url, json={"duplicate_of_id": target}, headers=w.h["head"])
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.duplicate_of_id"
    marked = await client.post(url, json={"duplicate_of_id": original.id}, headers=w.h["head"])
    assert marked.status_code == 200
    assert marked.json()["duplicate_of"] == {"id": original.id, "reference": f"DS{original.id:010d}"}
    seen = (await client.get(f"/api/v1/requests/{original.id}", headers=w.h["head"])).json()
    assert seen["duplicates"] == [{"id": copy.id, "reference": f"DS{copy.id:010d}"}]
    third = await arrange(session, w, "submitted", now=clock.now())
    chained = await client.post(f"/api/v1/requests/{third.id}/mark-duplicate", json={"duplicate_of_id": copy.id},
                                headers=w.h["head"])
    assert chained.status_code == 422


async def test_leaving_a_pause_any_way_counts_it(client, app, session, w, clock):
    request = await arrange(session, w, "awaiting_resident", now=clock.now(), paused_seconds=60)
    clock.advance(minutes=45)
    response = await client.post(f"/api/v1/requests/{request.id}/reject", json={"reason": "居民已搬走"},
                                 headers=w.h["head"])
    assert response.status_code == 200
    assert response.json()["paused_seconds"] == 60 + 45 * 60 and response.json()["paused_at"] is None


async def test_required_reasons_and_notes(client, session, w, clock):
    request = await arrange(session, w, "in_progress", now=clock.now())
    for action, body, field in (("resolve", {}, "body.note"), ("resolve", None, "body"),
                                ("reject", {"reason": ""}, "body.reason"),
                                ("rate", {"satisfaction": "meh"}, "body.satisfaction"),
                                ("accept", {"note": "ok", "extra": 1}, "body.extra")):
        response = await client.post(f"/api/v1/requests/{request.id}/{action}", json=body, headers=w.h["captain"])
        assert response.status_code == 422, (action, response.text)
        assert response.json()["errors"][0]["field"] == field


async def test_two_concurrent_accepts_cannot_both_pass(client, session, w, clock):
    request = await arrange(session, w, "assigned", now=clock.now())
    url = f"/api/v1/requests/{request.id}/accept"
    first, second = await asyncio.gather(
        client.post(url, headers=w.h["captain"]), client.post(url, headers=w.h["captain"])
    )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    events = (await session.scalars(select(RequestEvent).where(RequestEvent.request_id == request.id))).all()
    assert [e.action for e in events] == ["accept"]
