"""Open311 GeoReport v2 over Doorstep: categories are the services, requests made here are ordinary requests
(channel ``open311``) routed like any other.

Decisions (also on the OpenAPI page):

* ``POST requests`` needs an ``api_key``: an integration key (SHA-256 in ``integration_key``, not revoked) of an
  active ``open311_client`` integration. Its area is where the request is filed until routing places it.
* GET routes are public, so they show only requests that came in through Open311 and never the reporter's
  name, phone or e-mail.
* ``jurisdiction_id`` is accepted and ignored, empty or not: this server is one jurisdiction.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.models import Area, AreaKind
from app.core.actor import Actor
from app.core.text import clean_text
from app.core.time import Clock
from app.integrations.models import Integration, IntegrationKey, Open311Token
from app.open311.errors import BadRequest, InvalidApiKey, NotFound
from app.open311.schemas import (
    Attribute,
    AttributeValue,
    PostedRequest,
    Service,
    ServiceDefinition,
    ServiceRequestOut,
    TokenAnswer,
)
from app.people.models import StaffRole
from app.requests import repository as requests_repository
from app.requests.models import OPEN_STATUSES, Category, Channel, RequestEvent, ServiceRequest, Status
from app.requests.service import MachineIntake, submit_machine_request
from app.sla.calendar import DEFAULT_TIMEZONE

LOCAL_ZONE = ZoneInfo(DEFAULT_TIMEZONE)
OPEN311_CLIENT = "open311_client"
MAX_RANGE = timedelta(days=90)
MAX_RESULTS = 1000
UNASSIGNED = "待分派"

# Services -------------------------------------------------------------------------------------------------

# A grouping for clients that show services by group; categories added later land in 其他.
GROUPS = {
    "public_lighting": "设施维修",
    "door_lock": "设施维修",
    "water_leak": "设施维修",
    "facade_hazard": "安全隐患",
    "epidemic_duty": "安全隐患",
    "illegal_parking": "环境秩序",
    "sanitation": "环境秩序",
    "greening": "环境秩序",
    "elderly_service": "居民服务",
    "health_service": "居民服务",
    "paperwork": "居民服务",
    "policy_question": "居民服务",
    "counselling": "居民服务",
    "neighbour_dispute": "居民服务",
}
DEFAULT_GROUP = "其他"


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of a service definition, and how a posted value is checked."""

    code: str
    datatype: str
    description: str
    required: bool = False
    datatype_description: str | None = None
    values: tuple[tuple[str, str], ...] = ()
    max_length: int = 200
    integer_range: tuple[int, int] | None = None


# Every service asks these; the place ones help routing find the building and unit.
COMMON_ATTRIBUTES = (
    AttributeSpec("building_number", "string", "楼号 Building number",
                  datatype_description="如 9号楼 As residents say it, e.g. 9号楼", max_length=32),
    AttributeSpec("unit", "number", "单元 Unit (entrance)", datatype_description="1–99 的整数 An integer from 1 to 99",
                  integer_range=(1, 99)),
    AttributeSpec("room", "string", "房间号 Room", datatype_description="如 301 e.g. 301", max_length=32),
    AttributeSpec("occurred_at", "datetime", "发现时间 When it was noticed",
                  datatype_description="W3C 日期时间，带时区 W3C date-time with its offset, "
                  "e.g. 2026-11-27T08:30:00+08:00"),
    AttributeSpec("details", "text", "补充说明 Anything else staff should know", max_length=4000),
)
SERVICE_ATTRIBUTES: dict[str, tuple[AttributeSpec, ...]] = {
    "facade_hazard": (
        AttributeSpec("danger", "singlevaluelist", "是否危及行人 Is anyone in danger?", required=True,
                      values=(("yes", "是 Yes"), ("no", "否 No"))),
    ),
    "elderly_service": (
        AttributeSpec("needs", "multivaluelist", "需要的服务 What is needed (one or more)", required=True,
                      values=(("errands", "代购跑腿 Errands"), ("meal", "助餐 Meals"), ("visit", "上门探访 A visit"))),
    ),
}


