"""Integrations: the registry (district admins), API-key authentication, hotline work orders, and the
callback deliveries an integration can read and replay.

Nothing here commits: the HTTP request (or the CLI's one transaction) owns it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area
from app.core.actor import SYSTEM, Actor, RoleGrant
from app.core.errors import Forbidden, InvalidInput
from app.core.pagination import decode_cursor, encode_cursor
from app.core.schemas import Page
from app.core.time import Clock
from app.integrations import repository
from app.integrations.errors import (
    DeliveryNotFound,
    IntegrationKeyNotFound,
    IntegrationNameTaken,
    IntegrationNotFound,
    InvalidApiKey,
    WorkOrderNotFound,
    WrongIntegrationKind,
)
from app.integrations.models import Integration, IntegrationKey
from app.integrations.schemas import (
    AreaBrief,
    CategoryBrief,
    Due,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationKind,
    IntegrationRead,
    IntegrationUpdate,
    KeyCreated,
    KeyRead,
    StaffRoleBrief,
    WorkOrderCreate,
    WorkOrderRead,
)
from app.people.models import Role
from app.requests import repository as requests_repository
from app.requests import service as requests_service
from app.requests.models import Channel, Satisfaction, ServiceRequest, Status
from app.webhooks import service as webhooks
from app.webhooks.schemas import DeliveryRead

KEY_PREFIX = "ds_"
# 30 random bytes are 40 url-safe characters.
_KEY_BYTES = 30
_KEY_SHAPE = re.compile(r"^ds_[A-Za-z0-9_-]{40}$")
# What lists and logs show of a key: "ds_" and 8 characters.
_SHOWN = len(KEY_PREFIX) + 8
_SECRET_PREFIX = "whsec_"
# The role an integration's actor holds over its area: it gives ``covers`` the integration's subtree and no
# manager rights.
INTEGRATION_ROLE = "integration"

STATUS_TEXT = {
    Status.submitted: "已受理，待派单",
    Status.assigned: "已派单",
    Status.accepted: "已接单",
    Status.in_progress: "处理中",
    Status.awaiting_resident: "待群众配合",
    Status.resolved: "已办结",
    Status.closed: "已结案",
    Status.declined: "已退回，重新派单",
    Status.rejected: "不予受理",
    Status.duplicate: "重复工单，已合并",
    Status.reopened: "重新办理",
}
ROLE_TEXT = {
    Role.building_captain: "楼栋长",
    Role.station_head: "站长",
    Role.community_staff: "社区工作人员",
    Role.subdistrict_staff: "街道工作人员",
    Role.district_admin: "区管理员",
    Role.street_chief: "街长",
    Role.alley_steward: "巷长",
    Role.property_manager: "物业",
}
SATISFACTION_TEXT = {
    Satisfaction.satisfied: "满意",
    Satisfaction.basically_satisfied: "基本满意",
    Satisfaction.dissatisfied: "不满意",
}
TITLE_LENGTH = 40
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


# Keys ---------------------------------------------------------------------------------------------------


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(_KEY_BYTES)


def hash_api_key(key: str) -> str:
    """SHA-256: keys are long random strings, so a fast hash is enough (and lookups stay one index probe)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_callback_secret() -> str:
    return _SECRET_PREFIX + secrets.token_urlsafe(32)


def _add_key(session: AsyncSession, integration_id: int, now: datetime) -> tuple[IntegrationKey, str]:
    raw = new_api_key()
    key = IntegrationKey(
        integration_id=integration_id, prefix=raw[:_SHOWN], key_hash=hash_api_key(raw), created_at=now,
    )
    session.add(key)
    return key, raw


async def authenticate(session: AsyncSession, raw_key: str, *, now: datetime) -> Actor:
    """The integration a key belongs to, as an actor scoped to its area's subtree; ``InvalidApiKey`` (401)
    for a malformed, unknown or revoked key or an inactive integration. Stamps the key's ``last_used_at``."""
    if not _KEY_SHAPE.match(raw_key):
        raise InvalidApiKey("This is not a Doorstep integration key (ds_ and 40 characters)")
    row = await repository.key_by_hash(session, hash_api_key(raw_key))
    if row is None:
        raise InvalidApiKey("Unknown API key")
    if row.revoked_at is not None and row.revoked_at <= now:
        raise InvalidApiKey("This API key was revoked")
    if not row.is_active:
        raise InvalidApiKey("This integration is inactive")
    await repository.stamp_key_used(session, row.key_id, now)
    return Actor(
        account_id=None,
        kind="integration",
        username=f"integration:{row.name}",
        integration_id=row.integration_id,
        roles=(RoleGrant(role=INTEGRATION_ROLE, area_id=row.area_id, area_path=row.area_path),),
    )


