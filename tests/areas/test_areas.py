"""The place tree through the API: scope, create and update rules, tree views, workstations."""

from __future__ import annotations

from tests import factories


def _building(parent_id: int, code: str, name: str, **fields: object) -> dict[str, object]:
    return {"code": code, "name": name, "kind": "building", "parent_id": parent_id, **fields}


async def test_tree_is_nested_and_sorted_naturally(client, session, app):
    w = await factories.world(session, app)
    created = await client.post(
        "/api/v1/areas", headers=w.h["head"],
        json=_building(w.compound.id, "B-2", "2号楼", building_number="2号楼", unit_count=3,
                       latitude=34.3651, longitude=108.9421),
    )
    assert created.status_code == 201, created.text

    tree = await client.get(f"/api/v1/areas/{w.compound.id}/tree", headers=w.h["head"])
    assert tree.status_code == 200, tree.text
    body = tree.json()
    assert body["name"] == "翠湖明居"
    assert [c["name"] for c in body["children"]] == ["2号楼", "9号楼", "10号楼"]
    assert body["children"][0]["unit_count"] == 3

    shallow = await client.get(f"/api/v1/areas/{w.compound.id}/tree?depth=0", headers=w.h["head"])
    assert shallow.json()["children"] == []

    whole = await client.get("/api/v1/areas/tree", headers=w.h["admin"])
    assert whole.status_code == 200, whole.text
    [district] = whole.json()
    [subdistrict] = district["children"]
    # Kind first (communities before the street), then name.
    assert [(c["kind"], c["name"]) for c in subdistrict["children"]] == [
        ("community", "太华路社区"), ("community", "未央湖社区"), ("street", "凤城八路")
    ]
    two_levels = await client.get("/api/v1/areas/tree?depth=1", headers=w.h["admin"])
    assert [c["name"] for c in two_levels.json()[0]["children"]] == ["未央湖街道"]
    assert two_levels.json()[0]["children"][0]["children"] == []

    mine = await client.get("/api/v1/areas/tree", headers=w.h["head"])
    assert [root["id"] for root in mine.json()] == [w.compound.id]
    assert (await client.get("/api/v1/areas/tree", headers=w.h["resident"])).status_code == 403


async def test_list_filters_and_pages_within_scope(client, session, app):
    w = await factories.world(session, app)
    admin = w.h["admin"]

    buildings = await client.get("/api/v1/areas?kind=building", headers=admin)
    assert {a["id"] for a in buildings.json()["items"]} == {w.building9.id, w.building10.id, w.other_building.id}

    within = await client.get(f"/api/v1/areas?within={w.compound.id}", headers=admin)
    assert [a["id"] for a in within.json()["items"]] == [w.compound.id, w.building9.id, w.building10.id]

    children = await client.get(f"/api/v1/areas?parent_id={w.subdistrict.id}", headers=admin)
    assert [a["name"] for a in children.json()["items"]] == ["未央湖社区", "太华路社区", "凤城八路"]

    named = await client.get("/api/v1/areas", params={"q": "号楼"}, headers=admin)
    assert [a["name"] for a in named.json()["items"]] == ["9号楼", "10号楼"]

    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/areas", params=params, headers=admin)).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == 10

    # A station head lists only their compound's subtree; a resident may not list at all.
    head = await client.get("/api/v1/areas", headers=w.h["head"])
    assert [a["id"] for a in head.json()["items"]] == [w.compound.id, w.building9.id, w.building10.id]
    outside = await client.get(f"/api/v1/areas?within={w.other_compound.id}", headers=w.h["head"])
    assert outside.status_code == 404
    resident = await client.get("/api/v1/areas", headers=w.h["resident"])
    assert resident.status_code == 403
    assert resident.headers["content-type"] == "application/problem+json"


