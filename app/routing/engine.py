"""Pure routing decisions: where a request is, what it is, and who takes it — each with the steps that explain it.

Nothing here touches the database, the clock or the network. The service layer loads rows, turns them into the
small frozen dataclasses below, calls these functions and stores the returned :class:`TraceStep` list as the
routing trace. Every function is deterministic: the same inputs give the same decision and the same steps
(ties are always broken by an explicit rule, ending with the lowest id).

Steps are written for the staff member reading the trace: ``reason`` is an English sentence (quoting the
Chinese input where that helps), ``detail`` holds the same facts as JSON-able values.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# --------------------------------------------------------------------------------------------------------------
# The trace


@dataclass(frozen=True)
class TraceStep:
    """One step of a routing decision.

    ``step`` is the stage ("where", "what", "priority", "who", "fallback"); ``rule`` names the rule applied
    (e.g. "address_text", "keywords", "building_captain"); ``outcome`` is a short machine-readable result
    ("matched", "ambiguous", "chosen", "skipped", "none" …); ``reason`` says why in a sentence.
    """

    step: str
    rule: str
    outcome: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able copy, the shape stored in ``routing_decision.steps``."""
        return {
            "step": self.step,
            "rule": self.rule,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": dict(self.detail),
        }


# --------------------------------------------------------------------------------------------------------------
# Numbers as residents write them

_CN_DIGITS = {
    ch: value
    for value, chars in enumerate(("零〇", "一", "二两", "三", "四", "五", "六", "七", "八", "九"))
    for ch in chars
}
_CN_CHARS = "零〇一二两三四五六七八九十百"
_NUM = rf"(?:\d+|[{_CN_CHARS}]+)"


def chinese_number(text: str) -> int | None:
    """The value of a small number written in ASCII digits or Chinese numerals (九 → 9, 十二 → 12, 一百零一 →
    101, 一零一 → 101); None when ``text`` is not such a number."""
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if any(ch not in _CN_CHARS for ch in text):
        return None
    if "十" not in text and "百" not in text:
        # Digit by digit, as room numbers are read out: 一零一 → 101.
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = 0
    pending = 0
    for ch in text:
        if ch == "百":
            total += (pending or 1) * 100
            pending = 0
        elif ch == "十":
            total += (pending or 1) * 10
            pending = 0
        else:
            pending = _CN_DIGITS[ch]
    return total + pending


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, letters, '＃' and '－' into their ASCII forms.
    return unicodedata.normalize("NFKC", text)


# --------------------------------------------------------------------------------------------------------------
# Where: the address text

# "9号楼", "9栋", "9号栋", "9幢", "9座", "9#楼", "9#", and a bare "9号" when a unit follows ("9号2单元").
# A bare "9楼" is a floor in Chinese, never a building, so it is not accepted.
_BUILDING_RE = re.compile(rf"(?P<num>{_NUM})\s*(?:号楼|号?栋|号?幢|号?座|#\s*楼?|号(?=\s*{_NUM}\s*单元))")
_UNIT_RE = re.compile(rf"(?P<num>{_NUM})\s*单元")
_ROOM_AFTER_UNIT_RE = re.compile(r"^\s*(?:[-,，、]\s*)?(?P<room>\d+[A-Za-z]?)\s*(?:室|号|房)?")
_UNIT_DASH_ROOM_RE = re.compile(r"^\s*(?P<unit>\d{1,2})\s*-\s*(?P<room>\d+[A-Za-z]?)\b")
_ROOM_RE = re.compile(r"(?P<room>\d+[A-Za-z]?)\s*(?:室|房间|房)")
_HINT_TRIM = " \t\r\n,，、.。:：;；-—/()（）"


@dataclass(frozen=True)
class ParsedAddress:
    """What could be read from an address text. ``building_number`` is normalised digits ("9");
    ``compound_hint`` is the text before the building (whitespace and a trailing 小区 removed)."""

    compound_hint: str | None
    building_number: str | None
    unit: int | None
    room: str | None


def compound_key(name: str) -> str:
    """The form compound names are compared in: NFKC, no whitespace, a trailing 小区 removed.

    Only 小区 is stripped: 花园, 家园, 社区 are parts of real names (天鼎花园)."""
    key = re.sub(r"\s+", "", _normalise(name)).strip(_HINT_TRIM)
    if key.endswith("小区") and len(key) > 2:
        key = key[: -len("小区")]
    return key