# Registry (district admins) -----------------------------------------------------------------------------


def _admin_paths(actor: Actor) -> list[str]:
    if actor.is_system:
        return ["/"]
    paths = [g.area_path for g in actor.roles if g.role == Role.district_admin]
    if not paths:
        raise Forbidden("Only a district admin manages integrations")
    return paths


async def _administered(session: AsyncSession, actor: Actor, integration_id: int) -> tuple[Integration, Area]:
    """The integration if the caller administers its area (404 otherwise, whether or not it exists)."""
    paths = _admin_paths(actor)
    found = await repository.integration_with_area(session, integration_id)
    if found is None or not any(found[1].path.startswith(p) for p in paths):
        raise IntegrationNotFound(f"Integration {integration_id} was not found")
    return found


async def _read(session: AsyncSession, integration: Integration, area: Area) -> IntegrationRead:
    keys = (await repository.keys_of(session, [integration.id]))[integration.id]
    return _to_read(integration, area, keys)


def _to_read(integration: Integration, area: Area, keys: list[IntegrationKey]) -> IntegrationRead:
    return IntegrationRead(
        id=integration.id,
        name=integration.name,
        kind=IntegrationKind(integration.kind),
        callback_url=integration.callback_url,
        area=AreaBrief.model_validate(area),
        is_active=integration.is_active,
        created_at=integration.created_at,
        keys=[KeyRead.model_validate(k) for k in keys],
    )


async def create_integration(
    session: AsyncSession, actor: Actor, body: IntegrationCreate, *, now: datetime
) -> IntegrationCreated:
    """Registers an integration over an area the admin administers, with its first API key and its callback
    secret, both returned here and never again (only the key's SHA-256 is kept)."""
    paths = _admin_paths(actor)
    area = await repository.area(session, body.area_id)
    if area is None or not any(area.path.startswith(p) for p in paths):
        raise InvalidInput(f"No area {body.area_id} in your areas", field="body.area_id")
    if await repository.name_taken(session, body.name):
        raise IntegrationNameTaken(f"An integration named {body.name!r} already exists")
    secret = new_callback_secret()
    integration = Integration(
        name=body.name, kind=body.kind, callback_url=body.callback_url, callback_secret=secret, area_id=area.id,
        is_active=True, created_at=now, updated_at=now,
    )
    session.add(integration)
    await session.flush()
    key, raw = _add_key(session, integration.id, now)
    await session.flush()
    read = _to_read(integration, area, [key])
    return IntegrationCreated(**read.model_dump(), api_key=raw, callback_secret=secret)


async def list_integrations(session: AsyncSession, actor: Actor) -> list[IntegrationRead]:
    """The integrations over the admin's areas, by name, each with its keys (never the keys themselves)."""
    found = await repository.integrations_under(session, _admin_paths(actor))
    keys = await repository.keys_of(session, [i.id for i, _ in found])
    return [_to_read(i, a, keys[i.id]) for i, a in found]


async def get_integration(session: AsyncSession, actor: Actor, integration_id: int) -> IntegrationRead:
    integration, area = await _administered(session, actor, integration_id)
    return await _read(session, integration, area)


async def update_integration(
    session: AsyncSession, actor: Actor, integration_id: int, body: IntegrationUpdate, *, now: datetime
) -> IntegrationRead:
    """Changes the fields given: the name (unique), the callback URL (null stops callbacks), whether it is
    active (an inactive integration's keys are refused and it gets no callbacks)."""
    integration, area = await _administered(session, actor, integration_id)
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "is_active"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be null", field=f"body.{field}")
    if "name" in changes and await repository.name_taken(session, changes["name"], other_than=integration.id):
        raise IntegrationNameTaken(f"An integration named {changes['name']!r} already exists")
    for field, value in changes.items():
        setattr(integration, field, value)
    if changes:
        integration.updated_at = now
    await session.flush()
    return await _read(session, integration, area)


async def rotate_key(session: AsyncSession, actor: Actor, integration_id: int, *, now: datetime) -> KeyCreated:
    """A new key, returned once. The older keys keep working until they are revoked, so the client can switch
    without downtime."""
    integration, _ = await _administered(session, actor, integration_id)
    key, raw = _add_key(session, integration.id, now)
    await session.flush()
    return KeyCreated(**KeyRead.model_validate(key).model_dump(), api_key=raw)


