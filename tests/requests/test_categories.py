from __future__ import annotations

NEW = {
    "code": "heating",
    "name_zh": "供暖",
    "name_en": "Heating",
    "default_priority": "high",
    "respond_minutes": 30,
    "resolve_minutes": 1440,
    "keywords": ["暖气", "不热"],
    "sort_order": 16,
}


async def test_everyone_signed_in_lists_active_categories_in_sort_order(client, w):
    assert (await client.get("/api/v1/categories")).status_code == 401
    response = await client.get("/api/v1/categories", headers=w.h["resident"])
    assert response.status_code == 200
    body = response.json()
    assert body[0]["code"] == "public_lighting" and body[-1]["code"] == "other"
    assert [c["sort_order"] for c in body] == sorted(c["sort_order"] for c in body)
    assert all(c["is_active"] for c in body)
    one = await client.get("/api/v1/categories/water_leak", headers=w.h["resident"])
    assert one.json()["name_zh"] == "漏水" and one.json()["default_priority"] == "high"
    missing = await client.get("/api/v1/categories/nope", headers=w.h["resident"])
    assert missing.status_code == 404 and missing.json()["code"] == "category_not_found"


async def test_district_admin_adds_a_category_once(client, w):
    created = await client.post("/api/v1/categories", json=NEW, headers=w.h["admin"])
    assert created.status_code == 201, created.text
    assert created.json()["routing_rule"] == "building_captain" and created.json()["is_active"] is True
    listed = await client.get("/api/v1/categories", headers=w.h["resident"])
    assert "heating" in [c["code"] for c in listed.json()]
    again = await client.post("/api/v1/categories", json=NEW, headers=w.h["admin"])
    assert again.status_code == 409 and again.json()["code"] == "category_code_taken"


async def test_only_a_district_admin_changes_categories(client, w):
    for who in ("head", "captain"):
        response = await client.post("/api/v1/categories", json=NEW, headers=w.h[who])
        assert response.status_code == 403, who
        patched = await client.patch("/api/v1/categories/water_leak", json={"respond_minutes": 5}, headers=w.h[who])
        assert patched.status_code == 403, who
    assert (await client.post("/api/v1/categories", json=NEW, headers=w.h["resident"])).status_code == 403


async def test_bad_category_input_names_the_field(client, w):
    unknown = await client.post("/api/v1/categories", json={**NEW, "colour": "red"}, headers=w.h["admin"])
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "body.colour"
    bad_code = await client.post("/api/v1/categories", json={**NEW, "code": "Heating!"}, headers=w.h["admin"])
    assert bad_code.status_code == 422 and bad_code.json()["errors"][0]["field"] == "body.code"
    null = await client.patch("/api/v1/categories/water_leak", json={"name_zh": None}, headers=w.h["admin"])
    assert null.status_code == 422 and null.json()["errors"][0]["field"] == "body.name_zh"
    code = await client.patch("/api/v1/categories/water_leak", json={"code": "leak"}, headers=w.h["admin"])
    assert code.status_code == 422 and code.json()["errors"][0]["field"] == "body.code"


async def test_a_retired_category_leaves_the_list_and_intake(client, w):
    patched = await client.patch(
        "/api/v1/categories/epidemic_duty", json={"is_active": False, "keywords": ["核酸"]}, headers=w.h["admin"]
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["is_active"] is False and patched.json()["keywords"] == ["核酸"]
    active = await client.get("/api/v1/categories", headers=w.h["resident"])
    assert "epidemic_duty" not in [c["code"] for c in active.json()]
    everything = await client.get("/api/v1/categories?include_inactive=true", headers=w.h["admin"])
    assert "epidemic_duty" in [c["code"] for c in everything.json()]
    assert (await client.get("/api/v1/categories?include_inactive=true", headers=w.h["resident"])).status_code == 403
    filed = await client.post(
        "/api/v1/requests", json={"title": "核酸", "category_code": "epidemic_duty"}, headers=w.h["resident"]
    )
    assert filed.status_code == 422 and filed.json()["errors"][0]["field"] == "body.category_code"
