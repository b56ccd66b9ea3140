"""The service functions the routing and SLA pipelines call, as the system actor, on rows they lock."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from app.core.actor import SYSTEM
from app.core.errors import IllegalTransition
from app.requests import service
from app.requests.models import RequestEvent, ServiceRequest
from tests.requests.support import arrange


async def _locked(work, request_id):  # type: ignore[no-untyped-def]
    return await work.scalar(select(ServiceRequest).where(ServiceRequest.id == request_id).with_for_update())


async def test_apply_routing_assigns_as_the_system_and_places_the_request(app, session, w, clock):
    request = await arrange(session, w, "submitted", now=clock.now(), assignee_staff_id=None, assigned_at=None,
                            building_id=None, area_id=w.compound.id, area_path=w.compound.path)
    async with app.state.sessionmaker() as work:
        row = await _locked(work, request.id)
        await service.apply_routing(
            work, row, now=clock.now(), assignee_staff_id=w.captain.id, participant_staff_ids=[w.head.id],
            category_id=None, priority="high", building_id=w.building9.id, unit=1,
            area=(w.building9.id, w.building9.path), data={"rule": "building_captain", "routing_decision_id": 7},
        )
        await work.commit()
    rid = request.id
    read = await service.get_request(session, SYSTEM, rid, clock=clock)
    assert read.status == "assigned" and read.assignee is not None and read.assignee.staff_id == w.captain.id
    assert read.building_id == w.building9.id and read.area_id == w.building9.id and read.unit == 1
    assert read.priority == "high" and read.needs_triage is False
    assert [p.staff_id for p in read.participants] == [w.head.id]
    events = await service.list_events(session, SYSTEM, rid)
    assert [(e.kind, e.action, e.actor_kind) for e in events] == [
        ("participant", "join", "system"), ("transition", "assign", "system")
    ]
    assert events[1].data == {"staff_id": w.captain.id, "previous_staff_id": None, "rule": "building_captain",
                              "routing_decision_id": 7}


async def test_apply_routing_without_anyone_leaves_it_for_triage(app, session, w, clock):
    request = await arrange(session, w, "submitted", now=clock.now(), assignee_staff_id=None, assigned_at=None)
    async with app.state.sessionmaker() as work:
        row = await _locked(work, request.id)
        await service.apply_routing(work, row, now=clock.now(), assignee_staff_id=None, data={"rule": None})
        await work.commit()
    rid = request.id
    read = await service.get_request(session, SYSTEM, rid, clock=clock)
    assert read.status == "submitted" and read.needs_triage is True
    async with app.state.sessionmaker() as work:
        row = await _locked(work, rid)
        row.status = "resolved"
        with pytest.raises(IllegalTransition):
            await service.apply_routing(work, row, now=clock.now(), assignee_staff_id=w.captain.id)
        await work.rollback()


async def test_participants_join_once(app, session, w, clock):
    request = await arrange(session, w, "in_progress", now=clock.now())
    async with app.state.sessionmaker() as work:
        row = await _locked(work, request.id)
        first = await service.add_participants(work, row, [w.head.id, w.head.id, w.captain.id], reason="escalation",
                                               now=clock.now())
        again = await service.add_participants(work, row, [w.head.id], reason="escalation", now=clock.now())
        await service.record_event(work, row, kind="warning", action="respond_warning", now=clock.now())
        await work.commit()
    assert first == [w.head.id] and again == []  # the captain is the assignee already
    kinds = (await session.execute(
        select(RequestEvent.kind, RequestEvent.to_status).where(RequestEvent.request_id == request.id)
    )).all()
    assert kinds == [("participant", None), ("warning", None)]


async def test_a_decline_rings_routing_again(client, session, w, clock):
    request = await arrange(session, w, "assigned", now=clock.now())
    response = await client.post(f"/api/v1/requests/{request.id}/decline", json={"reason": "不在本楼"},
                                 headers=w.h["captain"])
    assert response.status_code == 200
    jobs = (await session.execute(text("SELECT task_name, args FROM procrastinate_jobs ORDER BY id"))).all()
    # Routing again, and the SLA clock following the transition.
    assert jobs == [("route_request", {"request_id": request.id}), ("sla_update", {"request_id": request.id})]
