"""Work the rows say is pending but that lost its job is found and done, once."""

from __future__ import annotations

from sqlalchemy import text

from app.pipeline.app import pipeline
from app.pipeline.maintenance import enqueue_unrouted
from tests import factories


async def drain() -> None:
    await pipeline.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)


async def test_lost_routing_jobs_are_re_enqueued_and_routed_once(client, session, app):
    w = await factories.world(session, app)
    ids = []
    for index in range(25):
        response = await client.post("/api/v1/requests", json={"title": f"门锁坏了 {index}"}, headers=w.h["resident"])
        ids.append(response.json()["id"])
    # As if lost: the jobs vanish while the requests are still `submitted`.
    await session.execute(text("DELETE FROM procrastinate_jobs"))
    await session.commit()

    assert await enqueue_unrouted() == 25
    assert await enqueue_unrouted() == 0  # a waiting job is enough: no duplicates
    await drain()

    rows = (await session.execute(text(
        "SELECT r.status, (SELECT count(*) FROM request_event e WHERE e.request_id = r.id AND e.action = 'assign'),"
        " (SELECT count(*) FROM routing_decision d WHERE d.request_id = r.id) FROM service_request r"
    ))).all()
    assert sorted(set(rows)) == [("assigned", 1, 1)] and len(rows) == 25
    assert await enqueue_unrouted() == 0  # nothing left to reconcile
    await drain()
    assert (await session.execute(text("SELECT count(*) FROM routing_decision"))).scalar_one() == 25


async def test_a_job_run_twice_changes_nothing_the_second_time(client, session, app):
    from app.routing.tasks import route_request

    w = await factories.world(session, app)
    response = await client.post("/api/v1/requests", json={"title": "漏水"}, headers=w.h["resident"])
    request_id = response.json()["id"]
    await route_request(request_id=request_id)
    before = (await session.execute(text("SELECT row_to_json(r)::text FROM service_request r"))).scalar_one()
    events = (await session.execute(text("SELECT count(*) FROM request_event"))).scalar_one()
    await route_request(request_id=request_id)
    after = (await session.execute(text("SELECT row_to_json(r)::text FROM service_request r"))).scalar_one()
    assert after == before
    assert (await session.execute(text("SELECT count(*) FROM request_event"))).scalar_one() == events
    assert (await session.execute(text("SELECT count(*) FROM routing_decision"))).scalar_one() == 1
