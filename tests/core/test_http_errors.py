"""The one problem+json shape, the body limit and bad-input rules, on routes every caller uses."""

from __future__ import annotations

from tests import factories


async def test_unknown_route_is_problem_json(client):
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["code"] == "not_found" and body["instance"] == "/api/v1/nothing-here"


async def test_oversized_body_is_413_by_header_and_by_stream(client, session, app):
    w = await factories.world(session, app)
    big = {"full_name": "x" * (70 * 1024)}
    response = await client.patch(f"/api/v1/staff/{w.captain.id}", json=big, headers=w.h["captain"])
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"

    async def chunks():
        for _ in range(80):
            yield b"x" * 1024

    streamed = await client.post("/api/v1/staff", content=chunks(),
                                 headers={**w.h["admin"], "content-type": "application/json"})
    assert streamed.status_code == 413


async def test_422_names_every_bad_field(client, session, app):
    w = await factories.world(session, app)
    body = {"full_name": "a\u0007b", "phone": "call me", "nickname": "x"}
    response = await client.patch(f"/api/v1/staff/{w.captain.id}", json=body, headers=w.h["captain"])
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.full_name", "body.phone", "body.nickname"}
    # Nothing was changed by the refused write.
    me = await client.get("/api/v1/me", headers=w.h["captain"])
    assert me.json()["full_name"] == "楼栋长李"


async def test_request_id_is_echoed(client):
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert len((await client.get("/healthz")).headers["x-request-id"]) == 32


async def test_openapi_documents_tags_summaries_and_problems(client):
    spec = (await client.get("/openapi.json")).json()
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            assert op.get("summary"), f"{method} {path} has no summary"
            assert op.get("tags"), f"{method} {path} has no tag"
            if path.startswith("/api/v1/") and path != "/api/v1/auth/token":
                assert "401" in op["responses"], f"{method} {path} does not document 401"
    assert "Problem" in spec["components"]["schemas"]
