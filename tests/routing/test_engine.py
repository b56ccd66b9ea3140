"""The pure routing engine: plain inputs, decisions and the reasons given for them. No database."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.routing.engine import (
    HAZARD_WORDS,
    BuildingRef,
    Candidate,
    CategoryRef,
    FallbackLevel,
    ParsedAddress,
    TraceStep,
    building_key,
    chinese_number,
    choose_captain,
    choose_least_loaded,
    choose_street_chief,
    classify,
    fallback_chain,
    has_hazard,
    haversine_m,
    hazard_words_in,
    joint_handling,
    match_building,
    match_compound,
    nearest_building,
    parse_address,
    raise_priority,
)

# --------------------------------------------------------------------------------------------------------------
# Places

CUIHU = 10  # 翠湖明居
ZHONGTIE = 20  # 中铁二十局
TIANDING = 30  # 天鼎花园
TIANDING_2 = 31  # 天鼎花园二期
CUIHU_GARDEN = 40  # 翠湖花园

BUILDINGS = [
    BuildingRef(101, "9号楼", "9号楼", CUIHU, "翠湖明居小区", 3, 34.2000, 108.9000),
    BuildingRef(102, "10号楼", "10号楼", CUIHU, "翠湖明居小区", 2, 34.2010, 108.9000),
    BuildingRef(103, "12号楼", "12", CUIHU, "翠湖明居小区", 2, None, None),
    BuildingRef(201, "9栋", "9栋", ZHONGTIE, "中铁二十局", 4, 34.3000, 108.8000),
    BuildingRef(202, "3栋", None, ZHONGTIE, "中铁二十局", 2, None, None),
    BuildingRef(301, "3号楼", "3号楼", TIANDING, "天鼎花园", 2, None, None),
    BuildingRef(311, "3号楼", "3号楼", TIANDING_2, "天鼎花园二期", 2, None, None),
    BuildingRef(401, "1号楼", "1号楼", CUIHU_GARDEN, "翠湖花园", 2, None, None),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("翠湖明居小区9号楼", ParsedAddress("翠湖明居", "9", None, None)),
        ("翠湖明居 9号楼", ParsedAddress("翠湖明居", "9", None, None)),
        ("中铁二十局 9栋 2单元", ParsedAddress("中铁二十局", "9", 2, None)),
        ("中铁二十局小区9栋2单元301室", ParsedAddress("中铁二十局", "9", 2, "301")),
        ("保利中央公园3号楼1单元502", ParsedAddress("保利中央公园", "3", 1, "502")),
        ("翠湖明居小区９号楼", ParsedAddress("翠湖明居", "9", None, None)),
        ("翠湖明居九号楼二单元", ParsedAddress("翠湖明居", "9", 2, None)),
        ("翠湖明居十二号楼", ParsedAddress("翠湖明居", "12", None, None)),
        ("中铁二十局九栋", ParsedAddress("中铁二十局", "9", None, None)),
        ("翠湖明居9幢", ParsedAddress("翠湖明居", "9", None, None)),
        ("翠湖明居9#楼", ParsedAddress("翠湖明居", "9", None, None)),
        ("翠湖明居9#", ParsedAddress("翠湖明居", "9", None, None)),
        ("翠湖明居９＃", ParsedAddress("翠湖明居", "9", None, None)),
        ("翠湖明居09号楼2-301", ParsedAddress("翠湖明居", "9", 2, "301")),
        ("天鼎花园3栋", ParsedAddress("天鼎花园", "3", None, None)),
        ("9号楼", ParsedAddress(None, "9", None, None)),
        ("", ParsedAddress(None, None, None, None)),
    ],
)
def test_parse_address_reads_every_common_form(text: str, expected: ParsedAddress) -> None:
    assert parse_address(text) == expected


def test_a_bare_floor_is_not_a_building() -> None:
    # "9楼" is the ninth floor in Chinese.
    assert parse_address("翠湖明居9楼").building_number is None


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("九", "十", "十二", "二十", "二十三", "一百零一", "一零一", "两", "12")] == [
        9, 10, 12, 20, 23, 101, 101, 2, 12,
    ]  # fmt: skip
    assert chinese_number("局") is None
    assert chinese_number("") is None


def test_building_key_reads_number_or_name() -> None:
    assert building_key(BUILDINGS[0]) == "9"  # "9号楼"
    assert building_key(BUILDINGS[2]) == "12"  # "12"
    assert building_key(BUILDINGS[3]) == "9"  # "9栋"
    assert building_key(BUILDINGS[4]) == "3"  # no number: read from the name "3栋"
    assert building_key(BuildingRef(1, "综合楼", None, 1, "x")) is None


@pytest.mark.parametrize(
    ("text", "building_id"),
    [
        ("翠湖明居小区9号楼", 101),
        ("翠湖明居 9号楼", 101),
        ("西安市雁塔区翠湖明居小区9号楼", 101),  # the hint holds the name
        ("翠湖明居 十二号楼", 103),  # stored as "12"
        ("中铁二十局 9栋 2单元", 201),
        ("中铁二十局小区9号楼2单元301室", 201),  # "9号楼" and "9栋" are the same building
        ("中铁二十局 3#", 202),
        ("天鼎花园3号楼", 301),  # exact name beats 天鼎花园二期, and 花园 is not stripped
        ("天鼎花园二期3号楼", 311),
    ],
)
def test_match_building(text: str, building_id: int) -> None:
    building, steps = match_building(parse_address(text), BUILDINGS)
    assert building is not None and building.id == building_id
    assert steps[-1].outcome == "matched"
    assert steps[-1].detail["building_id"] == building_id


def test_ambiguous_compound_matches_nothing_and_names_the_candidates() -> None:
    building, steps = match_building(parse_address("翠湖 9号楼"), BUILDINGS)
    assert building is None
    assert steps[-1].outcome == "ambiguous_compound"
    assert set(steps[-1].detail["compound_ids"]) == {CUIHU, CUIHU_GARDEN}
    assert "翠湖明居小区" in steps[-1].reason and "翠湖花园" in steps[-1].reason


def test_missing_building_says_which_buildings_exist() -> None:
    building, steps = match_building(parse_address("翠湖明居 99号楼"), BUILDINGS)
    assert building is None
    assert steps[-1].outcome == "no_building"
    assert steps[-1].detail["known"] == ["9", "10", "12"]
    assert "No building 99 in compound 翠湖明居小区" in steps[-1].reason


def test_unknown_compound_and_missing_number() -> None:
    building, steps = match_building(parse_address("阳光城 9号楼"), BUILDINGS)
    assert building is None and steps[-1].outcome == "no_compound"

    building, steps = match_building(parse_address("翠湖明居小区门口路灯坏了"), BUILDINGS)
    assert building is None
    assert [s.outcome for s in steps] == ["compound_matched", "no_building_number"]
    assert steps[-1].detail["compound_id"] == CUIHU  # the caller can still route to the compound


def test_without_a_compound_the_number_must_be_unique() -> None:
    building, steps = match_building(parse_address("12号楼"), BUILDINGS)
    assert building is not None and building.id == 103
    building, steps = match_building(parse_address("9号楼"), BUILDINGS)
    assert building is None and steps[-1].outcome == "ambiguous_building"
    assert steps[-1].detail["building_ids"] == [101, 201]


def test_unit_beyond_the_building_is_flagged() -> None:
    building, steps = match_building(parse_address("翠湖明居9号楼5单元"), BUILDINGS)
    assert building is not None and building.id == 101
    assert steps[-1].detail["unit_out_of_range"] is True


def test_match_compound_prefers_the_longest_contained_name() -> None:
    compound, _ = match_compound("天鼎花园二期东门", BUILDINGS)
    assert compound == (TIANDING_2, "天鼎花园二期")


# --------------------------------------------------------------------------------------------------------------
# Nearest building


def test_haversine_is_about_right() -> None:
    # 0.001° of latitude is about 111 m.
    assert haversine_m(34.2, 108.9, 34.201, 108.9) == pytest.approx(111.2, abs=0.5)


def test_nearest_building_within_radius() -> None:
    building, distance, steps = nearest_building(34.2003, 108.9001, BUILDINGS, radius_m=100)
    assert building is not None and building.id == 101
    assert distance is not None and 30 < distance < 40
    assert steps[0].outcome == "matched"


def test_nearest_building_outside_radius_says_how_far() -> None:
    building, distance, steps = nearest_building(34.25, 108.85, BUILDINGS, radius_m=200)
    assert building is None and distance is None
    assert steps[0].outcome == "none"
    assert steps[0].detail["distance_m"] > 200
    assert "the nearest" in steps[0].reason


def test_nearest_building_refuses_a_point_off_the_globe() -> None:
    with pytest.raises(ValueError):
        nearest_building(91, 0, BUILDINGS, 100)


# --------------------------------------------------------------------------------------------------------------
# What: category and priority (the seeded categories, abridged)

CATEGORIES = [
    CategoryRef(
        1, "public_lighting", ("路灯", "楼道灯", "灯不亮", "灯坏", "照明"), "normal", "building_captain", None, 1
    ),
    CategoryRef(3, "water_leak", ("漏水", "渗水", "水管", "爆管"), "high", "building_captain", None, 3),
    CategoryRef(
        4, "illegal_parking", ("停车", "消防通道", "乱停"), "normal", "building_captain", "urban_management", 4
    ),
    CategoryRef(
        5,
        "facade_hazard",
        ("外墙", "墙皮", "瓷砖", "脱落", "裂缝", "坠落"),
        "urgent",
        "joint_handling",
        "safety_supervision",
        5,
    ),
    CategoryRef(6, "sanitation", ("垃圾", "污水"), "normal", "building_captain", None, 6),
    CategoryRef(7, "pipes", ("水管",), "normal", "building_captain", None, 7),
    CategoryRef(15, "other", (), "normal", "building_captain", None, 15),
]


def test_facade_hazard_in_free_text() -> None:
    text = "翠湖明居小区9号楼外墙瓷砖脱落，楼下有人经过，很危险"
    category, score, steps = classify(text, CATEGORIES)
    assert category is not None and category.code == "facade_hazard"
    assert category.routing_rule == "joint_handling" and category.department == "safety_supervision"
    assert score == 6  # 外墙 + 瓷砖 + 脱落
    assert steps[0].detail["hits"] == sorted(["外墙", "瓷砖", "脱落"])

    priority, steps = raise_priority("normal", text)
    assert priority == "urgent"
    assert "脱落" in steps[0].reason and steps[0].outcome == "raised"

    building, _ = match_building(parse_address(text), BUILDINGS)
    assert building is not None and building.id == 101


def test_longer_keywords_weigh_more() -> None:
    # 停车 (2) against 消防通道 (4) + 停车 (2) for parking; 垃圾 (2) for sanitation.
    category, score, _ = classify("消防通道有人停车，还堆了垃圾", CATEGORIES)
    assert category is not None and category.code == "illegal_parking" and score == 6


def test_ties_go_to_the_earlier_category() -> None:
    category, score, steps = classify("水管坏了", CATEGORIES)
    assert category is not None and category.code == "water_leak" and score == 2
    assert "tied with pipes" in steps[0].reason


def test_no_keyword_is_other_or_none() -> None:
    category, score, steps = classify("你好，请问一下", CATEGORIES)
    assert category is not None and category.code == "other" and score == 0
    assert steps[0].outcome == "other"
    category, score, steps = classify("你好", CATEGORIES[:-1])
    assert category is None and steps[0].outcome == "none"


def test_hazard_words() -> None:
    assert "燃气" in HAZARD_WORDS and "脱落" in HAZARD_WORDS
    assert hazard_words_in("楼道里有燃气味，还有点冒烟") == ["燃气", "冒烟"]
    assert has_hazard("配电箱漏电") and not has_hazard("楼道灯不亮")
    priority, steps = raise_priority("low", "楼道灯不亮")
    assert priority == "low" and steps[0].outcome == "unchanged"
    priority, steps = raise_priority("urgent", "燃气泄漏")
    assert priority == "urgent" and steps[0].outcome == "unchanged"
    with pytest.raises(ValueError):
        raise_priority("critical", "x")


# --------------------------------------------------------------------------------------------------------------
# Who: captains

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ZHANG = Candidate(1, "张伟", units=(1, 2), open_count=3)
LI = Candidate(2, "李娜", units=(3, 4), open_count=1)


def test_two_captains_split_by_unit() -> None:
    chosen, steps, fallbacks = choose_captain([ZHANG, LI], unit=2, on_day_absent={})
    assert chosen == 1  # covers unit 2 although busier
    assert fallbacks == [2]
    assert steps[-1].outcome == "chosen" and "covering unit 2" in steps[-1].reason

    chosen, _, fallbacks = choose_captain([ZHANG, LI], unit=3, on_day_absent={})
    assert chosen == 2 and fallbacks == [1]


def test_unknown_unit_goes_to_least_open_work() -> None:
    chosen, steps, _ = choose_captain([ZHANG, LI], unit=None, on_day_absent={})
    assert chosen == 2
    assert "least open work (1 against 3)" in steps[-1].reason


def test_whole_building_captains_come_before_other_units() -> None:
    whole = Candidate(3, "王芳", units=None, open_count=9)
    chosen, _, fallbacks = choose_captain([ZHANG, LI, whole], unit=5, on_day_absent={})
    assert chosen == 3  # nobody covers unit 5; the whole-building captain, busy as she is
    assert fallbacks == [2, 1]  # then the others by load


def test_two_captains_of_one_unit_split_by_load() -> None:
    a = Candidate(1, "张伟", units=(1,), open_count=4)
    b = Candidate(2, "李娜", units=(1,), open_count=2)
    chosen, steps, fallbacks = choose_captain([a, b], unit=1, on_day_absent={})
    assert chosen == 2 and fallbacks == [1]


def test_round_robin_breaks_load_ties() -> None:
    a = Candidate(1, "张伟", units=None, open_count=2, last_assigned_at=T0)
    b = Candidate(2, "李娜", units=None, open_count=2, last_assigned_at=T0.replace(hour=8))
    c = Candidate(3, "王芳", units=None, open_count=2, last_assigned_at=None)
    chosen, steps, fallbacks = choose_captain([a, b, c], unit=None, on_day_absent={})
    assert chosen == 3 and "never assigned" in steps[-1].reason
    chosen, steps, fallbacks = choose_captain([a, b], unit=None, on_day_absent={})
    assert chosen == 2 and "longest since their last assignment" in steps[-1].reason
    assert fallbacks == [1]


def test_round_robin_pointer_when_history_is_equal() -> None:
    people = [Candidate(i, f"p{i}", open_count=0) for i in (1, 2, 3)]
    assert choose_captain(people, None, {})[0] == 1
    assert choose_captain(people, None, {}, round_robin_after=1)[0] == 2
    assert choose_captain(people, None, {}, round_robin_after=3)[0] == 1  # wraps around
    chosen, steps, fallbacks = choose_captain(people, None, {}, round_robin_after=2)
    assert (chosen, fallbacks) == (3, [1, 2])
    assert "next after #2" in steps[-1].reason


def test_absent_captain_is_replaced_by_the_backup() -> None:
    # Zhang covers unit 2 but is away; his backup (#50, not a captain here) takes it, not Li.
    chosen, steps, fallbacks = choose_captain([ZHANG, LI], unit=2, on_day_absent={1: 50})
    assert chosen == 50
    backup_step = next(s for s in steps if s.outcome == "backup")
    assert backup_step.detail == {"staff_id": 1, "backup_staff_id": 50}
    assert "张伟 (#1) is away today; backup #50 stands in" in backup_step.reason
    assert "standing in for 张伟" in steps[-1].reason
    assert fallbacks == [2]


def test_absent_captain_without_backup_is_skipped() -> None:
    chosen, steps, fallbacks = choose_captain([ZHANG, LI], unit=2, on_day_absent={1: None})
    assert chosen == 2 and fallbacks == []
    assert any(s.outcome == "skipped" and s.detail["why"] == "away" for s in steps)
    assert any(s.outcome == "all_away" for s in steps)


def test_backup_chain_and_present_people_first() -> None:
    a = Candidate(1, "张伟", units=(1,), open_count=0)
    b = Candidate(2, "李娜", units=(1,), open_count=5)
    # Zhang is away; his backup #50 is away too, and #50's backup is #60.
    chosen, _, fallbacks = choose_captain([a, b], unit=1, on_day_absent={1: 50, 50: 60})
    assert chosen == 2  # someone present ranks before a stand-in
    assert fallbacks == [60]
    # A circle of backups leads nowhere.
    chosen, steps, _ = choose_captain([a], unit=1, on_day_absent={1: 50, 50: 1})
    assert chosen is None and "circle" in " ".join(s.reason for s in steps)


def test_exclude_skips_those_who_declined() -> None:
    chosen, steps, fallbacks = choose_captain([ZHANG, LI], unit=2, on_day_absent={}, exclude={1})
    assert chosen == 2 and fallbacks == []
    assert steps[0].detail == {"staff_id": 1, "why": "excluded"}
    # A backup who already declined does not stand in again.
    chosen, _, _ = choose_captain([ZHANG, LI], unit=2, on_day_absent={1: 50}, exclude={50})
    assert chosen == 2
    # Everyone declined: nobody.
    chosen, steps, fallbacks = choose_captain([ZHANG, LI], unit=2, on_day_absent={}, exclude={1, 2})
    assert chosen is None and fallbacks == []


def test_no_captain_at_all() -> None:
    chosen, steps, fallbacks = choose_captain([], unit=1, on_day_absent={})
    assert (chosen, fallbacks) == (None, [])
    assert steps[0].outcome == "none"


def test_same_inputs_same_decision() -> None:
    people = [Candidate(i, f"p{i}", units=None, open_count=i % 2) for i in range(10, 0, -1)]
    first = choose_captain(people, None, {3: 7})
    assert all(choose_captain(list(reversed(people)), None, {3: 7})[0::2] == first[0::2] for _ in range(3))


def test_steps_are_json() -> None:
    _, steps, _ = choose_captain([ZHANG, LI], unit=2, on_day_absent={1: 50})
    json.dumps([s.as_dict() for s in steps], ensure_ascii=False)
    assert isinstance(steps[0], TraceStep)


# --------------------------------------------------------------------------------------------------------------
# Fallback chain, joint handling, streets


def test_fallback_chain_walks_up_through_empty_and_absent_levels() -> None:
    levels = [
        FallbackLevel("station_head", [], "翠湖明居工作站"),
        FallbackLevel("community_staff", [Candidate(5, "赵敏", open_count=0)], "翠湖社区"),
        FallbackLevel("duty_desk", [Candidate(7, "钱坤", open_count=4), Candidate(8, "孙丽", open_count=1)]),
        FallbackLevel("subdistrict_staff", [Candidate(9, "周杰")]),
    ]
    chosen, steps = fallback_chain(levels, on_day_absent={5: None})
    assert chosen == 8
    assert [(s.rule, s.outcome) for s in steps] == [
        ("station_head", "empty"),
        ("community_staff", "skipped"),
        ("community_staff", "all_away"),
        ("duty_desk", "chosen"),
    ]
    assert steps[-1].detail["level_index"] == 2
    assert "least open work (1 against 4)" in steps[-1].reason


def test_fallback_chain_uses_a_backup_and_can_end_with_nobody() -> None:
    levels = [FallbackLevel("station_head", [Candidate(4, "吴刚")])]
    chosen, steps = fallback_chain(levels, on_day_absent={4: 40})
    assert chosen == 40
    chosen, steps = fallback_chain(levels, on_day_absent={}, exclude={4})
    assert chosen is None and steps[-1].outcome == "none"


HEAD = Candidate(4, "吴刚", open_count=2)
SAFETY = [Candidate(70, "安监甲", open_count=3), Candidate(71, "安监乙", open_count=1)]


def test_joint_handling_owner_and_participants() -> None:
    owner, participants, steps = joint_handling(
        [HEAD], [ZHANG, LI], SAFETY, unit=3, on_day_absent={}, department="safety_supervision"
    )
    assert owner == 4
    assert participants == [2, 71]  # the captain of unit 3, then the least loaded of the department
    roles = [(s.outcome, s.detail.get("role")) for s in steps if s.outcome in ("owner", "participant")]
    assert roles == [("owner", "owner"), ("participant", "building_captain"), ("participant", "department")]


def test_joint_handling_absent_station_head_uses_backup() -> None:
    owner, participants, _ = joint_handling([HEAD], [ZHANG], SAFETY, unit=1, on_day_absent={4: 44})
    assert owner == 44 and participants == [1, 71]


def test_joint_handling_without_station_head_falls_back() -> None:
    levels = [FallbackLevel("community_staff", [Candidate(5, "赵敏")])]
    owner, participants, steps = joint_handling([], [ZHANG], SAFETY, unit=1, on_day_absent={}, fallback_levels=levels)
    assert owner == 5 and participants == [1, 71]
    assert steps[0].outcome == "empty" and any(s.step == "fallback" and s.outcome == "chosen" for s in steps)


def test_joint_handling_never_lists_the_owner_as_participant() -> None:
    # The station head is also the building's captain and in the department list.
    head = Candidate(1, "张伟")
    owner, participants, steps = joint_handling([head], [head], [head, SAFETY[0]], unit=None, on_day_absent={})
    assert owner == 1 and participants == [70]


def test_joint_handling_with_nobody_at_all() -> None:
    owner, participants, steps = joint_handling([], [], [], unit=None, on_day_absent={})
    assert owner is None and participants == []


def test_street_chief_then_steward() -> None:
    chief = Candidate(80, "街长")
    stewards = [Candidate(81, "巷长甲", open_count=2), Candidate(82, "巷长乙", open_count=0)]
    assert choose_street_chief([chief], stewards, {})[0::2] == (80, [82, 81])
    chosen, steps, fallbacks = choose_street_chief([chief], stewards, {80: None})
    assert chosen == 82 and fallbacks == [81]
    assert steps[-1].rule == "alley_steward"
    chosen, steps, fallbacks = choose_street_chief([], [], {})
    assert chosen is None and [s.outcome for s in steps] == ["empty", "empty"]


def test_choose_least_loaded_names_the_rule() -> None:
    chosen, steps, rest = choose_least_loaded(SAFETY, {}, rule="station_head")
    assert chosen == 71 and rest == [70] and steps[-1].rule == "station_head"
