"""Routing a request: where it is, what it is, who takes it — decided by the pure engine, applied to the rows,
kept as a trace. Entered through ``route_request`` (the pipeline job), exactly once per submission or decline:
the row's status is the gate, under a row lock."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area, AreaKind
from app.core.actor import Actor
from app.core.config import Settings
from app.core.errors import Forbidden
from app.requests import service as requests_service
from app.requests.models import PRIORITY_RANK, Priority, RoutingRule, ServiceRequest
from app.requests.schemas import CategoryBrief
from app.routing import engine, repository
from app.routing.engine import BuildingRef, Candidate, CategoryRef, FallbackLevel, TraceStep
from app.routing.models import RoutingDecision
from app.routing.notify import notify_staff
from app.routing.schemas import QueueItem, QueueRead, RoutingDecisionRead, StaffRef, TraceStepRead
from app.sla import catalogue as sla_catalogue
from app.sla import clock as sla_clock
from app.sla.calendar import DEFAULT_TIMEZONE

LOCAL_ZONE = ZoneInfo(DEFAULT_TIMEZONE)

# Rules that start at a level of the fallback chain rather than with a named person.
RULE_STARTS_AT = {RoutingRule.station_head: AreaKind.compound, RoutingRule.community_desk: AreaKind.community}


@dataclass
class Location:
    building: BuildingRef | None = None
    street: Area | None = None
    area: Area | None = None  # the most specific area known
    unit: int | None = None
    steps: list[TraceStep] = field(default_factory=list)
    # The areas the request was filed under, kept for the job (the session holds rows only weakly).
    filed_chain: list[Area] = field(default_factory=list)


@dataclass
class Decision:
    trigger: str
    rule: str | None
    assignee: int | None
    participants: list[int]
    escalation_level: int
    steps: list[TraceStep]


# Where -----------------------------------------------------------------------------------------------------


async def locate(session: AsyncSession, request: ServiceRequest, radius_m: float) -> Location:
    """The building or street from its id; else from the address text; else the nearest building within
    ``radius_m``; else the best-known area (the request then needs triage if nobody is found there)."""
    loc = Location(unit=request.unit)
    # The areas the request was filed under, in one read: the session then holds the building, its compound
    # and the tree above them for everything below.
    loc.filed_chain = await repository.areas_on_path(session, request.area_path)
    # A request filed at a coarse area (an integration's, a staff member's) is located inside that area, never
    # outside it: a hotline platform for one district cannot land work in another.
    filed_at = await session.get(Area, request.area_id) if request.area_id else None
    within = filed_at.path if filed_at is not None and filed_at.kind != AreaKind.building else None
    if request.building_id is not None:
        loc.building = await repository.building_ref(session, request.building_id)
        loc.steps.append(TraceStep("where", "building_id", "given", f"Building #{request.building_id} was given.",
                                   {"building_id": request.building_id}))
    elif request.street_id is not None:
        loc.street = await session.get(Area, request.street_id)
        loc.steps.append(TraceStep("where", "street_id", "given", f"Street #{request.street_id} was given.",
                                   {"street_id": request.street_id}))
    if loc.building is None and loc.street is None and request.address_text:
        parsed = engine.parse_address(request.address_text)
        pool = await repository.buildings_of_compounds_named_in(session, request.address_text, within)
        building, steps = engine.match_building(parsed, pool)
        loc.steps += steps
        if building is not None:
            loc.building = building
            loc.unit = loc.unit or parsed.unit
        else:
            compound_id = next((s.detail.get("compound_id") for s in steps if s.detail.get("compound_id")), None)
            if compound_id is not None:
                loc.area = await session.get(Area, compound_id)
    if loc.building is None and loc.street is None and loc.area is None and request.latitude is not None:
        assert request.longitude is not None
        pool = await repository.buildings_near(session, request.latitude, request.longitude, radius_m, within)
        if pool:
            building, _, steps = engine.nearest_building(request.latitude, request.longitude, pool, radius_m)
            loc.steps += steps
            loc.building = building
        else:
            # The pool is only the buildings inside the radius's box: the engine's "no building has
            # coordinates" would mislead the reader.
            loc.steps.append(TraceStep("where", "nearest_building", "none",
                                       f"No building within {radius_m:g} m of the point.",
                                       {"latitude": request.latitude, "longitude": request.longitude,
                                        "radius_m": radius_m}))
    if loc.building is not None:
        loc.area = await session.get(Area, loc.building.id)
    elif loc.street is not None:
        loc.area = loc.street
    elif loc.area is None and request.area_id is not None:
        loc.area = await session.get(Area, request.area_id)
        if loc.area is not None and loc.area.kind == AreaKind.building:
            loc.building = await repository.building_ref(session, loc.area.id)
            loc.steps.append(TraceStep("where", "reporter_building", "matched",
                                       f"The reporter's building {loc.area.name} (#{loc.area.id}).",
                                       {"building_id": loc.area.id}))
        elif loc.area is not None:
            loc.steps.append(TraceStep("where", "best_known_area", "coarse",
                                       f"Only the area {loc.area.name} (#{loc.area.id}, a {loc.area.kind}) is known.",
                                       {"area_id": loc.area.id}))
    if loc.area is None:
        loc.steps.append(TraceStep("where", "none", "unknown", "No place could be found for this request.", {}))
    return loc


# What ------------------------------------------------------------------------------------------------------


async def categorise(
    session: AsyncSession, request: ServiceRequest
) -> tuple[CategoryRef | None, str, list[TraceStep]]:
    """The given category, or the one the Chinese text's keywords point to; the priority, raised by hazard
    words."""
    snapshot = sla_catalogue.attached(session)
    assert snapshot is not None, "route_request attaches the catalogue"
    categories = repository.category_refs(snapshot)
    steps: list[TraceStep] = []
    text = f"{request.title}\n{request.description or ''}"
    priority = request.priority
    if request.category_id is not None:
        category = next((c for c in categories if c.id == request.category_id), None)
        steps.append(TraceStep("what", "given", "given", f"Category {category.code if category else '?'} was given.",
                               {"category_id": request.category_id}))
    else:
        category, _, class_steps = engine.classify(text, categories)
        steps += class_steps
        if category is not None and PRIORITY_RANK[Priority(category.default_priority)] > PRIORITY_RANK[
            Priority(priority)
        ]:
            priority = category.default_priority
    priority, priority_steps = engine.raise_priority(priority, text)
    steps += priority_steps
    return category, priority, steps


# Who -------------------------------------------------------------------------------------------------------


async def fallback_levels(
    session: AsyncSession, chain: list[Area], start_kind: AreaKind | None, *, today: date | None = None
) -> list[FallbackLevel]:
    """Station head (compound) → community staff → subdistrict duty desk → any subdistrict staff, from the
    level of ``start_kind`` up (None: from the deepest level the chain has). Given ``today``, who is away is
    read with them."""
    by_kind = {a.kind: a for a in chain}
    levels: list[FallbackLevel] = []
    order = [AreaKind.compound, AreaKind.community, AreaKind.subdistrict]
    if start_kind in order:
        order = order[order.index(start_kind):]
    for kind in order:
        area = by_kind.get(kind)
        if area is None:
            continue
        if kind == AreaKind.compound:
            levels.append(FallbackLevel("station_head", await repository.candidates(
                session, area_id=area.id, roles=["station_head"], day=today), area.name))
        elif kind == AreaKind.community:
            levels.append(FallbackLevel("community_staff", await repository.candidates(
                session, area_id=area.id, roles=["community_staff"], day=today), area.name))
        else:
            levels.append(FallbackLevel("duty_desk", await repository.candidates(
                session, area_id=area.id, roles=["subdistrict_staff"], department="duty_desk", day=today),
                area.name))
            levels.append(FallbackLevel("subdistrict_staff", await repository.candidates(
                session, area_id=area.id, roles=["subdistrict_staff"], day=today), area.name))
    return levels


async def _absences(session: AsyncSession, groups: list[list[Candidate]], day: Any) -> dict[int, int | None]:
    ids = sorted({c.staff_id for group in groups for c in group})
    return await repository.absences_on(session, ids, day)


async def choose(
    session: AsyncSession,
    loc: Location,
    category: CategoryRef | None,
    *,
    exclude: set[int],
    now: datetime,
    trigger: str,
    start_level: AreaKind | None = None,
) -> Decision:
    """Applies the category's rule at the request's place, then falls back up the tree."""
    steps: list[TraceStep] = []
    chain = await repository.areas_on_path(session, loc.area.path if loc.area else None)
    by_kind = {a.kind: a for a in chain}
    rule = category.routing_rule if category else RoutingRule.building_captain
    rr = await repository.last_assignee_in(session, loc.area.id) if loc.area else None
    assignee: int | None = None
    participants: list[int] = []
    used_rule: str | None = None
    # Absences are calendar days where the staff work, not UTC days (Xi'an's day starts at 16:00 UTC).
    today = now.astimezone(LOCAL_ZONE).date()

    if start_level is None and loc.street is not None:
        chiefs = await repository.candidates(session, area_id=loc.street.id, roles=["street_chief"], day=today)
        stewards = await repository.candidates(session, area_id=loc.street.id, roles=["alley_steward"], day=today)
        away = await _absences(session, [chiefs, stewards], today)
        assignee, who_steps, _ = engine.choose_street_chief(chiefs, stewards, away, exclude, rr)
        steps += who_steps
        used_rule = "street_chief"
    elif start_level is None and loc.building is not None and rule == RoutingRule.joint_handling:
        compound = by_kind.get(AreaKind.compound)
        subdistrict = by_kind.get(AreaKind.subdistrict)
        heads = (
            await repository.candidates(session, area_id=compound.id, roles=["station_head"], day=today)
            if compound else []
        )
        captains = await repository.candidates(session, area_id=loc.building.id, roles=["building_captain"],
                                               day=today)
        department = category.department if category else None
        dept_staff = (
            await repository.candidates(
                session, area_id=subdistrict.id, roles=["subdistrict_staff"], department=department, day=today
            )
            if subdistrict and department
            else []
        )
        levels = await fallback_levels(session, chain, AreaKind.community, today=today)
        away = await _absences(session, [heads, captains, dept_staff, *[lv.candidates for lv in levels]], today)
        assignee, participants, who_steps = engine.joint_handling(
            heads, captains, dept_staff, unit=loc.unit, on_day_absent=away, department=department,
            fallback_levels=levels, exclude=exclude, round_robin_after=rr,
        )
        steps += who_steps
        used_rule = "joint_handling"
    elif start_level is None and loc.building is not None and rule == RoutingRule.building_captain:
        captains = await repository.candidates(session, area_id=loc.building.id, roles=["building_captain"],
                                               day=today)
        away = await _absences(session, [captains], today)
        assignee, who_steps, _ = engine.choose_captain(captains, loc.unit, away, rr, exclude)
        steps += who_steps
        used_rule = "building_captain"

    if assignee is None:
        if start_level is None:
            start_level = RULE_STARTS_AT.get(RoutingRule(rule))
        levels = await fallback_levels(session, chain, start_level, today=today)
        away = await _absences(session, [lv.candidates for lv in levels], today)
        assignee, chain_steps = engine.fallback_chain(levels, away, exclude, rr)
        steps += chain_steps
        if assignee is not None:
            used_rule = chain_steps[-1].rule
    return Decision(trigger, used_rule, assignee, participants, 0, steps)


# The job's entry point -------------------------------------------------------------------------------------


async def route_request(session: AsyncSession, request_id: int, *, now: datetime, settings: Settings) -> (
    RoutingDecision | None
):
    """Routes a request that is ``submitted`` (or ``declined``: then the next candidate, never one who had it
    before). Compare-and-set: a request in any other state is left alone and None is returned, so a job
    that runs twice changes nothing the second time. Nobody found → ``needs_triage`` and it stays for a
    manager to assign."""
    locked = await repository.lock_routable(session, request_id)
    if locked is None:
        return None
    request, version = locked
    sla_catalogue.attach(session, await sla_catalogue.current(session, version))
    trigger = "declined" if request.status == "declined" else "submitted"
    exclude = await repository.previous_assignees(session, request.id) if trigger == "declined" else set()
    if exclude:
        exclude_step = [TraceStep("who", "exclude", "skipped", "Leaving out who had it before: "
                                  + ", ".join(f"#{s}" for s in sorted(exclude)) + ".", {"staff_ids": sorted(exclude)})]
    else:
        exclude_step = []
    loc = await locate(session, request, settings.routing_radius_m)
    category, priority, what_steps = await categorise(session, request)
    decision = await choose(session, loc, category, exclude=exclude, now=now, trigger=trigger)
    steps = loc.steps + what_steps + exclude_step + decision.steps
    return await apply(session, request, decision, steps, loc=loc, category=category, priority=priority,
                       now=now, settings=settings)


async def apply(
    session: AsyncSession,
    request: ServiceRequest,
    decision: Decision,
    steps: list[TraceStep],
    *,
    loc: Location | None,
    category: CategoryRef | None,
    priority: str | None,
    now: datetime,
    settings: Settings,
) -> RoutingDecision:
    """Stores the trace, writes the outcome on the request (with its events), and notifies."""
    outcome = "assigned" if decision.assignee is not None else "needs_triage"
    record = RoutingDecision(
        request_id=request.id,
        area_id=loc.area.id if loc is not None and loc.area is not None else request.area_id,
        trigger=decision.trigger,
        outcome=outcome,
        rule=decision.rule,
        assignee_staff_id=decision.assignee,
        participant_staff_ids=decision.participants,
        escalation_level=decision.escalation_level,
        steps=[s.as_dict() for s in steps],
        created_at=now,
    )
    session.add(record)
    await session.flush()
    await requests_service.apply_routing(
        session,
        request,
        now=now,
        assignee_staff_id=decision.assignee,
        participant_staff_ids=decision.participants,
        category_id=category.id if category else None,
        priority=priority,
        building_id=loc.building.id if loc and loc.building else None,
        street_id=loc.street.id if loc and loc.street else None,
        unit=loc.unit if loc else None,
        area=(loc.area.id, loc.area.path) if loc and loc.area else None,
        data={"routing_decision_id": record.id, "rule": decision.rule, "trigger": decision.trigger},
    )
    # A request routed from ``submitted`` has only its submission behind it: its clock has nothing to replay.
    first_cycle = decision.trigger == "submitted" and request.resolve_breach_count == 0
    await sla_clock.schedule(session, request, now=now, settings=settings, first_cycle=first_cycle)
    if decision.assignee is not None:
        await notify_staff(session, request, [decision.assignee], event="request.assigned", now=now,
                           settings=settings, role="assignee")
    # Participants hear of it even when nobody owns it yet: a hazard left for triage is still theirs to watch.
    if decision.participants:
        await notify_staff(session, request, decision.participants, event="request.joined", now=now,
                           settings=settings, role="participant")
    return record


# Reads: the trace and the queue ------------------------------------------------------------------------------


async def list_decisions(session: AsyncSession, actor: Actor, request_id: int) -> list[RoutingDecisionRead]:
    """A request's routing decisions, oldest first, each with its steps: for staff who may see the request
    (403 for anyone else; 404 when the request is not theirs to see, whether or not it exists)."""
    if not actor.is_staff:
        raise Forbidden("Only staff may read routing decisions")
    await requests_service._visible(session, actor, request_id)
    decisions = await repository.decisions_of(session, request_id)
    names = await repository.staff_names(
        session, [s for d in decisions for s in (d.assignee_staff_id, *d.participant_staff_ids)]
    )

    def ref(staff_id: int) -> StaffRef:
        return StaffRef(id=staff_id, name=names.get(staff_id, ""))

    return [
        RoutingDecisionRead(
            id=d.id,
            trigger=d.trigger,
            outcome=d.outcome,
            rule=d.rule,
            assignee=ref(d.assignee_staff_id) if d.assignee_staff_id is not None else None,
            participants=[ref(s) for s in d.participant_staff_ids],
            escalation_level=d.escalation_level,
            created_at=d.created_at,
            steps=[TraceStepRead.model_validate(s) for s in d.steps],
        )
        for d in decisions
    ]


async def my_queue(
    session: AsyncSession, actor: Actor, *, include_participating: bool, limit: int, now: datetime
) -> QueueRead:
    """The caller's open work (assigned, accepted, in progress, awaiting the resident, reopened), most urgent
    first: the next deadline (respond-by until accepted, then resolve-by; none last), then priority, then id.
    ``seconds_left`` counts from ``now`` and is negative when overdue. Staff only."""
    if not actor.is_staff or actor.staff_id is None:
        raise Forbidden("Only staff have a queue")
    rows = await repository.queue_of(session, actor.staff_id, include_participating=include_participating,
                                     limit=limit)
    items: list[QueueItem] = []
    for r in rows:
        which = "respond" if r.accepted_at is None else "resolve"
        due = r.respond_by_at if which == "respond" else r.resolve_by_at
        items.append(
            QueueItem(
                id=r.id,
                reference=r.reference,
                title=r.title,
                status=r.status,
                priority=r.priority,
                category=(
                    CategoryBrief(code=r.category_code, name_zh=r.category_name_zh or "",
                                  name_en=r.category_name_en or "")
                    if r.category_code is not None
                    else None
                ),
                compound_name=r.compound_name,
                building_name=r.building_name,
                unit=r.unit,
                street_name=r.street_name,
                due_at=due,
                which=which if due is not None else None,
                seconds_left=math.floor((due - now).total_seconds()) if due is not None else None,
                paused=r.paused,
                needs_triage=r.needs_triage,
                role="participant" if r.role == "participant" else "assignee",
            )
        )
    return QueueRead(as_of=now, items=items)
