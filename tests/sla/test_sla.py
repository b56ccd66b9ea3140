"""The SLA clock through a request's life, moving the injected clock (never sleeping): people act through the
API, and the pipeline pieces run directly — routing, the SLA tick after each clock move, the SLA refresh after
each transition.

Times: the clock starts at 2026-11-27 09:00 UTC, a Friday, 17:00 in Asia/Shanghai. Public lighting (normal)
must be accepted within 60 minutes and resolved within 1440 (24 h); warnings come at 80 %.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.people.models import StaffAbsence
from app.requests.models import Category
from app.routing.tasks import route_request
from app.sla import escalation
from app.sla.tasks import sla_update, tick_once
from tests import factories
from tests.conftest import START
from tests.requests.support import arrange
from tests.sla.support import act, actions, at, decisions, events, pushes, read, row, submit, tick

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@contextmanager
def push_gateway(app: Any) -> Iterator[None]:
    """A push gateway configured for the test only (deliveries are stored; nothing is sent)."""
    settings = app.state.settings
    saved = settings.push_gateway_url
    settings.push_gateway_url = "http://push.test/doorstep"
    try:
        yield
    finally:
        settings.push_gateway_url = saved


async def tick_at(app: Any, clock: Any, moment: datetime) -> int:
    clock.set(moment)
    return await tick(app, clock)


# A warning --------------------------------------------------------------------------------------------------


async def test_a_warning_comes_once_before_respond_by(client, app, w, clock):
    with push_gateway(app):
        rid = await submit(client, app, w.resident)
        r = await row(app, rid)
        assert r.assignee_staff_id == w.captain.id and r.assigned_at == START
        assert (r.respond_by_at, r.resolve_by_at) == (START + 60 * MINUTE, START + 24 * HOUR)
        assert r.next_timer_at == START + 48 * MINUTE  # 80 % of the hour

        await tick(app, clock, minutes=47)
        assert await actions(app, rid, "warning") == []
        await tick(app, clock, minutes=1)
        for _ in range(3):
            await tick(app, clock, minutes=3)

        [warning] = await events(app, rid, "warning")
        assert (warning.action, warning.created_at) == ("respond_warning", START + 48 * MINUTE)
        assert at(warning.data["due_at"]) == START + 60 * MINUTE
        assert await pushes(app, rid) == [("request.assigned", w.captain.id),
                                          ("request.respond_due_soon", w.captain.id)]
        r = await row(app, rid)
        assert r.respond_warned_at == START + 48 * MINUTE
        assert r.next_timer_at == r.respond_by_at  # next: the deadline itself, not the warning again


# A respond-by breach -----------------------------------------------------------------------------------------


async def test_respond_breach_reroutes_to_the_next_captain_then_climbs_to_the_station_head(
    client, app, session, w, clock
):
    second = await factories.staff(session, "captain2", [("building_captain", w.building9)], full_name="楼栋长陈")
    await session.commit()
    rid = await submit(client, app, w.resident)
    assert (await row(app, rid)).assignee_staff_id == w.captain.id  # same load: the lower id first

    await tick(app, clock, minutes=48)  # the warning
    await tick(app, clock, minutes=11)
    assert (await row(app, rid)).assignee_staff_id == w.captain.id
    await tick(app, clock, minutes=1)  # respond-by: the first captain never accepted

    breach = START + 60 * MINUTE
    r = await row(app, rid)
    assert (r.assignee_staff_id, r.status) == (second.id, "assigned")
    assert r.respond_breached_at == breach and r.assigned_at == breach
    assert r.respond_by_at == breach + 60 * MINUTE
    first, reroute = await decisions(app, rid)
    assert (reroute.trigger, reroute.outcome, reroute.rule) == ("respond_breach", "assigned", "building_captain")
    assert reroute.assignee_staff_id == second.id
    assert reroute.steps[0]["reason"] == f"Respond-by passed: re-routing, leaving out #{w.captain.id}."
    [escalated] = await events(app, rid, "escalation")
    assert escalated.action == "respond_breach" and escalated.created_at == breach
    assert (escalated.data["staff_id"], escalated.data["to_staff_id"]) == (w.captain.id, second.id)
    kinds = [(e.kind, e.action) for e in await events(app, rid) if e.created_at == breach]
    assert kinds == [("escalation", "respond_breach"), ("transition", "assign")]

    # The second captain gets a warning of their own, then lets it pass too: up the fallback chain.
    await tick(app, clock, minutes=48)
    assert [e.created_at for e in await events(app, rid, "warning")] == [START + 48 * MINUTE, breach + 48 * MINUTE]
    await tick(app, clock, minutes=12)
    r = await row(app, rid)
    assert r.assignee_staff_id == w.head.id
    climbed = (await decisions(app, rid))[-1]
    assert (climbed.trigger, climbed.rule, climbed.assignee_staff_id) == ("respond_breach", "station_head", w.head.id)

    # Nobody above the head in this world: the head keeps it, is reminded once per window, no new decision,
    # and assigned_at stays the real assignment time.
    await tick(app, clock, minutes=48)  # the head's warning
    await tick(app, clock, minutes=12)
    r = await row(app, rid)
    assert r.assignee_staff_id == w.head.id and r.assigned_at == START + 120 * MINUTE
    assert r.respond_breached_at == START + 180 * MINUTE and r.respond_by_at == START + 240 * MINUTE
    assert len(await decisions(app, rid)) == 3
    assert len(await events(app, rid, "escalation")) == 3
    await tick(app, clock, minutes=30)
    assert len(await events(app, rid, "escalation")) == 3
    assert len(await events(app, rid, "warning")) == 3  # no warning for a reminder window

    accepted = await act(client, app, w.head, rid, "accept")
    assert accepted["timing"]["respond_met"] is False  # respond-by was missed on the way
    assert accepted["timing"]["seconds_to_accept"] == 210 * 60
    assert accepted["timing"]["seconds_to_assign"] == 120 * 60
    assert (await row(app, rid)).next_timer_at == START + 1152 * MINUTE  # the resolve warning, 80 % of 24 h
    assert first.trigger == "submitted"


# A resolve-by breach, twice -----------------------------------------------------------------------------------


async def test_resolve_breach_escalates_one_level_per_window(client, app, session, w, clock):
    community = await factories.staff(session, "community1", [("community_staff", w.community)],
                                      full_name="社区刘")
    await session.commit()
    with push_gateway(app):
        rid = await submit(client, app, w.resident)
        await tick(app, clock, minutes=10)
        await act(client, app, w.captain, rid, "accept")
        await act(client, app, w.captain, rid, "start")
        await tick_at(app, clock, START + 20 * HOUR)
        assert await actions(app, rid, "warning") == [("warning", "resolve_warning")]

        await tick_at(app, clock, START + 24 * HOUR)  # resolve-by
        r = await row(app, rid)
        assert (r.breached, r.escalation_level, r.resolve_breach_count) == (True, 1, 1)
        assert (r.status, r.assignee_staff_id) == ("in_progress", w.captain.id)
        assert r.next_timer_at == START + 48 * HOUR  # the next window
        body = await read(client, app, w.head, rid)
        assert [(p["staff_id"], p["reason"]) for p in body["participants"]] == [(w.head.id, "escalation")]
        [first] = await events(app, rid, "escalation")
        assert first.action == "resolve_breach"
        assert {k: first.data[k] for k in ("level", "level_name", "staff_id")} == {
            "level": 1, "level_name": "station_head", "staff_id": w.head.id}
        escalated = (await decisions(app, rid))[-1]
        assert (escalated.trigger, escalated.outcome, escalated.escalation_level) == ("resolve_breach", "escalated", 1)
        assert escalated.participant_staff_ids == [w.head.id] and escalated.assignee_staff_id is None
        assert [p for p in await pushes(app, rid) if p[0] == "request.escalated"] == [
            ("request.escalated", w.head.id), ("request.escalated", w.captain.id)]

        await tick_at(app, clock, START + 47 * HOUR + 59 * MINUTE)  # not again before the next window
        assert len(await events(app, rid, "escalation")) == 1

        await tick_at(app, clock, START + 48 * HOUR)
        r = await row(app, rid)
        assert (r.escalation_level, r.resolve_breach_count) == (2, 2)
        body = await read(client, app, w.head, rid)
        assert [p["staff_id"] for p in body["participants"]] == [w.head.id, community.id]
        second = (await events(app, rid, "escalation"))[-1]
        assert (second.data["level"], second.data["level_name"], second.data["staff_id"]) == (
            2, "community_staff", community.id)

        # Nobody holds a level above the community here: a third window stays at the top level.
        await tick_at(app, clock, START + 72 * HOUR)
        third = (await events(app, rid, "escalation"))[-1]
        assert (third.data["level"], third.data["level_name"], third.data["staff_id"]) == (
            3, "community_staff", community.id)
        assert len(await events(app, rid, "participant")) == 2

        clock.set(START + 73 * HOUR)
        resolved = await act(client, app, w.captain, rid, "resolve", {"note": "已更换声控灯"})
    timing = resolved["timing"]
    assert timing == {"seconds_to_assign": 0, "seconds_to_accept": 600, "seconds_to_resolve": 73 * 3600,
                      "respond_met": True, "resolve_met": False, "breached": True, "escalation_level": 3}
    assert (await row(app, rid)).next_timer_at is None
    await tick_at(app, clock, START + 96 * HOUR)
    assert len(await events(app, rid, "escalation")) == 3


# A pause -----------------------------------------------------------------------------------------------------


async def test_awaiting_the_resident_stops_the_clock(client, app, w, clock):
    rid = await submit(client, app, w.resident)
    await tick(app, clock, minutes=20)
    await act(client, app, w.captain, rid, "accept")
    await act(client, app, w.captain, rid, "start")
    await tick_at(app, clock, START + 20 * HOUR)  # the resolve warning
    clock.set(START + 23 * HOUR)
    await act(client, app, w.captain, rid, "await-resident", {"note": "等居民下午在家"})
    r = await row(app, rid)
    assert r.paused_at == START + 23 * HOUR and r.next_timer_at is None
    assert r.resolve_by_at == START + 24 * HOUR

    # Resolve-by as it stood passes during the pause: nothing fires.
    assert await tick_at(app, clock, START + 25 * HOUR) == 0
    assert await tick_at(app, clock, START + 26 * HOUR) == 0
    assert await actions(app, rid, "escalation") == []

    await act(client, app, w.resident, rid, "resume", {"note": "我在家了"})
    r = await row(app, rid)
    assert r.paused_seconds == 3 * 3600 and r.paused_at is None
    assert r.resolve_by_at == START + 27 * HOUR  # moved by the 3 hours paused (a 24/7 category)
    assert r.next_timer_at == START + 27 * HOUR
    await tick_at(app, clock, START + 26 * HOUR + 59 * MINUTE)
    assert await actions(app, rid, "escalation") == []
    assert (await row(app, rid)).breached is False

    clock.set(START + 26 * HOUR + 30 * MINUTE)
    resolved = await act(client, app, w.captain, rid, "resolve", {"note": "已更换声控灯"})
    assert resolved["timing"] == {"seconds_to_assign": 0, "seconds_to_accept": 1200,
                                  "seconds_to_resolve": int(23.5 * 3600), "respond_met": True,
                                  "resolve_met": True, "breached": False, "escalation_level": 0}
    # Accepted before the respond warning was due: only the resolve warning, at 80 % of 24 h.
    assert [(e.action, e.created_at) for e in await events(app, rid, "warning")] == [
        ("resolve_warning", START + 20 * HOUR)]


# A working-hours category ------------------------------------------------------------------------------------


@pytest.fixture
async def lighting_on_working_hours(app):  # type: ignore[no-untyped-def]
    """Public lighting counts working hours for this test only (categories are seed data, kept between tests)."""
    async with app.state.sessionmaker() as s:
        category = await s.scalar(select(Category).where(Category.code == "public_lighting"))
        saved = category.clock
        category.clock = "working_hours"
        await s.commit()
    try:
        yield
    finally:
        async with app.state.sessionmaker() as s:
            category = await s.scalar(select(Category).where(Category.code == "public_lighting"))
            category.clock = saved
            await s.commit()


async def test_a_working_hours_category_skips_nights_and_weekends(client, app, w, clock, lighting_on_working_hours):
    clock.set(sh(2026, 11, 27, 17, 30))  # Friday, half an hour before the office closes
    rid = await submit(client, app, w.resident)
    r = await row(app, rid)
    # 30 minutes on Friday, 30 on Monday morning.
    assert r.respond_by_at == sh(2026, 11, 30, 9, 30)
    # 24 working hours: Fri 0.5 + Mon 7.5 + Tue 7.5 + Wed 7.5 + Thu 1 (Mon–Fri 09:00–12:00, 13:30–18:00).
    assert r.resolve_by_at == sh(2026, 12, 3, 10, 0)
    assert r.next_timer_at == sh(2026, 11, 30, 9, 18)  # 48 working minutes

    assert await tick_at(app, clock, sh(2026, 11, 28, 12, 0)) == 0  # Saturday: nothing is due
    assert await tick_at(app, clock, sh(2026, 11, 30, 9, 0)) == 0
    await tick_at(app, clock, sh(2026, 11, 30, 9, 18))
    assert await actions(app, rid, "warning", "escalation") == [("warning", "respond_warning")]
    await tick_at(app, clock, sh(2026, 11, 30, 9, 30))
    r = await row(app, rid)
    assert r.assignee_staff_id == w.head.id  # the only captain let it pass
    assert r.respond_by_at == sh(2026, 11, 30, 10, 30)

    clock.set(sh(2026, 11, 30, 17, 45))
    await act(client, app, w.head, rid, "accept")
    await act(client, app, w.head, rid, "start")
    await act(client, app, w.head, rid, "await-resident")
    clock.set(sh(2026, 12, 1, 10, 0))  # Tuesday morning: 15 minutes of Monday and 1 hour of Tuesday paused
    await act(client, app, w.resident, rid, "resume")
    assert (await row(app, rid)).resolve_by_at == sh(2026, 12, 3, 11, 15)


# The final times -----------------------------------------------------------------------------------------------


async def test_the_read_shows_times_and_whether_targets_were_met(client, app, w, clock):
    rid = await submit(client, app, w.resident, route=False)
    timing = (await read(client, app, w.head, rid))["timing"]
    assert timing == {"seconds_to_assign": None, "seconds_to_accept": None, "seconds_to_resolve": None,
                      "respond_met": None, "resolve_met": None, "breached": False, "escalation_level": 0}

    clock.advance(seconds=90)
    await route_request(request_id=rid)
    late = await submit(client, app, w.neighbour)  # a second one nobody accepts
    await tick(app, clock, minutes=28, seconds=30)
    accepted = await act(client, app, w.captain, rid, "accept")
    assert accepted["timing"]["seconds_to_assign"] == 90 and accepted["timing"]["seconds_to_accept"] == 1800
    assert accepted["timing"]["respond_met"] is True and accepted["timing"]["resolve_met"] is None

    clock.advance(minutes=61)  # past the second one's respond-by, before any tick
    assert (await read(client, app, w.head, late))["timing"]["respond_met"] is False

    clock.advance(minutes=59)
    await act(client, app, w.captain, rid, "start")
    clock.advance(hours=1)
    await act(client, app, w.captain, rid, "await-resident")
    clock.advance(hours=2)
    await act(client, app, w.resident, rid, "resume")
    clock.advance(hours=1)
    resolved = await act(client, app, w.captain, rid, "resolve", {"note": "已更换声控灯"})
    # Submitted → resolved in 6.5 hours, 2 of them waiting for the resident.
    assert resolved["timing"] == {"seconds_to_assign": 90, "seconds_to_accept": 1800,
                                  "seconds_to_resolve": int(4.5 * 3600), "respond_met": True, "resolve_met": True,
                                  "breached": False, "escalation_level": 0}
    assert at(resolved["resolve_by_at"]) == START + 26 * HOUR


# Bugs found, kept fixed ----------------------------------------------------------------------------------------


async def test_a_late_tick_handles_both_deadlines_and_sends_no_stale_warning(client, app, w, clock):
    """Nothing ticked for 25 hours (an outage): one tick re-routes the unaccepted request and counts the resolve
    breach; warnings for deadlines already passed are not sent late, and nothing is left due."""
    rid = await submit(client, app, w.resident)
    await tick(app, clock, hours=25)
    assert await actions(app, rid, "warning", "escalation") == [("escalation", "respond_breach"),
                                                                ("escalation", "resolve_breach")]
    r = await row(app, rid)
    assert r.assignee_staff_id == w.head.id and r.escalation_level == 1
    assert r.next_timer_at == START + 25 * HOUR + 48 * MINUTE  # the head's own respond warning
    await tick(app, clock)
    assert len(await events(app, rid, "escalation")) == 2


async def test_a_reopened_request_starts_a_new_resolve_cycle(client, app, w, clock):
    """The breach count of an earlier cycle must not push the next breach of a reopened request later."""
    rid = await submit(client, app, w.resident)
    await act(client, app, w.captain, rid, "accept")
    await tick_at(app, clock, START + 24 * HOUR)
    assert (await row(app, rid)).escalation_level == 1
    clock.set(START + 25 * HOUR)
    await act(client, app, w.captain, rid, "resolve", {"note": "已更换声控灯"})
    clock.set(START + 26 * HOUR)
    await act(client, app, w.resident, rid, "reopen", {"reason": "灯又不亮了"})
    timing = (await read(client, app, w.resident, rid))["timing"]
    assert (timing["seconds_to_resolve"], timing["resolve_met"], timing["breached"]) == (None, None, True)
    r = await row(app, rid)
    assert r.resolve_by_at == START + 50 * HOUR
    assert r.next_timer_at == START + 26 * HOUR + 1152 * MINUTE  # a warning again, for the new deadline

    await tick_at(app, clock, START + 46 * HOUR)
    # No late warning for the first cycle's deadline (the tick came after it); one for the new deadline.
    assert [(e.action, e.created_at) for e in await events(app, rid, "warning")] == [
        ("resolve_warning", START + 46 * HOUR)]
    await tick_at(app, clock, START + 50 * HOUR)
    breaches = [e for e in await events(app, rid, "escalation") if e.action == "resolve_breach"]
    assert [e.created_at for e in breaches] == [START + 24 * HOUR, START + 50 * HOUR]
    assert (await row(app, rid)).escalation_level == 2


async def test_an_escalation_goes_to_the_backup_of_someone_away(client, app, session, w, clock):
    """The station head is away today (Shanghai's day): their backup joins at the first resolve breach."""
    deputy = await factories.staff(session, "deputy", [("community_staff", w.community)], full_name="副站长")
    breach_day = (START + 24 * HOUR).astimezone(SHANGHAI).date()
    session.add(StaffAbsence(staff_id=w.head.id, starts_on=breach_day, ends_on=breach_day,
                             backup_staff_id=deputy.id, reason="年假"))
    await session.commit()
    rid = await submit(client, app, w.resident)
    await act(client, app, w.captain, rid, "accept")
    await tick_at(app, clock, START + 24 * HOUR)
    [breach] = await events(app, rid, "escalation")
    assert (breach.data["level_name"], breach.data["staff_id"]) == ("station_head", deputy.id)
    body = await read(client, app, w.captain, rid)
    assert [p["staff_id"] for p in body["participants"]] == [deputy.id]
    escalated = (await decisions(app, rid))[-1]
    assert any(step["outcome"] == "backup" for step in escalated.steps)


async def test_a_request_left_for_triage_is_routed_again_at_respond_by(app, session, w, clock):
    """No category (the all-categories targets apply) and nobody was found at submission: at respond-by the
    routing runs again, and here finds the station head."""
    request = await arrange(session, w, "submitted", now=clock.now(), assignee_staff_id=None, assigned_at=None,
                            needs_triage=True, building_id=None, area_id=w.compound.id, area_path=w.compound.path)
    rid = request.id
    await sla_update(request_id=rid)
    r = await row(app, rid)
    assert (r.respond_by_at, r.resolve_by_at) == (START + HOUR, START + 7 * 24 * HOUR)  # normal: 60 / 10080

    await tick(app, clock, minutes=60)
    r = await row(app, rid)
    assert (r.status, r.assignee_staff_id, r.needs_triage) == ("assigned", w.head.id, False)
    [decision] = await decisions(app, rid)
    assert (decision.trigger, decision.rule) == ("respond_breach", "station_head")
    assert r.respond_by_at == START + 2 * HOUR


async def test_nobody_to_route_to_is_retried_once_per_window(app, session, w, clock):
    request = await arrange(session, w, "submitted", now=clock.now(), assignee_staff_id=None, assigned_at=None,
                            needs_triage=True, building_id=None, area_id=w.other_compound.id,
                            area_path=w.other_compound.path)
    rid = request.id
    await sla_update(request_id=rid)
    await tick(app, clock, minutes=60)
    r = await row(app, rid)
    assert (r.status, r.needs_triage, r.respond_breached_at) == ("submitted", True, START + HOUR)
    assert r.respond_by_at == START + 2 * HOUR
    await tick(app, clock, minutes=30)
    await tick(app, clock, minutes=30)
    assert [e.created_at for e in await events(app, rid, "escalation")] == [START + HOUR, START + 2 * HOUR]
    assert await decisions(app, rid) == []


async def test_one_failing_request_does_not_hold_up_the_others(client, app, w, clock, monkeypatch):
    bad = await submit(client, app, w.resident)
    good = await submit(client, app, w.neighbour)
    real = escalation.respond_breach

    async def flaky(session, request, **kwargs):  # type: ignore[no-untyped-def]
        await real(session, request, **kwargs)
        if request.id == bad:
            raise RuntimeError("boom")  # after the re-routing was written: all of it must be undone

    monkeypatch.setattr(escalation, "respond_breach", flaky)
    await tick(app, clock, minutes=60)
    assert (await row(app, good)).assignee_staff_id == w.head.id
    r = await row(app, bad)
    assert r.assignee_staff_id == w.captain.id and r.respond_breached_at is None
    assert r.next_timer_at == START + 61 * MINUTE  # looked at again in a minute, not every tick
    assert await actions(app, bad, "escalation") == []
    assert [d.trigger for d in await decisions(app, bad)] == ["submitted"]

    monkeypatch.setattr(escalation, "respond_breach", real)
    await tick(app, clock, minutes=1)
    assert (await row(app, bad)).assignee_staff_id == w.head.id


async def test_tick_once_reports_how_many_it_looked_at(app, w, clock, client):
    await submit(client, app, w.resident)
    clock.advance(minutes=48)
    assert await tick_once() == 1
    assert await tick_once() == 0
