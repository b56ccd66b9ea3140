"""Open311 GeoReport v2 at ``/open311/v2``: every route in ``.json`` and ``.xml``.

Errors here are the spec's (an array of ``{code, description}``, ``<errors><error>…`` in XML) with 400, 403
and 404, never problem+json: ``Open311Route`` catches this package's errors, FastAPI's validation errors and
unreadable forms inside the route and answers in the path's format (JSON when the format itself is unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.actor import current_actor
from app.core.errors import PROBLEM_JSON
from app.db.dependencies import ClockDep, SessionDep
from app.open311 import service, xml
from app.open311.errors import BadRequest, NotFound, Open311Error
from app.open311.schemas import (
    POST_FORM_SCHEMA,
    ErrorItem,
    PostedRequest,
    Service,
    ServiceDefinition,
    ServiceRequestOut,
    TokenAnswer,
    dump,
)

FORMATS = ("json", "xml")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _format_of(request: Request) -> str:
    return "xml" if request.path_params.get("fmt") == "xml" else "json"


def error_response(exc: Open311Error, fmt: str) -> Response:
    if fmt == "xml":
        return Response(xml.errors(exc.body()), status_code=exc.status, media_type=xml.XML_MEDIA_TYPE)
    return JSONResponse(exc.body(), status_code=exc.status)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")]
        parts.append(f"{'.'.join(loc) or 'input'}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}")
    return "; ".join(parts) or "Invalid input"


class Open311Route(APIRoute):
    """Answers this router's errors in the Open311 format, before the application's handlers can."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def open311_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as exc:
                return error_response(exc, _format_of(request))
            except RequestValidationError as exc:
                return error_response(BadRequest(_describe_validation(exc)), _format_of(request))

        return open311_handler


router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise NotFound(f"Format {fmt} not found: use json or xml")
    return fmt


def _answer(fmt: str, data: Any, root: str, item: str | None) -> Response:
    if fmt == "xml":
        return Response(xml.render(root, item, data), media_type=xml.XML_MEDIA_TYPE)
    return JSONResponse(data)


async def _form(request: Request) -> FormData:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in FORM_TYPES:
        raise BadRequest("Send the request as application/x-www-form-urlencoded (or multipart/form-data)")
    try:
        return await request.form()
    except (StarletteHTTPException, ValueError) as exc:
        raise BadRequest(f"The form could not be read: {getattr(exc, 'detail', exc)}") from None


# OpenAPI --------------------------------------------------------------------------------------------------

Fmt = Annotated[str, Path(description="Response format: json or xml (anything else is 404)",
                          json_schema_extra={"enum": list(FORMATS)})]
JurisdictionId = Annotated[str | None, Query(description="Accepted and ignored: this server is one "
                                             "jurisdiction (an empty value is the same as none)")]

_ERROR_EXAMPLES = {
    400: "service_code is required",
    403: "api_key is invalid or revoked",
    404: "service_request_id DS0000009999 not found",
}
_ERROR_DESCRIPTIONS = {
    400: "Bad input: a missing or malformed field, an unknown service_code, a date range over 90 days",
    403: "api_key missing, wrong or revoked",
    404: "Unknown service, request, token or format",
}


def _xml_example(text: str) -> dict[str, Any]:
    return {"schema": {"type": "string"}, "example": "<?xml version='1.0' encoding='utf-8'?>\n" + text}