async def test_scope_hides_other_compounds_and_limits_residents(client, session, app):
    w = await factories.world(session, app)
    other = await client.get(f"/api/v1/areas/{w.building9.id}", headers=w.h["other_captain"])
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "area_not_found"
    assert (await client.get(f"/api/v1/areas/{w.other_building.id}", headers=w.h["other_captain"])).status_code == 200
    # A captain sees their building, not the compound around it.
    assert (await client.get(f"/api/v1/areas/{w.compound.id}", headers=w.h["captain"])).status_code == 404
    assert (await client.get(f"/api/v1/areas/{w.compound.id}/tree", headers=w.h["other_captain"])).status_code == 404

    # A resident reads their building and its ancestors, nothing beside them.
    for visible in (w.building9, w.compound, w.community, w.subdistrict, w.district):
        response = await client.get(f"/api/v1/areas/{visible.id}", headers=w.h["resident"])
        assert response.status_code == 200, (visible.name, response.text)
    own = (await client.get(f"/api/v1/areas/{w.building9.id}", headers=w.h["resident"])).json()
    assert own["path"] == w.building9.path and own["unit_count"] == 2
    for hidden in (w.building10, w.other_building, w.other_compound, w.street):
        assert (await client.get(f"/api/v1/areas/{hidden.id}", headers=w.h["resident"])).status_code == 404
    assert (await client.get(f"/api/v1/areas/{w.compound.id}/tree", headers=w.h["resident"])).status_code == 403


