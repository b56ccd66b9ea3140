"""Categories, intake, reads and the lifecycle of requests.

Every read and write is limited to what the caller may see; nothing here commits (the HTTP request or the
pipeline job owns the transaction). The pipelines use ``assign_request`` / ``get_request`` with
``app.core.actor.SYSTEM``, or, on a row they have already locked, ``apply_routing``, ``record_event`` and
``add_participants`` (at the end of this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area, AreaKind
from app.core.actor import SYSTEM, Actor
from app.core.errors import Forbidden, IllegalTransition, InvalidInput
from app.core.pagination import decode_cursor, encode_cursor
from app.core.schemas import Page
from app.core.security import mask_phone
from app.core.time import Clock
from app.people.models import Resident, Role
from app.pipeline.app import ROUTE_TASK, SLA_UPDATE_TASK, defer_in_transaction, defer_unless_waiting, route_lock
from app.requests import lifecycle, repository
from app.requests.errors import ActionForbidden, CategoryCodeTaken, CategoryNotFound, RequestNotFound
from app.requests.lifecycle import Action, Facts, Party, Rules
from app.requests.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Priority,
    RequestEvent,
    RequestParticipant,
    Satisfaction,
    ServiceRequest,
    Status,
)
from app.requests.schemas import (
    CategoryBrief,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    EventRead,
    ParticipantRead,
    RequestCreate,
    RequestLink,
    RequestRead,
    RequestTiming,
    StaffBrief,
)

# How staff may say a request reached them (hotline, open311 and wristband belong to integrations).
STAFF_CHANNELS = frozenset({Channel.walk_in, Channel.door_visit, Channel.patrol, Channel.app})
# Channels where someone asked in person: staff must say who.
IN_PERSON_CHANNELS = frozenset({Channel.walk_in, Channel.door_visit})
DEFAULT_RULES = Rules()


# Categories ---------------------------------------------------------------------------------------------


def _require_district_admin(actor: Actor) -> None:
    if not actor.has_role(Role.district_admin):
        raise Forbidden("Only a district admin may change categories")


async def list_categories(session: AsyncSession, actor: Actor, *, include_inactive: bool) -> list[CategoryRead]:
    """Categories by ``sort_order``: the active ones, or (staff only) all of them."""
    if include_inactive and not actor.is_staff:
        raise Forbidden("Only staff may list inactive categories")
    rows = await repository.list_categories(session, include_inactive=include_inactive)
    return [CategoryRead.model_validate(c) for c in rows]


async def _category(session: AsyncSession, code: str) -> Category:
    category = await repository.category_by_code(session, code)
    if category is None:
        raise CategoryNotFound(f"Category {code!r} was not found")
    return category


async def get_category(session: AsyncSession, code: str) -> CategoryRead:
    return CategoryRead.model_validate(await _category(session, code))


async def create_category(session: AsyncSession, actor: Actor, body: CategoryCreate) -> CategoryRead:
    """Adds a category (district admins only); its code is unique."""
    _require_district_admin(actor)
    if await repository.category_by_code(session, body.code) is not None:
        raise CategoryCodeTaken(f"A category with code {body.code!r} already exists")
    category = Category(**body.model_dump(mode="json"))
    session.add(category)
    await session.flush()
    return CategoryRead.model_validate(category)


# Columns a PATCH may not set to null.
_REQUIRED_CATEGORY_FIELDS = frozenset(CategoryUpdate.model_fields) - {"department"}


async def update_category(session: AsyncSession, actor: Actor, code: str, body: CategoryUpdate) -> CategoryRead:
    """Changes the fields given (district admins only). Requests keep their category; only new intake and
    routing see the change."""
    _require_district_admin(actor)
    category = await _category(session, code)
    changes = body.model_dump(exclude_unset=True, mode="json")
    for key, value in changes.items():
        if value is None and key in _REQUIRED_CATEGORY_FIELDS:
            raise InvalidInput(f"{key} cannot be null", field=f"body.{key}")
    for key, value in changes.items():
        setattr(category, key, value)
    await session.flush()
    return CategoryRead.model_validate(category)


# Intake -------------------------------------------------------------------------------------------------


async def publish_submitted(session: AsyncSession, request_id: int) -> None:
    """Rings the routing pipeline's doorbell for a submitted request.

    Enqueues ``route_request(request_id=…)`` on the session's own transaction: the job exists if and only
    if the request is committed. The routing pipeline consumes it (locates, classifies and assigns the
    request, through ``assign_request`` with the system actor); the row stays the truth.
    """
    # A new request cannot clash with a waiting job: no savepoint needed.
    await defer_in_transaction(session, ROUTE_TASK, queueing_lock=route_lock(request_id), request_id=request_id)


async def publish_declined(session: AsyncSession, request_id: int) -> None:
    """Rings the routing pipeline again for a declined request (the spec: declined means re-routed; routing
    then leaves out whoever had it). Same job, same all-or-nothing guarantee as ``publish_submitted``."""
    await defer_unless_waiting(session, ROUTE_TASK, queueing_lock=route_lock(request_id), request_id=request_id)


@dataclass
class _Intake:
    """What the caller's kind decides: channel, reporter and place."""

    channel: Channel
    priority: Priority | None = None
    building: Area | None = None
    street: Area | None = None
    unit: int | None = None
    reporter_resident_id: int | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    # Where a request with no building or street is filed: the reporter's building, else the staff
    # member's first role's area.
    fallback_area: tuple[int, str] | None = None


