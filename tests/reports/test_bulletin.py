"""GET /api/v1/reports/bulletin as JSON, CSV, XLSX and SVG, with the contents counted by hand (conftest.py)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import openpyxl

from app.reports import tasks
from tests.reports.conftest import Month

URL = "/api/v1/reports/bulletin"
SVG = "{http://www.w3.org/2000/svg}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def fetch(client, month: Month, who: str = "admin", headers: dict[str, str] | None = None, **params: Any):  # type: ignore[no-untyped-def]
    response = await client.get(URL, params={"month": "2026-10", **params},
                                headers={**month.w.h[who], **(headers or {})})
    assert response.status_code == 200, response.text
    return response


def expected_communities(month: Month) -> list[tuple[str, str, int, float | None, float | None, float | None]]:
    # 未央湖社区: R1-R5, R8, R9 — respond 2/4 (R2 late, R4 never), resolve 2/4 (R3, R4 breached), satisfied 2/2.
    # 太华路社区: R6, R7 — respond 2/2, resolve 1/1 (R6 reopened is not due), satisfied 1/2 (R6 dissatisfied).
    # 凤城八路 (a street): R10 — respond 1/1, resolve 1/1, not rated.
    return [
        ("未央湖社区", "未央湖街道", 7, 0.5, 0.5, 1.0),
        ("太华路社区", "未央湖街道", 2, 1.0, 1.0, 0.5),
        ("凤城八路", "未央湖街道", 1, 1.0, 1.0, None),
    ]


async def test_json_for_a_district(client, month: Month) -> None:
    w = month.w
    body = (await fetch(client, month, area=w.district.id)).json()
    assert (body["month"], body["previous_month"], body["ranked_kind"]) == ("2026-10", "2026-09", "subdistrict")
    assert body["total"] == {"requests": 10, "previous_requests": 3, "change": 7, "change_rate": 2.3333}
    assert body["rates"] == {"requests": 10, "response_rate": 0.7143, "resolution_rate": 0.6667,
                             "satisfaction_rate": 0.75}
    assert [(c["rank"], c["category"]["code"], c["requests"], c["previous_requests"], c["change_rate"])
            for c in body["top_categories"]] == [
        (1, "public_lighting", 5, 1, 4.0), (2, "water_leak", 3, 1, 2.0), (3, "sanitation", 2, 1, 1.0)]
    assert [(a["rank"], a["area"]["name"], a["requests"], a["previous_requests"], a["change"])
            for a in body["top_areas"]] == [(1, "未央湖街道", 10, 3, 7)]
    assert [(c["area"]["name"], c["parent"]["name"], c["requests"], c["response_rate"], c["resolution_rate"],
             c["satisfaction_rate"]) for c in body["communities"]] == expected_communities(month)
    await tasks.fold_once()
    assert (await fetch(client, month, area=w.district.id)).json() == body


async def test_children_of_a_subdistrict_and_of_a_community(client, month: Month) -> None:
    w = month.w
    body = (await fetch(client, month, area=w.subdistrict.id)).json()
    assert body["ranked_kind"] == "community"
    # September: R11 and R13 in 未央湖社区, R12 in 太华路社区, nothing on the street.
    assert [(a["area"]["name"], a["requests"], a["previous_requests"], a["change_rate"])
            for a in body["top_areas"]] == [
        ("未央湖社区", 7, 2, 2.5), ("太华路社区", 2, 1, 1.0), ("凤城八路", 1, 0, None)]
    community = (await fetch(client, month, area=w.community.id)).json()
    assert community["ranked_kind"] == "compound"
    assert [(a["area"]["name"], a["requests"], a["previous_requests"]) for a in community["top_areas"]] == [
        ("翠湖明居", 7, 2)]
    assert [(c["area"]["name"], c["requests"], c["response_rate"]) for c in community["communities"]] == [
        ("未央湖社区", 7, 0.5)]


async def test_csv_opens_in_excel_with_its_chinese(client, month: Month) -> None:
    response = await fetch(client, month, area=month.w.district.id, format="csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=\"bulletin-2026-10-area-")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["月度简报 Monthly bulletin", "2026-10", "未央区"]
    assert rows[2][:6] == ["诉求总量 Requests", "10", "上月 Previous", "3", "变化 Change", "7"]
    assert rows[3] == ["三率 Rates", "响应率 Response", "71.4%", "解决率 Resolution", "66.7%", "满意率 Satisfaction",
                       "75.0%"]
    start = rows.index(["前三类诉求 Top categories"])
    assert rows[start + 2] == ["1", "公共照明", "public_lighting", "5", "1", "4", "400.0%"]
    assert rows[start + 4][1] == "环境卫生"
    start = rows.index(["社区三率 Community rates"])
    body = rows[start + 2:]
    assert [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in body] == [
        ("未央湖社区", "未央湖街道", "7", "50.0%", "50.0%", "100.0%"),
        ("太华路社区", "未央湖街道", "2", "100.0%", "100.0%", "50.0%"),
        ("凤城八路", "未央湖街道", "1", "100.0%", "100.0%", ""),
    ]


async def test_xlsx_opens_with_openpyxl(client, month: Month) -> None:
    response = await fetch(client, month, headers={"Accept": XLSX}, area=month.w.district.id)
    assert response.headers["content-type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["简报 Summary", "前三类 Categories", "前十街道 Areas", "社区三率 Communities"]
    summary = book["简报 Summary"]
    assert summary["B1"].value == "2026-10" and summary["B2"].value == "未央区"
    assert (summary["B4"].value, summary["B5"].value, summary["B6"].value) == (10, 3, 7)
    assert summary["B8"].value == 0.7143 and summary["B8"].number_format == "0.0%"
    categories = [row for row in book["前三类 Categories"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[1], r[3], r[4]) for r in categories] == [
        (1, "公共照明", 5, 1), (2, "漏水", 3, 1), (3, "环境卫生", 2, 1)]
    areas = list(book["前十街道 Areas"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[3], r[4]) for r in areas] == [("未央湖街道", 10, 3)]
    sheet = book["社区三率 Communities"]
    assert [(r[0], r[1], r[3], r[4], r[5], r[6]) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        (name, parent, n, a, b, c) for name, parent, n, a, b, c in expected_communities(month)]
    assert sheet["E2"].number_format == "0.0%"


async def test_svg_chart_with_chinese_labels(client, month: Month) -> None:
    response = await fetch(client, month, headers={"Accept": "image/svg+xml"}, area=month.w.subdistrict.id)
    assert response.headers["content-type"] == "image/svg+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # well-formed XML, UTF-8
    assert root.tag == f"{SVG}svg"
    assert "Noto Sans CJK SC" in root.attrib["font-family"] and "Microsoft YaHei" in root.attrib["font-family"]
    assert root.attrib["lang"] == "zh-CN"
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "未央湖街道 2026年10月诉求月报" in texts
    assert "诉求量前十社区" in texts and "诉求量前三类别" in texts
    assert ["1. 未央湖社区", "2. 太华路社区", "3. 凤城八路", "1. 公共照明", "2. 漏水", "3. 环境卫生"] == [
        t for t in texts if t[:1].isdigit() and ". " in t]
    current = [r for r in root.iter(f"{SVG}rect") if r.attrib.get("class") == "bar current"]
    previous = [r for r in root.iter(f"{SVG}rect") if r.attrib.get("class") == "bar previous"]
    assert [(r.attrib["data-kind"], int(r.attrib["data-requests"])) for r in current] == [
        ("area", 7), ("area", 2), ("area", 1), ("category", 5), ("category", 3), ("category", 2)]
    assert [int(r.attrib["data-requests"]) for r in previous] == [2, 1, 0, 1, 1, 1]
    widths = [float(r.attrib["width"]) for r in current[:3]]
    assert widths[0] > widths[1] > widths[2] > 0 and widths[0] == 560  # the longest bar fills the panel
    assert "7（+250.0%）" in texts and "1（新增）" in texts


async def test_choosing_the_format(client, month: Month) -> None:
    w = month.w
    cases = {
        "text/csv": "text/csv; charset=utf-8",
        "text/html,application/xhtml+xml,*/*;q=0.8": "application/json",
        "image/png;q=0.9, image/svg+xml": "image/svg+xml; charset=utf-8",
        "application/json;q=0.5, text/csv;q=0.9": "text/csv; charset=utf-8",
    }
    for accept, media in cases.items():
        response = await fetch(client, month, headers={"Accept": accept})
        assert response.headers["content-type"] == media, accept
    response = await fetch(client, month, headers={"Accept": "text/csv"}, format="json")
    assert response.headers["content-type"] == "application/json"
    for params, headers in (({"format": "png"}, {}), ({}, {"Accept": "image/png"}), ({}, {"Accept": "text/html"})):
        response = await client.get(URL, params={"month": "2026-10", **params}, headers={**w.h["admin"], **headers})
        assert response.status_code == 406
        assert response.json()["code"] == "not_acceptable"


async def test_refused(client, month: Month) -> None:
    w = month.w
    response = await client.get(URL, params={"month": "2026-10", "area": w.compound.id}, headers=w.h["admin"])
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "query.area"
    response = await client.get(URL, params={"month": "2026-10"}, headers=w.h["captain"])  # a building's captain
    assert response.status_code == 403 and response.json()["code"] == "no_report_scope"
    response = await client.get(URL, params={"month": "2026-10", "area": w.other_community.id}, headers=w.h["head"])
    assert response.status_code == 404
    for bad in ("2026-13", "Oct", "2026-1"):
        response = await client.get(URL, params={"month": bad}, headers=w.h["admin"])
        assert response.status_code == 422, bad
    assert (await client.get(URL, params={"month": "2026-10"}, headers=w.h["resident"])).status_code == 403
