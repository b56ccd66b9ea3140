"""GeoReport v2 XML: the same dicts as the JSON answers, as elements built with ElementTree (so every value is
escaped), UTF-8 with a declaration.

Lists nest the spec's way: ``<services><service>``, ``<service_requests><request>``, ``<errors><error>``, and
inside a service definition ``<attributes><attribute>`` and ``<values><value>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

XML_MEDIA_TYPE = "application/xml; charset=utf-8"

# Lists inside an object: the element name of each item.
_ITEM_TAGS = {"attributes": "attribute", "values": "value"}
# Characters XML 1.0 cannot carry at all (even escaped).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        item_tag = _ITEM_TAGS.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, item_tag), item)
    else:
        element.text = _text(value)


def render(root_tag: str, item_tag: str | None, data: Any) -> bytes:
    """``render("services", "service", [...])`` → ``<services><service>…</service></services>``; with
    ``item_tag`` None, ``data`` is one object whose fields go straight under the root."""
    root = ET.Element(root_tag)
    if item_tag is None:
        _fill(root, data)
    else:
        for item in data:
            _fill(ET.SubElement(root, item_tag), item)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def errors(body: list[dict[str, Any]]) -> bytes:
    return render("errors", "error", body)