async def _place(session: AsyncSession, actor: Actor, area_id: int, kind: AreaKind, field: str) -> Area:
    area = await repository.area(session, area_id)
    if area is None or area.kind != kind or not actor.covers(area.path):
        raise InvalidInput(f"No {kind} {area_id} in your areas", field=field)
    return area


async def _resident_intake(session: AsyncSession, actor: Actor, body: RequestCreate) -> _Intake:
    refused = {
        "priority": "Only staff set the priority; it follows the category",
        "on_behalf_of_resident_id": "Only staff file requests for someone else",
        "reporter_name": "Only staff file requests for someone else",
        "reporter_phone": "Only staff file requests for someone else",
        "street_id": "Residents report for their own building; describe the place in address_text",
    }
    for field, message in refused.items():
        if getattr(body, field) is not None:
            raise InvalidInput(message, field=f"body.{field}")
    if body.channel not in (None, Channel.app):
        raise InvalidInput("Residents file requests through the app", field="body.channel")
    if body.building_id is not None and body.building_id != actor.building_id:
        raise InvalidInput("You can file requests only for your own building", field="body.building_id")
    resident = await session.get_one(Resident, actor.resident_id)
    building = await session.get_one(Area, resident.building_id)
    return _Intake(
        channel=Channel.app,
        building=building,
        # The resident's own unit unless they say otherwise (a captain may cover only some units).
        unit=body.unit if body.unit is not None else resident.unit,
        reporter_resident_id=resident.id,
        reporter_name=resident.full_name,
        reporter_phone=resident.phone,
    )


async def _staff_intake(session: AsyncSession, actor: Actor, body: RequestCreate) -> _Intake:
    if body.channel is None:
        raise InvalidInput("Say how it reached you: walk_in, door_visit, patrol or app", field="body.channel")
    if body.channel not in STAFF_CHANNELS:
        raise InvalidInput(
            f"Staff file requests as walk_in, door_visit, patrol or app, not {body.channel}", field="body.channel"
        )
    intake = _Intake(channel=body.channel, priority=body.priority, unit=body.unit)
    if body.building_id is not None:
        intake.building = await _place(session, actor, body.building_id, AreaKind.building, "body.building_id")
    if body.street_id is not None:
        intake.street = await _place(session, actor, body.street_id, AreaKind.street, "body.street_id")
    if body.on_behalf_of_resident_id is not None:
        for field in ("reporter_name", "reporter_phone"):
            if getattr(body, field) is not None:
                raise InvalidInput(
                    "Give either on_behalf_of_resident_id, or reporter_name and reporter_phone", field=f"body.{field}"
                )
        resident = await session.get(Resident, body.on_behalf_of_resident_id)
        path = await repository.area_path(session, resident.building_id) if resident else None
        if resident is None or not actor.covers(path):
            raise InvalidInput(
                f"No resident {body.on_behalf_of_resident_id} in your areas", field="body.on_behalf_of_resident_id"
            )
        intake.reporter_resident_id = resident.id
        intake.reporter_name = resident.full_name
        intake.reporter_phone = resident.phone
        intake.fallback_area = (resident.building_id, path or "")
    elif body.reporter_name is not None or body.reporter_phone is not None:
        if body.reporter_name is None:
            raise InvalidInput("Give the reporter's name with their phone", field="body.reporter_name")
        if body.reporter_phone is None:
            raise InvalidInput("Give the reporter's phone with their name", field="body.reporter_phone")
        intake.reporter_name = body.reporter_name
        intake.reporter_phone = body.reporter_phone
    elif body.channel in IN_PERSON_CHANNELS:
        raise InvalidInput(
            "Say who asked: on_behalf_of_resident_id, or reporter_name and reporter_phone",
            field="body.on_behalf_of_resident_id",
        )
    if intake.fallback_area is None and actor.roles:
        intake.fallback_area = (actor.roles[0].area_id, actor.roles[0].area_path)
    return intake


