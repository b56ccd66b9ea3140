"""Spreadsheet imports: XLSX and CSV (UTF-8 and GB18030), every bad row reported, nothing half-imported."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from app.areas.importer import ImportFailed, import_file
from app.areas.models import Area
from tests import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def upload(client, headers, kind: str, filename: str, content: bytes, content_type: str = XLSX):  # type: ignore[no-untyped-def]
    return await client.post(f"/api/v1/imports/{kind}", headers=headers,
                             files={"file": (filename, content, content_type)})


async def count_areas(session) -> int:  # type: ignore[no-untyped-def]
    return await session.scalar(select(func.count()).select_from(Area))


async def test_xlsx_import_of_areas_buildings_and_staff(client, session, app):
    w = await factories.world(session, app)
    admin = w.h["admin"]

    areas = xlsx([
        ["编码", "名称", "类型", "上级编码", "纬度", "经度", "地址"],
        ["SD-2", "汉城街道", "街道", "610112", None, None, None],
        ["C-2", "汉城社区", "community", "SD-2", None, None, None],
        [],  # empty rows are skipped
        ["CP-2", "汉城小区", "小区", "C-2", None, None, "汉城路88号"],
        ["ST-2", "汉城南路", "street", "SD-2", 34.28, 108.88, None],
    ])
    response = await upload(client, admin, "areas", "areas.xlsx", areas)
    assert response.status_code == 201, response.text
    assert response.json() == {"kind": "areas", "imported": 4, "created": 4}

    buildings = xlsx([
        ["Code", "Name", "Compound_Code", "Building_Number", "Unit_Count", "Latitude", "Longitude"],
        ["B-10", "10号楼", "CP-2", "10号楼", 2, 34.2801, 108.8801],
        ["B-2", None, "CP-2", "2号楼", 3, 34.2802, 108.8802],  # the name defaults to the number
    ])
    response = await upload(client, admin, "buildings", "buildings.xlsx", buildings)
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 2

    staff = xlsx([
        ["用户名", "密码", "姓名", "电话", "角色", "区域编码", "单元"],
        ["zhang.wei", "pass-word-1", "张伟", 13800000001, "building_captain", "B-10", "1;2"],
        ["zhang.wei", None, None, None, "站长", "CP-2", None],
        ["li.na", "pass-word-2", "李娜", None, "楼栋长", "B-2", "1、3"],
    ])
    response = await upload(client, admin, "staff", "staff.xlsx", staff)
    assert response.status_code == 201, response.text
    assert response.json() == {"kind": "staff", "imported": 3, "created": 2}

    tree = (await client.get("/api/v1/areas/tree", headers=admin)).json()
    [new_subdistrict] = [s for s in tree[0]["children"] if s["name"] == "汉城街道"]
    assert [c["name"] for c in new_subdistrict["children"]] == ["汉城社区", "汉城南路"]
    compound = new_subdistrict["children"][0]["children"][0]
    assert compound["name"] == "汉城小区"
    assert [b["name"] for b in compound["children"]] == ["2号楼", "10号楼"]

    token = await client.post("/api/v1/auth/token", data={"username": "zhang.wei", "password": "pass-word-1"})
    assert token.status_code == 200, token.text
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert {(r["role"], r["area_name"]) for r in me.json()["roles"]} == {
        ("building_captain", "10号楼"), ("station_head", "汉城小区")
    }
    assert me.json()["phone"] == "13800000001"
    workstation = await client.put(f"/api/v1/areas/{compound['id']}/workstation", headers=admin,
                                   json={"name": "汉城小区工作站"})
    assert workstation.json()["head"]["full_name"] == "张伟"


async def test_csv_with_bad_rows_reports_each_and_imports_nothing(client, session, app):
    w = await factories.world(session, app)
    before = await count_areas(session)
    csv = (
        "code,name,compound_code,building_number,unit_count,latitude,longitude\n"
        f"B-1,1号楼,{w.compound.code},1号楼,2,34.1,108.9\n"
        f"B-2,2号楼,{w.compound.code},2号楼,2,95,108.9\n"
        "B-3,3号楼,NOPE,3号楼,2,34.1,108.9\n"
    ).encode()
    response = await upload(client, w.h["admin"], "buildings", "buildings.csv", csv, "text/csv")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "import_failed"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "latitude"), (4, "compound_code")]
    assert await count_areas(session) == before


async def test_gb18030_csv_imports(client, session, app):
    w = await factories.world(session, app)
    csv = f"编码,名称,类型,上级编码\r\nC-9,大明宫社区,社区,{w.subdistrict.code}\r\n".encode("gb18030")
    response = await upload(client, w.h["admin"], "areas", "社区.csv", csv, "text/csv")
    assert response.status_code == 201, response.text
    found = await client.get("/api/v1/areas", params={"q": "大明宫"}, headers=w.h["admin"])
    [community] = found.json()["items"]
    assert community["kind"] == "community" and community["parent_id"] == w.subdistrict.id


async def test_import_scope_and_header_problems(client, session, app):
    w = await factories.world(session, app)
    head = w.h["head"]
    # A station head may add buildings to their compound, not to another; a district is the operator's.
    rows = (f"code,name,kind,parent_code\nB-1,1号楼,building,{w.compound.code}\n"
            f"B-2,2号楼,building,{w.other_compound.code}\nD-2,灞桥区,district,\n").encode()
    response = await upload(client, head, "areas", "a.csv", rows, "text/csv")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "parent_code"), (4, "parent_code")]
    assert "in your areas" in errors[0]["message"]

    missing = await upload(client, head, "areas", "a.csv", "名称,类型\n1号楼,building\n".encode(), "text/csv")
    assert [(e["row"], e["column"]) for e in missing.json()["errors"]] == [(1, "code")]
    wrong_format = await upload(client, head, "areas", "a.txt", b"code,name,kind\n", "text/plain")
    assert wrong_format.status_code == 422 and wrong_format.json()["code"] == "import_failed"
    broken = await upload(client, head, "areas", "a.xlsx", b"not a zip")
    assert broken.status_code == 422 and broken.json()["errors"][0]["row"] == 0

    assert (await upload(client, w.h["resident"], "areas", "a.csv", rows, "text/csv")).status_code == 403
    assert (await upload(client, w.h["captain"], "areas", "a.csv", rows, "text/csv")).status_code == 403


async def test_staff_import_reports_role_problems(client, session, app):
    w = await factories.world(session, app)
    staff = xlsx([
        ["username", "password", "full_name", "role", "area_code", "units"],
        ["captain", "pass-word-1", "重名", "building_captain", w.building10.code, None],  # username taken
        ["new.one", "pass-word-1", "新人", "station_head", w.building10.code, None],  # a building, not a compound
        ["new.two", "short", "新人二", "building_captain", w.building10.code, "5"],  # bad password, unit 5 of 2
        ["new.three", "pass-word-3", "新人三", "janitor", w.compound.code, None],
    ])
    response = await upload(client, w.h["admin"], "staff", "staff.xlsx", staff)
    assert response.status_code == 422, response.text
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [
        (2, "username"), (3, "area_code"), (4, "units"), (4, "password"), (5, "role")
    ]
    assert (await client.post("/api/v1/auth/token", data={"username": "new.one", "password": "pass-word-1"})
            ).status_code == 401


async def test_command_line_path_imports_a_district(session):
    content = "code,name,kind,parent_code,address\n610113,灞桥区,district,\n61011301,纺织城街道,subdistrict,610113\n"
    report = await import_file(session, kind="areas", filename="districts.csv", content=content.encode())
    await session.commit()
    assert (report.kind, report.imported, report.created) == ("areas", 2, 2)
    district = await session.scalar(select(Area).where(Area.code == "610113"))
    subdistrict = await session.scalar(select(Area).where(Area.code == "61011301"))
    assert district.path == f"/{district.id}/" and district.depth == 0
    assert subdistrict.path == f"/{district.id}/{subdistrict.id}/" and subdistrict.depth == 1

    with pytest.raises(ImportFailed) as failed:
        await import_file(session, kind="areas", filename="again.csv", content=content.encode())
    assert [(e["row"], e["column"]) for e in failed.value.errors] == [(2, "code"), (3, "code")]


async def test_a_failure_while_writing_leaves_nothing(session, monkeypatch):
    from app.areas import importer
    from app.people.models import Account

    district = await factories.area(session, "district", "未央区", code="610112")
    subdistrict = await factories.area(session, "subdistrict", "街道", district)
    await session.commit()
    real = importer.create_staff_unchecked
    calls = 0

    async def fail_on_second(session_, body):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("database went away")
        return await real(session_, body)

    monkeypatch.setattr(importer, "create_staff_unchecked", fail_on_second)
    content = (f"username,password,full_name,role,area_code\n"
               f"a.one,pass-word-1,甲,subdistrict_staff,{subdistrict.code}\n"
               f"b.two,pass-word-2,乙,subdistrict_staff,{subdistrict.code}\n").encode()
    with pytest.raises(RuntimeError):
        await import_file(session, kind="staff", filename="s.csv", content=content)
    assert calls == 2
    assert await session.scalar(select(func.count()).select_from(Account)) == 0
