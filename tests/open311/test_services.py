"""GET services.{fmt} and services/{service_code}.{fmt}: the active categories, their attributes, both formats."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.requests.models import Category
from tests.open311.conftest import assert_error, get, ok_json, ok_xml, xml_items


async def test_services_are_the_active_categories_in_json_and_xml(client, session):
    services = ok_json(await get(client, "services.json"))
    codes = [s["service_code"] for s in services]
    assert codes[0] == "public_lighting" and "facade_hazard" in codes and "elderly_service" in codes
    hazard = next(s for s in services if s["service_code"] == "facade_hazard")
    assert hazard == {
        "service_code": "facade_hazard",
        "service_name": "外墙及结构隐患",
        "description": "Facade or structural hazard",
        "metadata": True,
        "type": "realtime",
        "keywords": "外墙,墙皮,瓷砖,脱落,裂缝,坠落,松动,危房,结构,空鼓",
        "group": "安全隐患",
    }
    root = ok_xml(await get(client, "services.xml"))
    assert root.tag == "services" and all(item.tag == "service" for item in root)
    items = xml_items(root)
    assert [i["service_code"] for i in items] == codes
    xml_hazard = next(i for i in items if i["service_code"] == "facade_hazard")
    assert xml_hazard["service_name"] == "外墙及结构隐患" and xml_hazard["metadata"] == "true"
    assert xml_hazard["keywords"] == hazard["keywords"] and xml_hazard["group"] == "安全隐患"


async def test_an_inactive_category_is_not_a_service(client, session):
    await session.execute(update(Category).where(Category.code == "counselling").values(is_active=False))
    await session.commit()
    try:
        codes = [s["service_code"] for s in ok_json(await get(client, "services.json"))]
        assert "counselling" not in codes and "other" in codes
        assert_error(await get(client, "services/counselling.json"), 404, "counselling")
    finally:
        await session.execute(update(Category).where(Category.code == "counselling").values(is_active=True))
        await session.commit()


async def test_service_definitions_cover_every_datatype(client):
    hazard = ok_json(await get(client, "services/facade_hazard.json"))
    elderly = ok_json(await get(client, "services/elderly_service.json"))
    assert hazard["service_code"] == "facade_hazard"
    by_code = {a["code"]: a for a in hazard["attributes"] + elderly["attributes"]}
    assert {a["datatype"] for a in by_code.values()} == {
        "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"
    }
    danger = hazard["attributes"][0]
    assert danger == {
        "variable": True, "code": "danger", "datatype": "singlevaluelist", "required": True,
        "datatype_description": None, "order": 1, "description": "是否危及行人 Is anyone in danger?",
        "values": [{"key": "yes", "name": "是 Yes"}, {"key": "no", "name": "否 No"}],
    }
    needs = by_code["needs"]
    assert needs["datatype"] == "multivaluelist" and needs["required"] is True
    assert [v["key"] for v in needs["values"]] == ["errands", "meal", "visit"]
    assert [a["order"] for a in hazard["attributes"]] == list(range(1, len(hazard["attributes"]) + 1))
    # Only list datatypes carry values; the rest are optional.
    assert "values" not in by_code["unit"] and by_code["unit"]["required"] is False
    lighting = ok_json(await get(client, "services/public_lighting.json"))
    assert [a["code"] for a in lighting["attributes"]] == ["building_number", "unit", "room", "occurred_at", "details"]


async def test_service_definition_in_xml(client):
    root = ok_xml(await get(client, "services/elderly_service.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "elderly_service"
    attributes = root.find("attributes")
    assert attributes is not None
    first = attributes[0]
    assert first.tag == "attribute" and first.findtext("code") == "needs"
    assert first.findtext("datatype") == "multivaluelist" and first.findtext("required") == "true"
    assert first.findtext("variable") == "true" and first.findtext("order") == "1"
    assert [(v.findtext("key"), v.findtext("name")) for v in first.iterfind("values/value")] == [
        ("errands", "代购跑腿 Errands"), ("meal", "助餐 Meals"), ("visit", "上门探访 A visit"),
    ]
    unit = next(a for a in attributes if a.findtext("code") == "unit")
    assert unit.findtext("datatype") == "number" and unit.find("values") is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_unknown_service_is_404(client, fmt):
    assert_error(await get(client, f"services/no_such_thing.{fmt}"), 404, "no_such_thing", fmt=fmt)


@pytest.mark.parametrize("path", ["services.csv", "services/facade_hazard.html", "requests.yaml",
                                  "requests/DS0000000001.txt", "tokens/abc.jsonp"])
async def test_unknown_format_is_404_in_json(client, path):
    assert_error(await get(client, path), 404, "json or xml")


async def test_jurisdiction_id_is_ignored_empty_or_not(client):
    plain = ok_json(await get(client, "services.json"))
    assert ok_json(await get(client, "services.json", jurisdiction_id="")) == plain
    assert ok_json(await get(client, "services.json", jurisdiction_id="xian.gov.cn")) == plain


async def test_openapi_documents_the_routes_form_fields_and_open311_errors(client):
    spec = (await client.get("/openapi.json")).json()
    paths = {p: ops for p, ops in spec["paths"].items() if p.startswith("/open311/v2/")}
    assert sorted(paths) == [
        "/open311/v2/requests.{fmt}", "/open311/v2/requests/{service_request_id}.{fmt}",
        "/open311/v2/services.{fmt}", "/open311/v2/services/{service_code}.{fmt}", "/open311/v2/tokens/{token}.{fmt}",
    ]
    for path, operations in paths.items():
        for method, op in operations.items():
            assert op["tags"] == ["open311"] and op["summary"], f"{method} {path}"
            # Never a 422: input errors are the spec's 400.
            assert "422" not in op["responses"] and "404" in op["responses"], f"{method} {path}"
            assert set(op["responses"]["200"]["content"]) == {"application/json", "application/xml"}
    post = paths["/open311/v2/requests.{fmt}"]["post"]
    form = post["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"api_key", "service_code", "lat", "long", "address_string", "description"} <= set(form["properties"])
    assert "attribute[code]" in form["additionalProperties"]["description"]
    assert post["responses"]["403"]["content"]["application/json"]["example"] == [
        {"code": 403, "description": "api_key is invalid or revoked"}
    ]