def attributes_of(code: str) -> tuple[AttributeSpec, ...]:
    """The service's own attributes first (they are the required ones), then the common ones."""
    return SERVICE_ATTRIBUTES.get(code, ()) + COMMON_ATTRIBUTES


def _minutes(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}天"
    if minutes % 60 == 0:
        return f"{minutes // 60}小时"
    return f"{minutes}分钟"


def service_notice(category: Category | None) -> str | None:
    if category is None:
        return None
    return f"通常{_minutes(category.respond_minutes)}内响应，{_minutes(category.resolve_minutes)}内办结"


async def list_services(session: AsyncSession) -> list[Service]:
    return [
        Service(
            service_code=c.code,
            service_name=c.name_zh,
            description=c.name_en,
            metadata=True,
            type="realtime",
            keywords=",".join(c.keywords or []),
            group=GROUPS.get(c.code, DEFAULT_GROUP),
        )
        for c in await requests_repository.list_categories(session, include_inactive=False)
    ]


async def _active_category(session: AsyncSession, code: str) -> Category | None:
    category = await requests_repository.category_by_code(session, code)
    return category if category is not None and category.is_active else None


async def service_definition(session: AsyncSession, service_code: str) -> ServiceDefinition:
    category = await _active_category(session, service_code)
    if category is None:
        raise NotFound(f"service_code {service_code} not found")
    return ServiceDefinition(
        service_code=category.code,
        attributes=[
            Attribute(
                variable=True,
                code=spec.code,
                datatype=spec.datatype,  # type: ignore[arg-type]
                required=spec.required,
                datatype_description=spec.datatype_description,
                order=order,
                description=spec.description,
                values=[AttributeValue(key=k, name=n) for k, n in spec.values] if spec.values else None,
            )
            for order, spec in enumerate(attributes_of(category.code), start=1)
        ],
    )


# Authentication -------------------------------------------------------------------------------------------


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


async def authenticate(session: AsyncSession, api_key: str | None, *, now: datetime) -> Integration:
    """The active Open311 client whose key this is. A key with ``revoked_at`` in the future (a rotation's grace
    period) still works until then. 403 for a missing, unknown, revoked or other kind of key."""
    if not api_key:
        raise InvalidApiKey("api_key is required")
    row = (
        await session.execute(
            select(IntegrationKey, Integration)
            .join(Integration, Integration.id == IntegrationKey.integration_id)
            .where(
                IntegrationKey.key_hash == hash_key(api_key),
                or_(IntegrationKey.revoked_at.is_(None), IntegrationKey.revoked_at > now),
                Integration.is_active.is_(True),
                Integration.kind == OPEN311_CLIENT,
            )
        )
    ).first()
    if row is None:
        raise InvalidApiKey("api_key is invalid or revoked")
    key, integration = row
    key.last_used_at = now
    return integration


def actor_for(integration: Integration) -> Actor:
    return Actor(account_id=None, kind="integration", username=integration.name, integration_id=integration.id)


# Input checks ---------------------------------------------------------------------------------------------

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REFERENCE = re.compile(r"^DS\d{10}$")
_CJK = re.compile(r"[\u3400-\u9fff]")
# "+08:00" arrives as " 08:00" when a client forgets to percent-encode the plus in a query string.
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")


def _text(name: str, value: str | None, *, max_length: int, multiline: bool = False) -> str | None:
    """Cleaned text, None when absent or blank."""
    if value is None:
        return None
    try:
        cleaned = clean_text(value, multiline=multiline)
    except ValueError as exc:
        raise BadRequest(f"{name}: {exc}") from None
    if not multiline and "\n" in cleaned:
        raise BadRequest(f"{name} must be a single line")
    if len(cleaned) > max_length:
        raise BadRequest(f"{name} is longer than {max_length} characters")
    return cleaned or None


