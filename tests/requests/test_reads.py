from __future__ import annotations

from datetime import timedelta

from app.requests.models import RequestParticipant
from tests import factories
from tests.requests.support import arrange, file, renew_tokens


async def test_a_resident_sees_only_their_own_requests(client, w):
    mine = await file(client, w, "resident", title="我家楼道灯坏了")
    theirs = await file(client, w, "neighbour", title="邻居家门锁坏了")
    listed = await client.get("/api/v1/requests", headers=w.h["resident"])
    assert [r["id"] for r in listed.json()["items"]] == [mine["id"]]
    assert (await client.get(f"/api/v1/requests/{theirs['id']}", headers=w.h["resident"])).status_code == 404
    events = await client.get(f"/api/v1/requests/{theirs['id']}/events", headers=w.h["resident"])
    assert events.status_code == 404 and events.json()["code"] == "request_not_found"
    assert (await client.get("/api/v1/requests/999999", headers=w.h["resident"])).status_code == 404
    neighbour = await client.get("/api/v1/requests", headers=w.h["neighbour"])
    assert [r["id"] for r in neighbour.json()["items"]] == [theirs["id"]]


async def test_staff_see_their_areas_and_what_they_take_part_in(client, session, w):
    here = await file(client, w, "resident", title="9号楼")
    there = await file(client, w, "other_captain", title="中铁二十局", channel="patrol",
                       building_id=w.other_building.id)
    for who, expected in (("admin", [there["id"], here["id"]]), ("head", [here["id"]]),
                          ("captain", [here["id"]]), ("other_captain", [there["id"]])):
        listed = await client.get("/api/v1/requests", headers=w.h[who])
        assert [r["id"] for r in listed.json()["items"]] == expected, who
    assert (await client.get(f"/api/v1/requests/{here['id']}", headers=w.h["other_captain"])).status_code == 404
    hidden = await client.get(f"/api/v1/requests/{here['id']}/events", headers=w.h["other_captain"])
    assert hidden.status_code == 404
    # Joint handling: a participant from elsewhere sees it, number and all.
    session.add(RequestParticipant(request_id=here["id"], staff_id=w.other_captain.id, reason="联合处置"))
    await session.commit()
    joined = await client.get(f"/api/v1/requests/{here['id']}", headers=w.h["other_captain"])
    assert joined.status_code == 200
    assert joined.json()["participants"] == [
        {"staff_id": w.other_captain.id, "full_name": "楼栋长王", "reason": "联合处置"}
    ]
    assert joined.json()["reporter_phone"] == "13900139000"


async def test_the_reporters_phone_is_masked_for_those_who_do_not_need_it(client, session, w, clock):
    request = await arrange(session, w, "assigned", now=clock.now(), assignee_staff_id=w.head.id)
    phones = {}
    for who in ("resident", "head", "admin", "captain"):
        phones[who] = (await client.get(f"/api/v1/requests/{request.id}", headers=w.h[who])).json()["reporter_phone"]
    # The reporter, the assignee (head) and a manager (admin) see it; the captain, neither, does not.
    assert phones == {"resident": "13900139000", "head": "13900139000", "admin": "13900139000",
                      "captain": "139****9000"}
    request.assignee_staff_id = w.captain.id
    await session.commit()
    assert (await client.get(f"/api/v1/requests/{request.id}", headers=w.h["captain"])).json()[
        "reporter_phone"] == "13900139000"


async def test_cursor_pages_go_newest_first_without_repeats(client, session, w, clock):
    start = clock.now()
    ids = []
    # Seven requests, several sharing a creation time, so the id breaks ties across page boundaries.
    for minutes in (0, 0, 5, 5, 5, 10, 20):
        ids.append((await arrange(session, w, "submitted", now=start + timedelta(minutes=minutes))).id)
    expected = [ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/requests", params=params, headers=w.h["head"])).json()
        seen += [r["id"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == 3
    bad = await client.get("/api/v1/requests", params={"cursor": "not-a-cursor"}, headers=w.h["head"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"


async def test_filters(client, session, app, w, clock):
    t0 = clock.now()
    leak = await file(client, w, "resident", title="漏水", category_code="water_leak")
    clock.advance(minutes=30)  # tokens live an hour: move in half hours
    light = await file(client, w, "head", title="路灯", category_code="public_lighting", channel="patrol",
                       building_id=w.building10.id)
    clock.advance(minutes=30)
    renew_tokens(app, w)
    done = await arrange(session, w, "resolved", now=clock.now())
    other = await file(client, w, "other_captain", title="别处", channel="patrol", building_id=w.other_building.id)

    async def ids(**params):  # type: ignore[no-untyped-def]
        response = await client.get("/api/v1/requests", params=params, headers=w.h["admin"])
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert await ids() == [other["id"], done.id, light["id"], leak["id"]]
    assert await ids(status=["resolved", "submitted"]) == [other["id"], done.id, light["id"], leak["id"]]
    assert await ids(status="resolved") == [done.id]
    assert await ids(category="water_leak") == [leak["id"]]
    assert await ids(channel="patrol") == [other["id"], light["id"]]
    assert await ids(area_id=w.compound.id) == [done.id, light["id"], leak["id"]]  # the subtree
    assert await ids(area_id=w.building10.id) == [light["id"]]
    assert await ids(area_id=w.other_community.id) == [other["id"]]
    assert await ids(assignee_staff_id=w.captain.id) == [done.id]
    half = timedelta(minutes=30)
    assert await ids(created_from=(t0 + half).isoformat()) == [other["id"], done.id, light["id"]]
    assert await ids(created_to=(t0 + half).isoformat()) == [leak["id"]]
    assert await ids(created_from=(t0 + half).isoformat(), created_to=(t0 + 2 * half).isoformat()) == [light["id"]]
    # Another timezone means the same instant (t0 is 09:00 UTC).
    assert await ids(created_from="2026-11-27T17:30:00+08:00", created_to="2026-11-27T18:00:00+08:00") == [
        light["id"]
    ]
    # Filters never widen scope: the head sees only their compound whatever they ask for.
    head = await client.get("/api/v1/requests", params={"area_id": w.other_community.id}, headers=w.h["head"])
    assert head.json()["items"] == []

    for params, field in (
        ({"created_from": "2026-11-27T10:00:00"}, "query.created_from"),
        ({"status": "lost"}, "query.status.0"),
        ({"category": "nope"}, "query.category"),
        ({"area_id": 999999}, "query.area_id"),
        ({"limit": 0}, "query.limit"),
    ):
        response = await client.get("/api/v1/requests", params=params, headers=w.h["admin"])
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == field, response.json()


async def test_a_staff_member_without_roles_sees_nothing_but_their_own_assignments(client, session, app, w, clock):
    loner = await factories.staff(session, "loner", [])
    await session.commit()
    await arrange(session, w, "assigned", now=clock.now())
    headers = factories.headers_for(app, loner.account_id, "staff")
    assert (await client.get("/api/v1/requests", headers=headers)).json()["items"] == []