async def _active_category(session: AsyncSession, code: str | None) -> Category | None:
    if code is None:
        return None
    category = await repository.category_by_code(session, code)
    if category is None or not category.is_active:
        raise InvalidInput(f"No active category {code!r}; see GET /api/v1/categories", field="body.category_code")
    return category


def _check_place(body: RequestCreate, intake: _Intake) -> None:
    if intake.building is not None and intake.street is not None:
        raise InvalidInput("Name a building or a street, not both", field="body.street_id")
    if intake.unit is not None:
        if intake.building is None:
            raise InvalidInput("A unit needs a building", field="body.unit")
        if intake.building.unit_count and intake.unit > intake.building.unit_count:
            raise InvalidInput(f"{intake.building.name} has {intake.building.unit_count} units", field="body.unit")
    if body.latitude is None and body.longitude is not None:
        raise InvalidInput("Give latitude with longitude", field="body.latitude")
    if body.latitude is not None and body.longitude is None:
        raise InvalidInput("Give longitude with latitude", field="body.longitude")


async def _file(
    session: AsyncSession, actor: Actor, now: datetime, *, event_data: dict[str, Any] | None = None, **fields: Any
) -> ServiceRequest:
    """Inserts a ``submitted`` request stamped ``now`` (the injected clock's, so lists and filters agree with
    the stamped times), its ``submit`` event and its routing job, all in the caller's transaction."""
    fields.setdefault("integration_id", None)  # known now, so commit hooks need not look it up
    request = ServiceRequest(
        **fields,
        status=Status.submitted,
        needs_triage=False,
        submitted_at=now,
        created_at=now,
        paused_seconds=0,
        reopened_count=0,
    )
    session.add(request)
    await session.flush()  # RETURNING brings the reference back (eager defaults on the model)
    _append_event(session, request, actor, now, action="submit", from_status=None, to_status=Status.submitted,
                  data=event_data)
    await publish_submitted(session, request.id)
    await session.flush()
    return request


async def submit_request(
    session: AsyncSession, actor: Actor, body: RequestCreate, *, clock: Clock, rules: Rules = DEFAULT_RULES
) -> RequestRead:
    """Files a request as the caller.

    A resident files for their own building through the app and is the reporter. Staff say the channel,
    name places inside their areas, and file for a resident of their areas or a named caller. The request's
    area is its building or street, else the reporter's building, else the staff member's first role's area.
    Guarantees: status ``submitted`` stamped now, one ``submit`` event, and a ``route_request`` job that is
    committed with the request or not at all.
    """
    if actor.is_resident:
        intake = await _resident_intake(session, actor, body)
    elif actor.is_staff:
        intake = await _staff_intake(session, actor, body)
    else:
        raise Forbidden("Requests are filed by residents and staff; integrations have their own intake")
    _check_place(body, intake)
    category = await _active_category(session, body.category_code)
    place = intake.building or intake.street
    area_id, area_path = (place.id, place.path) if place is not None else intake.fallback_area or (None, None)
    if area_id is None:
        raise InvalidInput("Name a building or a street", field="body.building_id")
    priority = intake.priority or (Priority(category.default_priority) if category else Priority.normal)
    now = clock.now()
    request = await _file(
        session,
        actor,
        now,
        channel=intake.channel,
        category_id=category.id if category else None,
        priority=priority,
        title=body.title,
        description=body.description,
        area_id=area_id,
        area_path=area_path,
        building_id=intake.building.id if intake.building else None,
        street_id=intake.street.id if intake.street else None,
        unit=intake.unit,
        room=body.room,
        address_text=body.address_text,
        latitude=body.latitude,
        longitude=body.longitude,
        reporter_resident_id=intake.reporter_resident_id,
        reporter_name=intake.reporter_name,
        reporter_phone=intake.reporter_phone,
        photos=list(body.photos),
        created_by_account_id=actor.account_id,
    )
    # Filed a moment ago in this transaction: no assignee, participants or duplicates yet, and the category is
    # the one just checked, so its read needs no queries.
    return _read(actor, request, category=category, now=now, rules=rules)


@dataclass(frozen=True)
class MachineIntake:
    """A request pushed in by an integration (an Open311 client, a hotline platform), already checked by that
    integration's own intake: its words, place and caller. ``area`` (id, path) is where it is filed until
    routing knows better, usually the integration's area; ``building`` (inside that area) when the client
    named one."""

    channel: Channel
    integration_id: int
    area: tuple[int, str]
    title: str
    description: str = ""
    category: Category | None = None
    priority: Priority | None = None
    building: Area | None = None
    unit: int | None = None
    room: str | None = None
    address_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    photos: tuple[str, ...] = ()
    external_reference: str | None = None
    # Kept on the ``submit`` event: what the integration sent that has no column (e.g. Open311 attributes).
    event_data: dict[str, Any] | None = None


