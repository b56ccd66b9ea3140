"""The visit watch: an elder living alone without a visit for 8 days gets exactly one visit task, however many
times the pipeline runs; a visit starts a new gap."""

from __future__ import annotations

from sqlalchemy import func, select

from app.care.tasks import visit_watch_once
from app.volunteers.models import VolunteerTask
from tests import factories
from tests.care.support import elder, sign_in


async def visit_tasks(session, elder_id: int) -> list[VolunteerTask]:
    return list(await session.scalars(
        select(VolunteerTask).where(VolunteerTask.elder_id == elder_id, VolunteerTask.kind == "home_visit")
        .order_by(VolunteerTask.id).execution_options(populate_existing=True)
    ))


async def test_eight_days_without_a_visit_raise_one_visit_task_for_the_volunteer(client, session, app, w, clock):
    old = await elder(client, w)
    # A neighbour who does not live alone is never watched.
    other = await client.post("/api/v1/care/elders", json={"resident_id": w.neighbour.id, "birth_year": 1950},
                              headers=w.h["head"])
    assert other.status_code == 201, other.text
    assert await visit_watch_once() == []  # just registered

    clock.advance(days=6)
    assert await visit_watch_once() == []  # within the week
    clock.advance(days=2)
    created = await visit_watch_once()
    for _ in range(3):  # the hourly schedule keeps running
        clock.advance(hours=1)
        assert await visit_watch_once() == []
    [task] = await visit_tasks(session, old.id)
    assert created == [task.id]
    assert (task.source, task.status, task.volunteer_id) == ("visit_watch", "assigned", old.volunteer_id)
    assert task.coordinator_staff_id == w.captain.id and task.title == "探访独居老人：王秀英"
    assert await session.scalar(select(func.count()).select_from(VolunteerTask)) == 1

    # Cancelled by staff: the same gap does not get a second task.
    head = factories.headers_for(app, w.head.account_id, "staff")
    cancel = await client.post(f"/api/v1/volunteer-tasks/{task.id}/cancel", json={"reason": "已电话问候"},
                               headers=head)
    assert cancel.status_code == 200, cancel.text
    clock.advance(hours=1)
    assert await visit_watch_once() == []

    # The volunteer visits and records it; a week later nothing is due, after the interval again one task.
    volunteer = await sign_in(client, "vol.liufang")
    visit = await client.post(f"/api/v1/care/elders/{old.id}/care-records",
                              json={"kind": "visit", "notes": "精神不错", "systolic": 130, "diastolic": 80,
                                    "heart_rate": 70}, headers=volunteer)
    assert visit.status_code == 201, visit.text
    assert visit.json()["volunteer"]["id"] == old.volunteer_id and visit.json()["notes"] == "精神不错"
    clock.advance(days=6)
    assert await visit_watch_once() == []
    clock.advance(days=1, hours=1)
    [second] = await visit_watch_once()
    clock.advance(hours=1)
    assert await visit_watch_once() == []
    assert [t.id for t in await visit_tasks(session, old.id)] == [task.id, second]


async def test_the_area_setting_and_the_elders_own_interval_decide_when_the_watch_acts(client, session, app, w,
                                                                                       clock):
    old = await elder(client, w)
    response = await client.put(f"/api/v1/care/area-settings/{w.compound.id}", json={"visit_interval_days": 3},
                                headers=w.h["head"])
    assert response.status_code == 200, response.text
    setting = await client.get(f"/api/v1/care/area-settings/{w.building9.id}", headers=w.h["head"])
    assert setting.json() == {"area_id": w.building9.id, "visit_interval_days": 3, "set_on_area_id": w.compound.id}
    refused = await client.put(f"/api/v1/care/area-settings/{w.building9.id}", json={"visit_interval_days": 2},
                               headers=w.h["captain"])  # a captain works in 9号楼 but does not manage it
    assert refused.status_code == 403
    clock.advance(days=3, minutes=1)
    assert len(await visit_watch_once()) == 1

    # With no volunteer and an interval of its own, the task is left open for the captain to hand out.
    head = factories.headers_for(app, w.head.account_id, "staff")
    neighbour = await client.post("/api/v1/care/elders", json={
        "resident_id": w.neighbour.id, "birth_year": 1939, "lives_alone": True, "captain_staff_id": w.captain.id,
        "visit_interval_days": 10}, headers=head)
    assert neighbour.status_code == 201, neighbour.text
    clock.advance(days=9)
    assert await visit_watch_once() == []
    clock.advance(days=1)
    [task_id] = await visit_watch_once()
    task = await session.get(VolunteerTask, task_id)
    assert task.status == "open" and task.volunteer_id is None and task.coordinator_staff_id == w.captain.id
    assert task.elder_id == neighbour.json()["id"] != old.id