async def test_create_rules(client, session, app):
    w = await factories.world(session, app)
    head, admin = w.h["head"], w.h["admin"]

    created = await client.post("/api/v1/areas", headers=head, json=_building(
        w.compound.id, "B-11", "11号楼", building_number="11号楼", unit_count=3, latitude=34.36, longitude=108.94,
        address="翠湖明居11号楼"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["path"] == f"{w.compound.path}{body['id']}/"
    assert body["depth"] == w.compound.depth + 1
    assert body["parent_id"] == w.compound.id

    duplicate = await client.post("/api/v1/areas", headers=head, json=_building(w.compound.id, "B-11", "12号楼"))
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "area_code_taken"

    wrong_parent = await client.post("/api/v1/areas", headers=admin, json=_building(w.community.id, "B-12", "12号楼"))
    assert wrong_parent.status_code == 422
    assert [e["field"] for e in wrong_parent.json()["errors"]] == ["body.parent_id"]

    bad_latitude = await client.post("/api/v1/areas", headers=head, json=_building(
        w.compound.id, "B-13", "13号楼", latitude=91, longitude=108.9))
    assert bad_latitude.status_code == 422
    assert [e["field"] for e in bad_latitude.json()["errors"]] == ["body.latitude"]

    half_point = await client.post("/api/v1/areas", headers=head, json=_building(
        w.compound.id, "B-13", "13号楼", latitude=34.1))
    assert [e["field"] for e in half_point.json()["errors"]] == ["body.longitude"]

    unknown = await client.post("/api/v1/areas", headers=head,
                                json=_building(w.compound.id, "B-14", "14号楼", floors=6))
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["body.floors"]

    control = await client.post("/api/v1/areas", headers=head, json=_building(w.compound.id, "B-15", "15\x07号楼"))
    assert [e["field"] for e in control.json()["errors"]] == ["body.name"]

    community_with_units = await client.post("/api/v1/areas", headers=admin, json={
        "code": "C-9", "name": "新社区", "kind": "community", "parent_id": w.subdistrict.id, "unit_count": 2})
    assert community_with_units.status_code == 422
    assert [e["field"] for e in community_with_units.json()["errors"]] == ["body.unit_count"]

    district = await client.post("/api/v1/areas", headers=admin, json={"code": "610113", "name": "灞桥区",
                                                                         "kind": "district"})
    assert district.status_code == 403
    assert "doorstep import areas" in district.json()["detail"]

    # Outside the head's compound: 404; visible to a captain but not managed: 403.
    outside = await client.post("/api/v1/areas", headers=head, json=_building(w.other_compound.id, "B-16", "16号楼"))
    assert outside.status_code == 404
    not_managed = await client.post("/api/v1/areas", headers=w.h["captain"], json=_building(
        w.building9.id, "B-17", "17号楼"))
    assert not_managed.status_code == 403
    street = await client.post("/api/v1/areas", headers=admin, json={
        "code": "ST-2", "name": "凤城九路", "kind": "street", "parent_id": w.subdistrict.id,
        "latitude": 34.33, "longitude": 108.95})
    assert street.status_code == 201, street.text


async def test_update_rules(client, session, app):
    w = await factories.world(session, app)
    head = w.h["head"]
    updated = await client.patch(f"/api/v1/areas/{w.building9.id}", headers=head,
                                 json={"name": "9号楼（东）", "unit_count": 3, "address": "翠湖明居9号楼"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["unit_count"] == 3 and updated.json()["name"] == "9号楼（东）"

    cleared = await client.patch(f"/api/v1/areas/{w.building9.id}", headers=head,
                                 json={"latitude": None, "longitude": None})
    assert cleared.json()["latitude"] is None

    half = await client.patch(f"/api/v1/areas/{w.building10.id}", headers=head, json={"latitude": None})
    assert [e["field"] for e in half.json()["errors"]] == ["body.latitude"]
    no_name = await client.patch(f"/api/v1/areas/{w.building10.id}", headers=head, json={"name": None})
    assert [e["field"] for e in no_name.json()["errors"]] == ["body.name"]
    compound_units = await client.patch(f"/api/v1/areas/{w.compound.id}", headers=head, json={"unit_count": 2})
    assert [e["field"] for e in compound_units.json()["errors"]] == ["body.unit_count"]
    reparent = await client.patch(f"/api/v1/areas/{w.building10.id}", headers=head,
                                  json={"parent_id": w.other_compound.id})
    assert [e["field"] for e in reparent.json()["errors"]] == ["body.parent_id"]

    taken = await client.patch(f"/api/v1/areas/{w.building10.id}", headers=head, json={"code": w.building9.code})
    assert taken.status_code == 409 and taken.json()["code"] == "area_code_taken"

    assert (await client.patch(f"/api/v1/areas/{w.building9.id}", headers=w.h["captain"],
                               json={"name": "x"})).status_code == 403
    assert (await client.patch(f"/api/v1/areas/{w.building9.id}", headers=w.h["other_captain"],
                               json={"name": "x"})).status_code == 404


async def test_workstation_with_its_head(client, session, app):
    w = await factories.world(session, app)
    url = f"/api/v1/areas/{w.compound.id}/workstation"
    missing = await client.get(url, headers=w.h["head"])
    assert missing.status_code == 404 and missing.json()["code"] == "workstation_not_found"

    created = await client.put(url, headers=w.h["head"], json={"name": "翠湖明居小区工作站", "phone": "029-86251234"})
    assert created.status_code == 201, created.text
    assert created.json()["head"] == {"id": w.head.id, "full_name": "站长张"}

    replaced = await client.put(url, headers=w.h["head"], json={"name": "翠湖明居工作站", "address": "3号楼一层"})
    assert replaced.status_code == 200
    assert replaced.json()["phone"] is None and replaced.json()["id"] == created.json()["id"]

    read = await client.get(url, headers=w.h["resident"])
    assert read.status_code == 200 and read.json()["name"] == "翠湖明居工作站"
    assert (await client.get(url, headers=w.h["other_captain"])).status_code == 404
    assert (await client.put(url, headers=w.h["other_captain"], json={"name": "x"})).status_code == 404

    not_compound = await client.put(f"/api/v1/areas/{w.building9.id}/workstation", headers=w.h["head"],
                                    json={"name": "x"})
    assert not_compound.status_code == 422
    assert [e["field"] for e in not_compound.json()["errors"]] == ["path.compound_id"]

    other = await client.put(f"/api/v1/areas/{w.other_compound.id}/workstation", headers=w.h["admin"],
                             json={"name": "中铁二十局工作站"})
    assert other.status_code == 201 and other.json()["head"] is None