async def submit_machine_request(
    session: AsyncSession, actor: Actor, intake: MachineIntake, *, clock: Clock
) -> ServiceRequest:
    """Files a request for an integration (``actor`` is its integration actor). The same guarantees as
    ``submit_request``: status ``submitted`` stamped now, one ``submit`` event, and a ``route_request`` job
    committed with the request or not at all. Returns the row, its ``reference`` loaded."""
    if not actor.is_integration:
        raise Forbidden("Only integrations file requests through machine intake")
    category = intake.category
    area_id, area_path = (intake.building.id, intake.building.path) if intake.building else intake.area
    now = clock.now()
    return await _file(
        session,
        actor,
        now,
        event_data=intake.event_data,
        channel=intake.channel,
        integration_id=intake.integration_id,
        external_reference=intake.external_reference,
        category_id=category.id if category else None,
        priority=intake.priority or (Priority(category.default_priority) if category else Priority.normal),
        title=intake.title,
        description=intake.description,
        area_id=area_id,
        area_path=area_path,
        building_id=intake.building.id if intake.building else None,
        unit=intake.unit,
        room=intake.room,
        address_text=intake.address_text,
        latitude=intake.latitude,
        longitude=intake.longitude,
        reporter_name=intake.reporter_name,
        reporter_phone=intake.reporter_phone,
        photos=list(intake.photos),
    )


# Reads --------------------------------------------------------------------------------------------------


def _parties(actor: Actor, request: ServiceRequest) -> frozenset[Party]:
    return lifecycle.parties_of(
        actor,
        assignee_staff_id=request.assignee_staff_id,
        reporter_resident_id=request.reporter_resident_id,
        area_path=request.area_path,
    )


def _facts(request: ServiceRequest) -> Facts:
    return Facts(status=Status(request.status), resolved_at=request.resolved_at, rated=request.satisfaction is not None)


async def _reads(
    session: AsyncSession, actor: Actor, rows: Sequence[ServiceRequest], *, now: datetime, rules: Rules
) -> list[RequestRead]:
    ids = [r.id for r in rows]
    categories = await repository.categories_by_id(session, [r.category_id for r in rows])
    names = await repository.staff_names(session, [r.assignee_staff_id for r in rows])
    participants = await repository.participants_of(session, ids)
    references = await repository.references(session, [r.duplicate_of_id for r in rows])
    duplicates = await repository.duplicates_of(session, ids)
    return [
        _read(
            actor,
            r,
            category=categories.get(r.category_id) if r.category_id is not None else None,
            assignee_name=names.get(r.assignee_staff_id, "") if r.assignee_staff_id is not None else "",
            participants=participants[r.id],
            duplicate_of_reference=references.get(r.duplicate_of_id) if r.duplicate_of_id is not None else None,
            duplicates=duplicates[r.id],
            now=now,
            rules=rules,
        )
        for r in rows
    ]


def _read(
    actor: Actor,
    r: ServiceRequest,
    *,
    category: Category | None,
    assignee_name: str = "",
    participants: Sequence[tuple[int, str, str | None]] = (),
    duplicate_of_reference: str | None = None,
    duplicates: Sequence[tuple[int, str]] = (),
    now: datetime,
    rules: Rules,
) -> RequestRead:
    """One request as ``actor`` sees it, given what the read shows besides the row (the defaults: nothing,
    as for a request filed a moment ago)."""
    parties = _parties(actor, r)
    takes_part = actor.staff_id is not None and any(staff_id == actor.staff_id for staff_id, _, _ in participants)
    # Parties (reporter, assignee, manager) and participants need the number; others see it masked.
    sees_phone = bool(parties) or takes_part or actor.is_system
    return RequestRead(
        id=r.id,
        reference=r.reference,
        channel=r.channel,
        external_reference=r.external_reference,
        category=CategoryBrief.model_validate(category) if category else None,
        priority=r.priority,
        title=r.title,
        description=r.description,
        status=Status(r.status),
        needs_triage=r.needs_triage,
        area_id=r.area_id,
        building_id=r.building_id,
        street_id=r.street_id,
        unit=r.unit,
        room=r.room,
        address_text=r.address_text,
        latitude=r.latitude,
        longitude=r.longitude,
        photos=list(r.photos or []),
        reporter_resident_id=r.reporter_resident_id,
        reporter_name=r.reporter_name,
        reporter_phone=r.reporter_phone if sees_phone else mask_phone(r.reporter_phone),
        assignee=(
            StaffBrief(staff_id=r.assignee_staff_id, full_name=assignee_name)
            if r.assignee_staff_id is not None
            else None
        ),
        participants=[ParticipantRead(staff_id=s, full_name=n, reason=why) for s, n, why in participants],
        respond_by_at=r.respond_by_at,
        resolve_by_at=r.resolve_by_at,
        created_at=r.created_at,
        submitted_at=r.submitted_at,
        assigned_at=r.assigned_at,
        accepted_at=r.accepted_at,
        resolved_at=r.resolved_at,
        closed_at=r.closed_at,
        paused_at=r.paused_at,
        paused_seconds=r.paused_seconds,
        resolution_note=r.resolution_note,
        status_reason=r.status_reason,
        duplicate_of=(
            RequestLink(id=r.duplicate_of_id, reference=duplicate_of_reference)
            if r.duplicate_of_id is not None and duplicate_of_reference is not None
            else None
        ),
        duplicates=[RequestLink(id=i, reference=ref) for i, ref in duplicates],
        satisfaction=Satisfaction(r.satisfaction) if r.satisfaction else None,
        satisfaction_comment=r.satisfaction_comment,
        rated_at=r.rated_at,
        reopened_count=r.reopened_count,
        allowed_actions=lifecycle.allowed_actions(parties, _facts(r), now, rules),
        timing=_timing(r, now),
    )


