"""Schema bases shared by every domain: strict writes, attribute reads, cursor pages, coordinates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from app.core.text import clean_text
from app.core.time import ensure_utc


def _clean_any(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_any(v) for v in value]
    return value


class WriteModel(BaseModel):
    """Base of every request body: unknown fields are refused, every string is NFC, trimmed and clean."""

    model_config = ConfigDict(extra="forbid", str_max_length=10_000)

    @field_validator("*", mode="before")
    @classmethod
    def _clean_strings(cls, value: Any) -> Any:
        return _clean_any(value)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _single_line(value: str) -> str:
    if "\n" in value or "\t" in value:
        raise ValueError("must be a single line")
    return value


def _aware(value: datetime) -> datetime:
    return ensure_utc(value)


SingleLine = Annotated[str, AfterValidator(_single_line)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_single_line)]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS-84 latitude in degrees")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS-84 longitude in degrees")]
Phone = Annotated[
    str,
    Field(min_length=3, max_length=32, pattern=r"^\+?[0-9][0-9 \-]{2,31}$", examples=["13800138000"]),
]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of results. Pass ``next_cursor`` back as ``cursor`` for the next page; null means the end."""

    items: list[T]
    next_cursor: str | None = None