def parse_address(text: str) -> ParsedAddress:
    """Reads the compound, building number, unit and room from an address as residents write it.

    Handles "翠湖明居小区9号楼", "翠湖明居 9号楼", "中铁二十局 9栋 2单元", "中铁二十局小区9栋2单元301室",
    "保利中央公园3号楼1单元502", "9号楼2-301", full-width digits (９号楼), Chinese numerals (九号楼, 十二号楼,
    二单元), "9幢", "9#楼" and "9#". Never raises; what cannot be read is None.
    """
    text = _normalise(text or "")
    building_number: str | None = None
    unit: int | None = None
    room: str | None = None
    hint_end = len(text)

    building = _BUILDING_RE.search(text)
    rest_start = 0
    if building:
        value = chinese_number(building.group("num"))
        if value is not None:
            building_number = str(value)
        hint_end = building.start()
        rest_start = building.end()

    rest = text[rest_start:]
    unit_match = _UNIT_RE.search(rest)
    if unit_match:
        unit = chinese_number(unit_match.group("num"))
        if not building:
            hint_end = min(hint_end, rest_start + unit_match.start())
        room_match = _ROOM_AFTER_UNIT_RE.match(rest[unit_match.end() :])
        if room_match:
            room = room_match.group("room")
    elif building:
        dash = _UNIT_DASH_ROOM_RE.match(rest)
        if dash:
            unit = int(dash.group("unit"))
            room = dash.group("room")
    if room is None:
        room_match = _ROOM_RE.search(rest)
        if room_match:
            room = room_match.group("room")
            if not building and not unit_match:
                hint_end = min(hint_end, room_match.start())

    hint = compound_key(text[:hint_end])
    return ParsedAddress(compound_hint=hint or None, building_number=building_number, unit=unit, room=room)


@dataclass(frozen=True)
class BuildingRef:
    """A building as routing sees it. ``building_number`` is as stored ("9号楼", "9栋", "9" or None)."""

    id: int
    name: str
    building_number: str | None
    compound_id: int
    compound_name: str
    unit_count: int | None = None
    latitude: float | None = None
    longitude: float | None = None


def building_key(building: BuildingRef) -> str | None:
    """The building's number as normalised digits, read from ``building_number`` and else from ``name``
    ("9号楼", "9栋", "九号楼", "9" → "9"); None when neither holds a number."""
    for source in (building.building_number, building.name):
        if not source:
            continue
        text = _normalise(source).strip()
        match = _BUILDING_RE.search(text)
        if match:
            value = chinese_number(match.group("num"))
        else:
            value = chinese_number(text)
            if value is None:
                digits = re.findall(r"\d+", text)
                value = int(digits[-1]) if len(digits) == 1 else None
        if value is not None:
            return str(value)
    return None


def _compounds(buildings: Iterable[BuildingRef]) -> dict[int, str]:
    compounds: dict[int, str] = {}
    for building in buildings:
        compounds.setdefault(building.compound_id, building.compound_name)
    return dict(sorted(compounds.items()))


def match_compound(
    hint: str | None, buildings: Sequence[BuildingRef]
) -> tuple[tuple[int, str] | None, list[TraceStep]]:
    """The compound the hint names, among the compounds of ``buildings``, as ``(compound_id, name)``.

    Names are compared with :func:`compound_key`. An exact match wins; else the compounds whose name the
    hint contains (the longest such names: "西安市雁塔区翠湖明居" names 翠湖明居); else the compounds whose
    name contains the hint ("翠湖" in "翠湖明居"). More than one left → None, the step lists them.
    """
    steps: list[TraceStep] = []
    if not hint:
        return None, steps
    key = compound_key(hint)
    compounds = _compounds(buildings)
    keys = {cid: compound_key(name) for cid, name in compounds.items()}

    how = "exact"
    found = [cid for cid, k in keys.items() if k == key]
    if not found:
        how = "hint contains the name"
        inside = [cid for cid, k in keys.items() if k and k in key]
        if inside:
            longest = max(len(keys[cid]) for cid in inside)
            found = [cid for cid in inside if len(keys[cid]) == longest]
    if not found:
        how = "name contains the hint"
        found = [cid for cid, k in keys.items() if key in k]

    if not found:
        steps.append(
            TraceStep("where", "address_text", "no_compound", f"No compound is named like “{hint}”.", {"hint": hint})
        )
        return None, steps
    if len(found) > 1:
        names = [compounds[cid] for cid in found]
        steps.append(
            TraceStep(
                "where",
                "address_text",
                "ambiguous_compound",
                f"“{hint}” could be any of {len(found)} compounds: {'、'.join(names)}.",
                {"hint": hint, "compound_ids": found, "compound_names": names},
            )
        )
        return None, steps
    cid = found[0]
    steps.append(
        TraceStep(
            "where",
            "address_text",
            "compound_matched",
            f"“{hint}” names the compound {compounds[cid]} ({how}).",
            {"hint": hint, "compound_id": cid, "compound_name": compounds[cid], "match": how},
        )
    )
    return (cid, compounds[cid]), steps


