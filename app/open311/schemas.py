"""GeoReport v2 shapes. The router answers with ready-made JSON or XML, so these models document the answers
(and build them: ``model_dump`` keeps the spec's field order) rather than validate input; ``POST_FORM_SCHEMA``
documents the form fields the router reads itself."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]

DATETIME_DOC = "W3C date-time with its offset, in China Standard Time, e.g. 2026-11-27T17:00:00+08:00"


class Service(BaseModel):
    """One service: an active Doorstep category."""

    service_code: str = Field(description="The category code", examples=["facade_hazard"])
    service_name: str = Field(description="The Chinese name", examples=["外墙及结构隐患"])
    description: str = Field(description="The English name", examples=["Facade or structural hazard"])
    metadata: bool = Field(description="Always true: every service has a definition (attributes)")
    type: Literal["realtime", "batch", "blackbox"] = Field(description="Always realtime: the request id is "
                                                           "known at once")
    keywords: str = Field(description="Comma-separated Chinese keywords routing recognises",
                          examples=["外墙,墙皮,瓷砖,脱落"])
    group: str = Field(description="A grouping of services", examples=["安全隐患"])


class AttributeValue(BaseModel):
    key: str = Field(examples=["yes"])
    name: str = Field(examples=["是 Yes"])


class Attribute(BaseModel):
    variable: bool = Field(description="true: the client asks the reporter for it")
    code: str = Field(description="Send it as attribute[code]=value (attribute[code][]=v for lists)",
                      examples=["danger"])
    datatype: Datatype
    required: bool
    datatype_description: str | None = Field(default=None, examples=["1–99 的整数 An integer from 1 to 99"])
    order: int = Field(description="Display order, from 1")
    description: str = Field(description="The question to ask", examples=["是否危及行人 Is anyone in danger?"])
    values: list[AttributeValue] | None = Field(default=None, description="List datatypes only: the choices")


class ServiceDefinition(BaseModel):
    service_code: str = Field(examples=["facade_hazard"])
    attributes: list[Attribute]


class PostedRequest(BaseModel):
    service_request_id: str = Field(description="The request's reference", examples=["DS0000000042"])
    token: str = Field(description="Also valid for GET tokens/{token}", examples=["Xq3v0m0Cqk8mD1a6yB2-3w"])
    service_notice: str | None = Field(default=None, examples=["通常15分钟内响应，15天内办结"])
    account_id: None = Field(default=None, description="Always null: Open311 accounts are not used")


class TokenAnswer(BaseModel):
    service_request_id: str = Field(examples=["DS0000000042"])
    token: str = Field(examples=["Xq3v0m0Cqk8mD1a6yB2-3w"])


class ServiceRequestOut(BaseModel):
    """A request as Open311 clients see it: no reporter name, phone or e-mail."""

    service_request_id: str = Field(description="The request's reference", examples=["DS0000000042"])
    status: Literal["open", "closed"] = Field(description="closed: resolved, closed, rejected or a duplicate")
    status_notes: str | None = Field(default=None, description="The resolution note, or why it was rejected",
                                     examples=["已清理脱落瓷砖并设置围挡"])
    service_name: str | None = Field(examples=["外墙及结构隐患"])
    service_code: str | None = Field(examples=["facade_hazard"])
    description: str = Field(examples=["翠湖明居小区9号楼外墙瓷砖脱落"])
    agency_responsible: str = Field(
        description="The responsible role and area; 待分派 (to be assigned) until someone has it",
        examples=["楼栋长 · 翠湖明居 9号楼"],
    )
    service_notice: str | None = Field(default=None, examples=["通常15分钟内响应，15天内办结"])
    requested_datetime: str = Field(description=DATETIME_DOC, examples=["2026-11-27T17:00:00+08:00"])
    updated_datetime: str = Field(description="The last change. " + DATETIME_DOC,
                                  examples=["2026-11-27T17:00:05+08:00"])
    expected_datetime: str | None = Field(default=None, description="The resolve-by time, once routed. "
                                          + DATETIME_DOC, examples=["2026-12-12T17:00:00+08:00"])
    address: str | None = Field(default=None, examples=["翠湖明居小区 9号楼"])
    address_id: int | None = Field(default=None, description="The building's id, once known")
    zipcode: None = Field(default=None, description="Always null")
    lat: float | None = Field(default=None, description="As reported, else the building's", examples=[34.365])
    long: float | None = Field(default=None, description="As reported, else the building's", examples=[108.942])
    media_url: str | None = Field(default=None, examples=["https://img.example/tile.jpg"])


class ErrorItem(BaseModel):
    code: int = Field(description="The HTTP status", examples=[403])
    description: str = Field(examples=["api_key is invalid or revoked"])


def dump(model: BaseModel) -> dict[str, Any]:
    """A model as the answer's object, dropping ``values`` where the spec has none (non-list attributes)."""
    data = model.model_dump(mode="json")
    if isinstance(model, ServiceDefinition):
        for attribute in data["attributes"]:
            if attribute.get("values") is None:
                attribute.pop("values", None)
    return data


def _form_field(description: str, *, type_: str = "string", example: Any = None, **extra: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"type": type_, "description": description, **extra}
    if example is not None:
        field["example"] = example
    return field


# POST requests.{fmt}: application/x-www-form-urlencoded (or multipart/form-data), as the spec says.
POST_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["service_code"],
    "properties": {
        "api_key": _form_field("The Open311 client's integration key (or ?api_key= in the query)",
                               example="ds_live_0123456789abcdef"),
        "jurisdiction_id": _form_field("Accepted and ignored (this server has one jurisdiction); empty = absent"),
        "service_code": _form_field("From GET services.{fmt}", example="facade_hazard"),
        "lat": _form_field("WGS-84 latitude, -90..90, with long: routed to the nearest building", type_="number",
                           example=34.365),
        "long": _form_field("WGS-84 longitude, -180..180, with lat", type_="number", example=108.942),
        "address_string": _form_field("A free-text address (Chinese as residents say it)",
                                      example="翠湖明居小区9号楼"),
        "address_id": _form_field("A building's id (address_id of a request)", type_="integer"),
        "description": _form_field("What is wrong, up to 4000 characters", example="翠湖明居小区9号楼外墙瓷砖脱落"),
        "first_name": _form_field("The reporter's given name (not shown to other clients)", example="秀英"),
        "last_name": _form_field("The reporter's family name (not shown to other clients)", example="王"),
        "phone": _form_field("The reporter's phone (staff call back; never shown to clients)",
                             example="13900139000"),
        "email": _form_field("The reporter's e-mail (kept with the request; never shown)"),
        "device_id": _form_field("Kept with the request"),
        "account_id": _form_field("Kept with the request"),
        "media_url": _form_field("An http(s) URL of a photo", example="https://img.example/tile.jpg"),
    },
    "additionalProperties": _form_field(
        "attribute[code]=value for each attribute of the service definition; attribute[code][]=value once per "
        "chosen value of a multivaluelist"
    ),
    "example": {
        "api_key": "ds_live_0123456789abcdef",
        "service_code": "facade_hazard",
        "lat": 34.365,
        "long": 108.942,
        "description": "翠湖明居小区9号楼外墙瓷砖脱落",
        "attribute[danger]": "yes",
        "attribute[unit]": "2",
    },
}
