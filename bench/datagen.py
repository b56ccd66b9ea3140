"""A year of Beijing 12345 traffic: the city's tree, its staff and N requests, bulk-loaded with COPY, then the
report rollups built in SQL.

    python bench/datagen.py --requests 24000000 [--data-dir /tmp/doorstep-bench] [--seed 12345]
    python bench/datagen.py --requests 1000000 --database-url postgresql+psycopg://user@host/doorstep_bench

The tree: Beijing's 16 districts with 343 subdistricts, split roughly as Beijing's streets and towns are; about
10 communities per subdistrict, 5 compounds per community and 8 buildings per compound (~137 k buildings); a
building captain for every building, a station head for every compound, two staff per community, three per
subdistrict, an admin per district and a city admin (``beijing``) over all 16; every password is
``doorstep-bench``.

The requests span one local year (2025) in time order: days weighted by weekday, season and a few storm peaks
(several times the mean), hours peaking at 9-11, 14-16 and 19-21; districts and subdistricts of uneven size;
categories weighted as 12345 traffic is (sanitation, parking, disputes, questions first); each request assigned
to its building's captain, accepted and resolved after log-normal delays scaled to its category's targets (some
late: respond and resolve breaches), 12 % with time awaiting the resident, 68 % rated (82 % satisfied, 12 %
basically, 6 % dissatisfied, half of those reopened and resolved again), 1 % rejected, 1 % duplicates; the last
days still open in every state. Routing traces and events are not generated: reports and queues do not read them.

Loading: one ``COPY … FREEZE`` into ``service_request`` in the transaction that truncates it (no WAL with
``wal_level=minimal``, no vacuum needed after), with triggers and foreign-key checks off for the session (the
data is consistent by construction) and the three indexes whose keys come in random order dropped and built
after; the other indexes grow at their right edge since requests come in time order. Then the rollups are built
by ``app.reports.repository``'s rebuild (its id ranges on two connections) and clustered, then ANALYZE. Without
--database-url an embedded PostgreSQL keeps the data in --data-dir (tuned for the load: see ``SERVER_SETTINGS``);
bench/reports.py reads it from there.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from _harness import libpq_conninfo, machine  # type: ignore[import-not-found]  # (puts the project on sys.path)

DATABASE = "doorstep_bench"
PASSWORD = "doorstep-bench"
LOCAL = ZoneInfo("Asia/Shanghai")
SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "maintenance_work_mem": "1GB",
    "work_mem": "64MB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "30min",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_parallel_maintenance_workers": "1",
    "effective_cache_size": "12GB",
    "random_page_cost": "1.1",
}

# name, subdistricts (roughly Beijing's streets and towns per district: 343 in all), relative traffic per subdistrict
DISTRICTS = [
    ("东城区", 17, 1.2), ("西城区", 15, 1.2), ("朝阳区", 43, 1.4), ("丰台区", 26, 1.2), ("石景山区", 9, 1.0),
    ("海淀区", 29, 1.4), ("门头沟区", 13, 0.5), ("房山区", 28, 0.7), ("通州区", 22, 1.0), ("顺义区", 25, 0.8),
    ("昌平区", 22, 1.1), ("大兴区", 22, 1.0), ("怀柔区", 16, 0.5), ("平谷区", 18, 0.5), ("密云区", 20, 0.5),
    ("延庆区", 18, 0.4),
]
FIRST = "东西南北新长和永安光建兴文华龙凤金玉春清德福康宁丰裕明泰瑞祥"
SECOND = "华安平兴明山河泉园桥门营庄坊湖林苑里坡口台村屯店寺湾"
COMPOUND_SUFFIX = ["小区", "家园", "花园", "苑", "公寓", "里"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"

# code → (weight, titles); the weights follow 12345 traffic (sanitation, parking, disputes and questions first)
CATEGORIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "sanitation": (14, ("垃圾清运不及时", "楼道堆放杂物", "小区污水外溢", "垃圾桶满溢有异味")),
    "illegal_parking": (12, ("消防通道被占用", "车辆乱停堵路", "僵尸车长期占位")),
    "neighbour_dispute": (10, ("楼上噪音扰民", "邻居占用公共空间", "装修噪音影响休息")),
    "policy_question": (12, ("咨询养老补贴政策", "咨询居住证办理条件", "咨询供暖补贴")),
    "water_leak": (10, ("卫生间渗水到楼下", "楼道水管爆裂", "下水道堵塞反水")),
    "public_lighting": (8, ("楼道声控灯不亮", "小区路灯不亮", "单元门口灯坏了")),
    "paperwork": (6, ("代办医保卡", "补办社保卡", "代办优待证")),
    "door_lock": (5, ("单元门禁坏了", "单元门关不上", "防盗门锁损坏")),
    "greening": (5, ("树枝遮挡窗户", "草坪无人修剪", "枯枝有坠落危险")),
    "elderly_service": (5, ("独居老人需要助餐", "高龄老人代购药品", "老人陪诊需求")),
    "health_service": (3, ("预约上门体检", "慢病随访", "上门测血压")),
    "counselling": (2, ("情绪低落需要疏导", "家庭矛盾需要调解")),
    "facade_hazard": (1, ("外墙瓷砖脱落", "阳台墙皮空鼓松动", "楼体出现裂缝")),
    "epidemic_duty": (1, ("发热人员报告", "小区消杀需求")),
    "other": (6, ("其他问题反映", "意见建议")),
}
CHANNELS = [("hotline", 85), ("app", 10), ("walk_in", 3), ("patrol", 2)]
HOURS = [1, 0.6, 0.4, 0.3, 0.3, 0.6, 2, 4, 7, 10, 10, 8, 5, 6, 9, 9, 8, 6, 6, 7, 7, 5, 3, 2]
WEEKDAY = [1.15, 1.08, 1.05, 1.05, 1.02, 0.85, 0.8]

COLUMNS = (
    "channel, category_id, priority, title, description, area_id, area_path, building_id, reporter_name, "
    "reporter_phone, status, assignee_staff_id, submitted_at, assigned_at, accepted_at, resolved_at, closed_at, "
    "respond_by_at, resolve_by_at, paused_seconds, resolution_note, status_reason, satisfaction, rated_at, "
    "reopened_count, escalation_level, respond_breached_at, resolve_breach_count, breached, next_timer_at, "
    "created_at, updated_at"
)
# Built after the load: their keys arrive in random order, so growing them row by row would be slow.
LATE_INDEXES = ("ix_service_request_area_path", "ix_service_request_assignee_open",
                "ix_service_request_area_path_submitted_at")
N = r"\N"
_SECONDS = [f":{s:02d}+00" for s in range(60)]


# The tree and the staff -------------------------------------------------------------------------------------


class Tree:
    def __init__(self, rng: random.Random) -> None:
        self.areas: list[str] = []  # COPY lines
        self.accounts: list[str] = []
        self.staff: list[str] = []
        self.roles: list[str] = []
        # Per building: (id, path, captain staff id, weight)
        self.buildings: list[tuple[str, str, str, float]] = []
        self.district_ids: list[int] = []
        self._area_id = 0
        self._staff_id = 0
        self._rng = rng
        from app.core.security import hash_password

        self._hash = hash_password(PASSWORD)

    def _area(
        self, code: str, name: str, kind: str, parent: tuple[int, str] | None, **extra: object
    ) -> tuple[int, str]:
        self._area_id += 1
        area_id = self._area_id
        path = f"{parent[1] if parent else '/'}{area_id}/"
        depth = path.count("/") - 2
        lat, lon = extra.get("lat"), extra.get("lon")
        self.areas.append("\t".join((
            str(area_id), code, name, kind, str(parent[0]) if parent else N, path, str(depth),
            f"{lat:.6f}" if lat is not None else N, f"{lon:.6f}" if lon is not None else N,
            str(extra.get("number", N)), str(extra.get("units", N)),
        )))
        return area_id, path

    def _person(self, username: str, full_name: str, roles: list[tuple[str, int, str | None]]) -> int:
        self._staff_id += 1
        staff_id = self._staff_id
        self.accounts.append(f"{staff_id}\t{username}\t{self._hash}\tstaff")
        phone = f"13{self._rng.randrange(10**9):09d}"
        self.staff.append(f"{staff_id}\t{staff_id}\t{full_name}\t{phone}")
        for role, area_id, department in roles:
            self.roles.append(f"{staff_id}\t{role}\t{area_id}\t{department or N}")
        return staff_id

    def _names(self, count: int, suffix: str) -> list[str]:
        stems = [a + b for a in FIRST for b in SECOND if a != b]
        self._rng.shuffle(stems)
        return [stems[i % len(stems)] + ("" if i < len(stems) else str(i // len(stems))) + suffix
                for i in range(count)]

    def _name(self) -> str:
        return self._rng.choice(SURNAMES) + self._rng.choice(("建国", "秀英", "伟", "芳", "军", "敏", "静", "强"))

    def build(self) -> None:
        rng = self._rng
        for d, (district_name, subdistricts, traffic) in enumerate(DISTRICTS, start=1):
            district = self._area(f"11{d:02d}", district_name, "district", None)
            self.district_ids.append(district[0])
            self._person(f"d{d:02d}", f"{district_name}管理员", [("district_admin", district[0], None)])
            suffix = "街道" if traffic >= 1.0 else "镇"
            for s, sub_name in enumerate(self._names(subdistricts, suffix), start=1):
                sub_code = f"11{d:02d}{s:03d}"
                sub = self._area(sub_code, sub_name, "subdistrict", district)
                sub_weight = traffic * math.exp(rng.gauss(0, 0.45))
                for k, department in enumerate(("duty_desk", "urban_management", "civil_affairs"), start=1):
                    self._person(f"s{sub[0]}_{k}", f"{sub_name}{self._name()}",
                                 [("subdistrict_staff", sub[0], department)])
                communities = rng.randint(7, 13)
                for c, community_name in enumerate(self._names(communities, "社区"), start=1):
                    community = self._area(f"{sub_code}{c:03d}", community_name, "community", sub)
                    for k in (1, 2):
                        self._person(f"m{community[0]}_{k}", self._name(), [("community_staff", community[0], None)])
                    compounds = rng.randint(3, 7)
                    names = self._names(compounds, "")
                    lat0, lon0 = 39.9 + rng.uniform(-0.5, 0.5), 116.4 + rng.uniform(-0.6, 0.6)
                    for p in range(1, compounds + 1):
                        compound_name = names[p - 1] + rng.choice(COMPOUND_SUFFIX)
                        compound = self._area(f"{sub_code}{c:03d}{p:02d}", compound_name, "compound", community)
                        self._person(f"h{compound[0]}", self._name(), [("station_head", compound[0], None)])
                        size = math.exp(rng.gauss(0, 0.3))
                        for b in range(1, rng.randint(4, 12) + 1):
                            building = self._area(
                                f"{sub_code}{c:03d}{p:02d}{b:02d}", f"{b}号楼", "building", compound,
                                lat=lat0 + rng.uniform(-0.01, 0.01), lon=lon0 + rng.uniform(-0.01, 0.01),
                                number=f"{b}号楼", units=rng.randint(2, 6),
                            )
                            captain = self._person(f"c{building[0]}", self._name(),
                                                   [("building_captain", building[0], None)])
                            self.buildings.append((str(building[0]), building[1], str(captain), sub_weight * size))
        self._person("beijing", "北京市管理员", [("district_admin", i, None) for i in self.district_ids])


# Requests ---------------------------------------------------------------------------------------------------


class Requests:
    """COPY text for the requests of one local day at a time, in time order."""

    def __init__(self, rng: random.Random, tree: Tree, categories: dict[str, tuple[int, str, int, int]],
                 year: int, total: int, days: int | None = None) -> None:
        self.rng = rng
        self.seed = rng.randrange(10**9)
        self.buildings = tree.buildings
        self.building_weights = list(accumulate(b[3] for b in tree.buildings))
        self.cats = []
        weights = []
        for code, (weight, titles) in CATEGORIES.items():
            category_id, priority, respond_minutes, resolve_minutes = categories[code]
            self.cats.append((str(category_id), priority, respond_minutes * 60, resolve_minutes * 60, titles))
            weights.append(weight)
        self.cat_weights = list(accumulate(weights))
        self.channel_names = [c for c, _ in CHANNELS]
        self.channel_weights = list(accumulate(w for _, w in CHANNELS))
        self.hour_weights = list(accumulate(HOURS))
        self.start = datetime(year, 1, 1, tzinfo=LOCAL)
        self.days = days or (datetime(year + 1, 1, 1, tzinfo=LOCAL) - self.start).days
        self.base = int(self.start.timestamp())
        self.now = self.base + self.days * 86400  # the year's end: the last requests are still open
        self.per_day = self._spread(total)
        self._minutes: dict[int, str] = {}
        self.names = [s + t for s in SURNAMES for t in ("先生", "女士")]

    def _spread(self, total: int) -> list[int]:
        rng = self.rng
        peaks = set(rng.sample(range(self.days), min(8, self.days // 30)))
        weights = []
        for d in range(self.days):
            day = (self.start + timedelta(days=d)).date()
            season = 1 + 0.15 * math.sin((day.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
            growth = 1 + 0.1 * d / self.days
            weights.append(WEEKDAY[day.weekday()] * season * growth * (rng.uniform(2.5, 4) if d in peaks else 1))
        scale = total / sum(weights)
        counts = [int(w * scale) for w in weights]
        for d in rng.sample(range(self.days), total - sum(counts)):
            counts[d] += 1
        return counts

    def ts(self, epoch: int) -> str:
        minute, second = divmod(epoch, 60)
        text = self._minutes.get(minute)
        if text is None:
            text = self._minutes[minute] = time.strftime("%Y-%m-%d %H:%M", time.gmtime(minute * 60))
        return text + _SECONDS[second]

    def day(self, d: int) -> str:
        """The COPY lines of local day ``d`` (the same whichever process makes them: each day has its own seed)."""
        rng = random.Random(self.seed * 1000 + d)
        rnd, gauss, exp = rng.random, rng.gauss, math.exp
        n = self.per_day[d]
        if n == 0:
            return ""
        day_start = self.base + d * 86400
        hours = rng.choices(range(24), cum_weights=self.hour_weights, k=n)
        moments = sorted(day_start + h * 3600 + int(rnd() * 3600) for h in hours)
        picks = rng.choices(range(len(self.buildings)), cum_weights=self.building_weights, k=n)
        kinds = rng.choices(range(len(self.cats)), cum_weights=self.cat_weights, k=n)
        channels = rng.choices(self.channel_names, cum_weights=self.channel_weights, k=n)
        now, ts, names = self.now, self.ts, self.names
        lines = []
        for t, bi, ci, channel in zip(moments, picks, kinds, channels, strict=True):
            building_id, path, captain, _ = self.buildings[bi]
            category_id, priority, respond_s, resolve_s, titles = self.cats[ci]
            title = titles[int(rnd() * len(titles))]
            assigned = min(t + 1 + int(rnd() * 3), now - 1)
            respond_by = assigned + respond_s
            u = rnd()
            set_aside = "rejected" if u < 0.01 else "duplicate" if u < 0.02 else None
            accept_delay = max(5, int(respond_s * 0.35 * exp(0.85 * gauss())))
            accepted: int | None = None if rnd() < 0.003 else assigned + accept_delay
            paused = int(10800 * exp(gauss())) if rnd() < 0.12 else 0
            resolved = closed = rated = reopened_at = None
            satisfaction = None
            reopened = 0
            if accepted is not None:
                work = max(accepted - t + 60, int(resolve_s * 0.22 * exp(0.95 * gauss())))
                resolved = t + work + paused
                if rnd() < 0.75:
                    closed = resolved + int(86400 * exp(0.8 * gauss()))
                if rnd() < 0.68:
                    rated = resolved + int(21600 * exp(gauss()))
                    v = rnd()
                    satisfaction = "satisfied" if v < 0.82 else "basically_satisfied" if v < 0.94 else "dissatisfied"
                    if satisfaction == "dissatisfied" and rated - resolved < 7 * 86400 and rnd() < 0.5:
                        reopened_at, reopened = rated, 1
                        resolved = rated + int(86400 * exp(0.7 * gauss()))
                        closed = resolved + 86400 if rnd() < 0.6 else None
                        rated, satisfaction = (resolved + 7200, "basically_satisfied") if rnd() < 0.5 else (None, None)
            resolve_by = t + resolve_s + paused
            status_reason = None
            if set_aside is not None:
                status = set_aside
                status_reason = "不属于受理范围" if set_aside == "rejected" else "重复诉求"
                resolved = closed = rated = satisfaction = None
                reopened = 0
                paused = 0
                accepted = accepted if (accepted is not None and accepted < now and rnd() < 0.5) else None
                last = accepted or assigned
            elif accepted is None or accepted > now:
                status, accepted, resolved, closed, rated, satisfaction, reopened, paused = (
                    "assigned", None, None, None, None, None, 0, 0)
                resolve_by = t + resolve_s
                last = assigned
            elif reopened_at is not None and reopened_at <= now < resolved:  # type: ignore[operator]
                status, resolved, closed, rated = "reopened", None, None, None
                satisfaction = "dissatisfied"
                last = reopened_at
            elif resolved is None or resolved > now:
                status, resolved, closed, rated, satisfaction, reopened, paused = (
                    "in_progress", None, None, None, None, 0, 0)
                resolve_by = t + resolve_s
                last = accepted
            else:
                status = "closed" if closed is not None and closed <= now else "resolved"
                if status == "resolved":
                    closed = None
                if rated is not None and rated > now:
                    rated, satisfaction = None, None
                last = max(x for x in (resolved, closed, rated) if x is not None)
            counted = set_aside is None
            respond_breached = respond_by if counted and (
                (accepted is None and respond_by <= now) or (accepted is not None and accepted > respond_by)) else None
            breach_end = resolved if resolved is not None else now
            breaches = 0
            if counted and breach_end > resolve_by:
                breaches = min(5, 1 + (breach_end - resolve_by) // resolve_s)
            open_ = status in ("assigned", "in_progress", "reopened")
            next_timer = None
            if open_:
                due = [x for x in ((respond_by if accepted is None else None), resolve_by) if x is not None and x > now]
                next_timer = min(due) if due else None
            lines.append("\t".join((
                channel, category_id, priority, title, "居民来电反映：" + title, building_id, path, building_id,
                names[int(rnd() * len(names))], f"13{int(rnd() * 1e9):09d}", status, captain, ts(t), ts(assigned),
                ts(accepted) if accepted is not None else N, ts(resolved) if resolved is not None else N,
                ts(closed) if closed is not None else N, ts(respond_by), ts(resolve_by), str(paused),
                "已处理完毕" if resolved is not None else N, status_reason or N, satisfaction or N,
                ts(rated) if rated is not None else N, str(reopened), str(min(breaches, 4)),
                ts(respond_breached) if respond_breached is not None else N, str(breaches),
                "t" if breaches else "f", ts(next_timer) if next_timer is not None else N, ts(t), ts(last),
            )))
        return "\n".join(lines) + "\n"


# Loading ----------------------------------------------------------------------------------------------------


def tune_embedded(data_dir: Path) -> Any:
    """The embedded server in ``data_dir``, started with ``SERVER_SETTINGS`` (kept for bench/reports.py)."""
    from app.db.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(data_dir)
    server.start()
    with psycopg.connect(libpq_conninfo(server.url("postgres")), autocommit=True) as conn:
        for name, value in SERVER_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    server.stop()  # shared_buffers and wal_level need a restart
    server = EmbeddedPostgres(data_dir)
    server.start()
    return server


def fresh_database(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    with psycopg.connect(libpq_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def copy_lines(conn: psycopg.Connection, table: str, columns: str, lines: list[str]) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for start in range(0, len(lines), 50_000):
            copy.write("\n".join(lines[start:start + 50_000]) + "\n")


def load_tree(conn: psycopg.Connection, tree: Tree) -> None:
    copy_lines(conn, "area", "id, code, name, kind, parent_id, path, depth, latitude, longitude, building_number, "
               "unit_count", tree.areas)
    copy_lines(conn, "account", "id, username, password_hash, kind", tree.accounts)
    copy_lines(conn, "staff", "id, account_id, full_name, phone", tree.staff)
    copy_lines(conn, "staff_role", "staff_id, role, area_id, department", tree.roles)
    for table in ("area", "account", "staff"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


_REQUESTS: Requests | None = None  # for the generator processes (inherited when they fork)


def _day_text(d: int) -> tuple[int, str]:
    assert _REQUESTS is not None
    return _REQUESTS.per_day[d], _REQUESTS.day(d)


def day_chunks(requests: Requests, processes: int) -> Iterator[tuple[int, str]]:
    """The days' COPY text in order, made by ``processes`` forked processes at most two days each ahead of the
    writer (a day is ~25 MB of text at full size: memory stays flat)."""
    import multiprocessing
    from collections import deque

    global _REQUESTS
    _REQUESTS = requests
    days = iter(range(requests.days))
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pending = deque(pool.apply_async(_day_text, (d,)) for d in itertools.islice(days, 2 * processes))
        while pending:
            result = pending.popleft().get()
            following = next(days, None)
            if following is not None:
                pending.append(pool.apply_async(_day_text, (following,)))
            yield result


def load_requests(conn: psycopg.Connection, requests: Requests, total: int, processes: int) -> float:
    """One transaction: truncate, drop the late indexes, COPY FREEZE every day in order. Returns seconds."""
    started = time.perf_counter()
    definitions = {
        name: sql for name, sql in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'service_request' AND indexname = ANY(%s)",
            (list(LATE_INDEXES),),
        )
    }
    with conn.transaction():
        # Triggers (the reports' change log, foreign-key checks) are off for this session only: the rollups are
        # built from the table afterwards, and the generator only writes ids that exist.
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("TRUNCATE service_request CASCADE")
        for name in definitions:
            conn.execute(f"DROP INDEX {name}")
        loaded = 0
        next_report = 0.0
        with conn.cursor() as cur, cur.copy(f"COPY service_request ({COLUMNS}) FROM STDIN WITH (FREEZE)") as copy:
            for count, text in day_chunks(requests, processes):
                copy.write(text)
                loaded += count
                elapsed = time.perf_counter() - started
                if elapsed >= next_report:
                    print(f"    {loaded:>12,} requests  {loaded / max(elapsed, 1e-9):>9,.0f}/s", flush=True)
                    next_report = elapsed + 30
    copied = time.perf_counter() - started
    print(f"    {total:,} requests copied in {copied:.0f} s ({total / copied:,.0f} rows/s)", flush=True)
    for name, sql in definitions.items():
        t = time.perf_counter()
        conn.execute(sql)
        print(f"    {name} built in {time.perf_counter() - t:.0f} s", flush=True)
    return copied


async def build_rollups(url: str, workers: int = 2) -> None:
    """``app.reports.repository``'s rebuild, its id ranges shared by ``workers`` connections (one per core:
    nothing else runs now); then the rows are put in key order on disk (CLUSTER), as reports read them."""
    from sqlalchemy import text

    from app.db.session import create_engine, create_sessionmaker
    from app.reports import repository

    engine = create_engine(url, pool_size=workers + 1)
    sessions = create_sessionmaker(engine)
    started = time.perf_counter()
    try:
        async with sessions() as session:
            ids = await repository.rebuild_start(session)
            await session.commit()
        assert ids is not None
        low, high = ids
        ranges = list(range(low, high + 1, repository.REBUILD_CHUNK))
        done = 0

        async def worker(mine: list[int]) -> None:
            nonlocal done
            async with sessions() as session:
                await session.execute(text("SET work_mem = '256MB'"))
                for start in mine:
                    await repository.rebuild_range(session, start, start + repository.REBUILD_CHUNK)
                    await session.commit()
                    done += 1
                    if done % 8 == 0 or done == len(ranges):
                        print(f"    {min(done * repository.REBUILD_CHUNK, high - low + 1):>12,} requests rolled up "
                              f"({time.perf_counter() - started:.0f} s)", flush=True)

        await asyncio.gather(*(worker(ranges[n::workers]) for n in range(workers)))
        async with sessions() as session:
            await repository.rebuild_finish(session)
            await session.commit()
        print(f"    coarser grains summed ({time.perf_counter() - started:.0f} s)", flush=True)
        async with engine.connect() as conn:
            await conn.execute(text("CLUSTER report_rollup USING uq_report_rollup_key"))
            await conn.commit()
        print(f"    clustered ({time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000, help="how many requests (default 1,000,000)")
    parser.add_argument("--database-url", help="the database to fill (dropped and created again), e.g. "
                        "postgresql+psycopg://postgres@localhost/doorstep_bench; its server's user must be a "
                        "superuser (triggers are off during the load)")
    parser.add_argument("--data-dir", default="/tmp/doorstep-bench", help="embedded PostgreSQL's folder "
                        "(default /tmp/doorstep-bench), used without --database-url")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=12345)
    parser.add_argument("--processes", type=int, default=2, help="processes making the COPY text (default 2)")
    parser.add_argument("--days", type=int, help="spread the requests over the year's first DAYS days only "
                        "(to try a day's density of the full size with fewer requests)")
    args = parser.parse_args()

    print(f"datagen · {args.requests:,} requests · {machine()}", flush=True)
    clock = time.perf_counter()
    server = None
    if args.database_url:
        from sqlalchemy.engine import make_url

        target = make_url(args.database_url)
        url = fresh_database(target.set(database="postgres").render_as_string(hide_password=False),
                             str(target.database))
    else:
        server = tune_embedded(Path(args.data_dir))
        url = fresh_database(server.url("postgres"), DATABASE)
    try:
        phases: list[tuple[str, float]] = []

        def lap(name: str, since: float) -> float:
            now = time.perf_counter()
            phases.append((name, now - since))
            print(f"  {name}: {now - since:.1f} s", flush=True)
            return now

        from app.cli import run_migrations

        t = time.perf_counter()
        run_migrations(url)
        t = lap("migrations", t)
        rng = random.Random(args.seed)
        tree = Tree(rng)
        tree.build()
        with psycopg.connect(libpq_conninfo(url)) as conn:
            load_tree(conn, tree)
            conn.commit()
            categories = {
                code: (i, priority, respond, resolve) for code, i, priority, respond, resolve in conn.execute(
                    "SELECT code, id, default_priority, respond_minutes, resolve_minutes FROM category")
            }
            counts = {k: sum(1 for line in tree.areas if f"\t{k}\t" in line) for k in ("district", "subdistrict",
                                                                                       "community", "compound")}
            print(f"    {counts['district']} districts, {counts['subdistrict']} subdistricts, "
                  f"{counts['community']:,} communities, {counts['compound']:,} compounds, "
                  f"{len(tree.buildings):,} buildings, {len(tree.staff):,} staff", flush=True)
            t = lap("tree and staff", t)
            requests = Requests(rng, tree, categories, args.year, args.requests, args.days)
            copy_seconds = load_requests(conn, requests, args.requests, args.processes)
            conn.commit()
            t = lap("requests (COPY, then the late indexes)", t)
        asyncio.run(build_rollups(url))
        t = lap("rollups", t)
        with psycopg.connect(libpq_conninfo(url), autocommit=True) as conn:
            conn.execute("ANALYZE")
            t = lap("analyze", t)
            size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
            rollups = conn.execute(
                "SELECT period || '/' || area_depth || CASE WHEN every_category THEN '/all' ELSE '' END, count(*) "
                "FROM report_rollup GROUP BY 1 ORDER BY 1").fetchall()
            table = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('service_request')), "
                                 "pg_size_pretty(pg_total_relation_size('report_rollup'))").fetchone()
        elapsed = time.perf_counter() - clock
        print(f"loaded {args.requests:,} requests: COPY {args.requests / copy_seconds:,.0f} rows/s; "
              f"{args.requests / elapsed:,.0f} requests/s end to end; total {elapsed / 60:.1f} min "
              f"(target for 24 M: under 30 min)")
        print(f"database {size[0] if size else '?'}: service_request {table[0] if table else '?'}, "
              f"report_rollup {table[1] if table else '?'} ("
              + ", ".join(f"{grain}: {n:,} rows" for grain, n in rollups) + ")")
        print(f"database URL: {url}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