def match_building(
    parsed: ParsedAddress, buildings: Sequence[BuildingRef]
) -> tuple[BuildingRef | None, list[TraceStep]]:
    """The one building the parsed address names, or None with a step saying why.

    The compound is found by :func:`match_compound`; then the building by number within it ("9号楼" and
    "9栋" are both 9). Without a compound hint the number must be unique among all ``buildings``. Never
    guesses: an ambiguous compound, a missing number or a number matching several buildings gives None.
    A unit beyond the building's ``unit_count`` still matches, flagged in the step's detail.
    """
    steps: list[TraceStep] = []
    pool: list[BuildingRef] = list(buildings)
    compound: tuple[int, str] | None = None
    if parsed.compound_hint:
        compound, compound_steps = match_compound(parsed.compound_hint, buildings)
        steps += compound_steps
        if compound is None:
            return None, steps
        pool = [b for b in buildings if b.compound_id == compound[0]]
    if parsed.building_number is None:
        where = f"in {compound[1]}" if compound else "at all"
        steps.append(
            TraceStep(
                "where",
                "address_text",
                "no_building_number",
                f"The address names no building number {where}.",
                {"compound_id": compound[0] if compound else None},
            )
        )
        return None, steps

    number = parsed.building_number
    found = sorted((b for b in pool if building_key(b) == number), key=lambda b: b.id)
    scope = f"compound {compound[1]}" if compound else "any compound"
    if not found:
        known = sorted({k for b in pool if (k := building_key(b)) is not None}, key=lambda k: (len(k), k))
        steps.append(
            TraceStep(
                "where",
                "address_text",
                "no_building",
                f"No building {number} in {scope}" + (f" (it has {', '.join(known)})." if known else "."),
                {"building_number": number, "compound_id": compound[0] if compound else None, "known": known},
            )
        )
        return None, steps
    if len(found) > 1:
        steps.append(
            TraceStep(
                "where",
                "address_text",
                "ambiguous_building",
                f"Building {number} exists in {len(found)} places in {scope}: "
                + "、".join(f"{b.compound_name} {b.name}" for b in found)
                + ".",
                {"building_number": number, "building_ids": [b.id for b in found]},
            )
        )
        return None, steps

    building = found[0]
    detail: dict[str, Any] = {
        "building_id": building.id,
        "building_number": number,
        "compound_id": building.compound_id,
        "unit": parsed.unit,
        "room": parsed.room,
    }
    reason = f"Building {number} of {building.compound_name} is {building.name}."
    if parsed.unit is not None and building.unit_count is not None and not 1 <= parsed.unit <= building.unit_count:
        detail["unit_out_of_range"] = True
        reason += f" Unit {parsed.unit} is not one of its {building.unit_count} units."
    steps.append(TraceStep("where", "address_text", "matched", reason, detail))
    return building, steps