def _timing(r: ServiceRequest, now: datetime) -> RequestTiming:
    """The SLA block of a read: from the row's stamps and ``now`` only (no queries)."""

    def seconds(since: datetime, until: datetime | None, less: int = 0) -> int | None:
        return None if until is None else max(0, int((until - since).total_seconds()) - less)

    is_open = Status(r.status) in OPEN_STATUSES
    if r.accepted_at is not None:
        respond_met = (
            False if r.respond_breached_at is not None
            else None if r.respond_by_at is None else r.accepted_at <= r.respond_by_at
        )
    elif r.respond_breached_at is not None or (is_open and r.respond_by_at is not None and now >= r.respond_by_at):
        respond_met = False
    else:
        respond_met = None
    if r.resolved_at is not None:
        resolve_met = None if r.resolve_by_at is None else r.resolved_at <= r.resolve_by_at
    elif is_open:
        # While paused the deadline keeps moving unless the pause began after it had passed.
        past = r.resolve_by_at is not None and now >= r.resolve_by_at and (
            r.paused_at is None or r.paused_at >= r.resolve_by_at
        )
        resolve_met = False if past else None
    else:
        resolve_met = False if r.breached else None
    return RequestTiming(
        seconds_to_assign=seconds(r.submitted_at, r.assigned_at),
        seconds_to_accept=seconds(r.submitted_at, r.accepted_at),
        seconds_to_resolve=seconds(r.submitted_at, r.resolved_at, r.paused_seconds or 0),
        respond_met=respond_met,
        resolve_met=resolve_met,
        breached=bool(r.breached),
        escalation_level=r.escalation_level or 0,
    )


async def _visible(session: AsyncSession, actor: Actor, request_id: int, *, lock: bool = False) -> ServiceRequest:
    request = await repository.visible_request(session, actor, request_id, lock=lock)
    if request is None:
        raise RequestNotFound(f"Request {request_id} was not found")
    return request


async def get_request(
    session: AsyncSession, actor: Actor, request_id: int, *, clock: Clock, rules: Rules = DEFAULT_RULES
) -> RequestRead:
    """One request the caller may see (404 otherwise, whether or not it exists)."""
    request = await _visible(session, actor, request_id)
    return (await _reads(session, actor, [request], now=clock.now(), rules=rules))[0]


async def list_requests(
    session: AsyncSession,
    actor: Actor,
    *,
    statuses: Sequence[Status] = (),
    category_code: str | None = None,
    channel: Channel | None = None,
    area_id: int | None = None,
    assignee_staff_id: int | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
    clock: Clock,
    rules: Rules = DEFAULT_RULES,
) -> Page[RequestRead]:
    """Requests the caller may see, newest first; ``created_from`` inclusive, ``created_to`` exclusive;
    ``area_id`` takes its whole subtree."""
    filters = repository.RequestFilters(
        statuses=[str(s) for s in statuses],
        channel=str(channel) if channel else None,
        assignee_staff_id=assignee_staff_id,
        created_from=created_from,
        created_to=created_to,
    )
    if category_code is not None:
        category = await repository.category_by_code(session, category_code)
        if category is None:
            raise InvalidInput(f"No category {category_code!r}", field="query.category")
        filters = replace(filters, category_id=category.id)
    if area_id is not None:
        path = await repository.area_path(session, area_id)
        if path is None:
            raise InvalidInput(f"No area {area_id}", field="query.area_id")
        filters = replace(filters, area_path=path)
    after = None
    if cursor:
        created_at, request_id = decode_cursor(cursor, (datetime, int))
        after = (created_at, request_id)
    rows = await repository.page_of_requests(session, actor, filters, after=after, limit=limit)
    page = rows[:limit]
    items = await _reads(session, actor, page, now=clock.now(), rules=rules)
    next_cursor = encode_cursor([page[-1].created_at, page[-1].id]) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