def _docs(json_example: Any, xml_text: str, *statuses: int) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        200: {"content": {"application/json": {"example": json_example}, "application/xml": _xml_example(xml_text)}}
    }
    for status in statuses:
        description = _ERROR_EXAMPLES[status]
        responses[status] = {
            "description": _ERROR_DESCRIPTIONS[status],
            "model": list[ErrorItem],
            "content": {
                "application/json": {"example": [{"code": status, "description": description}]},
                "application/xml": _xml_example(
                    f"<errors><error><code>{status}</code><description>{description}</description></error></errors>"
                ),
            },
        }
    responses["default"] = {
        "description": "Errors outside these routes' own handling (405 wrong method, 413 body too large, 500) "
        "are the application's problem+json",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    return responses


_SERVICE_EXAMPLE = {
    "service_code": "facade_hazard", "service_name": "外墙及结构隐患", "description": "Facade or structural hazard",
    "metadata": True, "type": "realtime", "keywords": "外墙,墙皮,瓷砖,脱落", "group": "安全隐患",
}
_REQUEST_EXAMPLE = {
    "service_request_id": "DS0000000042", "status": "open", "status_notes": None, "service_name": "外墙及结构隐患",
    "service_code": "facade_hazard", "description": "翠湖明居小区9号楼外墙瓷砖脱落",
    "agency_responsible": "站长 · 翠湖明居", "service_notice": "通常15分钟内响应，15天内办结",
    "requested_datetime": "2026-11-27T17:00:00+08:00", "updated_datetime": "2026-11-27T17:00:05+08:00",
    "expected_datetime": "2026-12-12T17:00:00+08:00", "address": "翠湖明居小区9号楼", "address_id": 5,
    "zipcode": None, "lat": 34.365, "long": 108.942, "media_url": None,
}
_REQUEST_XML = (
    "<service_requests><request><service_request_id>DS0000000042</service_request_id><status>open</status>"
    "<status_notes /><service_name>外墙及结构隐患</service_name><service_code>facade_hazard</service_code>"
    "<description>翠湖明居小区9号楼外墙瓷砖脱落</description><agency_responsible>站长 · 翠湖明居</agency_responsible>"
    "<service_notice>通常15分钟内响应，15天内办结</service_notice>"
    "<requested_datetime>2026-11-27T17:00:00+08:00</requested_datetime>"
    "<updated_datetime>2026-11-27T17:00:05+08:00</updated_datetime>"
    "<expected_datetime>2026-12-12T17:00:00+08:00</expected_datetime><address>翠湖明居小区9号楼</address>"
    "<address_id>5</address_id><zipcode /><lat>34.365</lat><long>108.942</long><media_url /></request>"
    "</service_requests>"
)


# Routes ---------------------------------------------------------------------------------------------------


@router.get(
    "/services.{fmt}",
    response_model=list[Service],
    summary="Service list: the active categories",
    description="Every active Doorstep category is a service: `service_code` is the category code, "
    "`service_name` its Chinese name, `description` its English name. Every service has a definition "
    "(`metadata` true) and gets its request id at once (`type` realtime). Public: no api_key.",
    responses=_docs(
        [_SERVICE_EXAMPLE],
        "<services><service><service_code>facade_hazard</service_code><service_name>外墙及结构隐患</service_name>"
        "<description>Facade or structural hazard</description><metadata>true</metadata><type>realtime</type>"
        "<keywords>外墙,墙皮,瓷砖,脱落</keywords><group>安全隐患</group></service></services>",
        404,
    ),
)
async def get_services(fmt: Fmt, session: SessionDep, jurisdiction_id: JurisdictionId = None) -> Response:
    fmt = _check_format(fmt)
    services = await service.list_services(session)
    return _answer(fmt, [dump(s) for s in services], "services", "service")


@router.get(
    "/services/{service_code}.{fmt}",
    response_model=ServiceDefinition,
    summary="Service definition: the attributes a client asks for",
    description="Every service asks `building_number` (string), `unit` (number, 1–99), `room` (string), "
    "`occurred_at` (datetime) and `details` (text); `facade_hazard` also requires `danger` (singlevaluelist "
    "yes/no) and `elderly_service` requires `needs` (multivaluelist: errands, meal, visit). One object, as the "
    "spec shows it (`<service_definition>` in XML). Public: no api_key.",
    responses=_docs(
        {"service_code": "facade_hazard", "attributes": [{
            "variable": True, "code": "danger", "datatype": "singlevaluelist", "required": True,
            "datatype_description": None, "order": 1, "description": "是否危及行人 Is anyone in danger?",
            "values": [{"key": "yes", "name": "是 Yes"}, {"key": "no", "name": "否 No"}]}]},
        "<service_definition><service_code>facade_hazard</service_code><attributes><attribute>"
        "<variable>true</variable><code>danger</code><datatype>singlevaluelist</datatype><required>true</required>"
        "<datatype_description /><order>1</order><description>是否危及行人 Is anyone in danger?</description>"
        "<values><value><key>yes</key><name>是 Yes</name></value><value><key>no</key><name>否 No</name></value>"
        "</values></attribute></attributes></service_definition>",
        404,
    ),
)
async def get_service_definition(
    service_code: Annotated[str, Path(description="A service_code from the service list",
                                      examples=["facade_hazard"])],
    fmt: Fmt,
    session: SessionDep,
    jurisdiction_id: JurisdictionId = None,
) -> Response:
    fmt = _check_format(fmt)
    definition = await service.service_definition(session, service_code)
    return _answer(fmt, dump(definition), "service_definition", None)


@router.post(
    "/requests.{fmt}",
    response_model=list[PostedRequest],
    summary="Submit a request (api_key required)",
    description="Form-encoded as the spec says (`application/x-www-form-urlencoded`, or `multipart/form-data`). "
    "`api_key` (in the body or the query) is an integration key of an active Open311 client. `service_code` "
    "and a location (`lat` + `long`, `address_string` or `address_id`) are required; attributes come as "
    "`attribute[code]=value`, and `attribute[code][]=value` once per value of a multivaluelist. The request "
    "becomes an ordinary Doorstep request (channel `open311`) filed in the client's area and routed like any "
    "other: `lat`/`long` go to the nearest building. The answer is an array of one, with the reference as "
    "`service_request_id` and a `token` for `tokens/{token}`.",
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": POST_FORM_SCHEMA},
        "multipart/form-data": {"schema": POST_FORM_SCHEMA},
    }}},
    responses=_docs(
        [{"service_request_id": "DS0000000042", "token": "Xq3v0m0Cqk8mD1a6yB2-3w",
          "service_notice": "通常15分钟内响应，15天内办结", "account_id": None}],
        "<service_requests><request><service_request_id>DS0000000042</service_request_id>"
        "<token>Xq3v0m0Cqk8mD1a6yB2-3w</token><service_notice>通常15分钟内响应，15天内办结</service_notice>"
        "<account_id /></request></service_requests>",
        400, 403, 404,
    ),
)
async def post_request(fmt: Fmt, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    fmt = _check_format(fmt)
    form = await _form(request)
    api_key = form.get("api_key") or request.query_params.get("api_key")
    integration = await service.authenticate(session, api_key if isinstance(api_key, str) else None,
                                             now=clock.now())
    current_actor.set(service.actor_for(integration))
    items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    posted = await service.post_request(session, integration, items, clock=clock)
    return _answer(fmt, [dump(posted)], "service_requests", "request")


@router.get(
    "/requests.{fmt}",
    response_model=list[ServiceRequestOut],
    summary="Find requests",
    description="Requests that came in through Open311, newest first, at most 1000. `service_request_id` (a "
    "comma list of references or ids) overrides every other filter. Otherwise `start_date`/`end_date` (W3C "
    "date-times with offsets, inclusive) may be at most 90 days apart; neither means the last 90 days, only "
    "one means the 90 days after the start or before the end. Public: no api_key, and no reporter's name, "
    "phone or e-mail.",
    responses=_docs([_REQUEST_EXAMPLE], _REQUEST_XML, 400, 404),
)
async def get_requests(
    fmt: Fmt,
    session: SessionDep,
    clock: ClockDep,
    service_request_id: Annotated[str | None, Query(description="Comma list of references (or ids); overrides "
                                                    "the other filters", examples=["DS0000000042,DS0000000043"])]
    = None,
    service_code: Annotated[str | None, Query(description="One service_code (or a comma list)",
                                              examples=["facade_hazard"])] = None,
    status: Annotated[str | None, Query(description="open or closed (or both, comma-separated); closed means "
                                        "resolved, closed, rejected or a duplicate", examples=["open"])] = None,
    start_date: Annotated[str | None, Query(description="Earliest requested_datetime, e.g. "
                                            "2026-11-01T00:00:00+08:00")] = None,
    end_date: Annotated[str | None, Query(description="Latest requested_datetime, e.g. 2026-11-30T00:00:00+08:00")]
    = None,
    jurisdiction_id: JurisdictionId = None,
) -> Response:
    fmt = _check_format(fmt)
    found = await service.find_requests(
        session, service_request_id=service_request_id, service_code=service_code, status=status,
        start_date=start_date, end_date=end_date, now=clock.now(),
    )
    return _answer(fmt, [dump(r) for r in found], "service_requests", "request")


@router.get(
    "/requests/{service_request_id}.{fmt}",
    response_model=list[ServiceRequestOut],
    summary="One request (an array of one)",
    description="By reference (DS0000000042) or numeric id, for requests that came in through Open311. "
    "Public: no api_key.",
    responses=_docs([_REQUEST_EXAMPLE], _REQUEST_XML, 404),
)
async def get_request(
    service_request_id: Annotated[str, Path(description="The reference, or the numeric id",
                                            examples=["DS0000000042"])],
    fmt: Fmt,
    session: SessionDep,
    jurisdiction_id: JurisdictionId = None,
) -> Response:
    fmt = _check_format(fmt)
    found = await service.get_request(session, service_request_id)
    return _answer(fmt, [dump(found)], "service_requests", "request")


@router.get(
    "/tokens/{token}.{fmt}",
    response_model=list[TokenAnswer],
    summary="The request a token stands for (an array of one)",
    description="Every POST hands out a token with the request id; it keeps answering with that id.",
    responses=_docs(
        [{"service_request_id": "DS0000000042", "token": "Xq3v0m0Cqk8mD1a6yB2-3w"}],
        "<service_requests><request><service_request_id>DS0000000042</service_request_id>"
        "<token>Xq3v0m0Cqk8mD1a6yB2-3w</token></request></service_requests>",
        404,
    ),
)
async def get_token(
    token: Annotated[str, Path(description="The token from POST requests")],
    fmt: Fmt,
    session: SessionDep,
    jurisdiction_id: JurisdictionId = None,
) -> Response:
    fmt = _check_format(fmt)
    answer = await service.token_answer(session, token)
    return _answer(fmt, [dump(answer)], "service_requests", "request")