def _float(name: str, value: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise BadRequest(f"{name} must be a number") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise BadRequest(f"{name} must be between {low:g} and {high:g}")
    return number


def parse_datetime(name: str, value: str) -> datetime:
    """A W3C date-time with its offset (``Z`` or ``±hh:mm``)."""
    raw = _SPACED_OFFSET.sub(r"+\1", value.strip())
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a W3C date-time such as 2026-11-27T09:00:00+08:00") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise BadRequest(f"{name} needs a time zone offset, e.g. +08:00")
    return parsed


def attributes_from_form(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``attribute[code]=v`` and ``attribute[code][]=v`` pairs → code: values (blank values dropped)."""
    out: dict[str, list[str]] = {}
    for key, value in items:
        match = _ATTRIBUTE.match(key)
        if match is None:
            continue
        values = out.setdefault(match.group(1), [])
        if value.strip():
            values.append(value)
    return out


def check_attributes(code: str, posted: dict[str, list[str]]) -> dict[str, Any]:
    """The posted attributes, checked against the service definition, as JSON values (lists for
    multivaluelist). 400 naming the attribute for an unknown one, a missing required one or a bad value."""
    specs = {spec.code: spec for spec in attributes_of(code)}
    for name in posted:
        if name not in specs:
            raise BadRequest(f"attribute[{name}] is not an attribute of service {code}")
    out: dict[str, Any] = {}
    for spec in specs.values():
        values = posted.get(spec.code) or []
        field = f"attribute[{spec.code}]"
        if not values:
            if spec.required:
                raise BadRequest(f"{field} is required for service {code}")
            continue
        if spec.datatype != "multivaluelist" and len(values) > 1:
            raise BadRequest(f"{field} takes one value")
        keys = [k for k, _ in spec.values]
        if spec.datatype == "multivaluelist":
            for value in values:
                if value not in keys:
                    raise BadRequest(f"{field}: {value!r} is not one of {', '.join(keys)}")
            out[spec.code] = list(dict.fromkeys(values))
            continue
        value = values[0]
        if spec.datatype == "singlevaluelist":
            if value not in keys:
                raise BadRequest(f"{field}: {value!r} is not one of {', '.join(keys)}")
            out[spec.code] = value
        elif spec.datatype == "number":
            out[spec.code] = _number(field, value, spec)
        elif spec.datatype == "datetime":
            out[spec.code] = parse_datetime(field, value).isoformat()
        else:
            out[spec.code] = _text(field, value, max_length=spec.max_length, multiline=spec.datatype == "text")
    return {k: v for k, v in out.items() if v is not None}


def _number(field: str, value: str, spec: AttributeSpec) -> int | float:
    if spec.integer_range is not None:
        low, high = spec.integer_range
        try:
            number = int(value.strip())
        except ValueError:
            raise BadRequest(f"{field} must be a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise BadRequest(f"{field} must be a whole number from {low} to {high}")
        return number
    return _float(field, value, -math.inf, math.inf)


def _reporter_name(first: str | None, last: str | None) -> str | None:
    if first and last:
        # Chinese names are family name first, unspaced.
        return f"{last}{first}" if _CJK.search(first + last) else f"{first} {last}"
    return first or last


def _title(description: str | None, category: Category) -> str:
    line = (description or "").split("\n", 1)[0].strip()
    if not line:
        return category.name_zh
    return line if len(line) <= 100 else line[:99] + "…"


# POST requests --------------------------------------------------------------------------------------------


async def post_request(
    session: AsyncSession, integration: Integration, form: Sequence[tuple[str, str]], *, clock: Clock
) -> PostedRequest:
    """Checks the form the spec's way and files an ordinary request (channel ``open311``) in the client's area,
    with its routing job in the same transaction; hands out a token for ``tokens/{token}``."""
    fields: dict[str, str] = {}
    for key, value in form:
        if not _ATTRIBUTE.match(key):
            fields[key] = value

    def given(name: str) -> str | None:
        value = fields.get(name)
        return value if value is not None and value.strip() else None

    code = given("service_code")
    if code is None:
        raise BadRequest("service_code is required")
    category = await _active_category(session, code.strip())
    if category is None:
        raise BadRequest(f"service_code {code.strip()} not found")

    lat, long = given("lat"), given("long")
    if (lat is None) != (long is None):
        raise BadRequest("lat and long go together: give both or neither")
    latitude = _float("lat", lat, -90, 90) if lat is not None else None
    longitude = _float("long", long, -180, 180) if long is not None else None
    address = _text("address_string", given("address_string"), max_length=500)
    building = await _building(session, integration, given("address_id"))
    if latitude is None and address is None and building is None:
        raise BadRequest("A location is required: lat and long, address_string or address_id")

    description = _text("description", given("description"), max_length=4000, multiline=True)
    first = _text("first_name", given("first_name"), max_length=50)
    last = _text("last_name", given("last_name"), max_length=50)
    phone = _text("phone", given("phone"), max_length=32)
    if phone is not None and not _PHONE.match(phone):
        raise BadRequest("phone must be digits, optionally with +, spaces or dashes")
    email = _text("email", given("email"), max_length=254)
    if email is not None and not _EMAIL.match(email):
        raise BadRequest("email is not an e-mail address")
    media_url = _text("media_url", given("media_url"), max_length=1000)
    if media_url is not None and not re.match(r"^https?://\S+$", media_url):
        raise BadRequest("media_url must be an http or https URL")
    attributes = check_attributes(category.code, attributes_from_form(form))
    unit = attributes.get("unit")
    if building is not None and unit is not None and building.unit_count and unit > building.unit_count:
        raise BadRequest(f"attribute[unit]: {building.name} has {building.unit_count} units")

    building_number = attributes.get("building_number")
    if building_number and building_number not in (address or ""):
        address = f"{address} {building_number}" if address else building_number
    extra = {
        k: v for k, v in (
            ("email", email),
            ("device_id", _text("device_id", given("device_id"), max_length=200)),
            ("account_id", _text("account_id", given("account_id"), max_length=200)),
        ) if v is not None
    }
    request = await submit_machine_request(
        session,
        actor_for(integration),
        MachineIntake(
            channel=Channel.open311,
            integration_id=integration.id,
            area=(integration.area_id, await _area_path(session, integration.area_id)),
            title=_title(description, category),
            description=description or "",
            category=category,
            building=building,
            unit=unit,
            room=attributes.get("room"),
            address_text=address,
            latitude=latitude,
            longitude=longitude,
            reporter_name=_reporter_name(first, last),
            reporter_phone=phone,
            photos=(media_url,) if media_url else (),
            event_data={"open311": {"attributes": attributes, **extra}},
        ),
        clock=clock,
    )
    token = secrets.token_urlsafe(24)
    session.add(Open311Token(token=token, request_id=request.id, created_at=clock.now()))
    await session.flush()
    return PostedRequest(service_request_id=request.reference, token=token, service_notice=service_notice(category))


async def _area_path(session: AsyncSession, area_id: int) -> str:
    return await session.scalar(select(Area.path).where(Area.id == area_id)) or ""


async def _building(session: AsyncSession, integration: Integration, address_id: str | None) -> Area | None:
    """``address_id``: the id of a building inside the client's area (what GET answers as address_id)."""
    if address_id is None:
        return None
    if not address_id.strip().isdigit():
        raise BadRequest("address_id must be a building id (a whole number)")
    building = await session.get(Area, int(address_id.strip()))
    area_path = await _area_path(session, integration.area_id)
    if building is None or building.kind != AreaKind.building or not building.path.startswith(area_path):
        raise BadRequest(f"address_id {address_id.strip()} not found")
    return building


# GET requests ---------------------------------------------------------------------------------------------


def _open311_only() -> Any:
    return ServiceRequest.channel == Channel.open311


def _status_filter(status: str | None) -> list[str] | None:
    if status is None:
        return None
    wanted = {s.strip().lower() for s in status.split(",") if s.strip()}
    if not wanted:
        return None
    if not wanted <= {"open", "closed"}:
        raise BadRequest("status must be open or closed (or both, comma-separated)")
    if wanted == {"open", "closed"}:
        return None
    opened = [str(s) for s in OPEN_STATUSES]
    return opened if wanted == {"open"} else [str(s) for s in Status if s not in OPEN_STATUSES]


def date_window(start: str | None, end: str | None, *, now: datetime) -> tuple[datetime, datetime]:
    """``start_date``..``end_date`` inclusive, at most 90 days apart. Neither: the last 90 days; only one: the
    90 days after the start or before the end."""
    start_at = parse_datetime("start_date", start) if start else None
    end_at = parse_datetime("end_date", end) if end else None
    if start_at is None and end_at is None:
        return now - MAX_RANGE, now
    if start_at is None:
        assert end_at is not None
        return end_at - MAX_RANGE, end_at
    if end_at is None:
        return start_at, start_at + MAX_RANGE
    if end_at < start_at:
        raise BadRequest("end_date is before start_date")
    if end_at - start_at > MAX_RANGE:
        raise BadRequest("start_date and end_date may be at most 90 days apart")
    return start_at, end_at


def _request_ids(raw: str) -> tuple[list[str], list[int]]:
    references: list[str] = []
    ids: list[int] = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        if _REFERENCE.match(part.upper()):
            references.append(part.upper())
        elif part.isdigit() and len(part) <= 18:
            ids.append(int(part))
        else:
            raise BadRequest(f"service_request_id {part!r} is not a request id (e.g. DS0000000042)")
    if len(references) + len(ids) > MAX_RESULTS:
        raise BadRequest(f"At most {MAX_RESULTS} service_request_id values")
    return references, ids


async def find_requests(
    session: AsyncSession,
    *,
    service_request_id: str | None,
    service_code: str | None,
    status: str | None,
    start_date: str | None,
    end_date: str | None,
    now: datetime,
) -> list[ServiceRequestOut]:
    """Open311 requests, newest first, at most 1000. ``service_request_id`` (a comma list of references or
    ids) overrides every other filter."""
    stmt = select(ServiceRequest).where(_open311_only())
    if service_request_id is not None and service_request_id.strip():
        references, ids = _request_ids(service_request_id)
        stmt = stmt.where(or_(ServiceRequest.reference.in_(references), ServiceRequest.id.in_(ids)))
    else:
        statuses = _status_filter(status)
        start_at, end_at = date_window(start_date, end_date, now=now)
        stmt = stmt.where(ServiceRequest.created_at >= start_at, ServiceRequest.created_at <= end_at)
        if statuses is not None:
            stmt = stmt.where(ServiceRequest.status.in_(statuses))
        codes = [c.strip() for c in (service_code or "").split(",") if c.strip()]
        if codes:
            stmt = stmt.where(ServiceRequest.category_id.in_(select(Category.id).where(Category.code.in_(codes))))
    stmt = stmt.order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc()).limit(MAX_RESULTS)
    return await represent(session, list(await session.scalars(stmt)))


async def get_request(session: AsyncSession, request_id: str) -> ServiceRequestOut:
    """By reference (DS0000000042) or numeric id; only requests that came in through Open311."""
    key = request_id.strip()
    if _REFERENCE.match(key.upper()):
        condition = ServiceRequest.reference == key.upper()
    elif key.isdigit() and len(key) <= 18:
        condition = ServiceRequest.id == int(key)
    else:
        raise NotFound(f"service_request_id {request_id} not found")
    row = await session.scalar(select(ServiceRequest).where(condition, _open311_only()))
    if row is None:
        raise NotFound(f"service_request_id {request_id} not found")
    return (await represent(session, [row]))[0]


async def token_answer(session: AsyncSession, token: str) -> TokenAnswer:
    row = (
        await session.execute(
            select(Open311Token.token, ServiceRequest.reference)
            .join(ServiceRequest, ServiceRequest.id == Open311Token.request_id)
            .where(Open311Token.token == token)
        )
    ).first()
    if row is None:
        raise NotFound(f"token {token} not found")
    return TokenAnswer(service_request_id=row.reference, token=row.token)


# Representation -------------------------------------------------------------------------------------------

ROLE_NAMES = {
    "building_captain": "楼栋长",
    "station_head": "站长",
    "community_staff": "社区工作人员",
    "subdistrict_staff": "街道工作人员",
    "district_admin": "区管理员",
    "street_chief": "街长",
    "alley_steward": "巷长",
    "property_manager": "物业",
}
DEPARTMENT_NAMES = {
    "duty_desk": "值班室",
    "safety_supervision": "安全监管",
    "urban_management": "城市管理",
    "civil_affairs": "民政",
    "health": "卫生健康",
    "housing": "住房",
}


def w3c(value: datetime | None) -> str | None:
    """China Standard Time with its offset, to the second."""
    return value.astimezone(LOCAL_ZONE).isoformat(timespec="seconds") if value is not None else None


def _path_ids(path: str | None) -> list[int]:
    return [int(p) for p in (path or "").strip("/").split("/") if p]


def _area_label(area: Area, areas: dict[int, Area]) -> str:
    """A building with its compound ("翠湖明居 9号楼"); any other area by its name."""
    if area.kind == AreaKind.building:
        chain = _path_ids(area.path)
        parent = areas.get(chain[-2]) if len(chain) >= 2 else None
        if parent is not None:
            return f"{parent.name} {area.name}"
    return area.name


def _agency(request: ServiceRequest, roles: list[tuple[str, str | None, Area]], areas: dict[int, Area]) -> str:
    """The assignee's role on the request's area chain (the deepest), else their first role."""
    if request.assignee_staff_id is None or not roles:
        return UNASSIGNED
    on_chain = [r for r in roles if request.area_path and request.area_path.startswith(r[2].path)]
    role, department, area = max(on_chain, key=lambda r: len(r[2].path)) if on_chain else roles[0]
    name = ROLE_NAMES.get(role, role)
    if department:
        name = f"{name}（{DEPARTMENT_NAMES.get(department, department)}）"
    return f"{name} · {_area_label(area, areas)}"


def _status_notes(request: ServiceRequest) -> str | None:
    status = Status(request.status)
    if status in (Status.resolved, Status.closed):
        return request.resolution_note
    if status == Status.rejected:
        return request.status_reason
    if status == Status.duplicate:
        return "重复诉求 A duplicate of another request"
    return None


async def represent(session: AsyncSession, rows: list[ServiceRequest]) -> list[ServiceRequestOut]:
    """The spec's request objects, with a fixed number of queries whatever the number of rows."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    categories = await requests_repository.categories_by_id(session, [r.category_id for r in rows])
    updated = dict(
        (await session.execute(
            select(RequestEvent.request_id, func.max(RequestEvent.created_at))
            .where(RequestEvent.request_id.in_(ids))
            .group_by(RequestEvent.request_id)
        )).all()
    )
    assignees = {r.assignee_staff_id for r in rows if r.assignee_staff_id is not None}
    roles: dict[int, list[tuple[str, str | None, Area]]] = {}
    if assignees:
        for staff_id, role, department, area in await session.execute(
            select(StaffRole.staff_id, StaffRole.role, StaffRole.department, Area)
            .join(Area, Area.id == StaffRole.area_id)
            .where(StaffRole.staff_id.in_(assignees))
            .order_by(StaffRole.id)
        ):
            roles.setdefault(staff_id, []).append((role, department, area))
    wanted = {i for r in rows for i in _path_ids(r.area_path)}
    wanted |= {r.building_id for r in rows if r.building_id is not None}
    wanted |= {i for staff_roles in roles.values() for _, _, a in staff_roles for i in _path_ids(a.path)}
    areas = {a.id: a for a in await session.scalars(select(Area).where(Area.id.in_(wanted)))} if wanted else {}

    out: list[ServiceRequestOut] = []
    for r in rows:
        category = categories.get(r.category_id) if r.category_id is not None else None
        building = areas.get(r.building_id) if r.building_id is not None else None
        lat, long = r.latitude, r.longitude
        if lat is None and building is not None:
            lat, long = building.latitude, building.longitude
        out.append(
            ServiceRequestOut(
                service_request_id=r.reference,
                status="open" if Status(r.status) in OPEN_STATUSES else "closed",
                status_notes=_status_notes(r),
                service_name=category.name_zh if category else None,
                service_code=category.code if category else None,
                description=r.description or "",
                agency_responsible=_agency(r, roles.get(r.assignee_staff_id or 0, []), areas),
                service_notice=service_notice(category),
                requested_datetime=w3c(r.submitted_at) or "",
                updated_datetime=w3c(updated.get(r.id) or r.submitted_at) or "",
                expected_datetime=w3c(r.resolve_by_at),
                address=r.address_text,
                address_id=r.building_id,
                zipcode=None,
                lat=lat,
                long=long,
                media_url=(r.photos or [None])[0],
            )
        )
    return out