async def list_events(session: AsyncSession, actor: Actor, request_id: int) -> list[EventRead]:
    """The request's history, oldest first, for anyone who may see the request."""
    await _visible(session, actor, request_id)
    return [EventRead.model_validate(e) for e in await repository.events_of(session, request_id)]


# Lifecycle ----------------------------------------------------------------------------------------------


def _append_event(
    session: AsyncSession,
    request: ServiceRequest,
    actor: Actor,
    now: datetime,
    *,
    action: str,
    from_status: str | None,
    to_status: str | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        RequestEvent(
            request_id=request.id,
            kind="transition",
            action=str(action),
            from_status=str(from_status) if from_status else None,
            to_status=str(to_status) if to_status else None,
            actor_account_id=actor.account_id,
            actor_kind=actor.kind,
            note=note,
            data=data or {},
            created_at=now,
        )
    )


async def _begin(
    session: AsyncSession, actor: Actor, request_id: int, action: Action, *, now: datetime, rules: Rules
) -> ServiceRequest:
    """Locks the row, then decides: 404 if the caller cannot see it, 403 if they are never the one to take
    this action, 409 with ``allowed_actions`` if the state (or the reopen window, or a rating already
    given) forbids it now."""
    request = await _visible(session, actor, request_id, lock=True)
    parties = _parties(actor, request)
    facts = _facts(request)
    if not lifecycle.may_ever(action, parties):
        raise ActionForbidden(
            f"You may not {action} this request", allowed_actions=lifecycle.allowed_actions(parties, facts, now, rules)
        )
    reason = lifecycle.refusal(action, parties, facts, now, rules)
    if reason is not None:
        raise IllegalTransition(reason, allowed_actions=lifecycle.allowed_actions(parties, facts, now, rules))
    return request


def _move(request: ServiceRequest, target: Status, now: datetime) -> None:
    """Sets the status; leaving ``awaiting_resident`` (any way) ends the pause and counts it."""
    if request.paused_at is not None and target != Status.awaiting_resident:
        request.paused_seconds += max(0, int((now - request.paused_at).total_seconds()))
        request.paused_at = None
    request.status = target


