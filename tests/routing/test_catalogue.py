"""The routing job keeps the categories and SLA targets per process: an edit made a moment ago still decides
the very next routing, however it was written."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, text

from app.requests.models import Category
from app.sla.models import SlaTarget
from tests import factories
from tests.routing.test_routing import routed


async def test_a_new_keyword_classifies_the_next_request(client, session, app):
    w = await factories.world(session, app)
    before = await routed(client, w, title="楼道里喵喵叫")  # fills the job's snapshot; nothing matches yet
    assert before["category"] is None or before["category"]["code"] != "water_leak"
    water = await client.get("/api/v1/categories/water_leak", headers=w.h["admin"])
    keywords = water.json()["keywords"]
    patched = await client.patch("/api/v1/categories/water_leak", json={"keywords": [*keywords, "喵喵"]},
                                 headers=w.h["admin"])
    assert patched.status_code == 200, patched.text
    try:
        after = await routed(client, w, title="楼道里喵喵叫")
        assert after["category"]["code"] == "water_leak"
    finally:
        await client.patch("/api/v1/categories/water_leak", json={"keywords": keywords}, headers=w.h["admin"])


async def test_a_target_written_by_hand_times_the_next_request(client, session, app):
    w = await factories.world(session, app)
    category = await session.scalar(
        select(Category).where(Category.clock == "calendar", Category.routing_rule == "building_captain",
                               Category.is_active).order_by(Category.sort_order).limit(1)
    )
    assert category is not None
    code, priority = category.code, category.default_priority
    first = await routed(client, w, category_code=code)
    assert first["assignee"] is not None
    # Raw SQL, as an operator might: no ORM hook sees it, the snapshot's version still moves.
    await session.execute(
        text("INSERT INTO sla_target (category_id, priority, respond_minutes, resolve_minutes) "
             "VALUES (:c, :p, 17, 600)"), {"c": category.id, "p": priority}
    )
    await session.commit()
    try:
        second = await routed(client, w, category_code=code)
        assigned = datetime.fromisoformat(second["assigned_at"])
        assert datetime.fromisoformat(second["respond_by_at"]) - assigned == timedelta(minutes=17)
        assert datetime.fromisoformat(second["resolve_by_at"]) - datetime.fromisoformat(
            second["submitted_at"]) == timedelta(minutes=600)
    finally:
        await session.execute(delete(SlaTarget).where(SlaTarget.category_id == category.id))
        await session.commit()
