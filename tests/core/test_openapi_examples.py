"""Every operation on the OpenAPI page shows an example: on its body, its 2xx response schema, or a parameter.

No database is needed: ``app.openapi()`` only walks the routes and the pydantic schemas.
"""

from __future__ import annotations

from typing import Any

from app.core.config import Settings
from app.core.schemas import ReadModel
from app.main import create_app

METHODS = {"get", "post", "put", "patch", "delete"}
MAX_DEPTH = 4


def _spec() -> dict[str, Any]:
    settings = Settings(environment="test", secret_key="test-secret-" + "x" * 32, run_worker_in_process=False,
                        log_level="WARNING")
    return create_app(settings).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return spec["components"]["schemas"].get(ref.rsplit("/", 1)[1], {})
    return schema


def _has_example(obj: dict[str, Any]) -> bool:
    return "example" in obj or "examples" in obj


def _is_page(schema: dict[str, Any]) -> bool:
    return set(schema.get("properties", {})) == {"items", "next_cursor"}


def _schema_has_example(spec: dict[str, Any], schema: dict[str, Any] | None, depth: int = 0) -> bool:
    """An example on the schema itself or on one of its own properties; through ``$ref``, ``items`` and
    ``allOf``/``anyOf``/``oneOf``, and through a Page's items (the page envelope is generic, its items are not)."""
    if not schema or depth > MAX_DEPTH:
        return False
    schema = _resolve(spec, schema)
    if _has_example(schema) or any(_has_example(p) for p in schema.get("properties", {}).values()):
        return True
    nested = [schema["items"]] if isinstance(schema.get("items"), dict) else []
    for key in ("allOf", "anyOf", "oneOf"):
        nested.extend(schema.get(key, []))
    if _is_page(schema):
        nested.append(schema["properties"]["items"])
    return any(_schema_has_example(spec, s, depth + 1) for s in nested)


def _content_has_example(spec: dict[str, Any], content: dict[str, Any]) -> bool:
    return any(_has_example(media) or _schema_has_example(spec, media.get("schema")) for media in content.values())


def _operation_has_example(spec: dict[str, Any], operation: dict[str, Any]) -> bool:
    body = operation.get("requestBody", {})
    if _content_has_example(spec, body.get("content", {})):
        return True
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        if status == "204":
            return True
        if _content_has_example(spec, response.get("content", {})):
            return True
    for parameter in operation.get("parameters", []):
        if _has_example(parameter) or _schema_has_example(spec, parameter.get("schema")):
            return True
    return False


def test_every_operation_shows_an_example() -> None:
    spec = _spec()
    missing = [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS and not _operation_has_example(spec, operation)
    ]
    assert not missing, f"{len(missing)} operations have no example anywhere:\n" + "\n".join(missing)


def test_read_models_keep_reading_attributes() -> None:
    """A read schema that sets its own model_config (for examples) still reads ORM rows."""
    pending, seen = [ReadModel], []
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            seen.append(sub)
    lost = sorted(f"{m.__module__}.{m.__qualname__}" for m in seen if not m.model_config.get("from_attributes"))
    assert not lost, "read models without from_attributes: " + ", ".join(lost)
