"""Routing through the API: a request filed by a resident or staff member, the routing job run, and what the
staff then see — the assignee, the place routing found, and the trace that explains it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, text, update

from app.people.models import Staff, StaffAbsence, StaffRole
from app.pipeline.maintenance import enqueue_unrouted
from app.routing.tasks import route_request
from tests import factories
from tests.conftest import START
from tests.factories import World
from tests.requests.support import count, file

# Far from every building of the world (about 60 km east of 翠湖明居).
FAR = {"latitude": 34.40, "longitude": 109.60}


async def person(session, app, w: World, username: str, roles, full_name: str | None = None) -> Staff:  # type: ignore[no-untyped-def]
    """A staff member with roles, committed, whose auth headers are ``w.h[username]``."""
    member = await factories.staff(session, username, roles, full_name=full_name or username)
    await session.commit()
    w.h[username] = factories.headers_for(app, member.account_id, "staff")
    return member


async def get(client: httpx.AsyncClient, url: str, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(url, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def routed(client: httpx.AsyncClient, w: World, who: str = "resident", **body: Any) -> dict[str, Any]:
    """Files a request as ``who``, runs its routing job, and returns the request as the admin sees it."""
    created = await file(client, w, who, **body)
    await route_request(request_id=created["id"])
    return await get(client, f"/api/v1/requests/{created['id']}", w.h["admin"])


async def trace(client: httpx.AsyncClient, w: World, request_id: int, who: str = "admin") -> list[dict[str, Any]]:
    return await get(client, f"/api/v1/requests/{request_id}/routing", w.h[who])


def outcomes(decision: dict[str, Any], step: str | None = None) -> list[tuple[str, str, str]]:
    return [(s["step"], s["rule"], s["outcome"]) for s in decision["steps"] if step is None or s["step"] == step]


def the_step(decision: dict[str, Any], step: str, rule: str, outcome: str) -> dict[str, Any]:
    [found] = [s for s in decision["steps"] if (s["step"], s["rule"], s["outcome"]) == (step, rule, outcome)]
    return found


# Where ------------------------------------------------------------------------------------------------------


async def test_a_resident_s_building_goes_to_its_captain(client, w):
    read = await routed(client, w, title="楼道灯不亮")
    assert read["status"] == "assigned" and read["assignee"]["staff_id"] == w.captain.id
    assert read["building_id"] == w.building9.id and read["unit"] == 2
    assert read["category"]["code"] == "public_lighting" and read["respond_by_at"] is not None
    [decision] = await trace(client, w, read["id"])
    assert decision["outcome"] == "assigned" and decision["rule"] == "building_captain"
    assert decision["assignee"] == {"id": w.captain.id, "name": "楼栋长李"}
    assert the_step(decision, "where", "building_id", "given")["detail"] == {"building_id": w.building9.id}


@pytest.mark.parametrize(
    ("who", "address", "place", "unit", "captain"),
    [
        ("head", "翠湖明居小区9号楼", "building9", None, "captain"),
        ("admin", "中铁二十局 9栋 2单元", "other_building", 2, "other_captain"),
    ],
)
async def test_staff_filing_with_only_an_address_text(client, w, who, address, place, unit, captain):
    created = await file(client, w, who, title="楼道灯不亮", channel="patrol", address_text=address)
    # Intake knows no building: the request sits at the staff member's first role's area until routed.
    assert created["building_id"] is None and created["area_id"] in (w.compound.id, w.district.id)
    await route_request(request_id=created["id"])
    read = await get(client, f"/api/v1/requests/{created['id']}", w.h["admin"])
    building = getattr(w, place)
    assert read["building_id"] == building.id and read["area_id"] == building.id and read["unit"] == unit
    assert read["assignee"]["staff_id"] == getattr(w, captain).id
    [decision] = await trace(client, w, read["id"])
    compound = the_step(decision, "where", "address_text", "compound_matched")
    assert compound["detail"]["compound_id"] == building.parent_id
    matched = the_step(decision, "where", "address_text", "matched")
    assert matched["detail"]["building_id"] == building.id and matched["detail"]["unit"] == unit
    assert the_step(decision, "who", "building_captain", "chosen")["detail"]["staff_id"] == getattr(w, captain).id


async def test_a_point_near_a_building_goes_to_that_building(client, w):
    # About 5 m from 9号楼, about 45 m from 10号楼.
    read = await routed(client, w, "admin", title="楼道灯不亮", channel="patrol", latitude=34.36503,
                        longitude=108.94203)
    assert read["building_id"] == w.building9.id and read["assignee"]["staff_id"] == w.captain.id
    [decision] = await trace(client, w, read["id"])
    near = the_step(decision, "where", "nearest_building", "matched")
    assert near["detail"]["building_id"] == w.building9.id and near["detail"]["distance_m"] < 10


async def test_a_point_far_from_every_building_goes_to_the_best_known_area(client, session, app, w):
    duty = await person(session, app, w, "duty", [("subdistrict_staff", w.subdistrict, {"department": "duty_desk"})])
    await person(session, app, w, "patrol", [("subdistrict_staff", w.subdistrict,
                                              {"department": "urban_management"})])
    read = await routed(client, w, "patrol", title="路边有东西", channel="patrol", **FAR)
    assert read["building_id"] is None and read["area_id"] == w.subdistrict.id
    assert read["status"] == "assigned" and read["assignee"]["staff_id"] == duty.id and not read["needs_triage"]
    [decision] = await trace(client, w, read["id"])
    assert the_step(decision, "where", "nearest_building", "none")["reason"].startswith("No building within 300 m")
    assert the_step(decision, "where", "best_known_area", "coarse")["detail"] == {"area_id": w.subdistrict.id}
    assert decision["rule"] == "duty_desk"


async def test_nobody_at_the_best_known_area_leaves_it_for_triage_once(client, session, w):
    read = await routed(client, w, "admin", title="路边有东西", channel="patrol", **FAR)
    assert read["status"] == "submitted" and read["needs_triage"] is True and read["assignee"] is None
    assert read["area_id"] == w.district.id
    [decision] = await trace(client, w, read["id"])
    assert decision["outcome"] == "needs_triage" and decision["assignee"] is None
    assert outcomes(decision, "fallback") == [("fallback", "none", "none")]
    events = await get(client, f"/api/v1/requests/{read['id']}/events", w.h["admin"])
    assert [(e["kind"], e["action"]) for e in events] == [("transition", "submit"), ("routing", "needs-triage")]

    # The job ran; as if it were lost, the reconciler looks: a request left for triage is not routed again.
    await session.execute(text("DELETE FROM procrastinate_jobs"))
    await session.commit()
    assert await enqueue_unrouted() == 0
    # Nor does a second run of the job (a retry) decide again.
    await route_request(request_id=read["id"])
    assert len(await trace(client, w, read["id"])) == 1
    assert await count(session, "SELECT count(*) FROM request_event") == 2


# Who: captains, their backups, their units and their load ------------------------------------------------------


async def test_an_absent_captain_s_backup_takes_it(client, session, app, w, clock):
    backup = await person(session, app, w, "backup", [("community_staff", w.community)], full_name="社区刘")
    session.add(StaffAbsence(staff_id=w.captain.id, starts_on=START.date(), ends_on=START.date(),
                             backup_staff_id=backup.id, reason="年假"))
    await session.commit()
    read = await routed(client, w, title="楼道灯不亮")
    assert read["assignee"]["staff_id"] == backup.id
    [decision] = await trace(client, w, read["id"])
    stand_in = the_step(decision, "who", "building_captain", "backup")
    assert stand_in["detail"] == {"staff_id": w.captain.id, "backup_staff_id": backup.id}
    assert "is away today" in stand_in["reason"]
    chosen = the_step(decision, "who", "building_captain", "chosen")
    assert chosen["detail"]["staff_id"] == backup.id and chosen["detail"]["for_staff_id"] == w.captain.id


async def test_an_absence_counts_in_the_local_date(client, session, app, w, clock):
    # 2026-11-27 20:00 UTC is 2026-11-28 04:00 in Xi'an: the captain's day off on the 28th has begun.
    clock.set(datetime.fromisoformat("2026-11-27T20:00:00+00:00"))
    backup = await person(session, app, w, "backup", [("community_staff", w.community)])
    session.add(StaffAbsence(staff_id=w.captain.id, starts_on=date(2026, 11, 28), ends_on=date(2026, 11, 28),
                             backup_staff_id=backup.id))
    await session.commit()
    w.h["resident"] = factories.headers_for(app, w.resident.account_id, "resident")
    w.h["admin"] = factories.headers_for(app, w.admin.account_id, "staff")
    read = await routed(client, w, title="楼道灯不亮")
    assert read["assignee"]["staff_id"] == backup.id


async def test_two_captains_of_one_building_split_it_by_unit(client, session, app, w):
    await session.execute(update(StaffRole).where(StaffRole.staff_id == w.captain.id).values(units=[2]))
    unit1 = await person(session, app, w, "unit1", [("building_captain", w.building9, {"units": [1]})])
    from_unit2 = await routed(client, w, "resident", title="楼道灯不亮")  # 王秀英 lives in unit 2
    from_unit1 = await routed(client, w, "neighbour", title="楼道灯不亮")  # 赵大爷 lives in unit 1
    assert from_unit2["assignee"]["staff_id"] == w.captain.id and from_unit2["unit"] == 2
    assert from_unit1["assignee"]["staff_id"] == unit1.id and from_unit1["unit"] == 1
    [decision] = await trace(client, w, from_unit1["id"])
    assert "covering unit 1" in the_step(decision, "who", "building_captain", "chosen")["reason"]


async def test_two_whole_building_captains_share_by_load_then_round_robin(client, session, app, w, clock):
    second = await person(session, app, w, "second", [("building_captain", w.building9)])
    first = await routed(client, w, title="楼道灯不亮")
    clock.advance(minutes=1)
    then = await routed(client, w, title="单元门关不上")
    clock.advance(minutes=1)
    third = await routed(client, w, title="楼道灯又不亮了")
    assert first["assignee"]["staff_id"] == w.captain.id  # nobody has work: the lowest id
    assert then["assignee"]["staff_id"] == second.id  # the captain has one open, the second none
    assert third["assignee"]["staff_id"] == w.captain.id  # one each: the longest since the last assignment
    reasons = [the_step((await trace(client, w, r["id"]))[0], "who", "building_captain", "chosen")["reason"]
               for r in (then, third)]
    assert "least open work (0 against 1)" in reasons[0]
    assert "round robin" in reasons[1]


# Who: joint handling, streets, the fallback chain -------------------------------------------------------------

HAZARD = "翠湖明居小区9号楼外墙瓷砖脱落，楼下有人经过，很危险"


@pytest.mark.parametrize("who", ["resident", "admin"])
async def test_a_facade_hazard_in_free_text_is_handled_jointly(client, session, app, w, who):
    safety = await person(session, app, w, "safety", [("subdistrict_staff", w.subdistrict,
                                                       {"department": "safety_supervision"})], full_name="安监冯")
    body: dict[str, Any] = {"title": HAZARD}
    if who == "admin":
        body |= {"channel": "patrol", "address_text": "翠湖明居小区9号楼"}
    read = await routed(client, w, who, **body)
    assert read["category"]["code"] == "facade_hazard" and read["priority"] == "urgent"
    assert read["building_id"] == w.building9.id
    assert read["assignee"]["staff_id"] == w.head.id
    assert [p["staff_id"] for p in read["participants"]] == [w.captain.id, safety.id]
    [decision] = await trace(client, w, read["id"])
    assert decision["rule"] == "joint_handling"
    assert decision["participants"] == [{"id": w.captain.id, "name": "楼栋长李"}, {"id": safety.id, "name": "安监冯"}]
    classified = the_step(decision, "what", "keywords", "classified")
    assert classified["detail"]["code"] == "facade_hazard" and "脱落" in classified["detail"]["hits"]
    assert "脱落" in [s for s in decision["steps"] if s["step"] == "priority"][0]["reason"]
    assert the_step(decision, "who", "joint_handling", "owner")["detail"]["staff_id"] == w.head.id
    assert [s["detail"]["role"] for s in decision["steps"] if s["outcome"] == "participant"] == [
        "building_captain", "department"]
    # The participants see it, with the reporter's number, and find it among their work.
    for name in ("captain", "safety"):
        seen = await get(client, f"/api/v1/requests/{read['id']}", w.h[name])
        assert seen["id"] == read["id"]
        queue = await get(client, "/api/v1/me/queue", w.h[name], include_participating="true")
        assert [(i["id"], i["role"]) for i in queue["items"]] == [(read["id"], "participant")]
        assert (await get(client, "/api/v1/me/queue", w.h[name]))["items"] == []


async def test_a_street_s_request_goes_to_its_street_chief(client, session, app, w):
    chief = await person(session, app, w, "chief", [("street_chief", w.street)], full_name="街长周")
    read = await routed(client, w, "admin", title="路灯不亮", channel="patrol", street_id=w.street.id)
    assert read["assignee"]["staff_id"] == chief.id and read["street_id"] == w.street.id
    [decision] = await trace(client, w, read["id"])
    assert decision["rule"] == "street_chief"
    assert the_step(decision, "where", "street_id", "given")["detail"] == {"street_id": w.street.id}
    assert the_step(decision, "who", "street_chief", "chosen")["detail"]["staff_id"] == chief.id


async def test_a_street_without_a_chief_falls_back_to_the_duty_desk(client, session, app, w):
    duty = await person(session, app, w, "duty", [("subdistrict_staff", w.subdistrict, {"department": "duty_desk"})])
    read = await routed(client, w, "admin", title="路灯不亮", channel="patrol", street_id=w.street.id)
    assert read["assignee"]["staff_id"] == duty.id
    [decision] = await trace(client, w, read["id"])
    assert ("who", "street_chief", "empty") in outcomes(decision)
    assert decision["rule"] == "duty_desk"


async def test_the_fallback_chain_climbs_the_tree(client, session, app, w):
    # 10号楼 has no captain: its compound's station head.
    head_read = await routed(client, w, "admin", title="楼道灯不亮", channel="patrol", building_id=w.building10.id)
    assert head_read["assignee"]["staff_id"] == w.head.id
    [decision] = await trace(client, w, head_read["id"])
    assert outcomes(decision, "who") == [("who", "building_captain", "none")]
    assert outcomes(decision, "fallback")[-1] == ("fallback", "station_head", "chosen")

    # 中铁二十局小区 has no station head, and its 8栋 no captain: the community, else the duty desk.
    bare = await factories.area(session, "building", "8栋", w.other_compound, building_number="8栋", unit_count=2)
    duty = await person(session, app, w, "duty", [("subdistrict_staff", w.subdistrict, {"department": "duty_desk"})])
    desk_read = await routed(client, w, "admin", title="楼道灯不亮", channel="patrol", building_id=bare.id)
    assert desk_read["assignee"]["staff_id"] == duty.id
    [decision] = await trace(client, w, desk_read["id"])
    assert outcomes(decision, "fallback") == [
        ("fallback", "station_head", "empty"), ("fallback", "community_staff", "empty"),
        ("fallback", "duty_desk", "chosen"),
    ]
    community = await person(session, app, w, "community", [("community_staff", w.other_community)])
    community_read = await routed(client, w, "admin", title="楼道灯不亮", channel="patrol", building_id=bare.id)
    assert community_read["assignee"]["staff_id"] == community.id
    [decision] = await trace(client, w, community_read["id"])
    assert outcomes(decision, "fallback")[-1] == ("fallback", "community_staff", "chosen")


# Decline ----------------------------------------------------------------------------------------------------


async def test_a_decline_re_routes_to_the_next_candidate(client, session, w):
    read = await routed(client, w, title="楼道灯不亮")
    assert read["assignee"]["staff_id"] == w.captain.id
    response = await client.post(f"/api/v1/requests/{read['id']}/decline", json={"reason": "不归我管"},
                                 headers=w.h["captain"])
    assert response.status_code == 200, response.text
    await route_request(request_id=read["id"])
    again = await get(client, f"/api/v1/requests/{read['id']}", w.h["admin"])
    assert again["status"] == "assigned" and again["assignee"]["staff_id"] == w.head.id
    first, second = await trace(client, w, read["id"])
    assert (first["trigger"], second["trigger"]) == ("submitted", "declined")
    assert the_step(second, "who", "exclude", "skipped")["detail"] == {"staff_ids": [w.captain.id]}
    assert the_step(second, "who", "building_captain", "skipped")["detail"]["why"] == "excluded"


async def test_a_decline_after_a_manual_assignment_never_goes_back_to_the_decliner(client, session, app, w):
    second = await person(session, app, w, "second", [("building_captain", w.building9)])
    read = await routed(client, w, title="楼道灯不亮")
    assert read["assignee"]["staff_id"] == w.captain.id
    # The station head hands it to the second captain by hand; the second captain declines.
    response = await client.post(f"/api/v1/requests/{read['id']}/assign", json={"staff_id": second.id},
                                 headers=w.h["head"])
    assert response.status_code == 200, response.text
    response = await client.post(f"/api/v1/requests/{read['id']}/decline", json={"reason": "在外地"},
                                 headers=w.h["second"])
    assert response.status_code == 200, response.text
    await route_request(request_id=read["id"])
    again = await get(client, f"/api/v1/requests/{read['id']}", w.h["admin"])
    assert again["assignee"]["staff_id"] not in (second.id, w.captain.id)
    assert again["assignee"]["staff_id"] == w.head.id


# The trace ------------------------------------------------------------------------------------------------------


async def test_the_trace_explains_each_step_to_staff_only(client, w):
    read = await routed(client, w, title="9号楼2单元楼道漏水", description="水管一直在滴")
    [decision] = await get(client, f"/api/v1/requests/{read['id']}/routing", w.h["captain"])
    assert decision["trigger"] == "submitted" and decision["escalation_level"] == 0
    assert decision["created_at"] == START.isoformat().replace("+00:00", "Z")
    assert outcomes(decision) == [
        ("where", "building_id", "given"), ("what", "keywords", "classified"),
        ("priority", "hazard_words", "unchanged"),
        ("who", "building_captain", "empty"),  # nobody limited to unit 2 …
        ("who", "building_captain", "chosen"),  # … so the captain of the whole building
    ]
    where, what, priority, _, who = decision["steps"]
    assert where["reason"] == f"Building #{w.building9.id} was given."
    assert what["rule"] == "keywords" and what["detail"]["code"] == "water_leak"
    assert set(what["detail"]["hits"]) == {"漏水", "水管"} and "Classified as water_leak" in what["reason"]
    assert priority == {"step": "priority", "rule": "hazard_words", "outcome": "unchanged",
                        "reason": "No hazard word; priority stays high.", "detail": {}}
    assert who["outcome"] == "chosen" and who["detail"]["staff_id"] == w.captain.id
    assert "楼栋长李" in who["reason"] and "the only one available" in who["reason"]

    hidden = await client.get(f"/api/v1/requests/{read['id']}/routing", headers=w.h["other_captain"])
    assert hidden.status_code == 404 and hidden.json()["code"] == "request_not_found"
    missing = await client.get("/api/v1/requests/999999/routing", headers=w.h["admin"])
    assert missing.status_code == 404
    refused = await client.get(f"/api/v1/requests/{read['id']}/routing", headers=w.h["resident"])
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")


# Exactly once ---------------------------------------------------------------------------------------------------


async def test_routing_twice_decides_once(client, session, w):
    created = await file(client, w, title="楼道灯不亮")
    await route_request(request_id=created["id"])
    await route_request(request_id=created["id"])
    assert len(await trace(client, w, created["id"])) == 1
    assert await count(session, "SELECT count(*) FROM request_event WHERE action = 'assign'") == 1


async def test_routing_an_accepted_request_changes_nothing(client, session, w):
    read = await routed(client, w, title="楼道灯不亮")
    response = await client.post(f"/api/v1/requests/{read['id']}/accept", headers=w.h["captain"])
    assert response.status_code == 200, response.text
    before = (await session.execute(text("SELECT row_to_json(r)::text FROM service_request r"))).scalar_one()
    events = await count(session, "SELECT count(*) FROM request_event")
    await route_request(request_id=read["id"])
    after = (await session.execute(text("SELECT row_to_json(r)::text FROM service_request r"))).scalar_one()
    assert after == before and await count(session, "SELECT count(*) FROM request_event") == events
    assert len(await trace(client, w, read["id"])) == 1


# Notifications ------------------------------------------------------------------------------------------------


async def test_no_push_gateway_no_deliveries(client, session, app, w):
    assert app.state.settings.push_gateway_url is None
    await routed(client, w, title=HAZARD)
    assert await count(session, "SELECT count(*) FROM webhook_delivery") == 0


async def test_the_assignee_and_each_participant_get_one_push(client, session, app, w):
    safety = await person(session, app, w, "safety", [("subdistrict_staff", w.subdistrict,
                                                       {"department": "safety_supervision"})])
    settings = app.state.settings
    saved = settings.push_gateway_url
    settings.push_gateway_url = "http://127.0.0.1:9/push"
    try:
        read = await routed(client, w, title=HAZARD)
    finally:
        settings.push_gateway_url = saved
    rows = (await session.execute(text(
        "SELECT recipient_staff_id, event, payload -> 'recipient' ->> 'role', request_id, status"
        " FROM webhook_delivery ORDER BY id"
    ))).all()
    assert rows == [
        (w.head.id, "request.assigned", "assignee", read["id"], "pending"),
        (w.captain.id, "request.joined", "participant", read["id"], "pending"),
        (safety.id, "request.joined", "participant", read["id"], "pending"),
    ]


async def test_participants_hear_of_a_hazard_nobody_owns(client, session, app, w):
    await session.execute(delete(StaffRole).where(StaffRole.staff_id == w.head.id))
    await session.commit()
    settings = app.state.settings
    saved = settings.push_gateway_url
    settings.push_gateway_url = "http://127.0.0.1:9/push"
    try:
        read = await routed(client, w, title=HAZARD)
    finally:
        settings.push_gateway_url = saved
    assert read["needs_triage"] is True and read["assignee"] is None
    assert [p["staff_id"] for p in read["participants"]] == [w.captain.id]
    rows = (await session.execute(text("SELECT recipient_staff_id, event FROM webhook_delivery"))).all()
    assert rows == [(w.captain.id, "request.joined")]


# The queue --------------------------------------------------------------------------------------------------------


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_each_captain_s_queue_is_theirs_most_urgent_first(client, session, app, w, clock):
    lights = await routed(client, w, title="楼道灯不亮")  # normal
    clock.advance(minutes=5)
    leak = await routed(client, w, title="楼道水管漏水")  # high: a shorter respond-by
    clock.advance(minutes=1)
    door = await routed(client, w, title="单元门锁坏了")
    accepted = await client.post(f"/api/v1/requests/{door['id']}/accept", headers=w.h["captain"])
    assert accepted.status_code == 200, accepted.text
    theirs = await routed(client, w, "admin", title="楼道灯不亮", channel="patrol", building_id=w.other_building.id,
                          unit=3)
    done = await routed(client, w, title="垃圾没人清运")
    await client.post(f"/api/v1/requests/{done['id']}/accept", headers=w.h["captain"])
    resolved = await client.post(f"/api/v1/requests/{done['id']}/resolve", json={"note": "已清运"},
                                 headers=w.h["captain"])
    assert resolved.status_code == 200, resolved.text

    now = clock.advance(minutes=34)  # 40 minutes after the first: the leak's respond-by has passed
    mine = await get(client, "/api/v1/me/queue", w.h["captain"])
    assert _at(mine["as_of"]) == now
    assert [i["id"] for i in mine["items"]] == [leak["id"], lights["id"], door["id"]]
    first, second, third = mine["items"]
    leak_due = _at(leak["respond_by_at"])
    assert (first["which"], _at(first["due_at"])) == ("respond", leak_due)
    assert first["seconds_left"] == int((leak_due - now).total_seconds()) < 0
    assert second["which"] == "respond" and second["seconds_left"] == int(
        (_at(lights["respond_by_at"]) - now).total_seconds()) > 0
    door_now = await get(client, f"/api/v1/requests/{door['id']}", w.h["captain"])
    assert (third["which"], _at(third["due_at"])) == ("resolve", _at(door_now["resolve_by_at"]))
    assert first == {
        "id": leak["id"], "reference": leak["reference"], "title": "楼道水管漏水", "status": "assigned",
        "priority": "high", "category": {"code": "water_leak", "name_zh": "漏水", "name_en": "Water leak"},
        "compound_name": "翠湖明居", "building_name": "9号楼", "unit": 2, "street_name": None,
        "due_at": first["due_at"], "which": "respond", "seconds_left": first["seconds_left"], "paused": False,
        "needs_triage": False, "role": "assignee",
    }

    other = await get(client, "/api/v1/me/queue", w.h["other_captain"])
    assert [(i["id"], i["building_name"], i["unit"]) for i in other["items"]] == [(theirs["id"], "9栋", 3)]
    assert [i["id"] for i in (await get(client, "/api/v1/me/queue", w.h["captain"], limit=1))["items"]] == [
        leak["id"]]


async def test_the_queue_is_for_staff_and_checks_its_limit(client, w):
    assert (await client.get("/api/v1/me/queue", headers=w.h["resident"])).status_code == 403
    assert (await client.get("/api/v1/me/queue", params={"limit": 201}, headers=w.h["captain"])).status_code == 422
    assert (await client.get("/api/v1/me/queue")).status_code == 401


async def test_the_queue_is_one_indexed_query(client, session, app, w):
    from sqlalchemy import event
    from sqlalchemy.dialects import postgresql

    from app.routing import repository

    for _ in range(3):
        await routed(client, w, title=HAZARD)  # owned by the head, the captain takes part
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(app.state.engine.sync_engine, "before_cursor_execute", record)
    try:
        queue = await get(client, "/api/v1/me/queue", w.h["captain"], include_participating="true")
    finally:
        event.remove(app.state.engine.sync_engine, "before_cursor_execute", record)
    assert len(queue["items"]) == 3
    assert len([s for s in statements if "service_request" in s]) == 1

    stmt = repository.queue_statement(w.captain.id, include_participating=True, limit=50)
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
    assert "ix_service_request_assignee_open" in plan and "ix_request_participant_staff_id" in plan


async def test_the_routes_are_documented(client):
    schema = (await client.get("/openapi.json")).json()
    trace_op = schema["paths"]["/api/v1/requests/{request_id}/routing"]["get"]
    queue_op = schema["paths"]["/api/v1/me/queue"]["get"]
    assert trace_op["tags"] == ["routing"] and queue_op["tags"] == ["routing"]
    assert {"401", "403", "404"} <= set(trace_op["responses"]) and {"401", "403"} <= set(queue_op["responses"])
    assert trace_op["summary"] and queue_op["summary"]
    assert "routing" in [t["name"] for t in schema["tags"]]


async def test_the_round_robin_pointer_is_one_index_row(client, session, app, w):
    from sqlalchemy.dialects import postgresql

    from app.routing import repository

    first = await routed(client, w)
    assert await repository.last_assignee_in(session, w.building9.id) == first["assignee"]["staff_id"]
    assert await repository.last_assignee_in(session, w.building10.id) is None
    stmt = repository._LAST_ASSIGNEE_IN.params(area_id=w.building9.id)
    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join((await session.execute(text(f"EXPLAIN {sql}"))).scalars())
    assert "ix_routing_decision_area_assigned" in plan and "service_request" not in plan
