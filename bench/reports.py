"""Reports and a captain's queue at the loaded size: the monthly bulletin, the rates for a district, a subdistrict
and a community, and ``GET /api/v1/me/queue`` of the captains with the most open work.

Run bench/datagen.py first; this reads the database it left (the embedded one in --data-dir, or --database-url),
starts the API as a real process (``doorstep serve --no-worker``) on it and times each question over HTTP, as a
client sees it: the first call (cold caches) and then --repeat more (p50, p99).

    python bench/reports.py [--data-dir /tmp/doorstep-bench | --database-url postgresql+psycopg://…/doorstep_bench]

Targets (issue 6) at 24 million requests: the bulletin under 500 ms, any rates query under 300 ms, a captain's
queue p99 under 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
from _harness import free_port, libpq_conninfo, machine, percentile, process, token, wait_ready  # type: ignore[import-not-found]

DATABASE = "doorstep_bench"
PASSWORD = "doorstep-bench"
OPEN = "('assigned', 'accepted', 'in_progress', 'awaiting_resident', 'reopened')"


def pick(url: str) -> dict[str, Any]:
    """What to ask about: the latest month, the busiest district, its busiest subdistrict and community, the
    captains with the most open work, and who signs in."""
    with psycopg.connect(libpq_conninfo(url)) as conn:
        def one(sql: str, *params: Any) -> Any:
            row = conn.execute(sql, params).fetchone()
            assert row is not None, sql
            return row

        size = one("SELECT reltuples::bigint FROM pg_class WHERE relname = 'service_request'")[0]
        latest = one("SELECT max(created_at) FROM service_request")[0]
        month = one("SELECT to_char(max(period_on), 'YYYY-MM') FROM report_rollup WHERE period = 'month'")[0]
        first = f"{month}-01"
        district = one(
            "SELECT a.id, a.name, a.path, sum(r.requests) FROM report_rollup r JOIN area a ON r.area_path LIKE "
            "a.path || '%%' AND a.depth = 0 WHERE r.period = 'month' AND r.area_depth = 1 AND r.period_on = %s "
            "AND r.every_category GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 1", first)
        subdistrict = one(
            "SELECT r.area_id, a.name, sum(r.requests) FROM report_rollup r JOIN area a ON a.id = r.area_id "
            "WHERE r.period = 'month' AND r.area_depth = 1 AND r.period_on = %s AND r.area_path LIKE %s "
            "AND a.depth = 1 AND r.every_category GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1", first, district[2] + "%")
        community = one(
            "SELECT r.area_id, a.name, sum(r.requests) FROM report_rollup r JOIN area a ON a.id = r.area_id "
            "WHERE r.period = 'month' AND r.area_depth = 2 AND r.period_on = %s AND r.area_path LIKE "
            "(SELECT path FROM area WHERE id = %s) || '%%' AND a.depth = 2 AND r.every_category GROUP BY 1, 2 "
            "ORDER BY 3 DESC LIMIT 1",
            first, subdistrict[0])
        admin = one(
            "SELECT ac.username FROM staff_role sr JOIN staff s ON s.id = sr.staff_id JOIN account ac ON "
            "ac.id = s.account_id WHERE sr.role = 'district_admin' AND sr.area_id = %s AND ac.username <> 'beijing' "
            "LIMIT 1", district[0])[0]
        captains = conn.execute(
            f"SELECT ac.username, count(*) FROM service_request r JOIN staff s ON s.id = r.assignee_staff_id "
            f"JOIN account ac ON ac.id = s.account_id WHERE r.created_at > %s - interval '20 days' "
            f"AND r.status IN {OPEN} GROUP BY 1 ORDER BY 2 DESC LIMIT 5", (latest,)).fetchall()
    return {"size": size, "month": month, "district": district, "subdistrict": subdistrict,
            "community": community, "admin": admin, "captains": captains}


async def timed(client: httpx.AsyncClient, path: str, params: dict[str, Any], repeat: int) -> tuple[float, list[float]]:
    """(the first call's ms, the next ``repeat`` calls' ms)."""
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        response = await client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} {params}: {response.status_code} {response.text[:300]}")
    return times[0], times[1:]


async def run(base_url: str, chosen: dict[str, Any], repeat: int, queue_calls: int) -> None:
    month = chosen["month"]
    district, subdistrict, community = chosen["district"], chosen["subdistrict"], chosen["community"]
    year = month[:4]
    days = {"from": f"{month}-01", "to": f"{month}-{_last_day(month):02d}"}
    admin = await token(base_url, chosen["admin"], PASSWORD)
    city = await token(base_url, "beijing", PASSWORD)
    lines: list[tuple[str, float, list[float], float]] = []  # label, first, rest, target

    async def measure(label: str, bearer: str, path: str, params: dict[str, Any], target: float) -> None:
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {bearer}"},
                                     timeout=120) as client:
            first, rest = await timed(client, path, params, repeat)
        lines.append((label, first, rest, target))
        print(f"  {label:<64} first {first:7.1f} ms   p50 {percentile(rest, 50):7.1f}   "
              f"p99 {percentile(rest, 99):7.1f} ms   {'ok' if percentile(rest, 99) < target else 'OVER'} "
              f"(< {target:g} ms)", flush=True)

    bulletin = "/api/v1/reports/bulletin"
    rates = "/api/v1/reports/rates"
    print(f"bulletin {month}:")
    await measure(f"{district[1]} (district), JSON", admin, bulletin, {"month": month, "area": district[0]}, 500)
    for fmt in ("csv", "xlsx", "svg"):
        await measure(f"{district[1]}, {fmt.upper()}", admin, bulletin,
                      {"month": month, "area": district[0], "format": fmt}, 500)
    await measure("all of Beijing (16 districts, 343 subdistricts ranked), JSON", city, bulletin, {"month": month},
                  500)
    print(f"rates {month} (dates, so from the rollups):")
    for label, area in ((f"{district[1]} (district)", district[0]), (f"{subdistrict[1]} (subdistrict)",
                         subdistrict[0]), (f"{community[1]} (community)", community[0])):
        await measure(f"{label}", admin, rates, {"area": area, **days}, 300)
        await measure(f"{label} by child area", admin, rates, {"area": area, "group_by": "child_area", **days}, 300)
    await measure(f"{district[1]} by category", admin, rates, {"area": district[0], "group_by": "category", **days},
                  300)
    await measure(f"{district[1]} by day", admin, rates, {"area": district[0], "group_by": "day", **days}, 300)
    print(f"rates over the year {year}:")
    await measure(f"{district[1]} by month", admin, rates,
                  {"area": district[0], "group_by": "month", "from": f"{year}-01-01", "to": f"{year}-12-31"}, 300)
    await measure("all of Beijing by subdistrict (343 groups)", city, rates,
                  {"group_by": "child_area", "from": f"{year}-01-01", "to": f"{year}-12-31"}, 300)

    print(f"queue ({queue_calls} calls each):")
    all_calls: list[float] = []
    for username, open_count in chosen["captains"]:
        bearer = await token(base_url, username, PASSWORD)
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {bearer}"}) as client:
            response = await client.get("/api/v1/me/queue")
            if response.status_code == 404:
                print("  GET /api/v1/me/queue is not there yet: skipped")
                return
            _, calls = await timed(client, "/api/v1/me/queue", {}, queue_calls)
        all_calls += calls
        print(f"  captain {username} ({open_count} open, {len(response.json()['items'])} in the queue): "
              f"p50 {percentile(calls, 50):.1f} ms, p99 {percentile(calls, 99):.1f} ms", flush=True)
    p99 = percentile(all_calls, 99)
    print(f"  all captains: p50 {percentile(all_calls, 50):.1f} ms, p99 {p99:.1f} ms "
          f"({'ok' if p99 < 20 else 'OVER'} (< 20 ms))")


def _last_day(month: str) -> int:
    import calendar

    year, number = (int(x) for x in month.split("-"))
    return calendar.monthrange(year, number)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="/tmp/doorstep-bench", help="datagen's embedded PostgreSQL folder")
    parser.add_argument("--database-url", help="the database datagen filled (instead of --data-dir)")
    parser.add_argument("--repeat", type=int, default=20, help="calls after the first (default 20)")
    parser.add_argument("--queue-calls", type=int, default=200)
    args = parser.parse_args()

    server = None
    if args.database_url:
        url = args.database_url
    else:
        from app.db.embedded import EmbeddedPostgres

        server = EmbeddedPostgres(Path(args.data_dir))
        server.start()
        url = server.url(DATABASE)
    try:
        chosen = pick(url)
        print(f"reports · {chosen['size']:,} requests · {machine()}")
        with tempfile.TemporaryDirectory() as tmp:
            log = Path(tmp) / "api.log"
            port = free_port()
            with process(["serve", "--no-worker", "--port", str(port)], url, log):
                asyncio.run(wait_ready(f"http://127.0.0.1:{port}", within_seconds=120))
                asyncio.run(run(f"http://127.0.0.1:{port}", chosen, args.repeat, args.queue_calls))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