# --------------------------------------------------------------------------------------------------------------
# Where: the nearest building

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def nearest_building(
    latitude: float, longitude: float, buildings: Sequence[BuildingRef], radius_m: float
) -> tuple[BuildingRef | None, float | None, list[TraceStep]]:
    """The building nearest to the point if it lies within ``radius_m``, with its distance in metres.

    Buildings without coordinates are ignored; equal distances go to the lowest id. Nothing within the radius
    → ``(None, None, steps)`` with a step giving the nearest distance found. Raises ValueError for a point
    off the globe.
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"({latitude}, {longitude}) is not a WGS-84 point")
    placed = [b for b in buildings if b.latitude is not None and b.longitude is not None]
    point = {"latitude": latitude, "longitude": longitude, "radius_m": radius_m}
    if not placed:
        return (
            None,
            None,
            [TraceStep("where", "nearest_building", "none", "No building has coordinates to compare with.", point)],
        )
    ranked = sorted(
        ((haversine_m(latitude, longitude, b.latitude, b.longitude), b.id, b) for b in placed),  # type: ignore[arg-type]
        key=lambda item: (item[0], item[1]),
    )
    distance, _, building = ranked[0]
    detail = {**point, "building_id": building.id, "distance_m": round(distance, 1)}
    if distance > radius_m:
        return (
            None,
            None,
            [
                TraceStep(
                    "where",
                    "nearest_building",
                    "none",
                    f"No building within {radius_m:g} m; the nearest, {building.compound_name} {building.name}, "
                    f"is {distance:.0f} m away.",
                    detail,
                )
            ],
        )
    return (
        building,
        distance,
        [
            TraceStep(
                "where",
                "nearest_building",
                "matched",
                f"{building.compound_name} {building.name} is the nearest building, {distance:.0f} m away "
                f"(within {radius_m:g} m).",
                detail,
            )
        ],
    )


# --------------------------------------------------------------------------------------------------------------
# What: category and priority

PRIORITIES = ("low", "normal", "high", "urgent")

# Danger to life or property: any of these raises the priority to urgent. Matched as plain substrings, so a
# negation ("没有漏电") still raises it — on purpose: a person reads it sooner rather than a hazard later.
HAZARD_WORDS: tuple[str, ...] = (
    "脱落", "漏电", "燃气", "坠落", "煤气", "着火", "火灾", "倒塌", "触电", "冒烟", "爆炸", "塌陷",
)  # fmt: skip


@dataclass(frozen=True)
class CategoryRef:
    """A category as classification sees it (pass only active categories)."""

    id: int
    code: str
    keywords: tuple[str, ...]
    default_priority: str
    routing_rule: str
    department: str | None = None
    sort_order: int = 0


def classify(text: str, categories: Sequence[CategoryRef]) -> tuple[CategoryRef | None, int, list[TraceStep]]:
    """The category whose keywords best match ``text`` (title and description together), with its score.

    Each distinct keyword found scores its length in characters, so "消防通道" outweighs "停车". The best
    score wins; ties go to the lowest ``sort_order``, then the lowest id. No keyword found → the category
    with code "other" and score 0, or None when there is none.
    """
    normalised = _normalise(text or "").lower()
    scored: list[tuple[int, CategoryRef, list[str]]] = []
    for category in categories:
        hits = sorted({k for k in category.keywords if k and _normalise(k).lower() in normalised})
        if hits:
            scored.append((sum(len(k) for k in hits), category, hits))
    if not scored:
        other = next((c for c in sorted(categories, key=lambda c: (c.sort_order, c.id)) if c.code == "other"), None)
        outcome = "other" if other else "none"
        reason = "No category keyword appears in the text" + ("; filed as “other”." if other else ".")
        return other, 0, [TraceStep("what", "keywords", outcome, reason, {"category_id": other.id if other else None})]
    scored.sort(key=lambda item: (-item[0], item[1].sort_order, item[1].id))
    score, best, hits = scored[0]
    runners_up = [{"code": c.code, "score": s} for s, c, _ in scored[1:4]]
    reason = f"Classified as {best.code}: keywords {'、'.join(hits)} (score {score})"
    if len(scored) > 1 and scored[1][0] == score:
        reason += f"; tied with {scored[1][1].code}, which comes later in the category order"
    reason += "."
    detail = {"category_id": best.id, "code": best.code, "score": score, "hits": hits, "runners_up": runners_up}
    return best, score, [TraceStep("what", "keywords", "classified", reason, detail)]


def hazard_words_in(text: str) -> list[str]:
    """The hazard words found in ``text``, in the order of :data:`HAZARD_WORDS`."""
    normalised = _normalise(text or "")
    return [word for word in HAZARD_WORDS if word in normalised]


def has_hazard(text: str) -> bool:
    """Whether ``text`` contains any hazard word."""
    return bool(hazard_words_in(text))


def raise_priority(priority: str, text: str) -> tuple[str, list[TraceStep]]:
    """The priority after the hazard check: "urgent" when ``text`` holds a hazard word, else unchanged.

    Never lowers a priority. The step names the words found. Raises ValueError for an unknown priority.
    """
    priority = str(priority)
    if priority not in PRIORITIES:
        raise ValueError(f"unknown priority {priority!r}")
    words = hazard_words_in(text)
    if not words:
        return priority, [
            TraceStep("priority", "hazard_words", "unchanged", f"No hazard word; priority stays {priority}.", {})
        ]
    quoted = "、".join(words)
    if priority == "urgent":
        return priority, [
            TraceStep(
                "priority", "hazard_words", "unchanged", f"Hazard word {quoted}; already urgent.", {"words": words}
            )
        ]
    return "urgent", [
        TraceStep(
            "priority",
            "hazard_words",
            "raised",
            f"Hazard word {quoted} in the text: priority raised from {priority} to urgent.",
            {"words": words, "from": priority, "to": "urgent"},
        )
    ]


# --------------------------------------------------------------------------------------------------------------
# Who


@dataclass(frozen=True)
class Candidate:
    """Someone who could take the request. ``units`` limits a captain to some units of the building (None or
    empty: the whole building); ``open_count`` is their open work; ``last_assigned_at`` their latest assignment
    (aware; None: never)."""

    staff_id: int
    name: str
    units: tuple[int, ...] | None = None
    open_count: int = 0
    last_assigned_at: datetime | None = None


@dataclass(frozen=True)
class FallbackLevel:
    """One level of the fallback chain: ``name`` is e.g. "station_head", "community_staff", "duty_desk",
    "subdistrict_staff"; ``label`` is the place, for the trace ("翠湖明居工作站")."""

    name: str
    candidates: Sequence[Candidate]
    label: str = ""


@dataclass(frozen=True)
class _Option:
    staff_id: int  # who gets the work
    via: Candidate  # whose place they take (themselves unless standing in)

    @property
    def standin(self) -> bool:
        return self.staff_id != self.via.staff_id


def _rr_key(staff_id: int, round_robin_after: int | None) -> tuple[int, int]:
    # Cyclic order starting after the staff member who had the previous assignment.
    if round_robin_after is None:
        return (0, staff_id)
    return (0 if staff_id > round_robin_after else 1, staff_id)


def _order_key(option: _Option, round_robin_after: int | None) -> tuple[Any, ...]:
    who = option.via
    last = who.last_assigned_at
    return (
        option.standin,
        who.open_count,
        (0, 0.0) if last is None else (1, last.timestamp()),
        _rr_key(who.staff_id, round_robin_after),
    )


def _label(candidate: Candidate) -> str:
    return f"{candidate.name} (#{candidate.staff_id})"


def _resolve(
    candidate: Candidate,
    on_day_absent: Mapping[int, int | None],
    exclude: frozenset[int],
    step: str,
    rule: str,
    steps: list[TraceStep],
) -> _Option | None:
    """Who takes this candidate's place today: themselves, their backup (following a backup who is away in
    turn), or nobody — each skip explained in a step."""
    if candidate.staff_id in exclude:
        steps.append(
            TraceStep(
                step,
                rule,
                "skipped",
                f"{_label(candidate)} is left out: they declined or let the response time pass.",
                {"staff_id": candidate.staff_id, "why": "excluded"},
            )
        )
        return None
    staff_id = candidate.staff_id
    seen = {staff_id}
    while staff_id in on_day_absent:
        backup = on_day_absent[staff_id]
        who = _label(candidate) if staff_id == candidate.staff_id else f"their backup #{staff_id}"
        if backup is None:
            why = f"{who} is away today with no backup named."
        elif backup in exclude:
            why = f"{who} is away today; backup #{backup} already declined or let the response time pass."
        elif backup in seen:
            why = f"{who} is away today and the backups are all away (a circle of backups)."
        else:
            seen.add(backup)
            staff_id = backup
            continue
        steps.append(
            TraceStep(
                step,
                rule,
                "skipped",
                why,
                {"staff_id": candidate.staff_id, "why": "away", "backup_staff_id": backup},
            )
        )
        return None
    if staff_id != candidate.staff_id:
        steps.append(
            TraceStep(
                step,
                rule,
                "backup",
                f"{_label(candidate)} is away today; backup #{staff_id} stands in.",
                {"staff_id": candidate.staff_id, "backup_staff_id": staff_id},
            )
        )
    return _Option(staff_id, candidate)


def _rank(
    candidates: Sequence[Candidate],
    on_day_absent: Mapping[int, int | None],
    exclude: frozenset[int],
    round_robin_after: int | None,
    step: str,
    rule: str,
    steps: list[TraceStep],
) -> list[_Option]:
    options = [
        option
        for candidate in sorted(candidates, key=lambda c: c.staff_id)
        if (option := _resolve(candidate, on_day_absent, exclude, step, rule, steps)) is not None
    ]
    return sorted(options, key=lambda o: _order_key(o, round_robin_after))


def _why_first(ranked: Sequence[_Option], round_robin_after: int | None) -> str:
    first = ranked[0]
    if len(ranked) == 1:
        return "the only one available"
    second = ranked[1]
    if first.standin != second.standin:
        return "present, ahead of a stand-in"
    if first.via.open_count != second.via.open_count:
        return f"least open work ({first.via.open_count} against {second.via.open_count})"
    a, b = first.via.last_assigned_at, second.via.last_assigned_at
    if a != b:
        if a is None:
            return "same open work; round robin: never assigned yet"
        return "same open work; round robin: longest since their last assignment"
    if round_robin_after is not None:
        return f"same open work; round robin: next after #{round_robin_after}"
    return "same open work and last assignment; lowest staff id"


def _dedupe(options: Iterable[_Option]) -> list[_Option]:
    seen: set[int] = set()
    unique: list[_Option] = []
    for option in options:
        if option.staff_id not in seen:
            seen.add(option.staff_id)
            unique.append(option)
    return unique


def _chosen_step(
    step: str, rule: str, ranked: Sequence[_Option], round_robin_after: int | None, scope: str
) -> TraceStep:
    first = ranked[0]
    who = f"#{first.staff_id} (standing in for {_label(first.via)})" if first.standin else _label(first.via)
    return TraceStep(
        step,
        rule,
        "chosen",
        f"{who} chosen ({scope}): {_why_first(ranked, round_robin_after)}.",
        {
            "staff_id": first.staff_id,
            "for_staff_id": first.via.staff_id,
            "open_count": first.via.open_count,
            "others": [o.staff_id for o in ranked[1:]],
        },
    )


def choose_least_loaded(
    candidates: Sequence[Candidate],
    on_day_absent: Mapping[int, int | None],
    *,
    exclude: Iterable[int] = frozenset(),
    round_robin_after: int | None = None,
    step: str = "who",
    rule: str = "least_loaded",
) -> tuple[int | None, list[TraceStep], list[int]]:
    """The first eligible candidate by load, with the steps and the others in order.

    Eligible: not in ``exclude``; someone away (a key of ``on_day_absent``) is replaced by their backup,
    following the backup's own absence, or skipped when there is no usable backup. Order: people present
    before stand-ins; then least ``open_count``; then round robin — never assigned first, then the longest
    since their last assignment, then cyclically after ``round_robin_after`` (the staff id who had the
    previous one), else the lowest staff id. Each person appears once in the result.
    """
    excluded = frozenset(exclude)
    steps: list[TraceStep] = []
    ranked = _dedupe(_rank(candidates, on_day_absent, excluded, round_robin_after, step, rule, steps))
    if not ranked:
        steps.append(TraceStep(step, rule, "none", "Nobody is available.", {"candidates": len(candidates)}))
        return None, steps, []
    steps.append(_chosen_step(step, rule, ranked, round_robin_after, f"among {len(candidates)} candidates"))
    return ranked[0].staff_id, steps, [o.staff_id for o in ranked[1:]]


def _covers(candidate: Candidate, unit: int) -> bool:
    return bool(candidate.units) and unit in (candidate.units or ())


def choose_captain(
    candidates: Sequence[Candidate],
    unit: int | None,
    on_day_absent: Mapping[int, int | None],
    round_robin_after: int | None = None,
    exclude: Iterable[int] = frozenset(),
) -> tuple[int | None, list[TraceStep], list[int]]:
    """The building captain who takes the request, the steps, and the ordered fallbacks.

    ``candidates`` are the building's captains, one per person (merge the units of a person's several roles).
    They are tried in tiers: those whose ``units`` include the
    request's unit; then those covering the whole building (``units`` None or empty); then every other captain
    of the building. Within a tier the order is :func:`choose_least_loaded`'s (absent people replaced by their
    backup — who need not be a captain here — ``exclude`` left out, least open work, round robin). The first
    eligible person wins; the third value lists every other eligible person in the same order, tier after tier,
    for re-routing after a decline or a missed respond-by (or call again with ``exclude``). Nobody eligible →
    ``(None, steps, [])`` and the caller falls back (see :func:`fallback_chain`).
    """
    excluded = frozenset(exclude)
    steps: list[TraceStep] = []
    rule = "building_captain"
    remaining = sorted(candidates, key=lambda c: c.staff_id)
    tiers: list[tuple[str, list[Candidate]]] = []
    if unit is not None:
        tiers.append((f"covering unit {unit}", [c for c in remaining if _covers(c, unit)]))
    tiers.append(("covering the whole building", [c for c in remaining if not c.units]))
    placed = {c.staff_id for _, tier in tiers for c in tier}
    rest_scope = "limited to other units" if unit is not None else "limited to some units"
    tiers.append((rest_scope, [c for c in remaining if c.staff_id not in placed]))

    if not candidates:
        steps.append(TraceStep("who", rule, "none", "The building has no captain.", {"unit": unit}))
        return None, steps, []

    ordered: list[_Option] = []
    chosen_noted = False
    for scope, tier in tiers:
        if not tier:
            if not chosen_noted and scope != rest_scope:
                steps.append(TraceStep("who", rule, "empty", f"No captain {scope}.", {"unit": unit}))
            continue
        ranked = _rank(tier, on_day_absent, excluded, round_robin_after, "who", rule, steps)
        fresh = [o for o in _dedupe(ranked) if o.staff_id not in {x.staff_id for x in ordered}]
        if fresh and not chosen_noted:
            steps.append(_chosen_step("who", rule, fresh, round_robin_after, scope))
            chosen_noted = True
        elif not fresh and not chosen_noted:
            steps.append(
                TraceStep("who", rule, "all_away", f"Every captain {scope} is away or left out.", {"unit": unit})
            )
        ordered += fresh
    if not ordered:
        return None, steps, []
    return ordered[0].staff_id, steps, [o.staff_id for o in ordered[1:]]


def fallback_chain(
    levels: Sequence[FallbackLevel],
    on_day_absent: Mapping[int, int | None],
    exclude: Iterable[int] = frozenset(),
    round_robin_after: int | None = None,
) -> tuple[int | None, list[TraceStep]]:
    """Up the tree when nobody fits: the first level with an eligible person wins.

    Pass the levels in order — station head (compound) → community staff → subdistrict duty desk → any
    subdistrict staff. Within a level the order is :func:`choose_least_loaded`'s. A step says which levels were
    empty or all away; the final "chosen" step has ``rule`` = the level's name and ``detail["level_index"]``
    (0 = the first level passed). Nobody at any level → ``(None, steps)``: the caller marks it needs-triage.
    """
    excluded = frozenset(exclude)
    steps: list[TraceStep] = []
    for index, level in enumerate(levels):
        place = f" at {level.label}" if level.label else ""
        if not level.candidates:
            steps.append(
                TraceStep("fallback", level.name, "empty", f"Nobody holds {level.name}{place}.", {"level_index": index})
            )
            continue
        staff_id, level_steps, _ = choose_least_loaded(
            level.candidates,
            on_day_absent,
            exclude=excluded,
            round_robin_after=round_robin_after,
            step="fallback",
            rule=level.name,
        )
        if staff_id is None:
            steps += level_steps[:-1]
            steps.append(
                TraceStep(
                    "fallback",
                    level.name,
                    "all_away",
                    f"Everyone holding {level.name}{place} is away or left out.",
                    {"level_index": index},
                )
            )
            continue
        chosen = level_steps[-1]
        steps += level_steps[:-1]
        steps.append(
            TraceStep(
                "fallback",
                level.name,
                "chosen",
                f"Fallback to {level.name}{place}: " + chosen.reason,
                {**chosen.detail, "level_index": index, "level": level.name},
            )
        )
        return staff_id, steps
    steps.append(TraceStep("fallback", "none", "none", "No level of the fallback chain has anyone available.", {}))
    return None, steps


def joint_handling(
    station_heads: Sequence[Candidate],
    captains: Sequence[Candidate],
    department_staff: Sequence[Candidate],
    *,
    unit: int | None,
    on_day_absent: Mapping[int, int | None],
    department: str | None = None,
    fallback_levels: Sequence[FallbackLevel] = (),
    exclude: Iterable[int] = frozenset(),
    round_robin_after: int | None = None,
) -> tuple[int | None, list[int], list[TraceStep]]:
    """Joint handling (e.g. a facade hazard): the owner, the participants, the steps.

    The compound's station head owns it (away → their backup; several → least open work). With no eligible
    station head the owner comes from ``fallback_levels`` (community staff → duty desk …, as
    :func:`fallback_chain`). Participants, in this order and never the owner twice: the building captain (as
    :func:`choose_captain` picks for ``unit``) and the first eligible of ``department_staff`` (the category's
    department, least open work). ``exclude`` applies to all three roles. Owner None → the caller marks the
    request needs-triage; participants are still returned.
    """
    excluded = frozenset(exclude)
    steps: list[TraceStep] = []
    rule = "joint_handling"
    owner, owner_steps, _ = choose_least_loaded(
        station_heads,
        on_day_absent,
        exclude=excluded,
        round_robin_after=round_robin_after,
        step="who",
        rule=rule,
    )
    if station_heads:
        steps += owner_steps[:-1]
        last = owner_steps[-1]
        if owner is not None:
            steps.append(
                TraceStep(
                    "who", rule, "owner", "Owner (station head): " + last.reason, {**last.detail, "role": "owner"}
                )
            )
        else:
            steps.append(TraceStep("who", rule, "none", "No station head is available to own it.", {}))
    else:
        steps.append(TraceStep("who", rule, "empty", "The compound has no station head.", {}))
    if owner is None:
        owner, chain_steps = fallback_chain(fallback_levels, on_day_absent, excluded, round_robin_after)
        steps += chain_steps

    participants: list[int] = []
    captain, captain_steps, _ = choose_captain(captains, unit, on_day_absent, round_robin_after, excluded)
    steps += captain_steps
    if captain is not None:
        if captain == owner:
            steps.append(
                TraceStep("who", rule, "skipped", f"The captain #{captain} already owns it.", {"staff_id": captain})
            )
        else:
            participants.append(captain)
            steps.append(
                TraceStep(
                    "who",
                    rule,
                    "participant",
                    f"Building captain #{captain} joins as a participant.",
                    {"staff_id": captain, "role": "building_captain"},
                )
            )

    dept = department or "the department"
    if not department_staff:
        steps.append(TraceStep("who", rule, "empty", f"Nobody staffs {dept}.", {"department": department}))
    else:
        taken = {owner, *participants}
        first, member_steps, others = choose_least_loaded(
            department_staff,
            on_day_absent,
            exclude=excluded,
            round_robin_after=round_robin_after,
            step="who",
            rule=rule,
        )
        steps += member_steps[:-1]
        member = next((s for s in ([first, *others] if first is not None else []) if s not in taken), None)
        if member is None:
            steps.append(
                TraceStep("who", rule, "none", f"Nobody from {dept} is available.", {"department": department})
            )
        else:
            participants.append(member)
            steps.append(
                TraceStep(
                    "who",
                    rule,
                    "participant",
                    f"#{member} of {dept} joins as a participant.",
                    {"staff_id": member, "role": "department", "department": department},
                )
            )
    return owner, participants, steps


def choose_street_chief(
    chiefs: Sequence[Candidate],
    stewards: Sequence[Candidate],
    on_day_absent: Mapping[int, int | None],
    exclude: Iterable[int] = frozenset(),
    round_robin_after: int | None = None,
) -> tuple[int | None, list[TraceStep], list[int]]:
    """A street's request: the street chief; if none is eligible, an alley steward; else None (the caller falls
    back). Within each group the order is :func:`choose_least_loaded`'s; the third value lists the other
    eligible people in order (chiefs, then stewards)."""
    excluded = frozenset(exclude)
    steps: list[TraceStep] = []
    chief, chief_steps, chief_rest = choose_least_loaded(
        chiefs, on_day_absent, exclude=excluded, round_robin_after=round_robin_after, rule="street_chief"
    )
    steward, steward_steps, steward_rest = choose_least_loaded(
        stewards, on_day_absent, exclude=excluded, round_robin_after=round_robin_after, rule="alley_steward"
    )
    if not chiefs:
        steps.append(TraceStep("who", "street_chief", "empty", "The street has no street chief.", {}))
    else:
        steps += chief_steps
    chiefs_ids = [] if chief is None else [chief, *chief_rest]
    steward_ids = [] if steward is None else [steward, *steward_rest]
    ordered = chiefs_ids + [s for s in steward_ids if s not in chiefs_ids]
    if chief is None:
        if not stewards:
            steps.append(TraceStep("who", "alley_steward", "empty", "The street has no alley steward.", {}))
        else:
            steps += steward_steps
    if not ordered:
        return None, steps, []
    return ordered[0], steps, ordered[1:]