def _step(
    session: AsyncSession,
    actor: Actor,
    request: ServiceRequest,
    action: Action,
    now: datetime,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Moves the request to the action's to-status (if it has one) and appends the event."""
    from_status = request.status
    target = lifecycle.TRANSITIONS[action].target
    if target is not None:
        _move(request, target, now)
    _append_event(session, request, actor, now, action=action, from_status=from_status,
                  to_status=request.status, note=note, data=data)


async def _done(session: AsyncSession, actor: Actor, request: ServiceRequest, now: datetime, rules: Rules) -> (
    RequestRead
):
    await session.flush()
    # The SLA clock follows every transition (a pause stops it, an acceptance meets respond-by …).
    await defer_in_transaction(session, SLA_UPDATE_TASK, request_id=request.id)
    return (await _reads(session, actor, [request], now=now, rules=rules))[0]


async def assign_request(
    session: AsyncSession,
    actor: Actor,
    request_id: int,
    *,
    staff_id: int,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    clock: Clock,
    rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """Assigns the request to ``staff_id``: by a manager over its area, or by the pipeline as ``SYSTEM``.

    The assignee must be an active staff member holding a role on the request's area (over it or inside
    it) and, for a human manager, one of the staff of their own areas (else 422 on ``body.staff_id``).
    Stamps ``assigned_at`` each time. ``data`` (e.g. the routing rule that matched) is kept on the event.
    """
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.assign, now=now, rules=rules)
    paths = await repository.assignable_role_paths(session, staff_id)
    if paths is None:
        raise InvalidInput(f"No active staff member {staff_id}", field="body.staff_id")
    area_path = request.area_path
    on_line = area_path is None or any(area_path.startswith(p) or p.startswith(area_path) for p in paths)
    if not on_line or not await repository.staff_visible_to(session, actor, staff_id):
        raise InvalidInput(f"Staff {staff_id} holds no role on this request's area", field="body.staff_id")
    _assign(session, actor, request, staff_id, now, note=note, data=data)
    return await _done(session, actor, request, now, rules)


def _assign(
    session: AsyncSession,
    actor: Actor,
    request: ServiceRequest,
    staff_id: int,
    now: datetime,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    event_data = {"staff_id": staff_id, "previous_staff_id": request.assignee_staff_id, **(data or {})}
    request.assignee_staff_id = staff_id
    request.assigned_at = now
    request.needs_triage = False
    _step(session, actor, request, Action.assign, now, note=note, data=event_data)


async def accept_request(
    session: AsyncSession, actor: Actor, request_id: int, *, note: str | None = None, clock: Clock,
    rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """The assignee takes it on. ``accepted_at`` keeps the first acceptance (a reopened request keeps it)."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.accept, now=now, rules=rules)
    if request.accepted_at is None:
        request.accepted_at = now
    _step(session, actor, request, Action.accept, now, note=note)
    return await _done(session, actor, request, now, rules)


async def start_request(
    session: AsyncSession, actor: Actor, request_id: int, *, note: str | None = None, clock: Clock,
    rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """The assignee starts the work."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.start, now=now, rules=rules)
    _step(session, actor, request, Action.start, now, note=note)
    return await _done(session, actor, request, now, rules)


async def await_resident(
    session: AsyncSession, actor: Actor, request_id: int, *, note: str | None = None, clock: Clock,
    rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """The assignee waits for the resident (access, documents): the clock pauses from now."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.await_resident, now=now, rules=rules)
    request.paused_at = now
    _step(session, actor, request, Action.await_resident, now, note=note)
    return await _done(session, actor, request, now, rules)


async def resume_request(
    session: AsyncSession, actor: Actor, request_id: int, *, note: str | None = None, clock: Clock,
    rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """Back to work (the assignee, or the reporting resident answering): the pause is added to
    ``paused_seconds``."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.resume, now=now, rules=rules)
    _step(session, actor, request, Action.resume, now, note=note)
    return await _done(session, actor, request, now, rules)


async def resolve_request(
    session: AsyncSession, actor: Actor, request_id: int, *, note: str, clock: Clock, rules: Rules = DEFAULT_RULES
) -> RequestRead:
    """Done, with a note of what was done. A new resolution clears the previous rating so it can be rated."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.resolve, now=now, rules=rules)
    request.resolved_at = now
    request.resolution_note = note
    request.satisfaction = request.satisfaction_comment = request.rated_at = None
    _step(session, actor, request, Action.resolve, now, note=note)
    return await _done(session, actor, request, now, rules)


async def close_request(
    session: AsyncSession, actor: Actor, request_id: int, *, note: str | None = None, clock: Clock,
    rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """The reporter (or a manager) confirms the resolution."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.close, now=now, rules=rules)
    request.closed_at = now
    _step(session, actor, request, Action.close, now, note=note)
    return await _done(session, actor, request, now, rules)


async def decline_request(
    session: AsyncSession, actor: Actor, request_id: int, *, reason: str, clock: Clock, rules: Rules = DEFAULT_RULES
) -> RequestRead:
    """The assignee hands it back before accepting: the assignee is cleared so it can be assigned again."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.decline, now=now, rules=rules)
    previous = request.assignee_staff_id
    request.assignee_staff_id = None
    request.status_reason = reason
    _step(session, actor, request, Action.decline, now, note=reason, data={"previous_staff_id": previous})
    await publish_declined(session, request.id)
    return await _done(session, actor, request, now, rules)


async def reject_request(
    session: AsyncSession, actor: Actor, request_id: int, *, reason: str, clock: Clock, rules: Rules = DEFAULT_RULES
) -> RequestRead:
    """Not actionable (out of remit, not a real problem), with the reason the reporter will read."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.reject, now=now, rules=rules)
    request.status_reason = reason
    _step(session, actor, request, Action.reject, now, note=reason)
    return await _done(session, actor, request, now, rules)


async def mark_duplicate(
    session: AsyncSession, actor: Actor, request_id: int, *, duplicate_of_id: int, note: str | None = None,
    clock: Clock, rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """Links the request to its original: another request the caller can see that is not itself a
    duplicate (so links never chain or loop)."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.mark_duplicate, now=now, rules=rules)
    field = "body.duplicate_of_id"
    if duplicate_of_id == request.id:
        raise InvalidInput("A request cannot duplicate itself", field=field)
    original = await repository.visible_request(session, actor, duplicate_of_id)
    if original is None:
        raise InvalidInput(f"No request {duplicate_of_id} you can see", field=field)
    if original.status == Status.duplicate:
        raise InvalidInput(
            f"Request {duplicate_of_id} is itself a duplicate of {original.duplicate_of_id}; link to that one",
            field=field,
        )
    request.duplicate_of_id = original.id
    _step(session, actor, request, Action.mark_duplicate, now, note=note, data={"duplicate_of_id": original.id})
    return await _done(session, actor, request, now, rules)


def _reopen(session: AsyncSession, actor: Actor, request: ServiceRequest, now: datetime, *, reason: str | None,
            data: dict[str, Any] | None = None) -> None:
    request.reopened_count += 1
    request.status_reason = reason
    request.resolved_at = None
    request.closed_at = None
    _step(session, actor, request, Action.reopen, now, note=reason, data=data)


async def reopen_request(
    session: AsyncSession, actor: Actor, request_id: int, *, reason: str | None = None, clock: Clock,
    rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """Back to work on a resolved or closed request: the reporter within ``rules.reopen_window`` of the
    resolution, a manager at any time. The assignee stays; the resolution and closing times are cleared."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.reopen, now=now, rules=rules)
    _reopen(session, actor, request, now, reason=reason)
    return await _done(session, actor, request, now, rules)


async def rate_request(
    session: AsyncSession, actor: Actor, request_id: int, *, satisfaction: Satisfaction, comment: str | None = None,
    clock: Clock, rules: Rules = DEFAULT_RULES,
) -> RequestRead:
    """The reporter rates the resolution, once per resolution. ``dissatisfied`` within the reopen window
    also reopens it (a second event); later it is only recorded."""
    now = clock.now()
    request = await _begin(session, actor, request_id, Action.rate, now=now, rules=rules)
    reopens = satisfaction == Satisfaction.dissatisfied and lifecycle.within_reopen_window(
        _facts(request), now, rules
    )
    request.satisfaction = satisfaction
    request.satisfaction_comment = comment
    request.rated_at = now
    _step(session, actor, request, Action.rate, now, note=comment, data={"satisfaction": str(satisfaction)})
    if reopens:
        _reopen(session, actor, request, now, reason=comment or "Dissatisfied with the resolution",
                data={"because": "dissatisfied"})
    return await _done(session, actor, request, now, rules)


# For the routing and SLA pipelines (system actor, rows they have already locked) ------------------------


async def apply_routing(
    session: AsyncSession,
    request: ServiceRequest,
    *,
    now: datetime,
    assignee_staff_id: int | None,
    participant_staff_ids: Sequence[int] = (),
    category_id: int | None = None,
    priority: str | None = None,
    building_id: int | None = None,
    street_id: int | None = None,
    unit: int | None = None,
    area: tuple[int, str] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Writes a routing decision on a request the caller has locked (``SELECT … FOR UPDATE``).

    Each value given (not None) replaces the request's: place, area, category, priority. Participants join.
    With an assignee: the ``assign`` transition by ``SYSTEM`` (status must allow it, else IllegalTransition),
    stamping ``assigned_at`` and clearing ``needs_triage``; ``data`` goes on the event. Without one:
    ``needs_triage`` is set and a ``routing``/``needs-triage`` event records ``data``; the status stays.
    """
    for key, value in (("building_id", building_id), ("street_id", street_id), ("unit", unit),
                       ("category_id", category_id), ("priority", priority)):
        if value is not None:
            setattr(request, key, value)
    if area is not None:
        request.area_id, request.area_path = area
    if participant_staff_ids:
        await add_participants(session, request, participant_staff_ids, reason="joint handling", now=now)
    if assignee_staff_id is None:
        request.needs_triage = True
        await record_event(session, request, kind="routing", action="needs-triage", now=now,
                           note="No one to assign: a manager will", data=data)
    else:
        facts = _facts(request)
        reason = lifecycle.refusal(Action.assign, frozenset({Party.manager}), facts, now, DEFAULT_RULES)
        if reason is not None:
            raise IllegalTransition(reason, allowed_actions=[])
        _assign(session, SYSTEM, request, assignee_staff_id, now, data=data)
    # No flush here: the caller (routing, then the SLA clock) changes the row again; one UPDATE at commit.


async def record_event(
    session: AsyncSession,
    request: ServiceRequest,
    *,
    kind: str,
    action: str | None,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    actor: Actor = SYSTEM,
) -> None:
    """Appends a non-transition event (a warning, an escalation, a routing note); the status is untouched."""
    session.add(
        RequestEvent(
            request_id=request.id, kind=kind, action=action, from_status=None, to_status=None,
            actor_account_id=actor.account_id, actor_kind=actor.kind, note=note, data=data or {}, created_at=now,
        )
    )
    await session.flush()


async def add_participants(
    session: AsyncSession, request: ServiceRequest, staff_ids: Sequence[int], *, reason: str | None, now: datetime
) -> list[int]:
    """Adds the staff (joint handling, escalation) who do not take part yet; returns those added. A
    participant sees the request and the reporter's number."""
    present = {staff_id for staff_id, _, _ in (await repository.participants_of(session, [request.id]))[request.id]}
    added = [s for s in dict.fromkeys(staff_ids) if s not in present and s != request.assignee_staff_id]
    for staff_id in added:
        session.add(RequestParticipant(request_id=request.id, staff_id=staff_id, reason=reason, created_at=now))
    if added:
        await record_event(session, request, kind="participant", action="join", now=now, note=reason,
                           data={"staff_ids": added})
    return added