async def revoke_key(session: AsyncSession, actor: Actor, integration_id: int, key_id: int, *, now: datetime) -> None:
    """Refuses the key from now on (401). Revoking a revoked key changes nothing."""
    integration, _ = await _administered(session, actor, integration_id)
    key = await repository.key(session, integration.id, key_id)
    if key is None:
        raise IntegrationKeyNotFound(f"Integration {integration_id} has no key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()


async def create_integration_unchecked(
    session: AsyncSession, *, name: str, kind: str, area_code: str, callback_url: str | None, now: datetime
) -> IntegrationCreated:
    """For the ``doorstep integrations create`` command (an operator at the console, no signed-in admin)."""
    area_id = await session.scalar(select(Area.id).where(Area.code == area_code))
    if area_id is None:
        raise InvalidInput(f"No area with code {area_code!r}: create or import areas first", field="area")
    body = IntegrationCreate(name=name, kind=IntegrationKind(kind), callback_url=callback_url, area_id=area_id)
    return await create_integration(session, SYSTEM, body, now=now)


# Hotline work orders ------------------------------------------------------------------------------------


async def _integration_of(session: AsyncSession, actor: Actor, kind: IntegrationKind) -> Integration:
    if not actor.is_integration or actor.integration_id is None:
        raise Forbidden("Only an integration may do this")
    integration = await repository.integration(session, actor.integration_id)
    if integration is None:
        raise InvalidApiKey("This integration no longer exists")
    if integration.kind != kind:
        raise WrongIntegrationKind(f"This route is for {kind} integrations; this one is a {integration.kind}")
    return integration


def title_of(content: str) -> str:
    """The first sentence, if short enough; else the first 40 characters and an ellipsis."""
    first = _SENTENCE_END.split(content.strip(), maxsplit=1)[0].strip()
    if first and len(first) <= TITLE_LENGTH:
        return first
    text = first or content.strip()
    return text if len(text) <= TITLE_LENGTH else text[:TITLE_LENGTH].rstrip("，,、 ") + "…"


async def submit_work_order(
    session: AsyncSession, actor: Actor, body: WorkOrderCreate, *, clock: Clock
) -> tuple[WorkOrderRead, bool]:
    """Files a hotline work order as a request (channel ``hotline``) in the integration's area, routed like any
    other; returns its state and whether it was created now.

    Idempotent per (integration, order number): the same order again returns the same request (created False),
    also when two posts race, because the unique constraint decides: the loser's insert fails in a savepoint
    that is rolled back, and it returns the winner's request."""
    integration = await _integration_of(session, actor, IntegrationKind.hotline)
    existing = await repository.request_by_reference(session, integration.id, body.order_number)
    if existing is not None:
        return await work_order_state(session, existing), False
    category = None
    if body.category_code is not None:
        category = await requests_repository.category_by_code(session, body.category_code)
        if category is None or not category.is_active:
            raise InvalidInput(f"No active category {body.category_code!r}; see GET /api/v1/categories",
                               field="body.category_code")
    grant = actor.roles[0]
    intake = requests_service.MachineIntake(
        channel=Channel.hotline,
        integration_id=integration.id,
        external_reference=body.order_number,
        area=(grant.area_id, grant.area_path),
        title=title_of(body.content),
        description=body.content,
        category=category,
        priority=body.urgency,
        address_text=body.address,
        reporter_name=body.caller_name,
        reporter_phone=body.caller_phone,
        event_data={
            "order_number": body.order_number,
            "received_at": body.received_at.isoformat(),
            "deadline_at": body.deadline_at.isoformat() if body.deadline_at else None,
            "urgency": str(body.urgency) if body.urgency else None,
        },
    )
    try:
        async with session.begin_nested():
            request = await requests_service.submit_machine_request(session, actor, intake, clock=clock)
    except IntegrityError as error:
        if "uq_service_request_integration_id_external_reference" not in str(error.orig):
            raise
        request = await repository.request_by_reference(session, integration.id, body.order_number)
        if request is None:  # the winner rolled back after all: let the platform retry
            raise
        return await work_order_state(session, request), False
    return await work_order_state(session, request), True


async def get_work_order(session: AsyncSession, actor: Actor, order_number: str) -> WorkOrderRead:
    """One of the integration's own work orders by its number (404 for any other)."""
    integration = await _integration_of(session, actor, IntegrationKind.hotline)
    request = await repository.request_by_reference(session, integration.id, order_number)
    if request is None:
        raise WorkOrderNotFound(f"No work order {order_number!r} from this integration")
    return await work_order_state(session, request)


async def work_order_state(session: AsyncSession, request: ServiceRequest) -> WorkOrderRead:
    """A request in the platform's terms (what ``GET …/work-orders/{n}`` returns and each callback carries):
    status and its Chinese text, category, place, the owner's role, who else takes part, times, targets."""
    # Server-computed columns expire on every flush of the row; read them back.
    unloaded = inspect(request).unloaded & {"reference"}
    if unloaded:
        await session.refresh(request, list(unloaded))
    order = await repository.submit_event_data(session, request.id)
    staff_ids = [s for s in (request.assignee_staff_id,) if s is not None]
    participants = await repository.participant_ids(session, request.id)
    roles = await repository.roles_on_line(session, [*staff_ids, *participants], request.area_path)
    area = await repository.area(session, request.area_id)
    category = await repository.category(session, request.category_id)
    owner = roles.get(request.assignee_staff_id) if request.assignee_staff_id is not None else None
    satisfaction = Satisfaction(request.satisfaction) if request.satisfaction else None
    return WorkOrderRead(
        order_number=request.external_reference or request.reference,
        reference=request.reference,
        request_id=request.id,
        status=Status(request.status),
        status_text=STATUS_TEXT[Status(request.status)],
        priority=request.priority,
        category=CategoryBrief.model_validate(category) if category else None,
        area=AreaBrief.model_validate(area) if area else None,
        assignee_role=owner[0] if owner else None,
        assignee_role_text=_role_text(owner[0]) if owner else None,
        assignee_area=owner[2] if owner else None,
        handling=await repository.latest_assignment_rule(session, request.id) if owner else None,
        participants=[
            StaffRoleBrief(role=r[0], role_text=_role_text(r[0]), area=r[2], department=r[1])
            for r in (roles.get(s) for s in participants)
            if r is not None
        ],
        received_at=_parse_time(order.get("received_at")),
        submitted_at=request.submitted_at,
        assigned_at=request.assigned_at,
        accepted_at=request.accepted_at,
        resolved_at=request.resolved_at,
        closed_at=request.closed_at,
        due=Due(respond_by_at=request.respond_by_at, resolve_by_at=request.resolve_by_at,
                platform_deadline_at=_parse_time(order.get("deadline_at"))),
        resolution_note=request.resolution_note,
        status_reason=request.status_reason,
        satisfaction=satisfaction,
        satisfaction_text=SATISFACTION_TEXT[satisfaction] if satisfaction else None,
    )


def _role_text(role: str) -> str:
    return ROLE_TEXT.get(role, role)  # type: ignore[call-overload]


def _parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


# Callback deliveries ------------------------------------------------------------------------------------


async def _readable(session: AsyncSession, actor: Actor, integration_id: int) -> Integration:
    """The integration itself (by its key), or a district admin over its area; 404 for anyone else."""
    if actor.is_integration:
        if actor.integration_id != integration_id:
            raise IntegrationNotFound(f"Integration {integration_id} was not found")
        integration = await repository.integration(session, integration_id)
        if integration is None:
            raise IntegrationNotFound(f"Integration {integration_id} was not found")
        return integration
    integration, _ = await _administered(session, actor, integration_id)
    return integration


async def list_deliveries(
    session: AsyncSession, actor: Actor, integration_id: int, *, status: str | None, cursor: str | None,
    limit: int,
) -> Page[DeliveryRead]:
    """The integration's callback deliveries, newest first, each with every attempt."""
    integration = await _readable(session, actor, integration_id)
    before = decode_cursor(cursor, (int,))[0] if cursor else None
    rows = await repository.deliveries(session, integration.id, status=status, before_id=before, limit=limit + 1)
    items = await webhooks.delivery_reads(session, rows[:limit])
    return Page(items=items, next_cursor=encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None)


async def replay_delivery(
    session: AsyncSession, actor: Actor, integration_id: int, delivery_id: int, *, now: datetime
) -> DeliveryRead:
    """Sends a callback again from now with a fresh budget of attempts (its body as first sent, signed anew)."""
    integration = await _readable(session, actor, integration_id)
    delivery = await repository.delivery(session, integration.id, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(f"Integration {integration_id} has no delivery {delivery_id}")
    await webhooks.replay(session, delivery, now=now)
    return (await webhooks.delivery_reads(session, [delivery]))[0]
