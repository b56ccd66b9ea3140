"""The SQL of the reports, and the design that keeps them fast at Beijing scale (24 million requests a year).

**What is counted.** A report covers the requests *submitted* in its period (local Asia/Shanghai days) inside
an area's subtree. Each request contributes facts that depend on its row alone (``_facts``):

- ``set_aside``: rejected or marked duplicate. Counted in ``requests``, left out of every rate, time, breach
  and reopen count below.
- ``respond_due``: accepted, or a respond breach recorded (the SLA clock stamps ``respond_breached_at`` the
  moment respond-by passes without acceptance). ``responded_in_time``: accepted, no respond breach, and not
  after respond-by.
- ``resolve_due``: resolved (``resolved_at`` set), or breached (the SLA clock marks the request the moment a
  resolve-by passes; a request awaiting the resident is not due while it waits). ``resolved``: resolved.
- ``rated``: a satisfaction given; ``satisfied``: satisfied or basically satisfied.
- ``breached``: marked breached; ``reopened``: reopened at least once.
- time to accept: submission to acceptance; time to resolve: submission to the latest resolution less the
  time spent awaiting the resident (``paused_seconds``). Whole seconds.

**Rollups.** ``report_rollup`` holds the sums of those facts and a histogram of each time
(``app.reports.metrics``) per local day or month × area × category, at five grains: days by district and by
subdistrict, months by district, subdistrict and community (``GRAINS``), each also with every category summed
(``every_category``), which answers the questions not about categories with a fifteenth of the rows. At 24 M
requests a year that is about 2.5 M rows; a question reads the coarsest grain that can answer it (a district's
month: 1 row; by subdistrict: about 20; its communities: about 200), whatever the size of the request table.
There is no assignee dimension: with a captain per building (137 k of them) it would be a row
per request; questions about one assignee go to the base table through the assignee index.

**Keeping them current.** A trigger on ``service_request`` (migration 0007) writes the old row state (sign -1)
and the new one (+1) into ``report_change`` whenever something counted changes, in the writer's own
transaction: a change is logged if and only if it commits. Every 10 seconds the pipeline's ``report_fold``
deletes a batch of change rows and adds their facts into the rollups in one statement (``DELETE … RETURNING``,
``GROUPING SETS`` over the five grains, ``INSERT … ON CONFLICT DO UPDATE`` adding counts and histograms)
under an advisory lock. A change row is folded exactly once, because it is deleted by the transaction that
adds it; a second run finds nothing to do.

Why a trigger rather than scanning ``updated_at``: a request's key moves (routing sets the area and category
after intake; escalation re-times it) and the key it leaves must lose it, which only the old row state tells;
``updated_at`` is the writer's transaction start, so a long transaction would commit behind a watermark; and
every writer is seen without a hook in the requests or routing code. Why the "due" rules read the SLA clock's
marks rather than comparing respond-by with now: a contribution must be a function of the row, or taking the
old state out would not undo putting it in. The SLA clock's marks are row changes, so they reach the rollups.

**Freshness.** A rollup read also adds the change rows not yet folded (the same facts, one-hot histograms), in
the same statement: a report is exact as of its own snapshot even when the fold lags. The fold only keeps that
remainder small.

**Reading.** The service's planner reads rollups when the question fits them (whole local days; areas no
deeper than a community; not by assignee; day and week groups at subdistrict depth or above): whole months
from month rows, the days around them from day rows. Otherwise the base table answers ("live") through the
reports' (``area_path``, ``submitted_at``) index or the assignee index, with exact percentiles; its cost follows
the requests in the answer.

**Rebuilding.** ``rebuild`` recomputes everything from ``service_request`` (the data generator; after a change of
definitions) in one repeatable-read snapshot, so that no change is counted twice or lost; it reads the requests
a range of ids at a time and adds each range's sums in, so memory stays bounded at any size.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.reports.metrics import BOUNDS, BUCKETS, QUANTILES
from app.sla.calendar import DEFAULT_TIMEZONE

ZONE = DEFAULT_TIMEZONE
COUNTS = (
    "set_aside",
    "respond_due",
    "responded_in_time",
    "resolve_due",
    "resolved",
    "rated",
    "satisfied",
    "breached",
    "reopened",
)
# The grains kept: (period, area depth). Each question reads the coarsest that can answer it.
GRAINS = (("day", 0), ("day", 1), ("month", 0), ("month", 1), ("month", 2))
FOLD_LOCK = 0x7265_706F_7274  # pg_advisory_xact_lock key of the fold ("report")
FOLD_BATCH = 20_000

_PATH = re.compile(r"(/[0-9]+)+/")
_BOUNDS_SQL = "ARRAY[" + ",".join(str(b) for b in BOUNDS) + "]::bigint[]"
_ZEROS_SQL = f"array_fill(0, ARRAY[{BUCKETS}])"
_SET_ASIDE = "('rejected', 'duplicate')"

# The captured inputs, from the request table (sign 1) or from the change log.
_REQUEST_INPUTS = f"""
    SELECT 1 AS sign, r.submitted_at, r.area_path, r.category_id, r.assignee_staff_id,
           r.status IN {_SET_ASIDE} AS set_aside, r.accepted_at, r.respond_by_at, r.respond_breached_at,
           r.resolved_at, r.paused_seconds, r.satisfaction, r.reopened_count, r.breached
    FROM service_request r
    WHERE r.area_path IS NOT NULL"""


def _change_inputs(table: str) -> str:
    return f"""
    SELECT c.sign::int AS sign, c.submitted_at, c.area_path, c.category_id, NULL::bigint AS assignee_staff_id,
           c.set_aside, c.accepted_at, c.respond_by_at, c.respond_breached_at, c.resolved_at, c.paused_seconds,
           c.satisfaction, c.reopened_count, c.breached
    FROM {table} c
    WHERE c.area_path IS NOT NULL"""


def _facts(inputs: str) -> str:
    """The per-request facts (see the module docstring) over captured inputs, with each time's bucket."""
    counted = "NOT i.set_aside"
    return f"""
    SELECT f.*, width_bucket(f.accept_seconds, {_BOUNDS_SQL}) - 1 AS accept_bucket,
           width_bucket(f.resolve_seconds, {_BOUNDS_SQL}) - 1 AS resolve_bucket
    FROM (
      SELECT i.sign, (i.submitted_at AT TIME ZONE '{ZONE}')::date AS day, i.area_path, i.category_id,
             i.assignee_staff_id,
             i.set_aside::int AS set_aside,
             ({counted} AND (i.accepted_at IS NOT NULL OR i.respond_breached_at IS NOT NULL))::int AS respond_due,
             ({counted} AND i.accepted_at IS NOT NULL AND i.respond_breached_at IS NULL
                AND (i.respond_by_at IS NULL OR i.accepted_at <= i.respond_by_at))::int AS responded_in_time,
             ({counted} AND (i.resolved_at IS NOT NULL OR i.breached))::int AS resolve_due,
             ({counted} AND i.resolved_at IS NOT NULL)::int AS resolved,
             ({counted} AND i.satisfaction IS NOT NULL)::int AS rated,
             ({counted} AND coalesce(i.satisfaction IN ('satisfied', 'basically_satisfied'), false))::int
               AS satisfied,
             ({counted} AND i.breached)::int AS breached,
             ({counted} AND i.reopened_count > 0)::int AS reopened,
             CASE WHEN {counted} AND i.accepted_at IS NOT NULL THEN
               greatest(0, floor(date_part('epoch', i.accepted_at - i.submitted_at)))::bigint END AS accept_seconds,
             CASE WHEN {counted} AND i.resolved_at IS NOT NULL THEN
               greatest(0, floor(date_part('epoch', i.resolved_at - i.submitted_at)) - i.paused_seconds)::bigint
             END AS resolve_seconds
      FROM ({inputs}) i
    ) f"""


def _truncate(column: str, depth: int) -> str:
    """The path of ``column``'s ancestor at ``depth`` (0: district), or the whole path when shallower.
    (split_part, not a regular expression: this runs once per request in a rebuild.)"""
    parts = " || '/' || ".join(f"split_part({column}, '/', {n})" for n in range(2, depth + 3))
    return f"CASE WHEN split_part({column}, '/', {depth + 2}) = '' THEN {column} ELSE '/' || {parts} || '/' END"


def _last_id(path_sql: str) -> str:
    return f"split_part(rtrim({path_sql}, '/'), '/', -1)::bigint"


# Histograms are summed 32 bits apiece, two buckets to a bigint: half the aggregates of one per bucket.
# Counts may be negative (a change takes a row state out), so the low half is read back sign-extended.
def _packed_histogram(bucket: str) -> str:
    sums = ", ".join(
        f"coalesce(sum(f.sign::bigint << (({bucket} & 1) * 32)) FILTER (WHERE {bucket} >> 1 = {j}), 0)::bigint"
        for j in range(BUCKETS // 2)
    )
    return f"ARRAY[{sums}]"


def _unpacked(packed: str) -> str:
    items = []
    for k in range(BUCKETS):
        t = f"{packed}[{k // 2 + 1}]"
        low = f"((({t} & 4294967295) # 2147483648) - 2147483648)"
        items.append(low if k % 2 == 0 else f"(({t} - {low}) >> 32)")
    return "ARRAY[" + ", ".join(items) + "]::int[]"


def _grouped_rollups(facts: str, grains: Sequence[tuple[str, int]], *, every: bool = False) -> str:
    """Rollup rows (one per grain × key) summing ``facts``, for some of ``GRAINS`` at once; with ``every``, each
    grain's all-categories rows too."""
    assert grains and set(grains) <= set(GRAINS)
    times = sorted({"f.day" if period == "day" else "f.month" for period, _ in grains})
    paths = sorted({f"f.p{depth}" for _, depth in grains})
    period_sql = "CASE WHEN GROUPING(f.day) = 0 THEN 'day' ELSE 'month' END" if len(times) > 1 else (
        "'day'" if times == ["f.day"] else "'month'")
    depth_sql = paths[0][-1]
    if len(paths) > 1:
        whens = " ".join(f"WHEN GROUPING({p}) = 0 THEN {p[-1]}" for p in paths[:-1])
        depth_sql = f"CASE {whens} ELSE {paths[-1][-1]} END"
    keys = [f"f.{'day' if period == 'day' else 'month'}, f.p{depth}" for period, depth in grains]
    sets = ", ".join([f"({key}, f.category_id)" for key in keys] + ([f"({key})" for key in keys] if every else []))
    every_sql = "GROUPING(f.category_id) = 1" if every else "false"
    sums = ", ".join(f"sum(f.sign * f.{c})::int AS {c}" for c in COUNTS)
    return f"""
    SELECT g.period, g.area_depth, g.period_on, {_last_id('g.area_path')} AS area_id, g.area_path, g.category_id,
           g.every_category, g.requests, {", ".join(f"g.{c}" for c in COUNTS)},
           {_unpacked("g.accept_packed")} AS accept_histogram, {_unpacked("g.resolve_packed")} AS resolve_histogram
    FROM (
      SELECT {period_sql} AS period, {depth_sql} AS area_depth, coalesce({", ".join(times)}) AS period_on,
             coalesce({", ".join(paths)}) AS area_path, f.category_id, {every_sql} AS every_category,
             sum(f.sign)::int AS requests, {sums},
             {_packed_histogram("f.accept_bucket")} AS accept_packed,
             {_packed_histogram("f.resolve_bucket")} AS resolve_packed
      FROM (
        SELECT x.*, date_trunc('month', x.day)::date AS month,
               {", ".join(f"{_truncate('x.area_path', depth)} AS p{depth}" for depth in sorted({d for _, d in grains}))}
        FROM ({facts}) x
      ) f
      GROUP BY GROUPING SETS ({sets})
    ) g"""


_ROLLUP_COLUMNS = (
    "period, area_depth, period_on, area_id, area_path, category_id, every_category, requests, "
    + ", ".join(COUNTS)
    + ", accept_histogram, resolve_histogram"
)


def _added(column: str) -> str:
    return (
        f"ARRAY(SELECT a + b FROM unnest(t.{column}, excluded.{column}) WITH ORDINALITY AS u(a, b, n) ORDER BY n)"
    )


def _upsert(
    facts: str, grains: Sequence[tuple[str, int]] = GRAINS, *, every: bool = True, ordered: bool = False
) -> str:
    """Adds the facts' sums into the rollups (creating rows as needed); returns (id, requests) of each row.
    ``ordered``: in key order, so that concurrent writers lock rows in the same order."""
    order = " ORDER BY 1, 2, 7, 3, 5, 6" if ordered else ""
    return f"""
      INSERT INTO report_rollup AS t ({_ROLLUP_COLUMNS})
      {_grouped_rollups(facts, grains, every=every)}{order}
      ON CONFLICT (period, area_depth, every_category, period_on, area_path, category_id) DO UPDATE SET
        requests = t.requests + excluded.requests,
        {", ".join(f"{c} = t.{c} + excluded.{c}" for c in COUNTS)},
        accept_histogram = {_added("accept_histogram")},
        resolve_histogram = {_added("resolve_histogram")},
        updated_at = now()
      RETURNING t.id, t.requests"""


_FOLD = text(
    f"""
    WITH moved AS (
      DELETE FROM report_change WHERE id IN (SELECT id FROM report_change ORDER BY id LIMIT :limit)
      RETURNING *
    ), upserted AS ({_upsert(_facts(_change_inputs("moved")))})
    SELECT (SELECT count(*) FROM moved), (SELECT array_agg(id) FROM upserted WHERE requests = 0)
    """
)


async def fold_changes(session: AsyncSession, *, limit: int = FOLD_BATCH) -> int:
    """Folds up to ``limit`` logged changes into the rollups and deletes them, in the session's transaction.
    Returns how many were folded; 0 when another fold holds the lock (it will fold them)."""
    if not await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": FOLD_LOCK}):
        return 0
    folded, emptied = (await session.execute(_FOLD, {"limit": limit})).one()
    if emptied:
        # Every request left these keys: drop the rows rather than keep zeros.
        await session.execute(text("DELETE FROM report_rollup WHERE id = ANY(:ids) AND requests = 0"), {"ids": emptied})
    return int(folded or 0)


# Requests by id range, so a rebuild's hash tables stay small however large the table is. A range adds its sums
# into the day rows at subdistrict depth and the month rows at community depth; the coarser rows are then summed
# from those (cheaper than reading every request again).
REBUILD_CHUNK = 500_000
_REBUILD_RANGE = text(
    f"""
    WITH upserted AS (
      {_upsert(_facts(_REQUEST_INPUTS + " AND r.id >= :low AND r.id < :high"), [("day", 1), ("month", 2)],
               every=False, ordered=True)}
    )
    SELECT count(*) FROM upserted"""
)


def _summed(period: str, depth: int, *, from_depth: int, every: bool) -> str:
    """Rollup rows of one grain summed from per-category rows: from one level deeper (``from_depth`` =
    ``depth`` + 1, by category) or from the same level over every category (``every``)."""
    return f"""
    INSERT INTO report_rollup ({_ROLLUP_COLUMNS})
    SELECT '{period}', {depth}, r.period_on, {_last_id("r.up")}, r.up, {"NULL" if every else "r.category_id"},
           {"true" if every else "false"}, sum(r.requests), {", ".join(f"sum(r.{c})" for c in COUNTS)},
           ARRAY[{", ".join(f"sum(r.accept_histogram[{k}])" for k in range(1, BUCKETS + 1))}]::int[],
           ARRAY[{", ".join(f"sum(r.resolve_histogram[{k}])" for k in range(1, BUCKETS + 1))}]::int[]
    FROM (SELECT x.*, {_truncate("x.area_path", depth)} AS up FROM report_rollup x
          WHERE x.period = '{period}' AND x.area_depth = {from_depth} AND NOT x.every_category) r
    GROUP BY r.period_on, r.up{"" if every else ", r.category_id"}"""


# After the ranges: the coarser depths by category, then every grain's all-categories rows.
_REBUILD_SUMS = [
    text(_summed(period, depth, from_depth=depth + 1, every=False))
    for period, depth in (("month", 1), ("month", 0), ("day", 0))
] + [text(_summed(period, depth, from_depth=depth, every=True)) for period, depth in GRAINS]


async def rebuild_start(session: AsyncSession) -> tuple[int, int] | None:
    """Empties the rollups and the change log; returns the requests' (lowest id, highest id), None if none."""
    await session.execute(text("DELETE FROM report_change"))
    await session.execute(text("DELETE FROM report_rollup"))
    low, high = (await session.execute(text("SELECT min(id), max(id) FROM service_request"))).one()
    return None if low is None else (int(low), int(high))


async def rebuild_range(session: AsyncSession, low: int, high: int) -> None:
    """Adds the requests with ids in ``[low, high)`` into the day (subdistrict) and month (community) rows.
    Rows are written in key order, so ranges may run concurrently without deadlocking."""
    await session.execute(_REBUILD_RANGE, {"low": low, "high": high})


async def rebuild_finish(session: AsyncSession) -> None:
    """Sums the coarser grains and the all-categories rows from the finer ones (after every range)."""
    for statement in _REBUILD_SUMS:
        await session.execute(statement)


async def rebuild(
    session: AsyncSession,
    *,
    chunk: int = REBUILD_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    work_mem: str | None = None,
) -> None:
    """Recomputes every rollup from the requests, ``chunk`` ids at a time. The session must not have begun a
    transaction: this one is repeatable read (one snapshot), holding the fold's lock, so a change committed
    meanwhile is neither counted twice nor lost (its change row stays for the next fold)."""
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    if work_mem is not None:
        await session.execute(text("SELECT set_config('work_mem', :value, true)"), {"value": work_mem})
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FOLD_LOCK})
    ids = await rebuild_start(session)
    if ids is not None:
        low, high = ids
        for start in range(low, high + 1, chunk):
            await rebuild_range(session, start, start + chunk)
            if progress is not None:
                progress(min(start + chunk, high + 1) - low, high + 1 - low)
    await rebuild_finish(session)


# Reading --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Root:
    """One area a report covers (with its subtree)."""

    path: str
    depth: int


@dataclass(frozen=True)
class Slice:
    """Rollup rows to read: one grain over local days ``[from_on, to_on)``."""

    period: str
    area_depth: int
    from_on: date
    to_on: date


@dataclass(frozen=True)
class Grouping:
    """``kind``: none, category, assignee, day, week, month, or area (the ancestor at ``depth``, never above
    the root it falls under)."""

    kind: str
    depth: int = 0


@dataclass
class Row:
    """Sums over one group, or (``is_total``) over all of them."""

    key: str | None
    is_total: bool
    requests: int
    counts: dict[str, int]
    accept_histogram: list[int] | None = None
    resolve_histogram: list[int] | None = None
    # Live answers: the exact times (median, p90) and how many there were.
    accepted: int = 0
    exact: dict[str, int | None] | None = None


def _scope(column: str, roots: Sequence[Root], params: dict[str, Any]) -> str:
    clauses = []
    for n, root in enumerate(roots):
        params[f"root_{n}"] = root.path + "%"
        clauses.append(f"{column} LIKE :root_{n}")
    return "(" + " OR ".join(clauses) + ")"


def _group_key(grouping: Grouping, roots: Sequence[Root]) -> str:
    kind = grouping.kind
    if kind == "none":
        return "NULL::text"
    if kind == "category":
        return "s.category_id::text"
    if kind == "assignee":
        return "s.assignee_staff_id::text"
    if kind == "day":
        return "s.day::text"
    if kind == "week":
        return "date_trunc('week', s.day)::date::text"
    if kind == "month":
        return "date_trunc('month', s.day)::date::text"
    assert all(_PATH.fullmatch(root.path) for root in roots), "area paths are ids and slashes only"
    if all(root.depth <= grouping.depth for root in roots):
        return _truncate("s.area_path", grouping.depth)
    whens = " ".join(
        f"WHEN s.area_path LIKE '{root.path}%' THEN {_truncate('s.area_path', max(grouping.depth, root.depth))}"
        for root in roots
    )
    return f"CASE {whens} END"


def _filters(alias: str, category_id: int | None, params: dict[str, Any]) -> str:
    if category_id is None:
        return ""
    params["category_id"] = category_id
    return f" AND {alias}.category_id = :category_id"


def _grouped(select: str, source: str, grouping: Grouping, roots: Sequence[Root], *, with_total: bool) -> str:
    """Sums per group, and (``with_total``) over all of them too."""
    if grouping.kind == "none":
        return f"SELECT NULL::text AS gkey, true AS is_total, {select} FROM ({source}) s"
    sets = "GROUPING SETS ((s.gkey), ())" if with_total else "s.gkey"
    return f"""
    SELECT s.gkey, {"GROUPING(s.gkey) = 1" if with_total else "false"} AS is_total, {select}
    FROM (SELECT {_group_key(grouping, roots)} AS gkey, s.* FROM ({source}) s) s
    GROUP BY {sets}"""


def _with_total(rows: list[Row]) -> list[Row]:
    """Adds the total of histogram rows (every request is in exactly one group, so sums add up)."""
    total = Row(key=None, is_total=True, requests=sum(r.requests for r in rows),
                counts={c: sum(r.counts[c] for r in rows) for c in COUNTS})
    if rows and rows[0].accept_histogram is not None:
        total.accept_histogram = [sum(v) for v in zip(*(r.accept_histogram or [] for r in rows), strict=True)]
        total.resolve_histogram = [sum(v) for v in zip(*(r.resolve_histogram or [] for r in rows), strict=True)]
    return [*rows, total]


def _one_hot(bucket: str) -> str:
    return (
        f"CASE WHEN {bucket} IS NULL THEN {_ZEROS_SQL} ELSE array_fill(0, ARRAY[{bucket}]) || f.sign "
        f"|| array_fill(0, ARRAY[{BUCKETS - 1} - {bucket}]) END"
    )


async def rollup_rows(
    session: AsyncSession,
    *,
    slices: Sequence[Slice],
    day_from: date,
    day_to: date,
    roots: Sequence[Root],
    category_id: int | None,
    grouping: Grouping,
    with_times: bool,
) -> list[Row]:
    """Sums from the rollup rows of ``slices`` plus the change rows not folded yet for local days
    ``[day_from, day_to)``, in one statement (one snapshot)."""
    # Without a category to filter or group by, the all-categories rows answer (a fifteenth of the rows).
    params: dict[str, Any] = {"day_from": day_from, "day_to": day_to,
                              "every": category_id is None and grouping.kind != "category"}
    counts = ", ".join(f"r.{c}" for c in COUNTS)
    parts = []
    for n, piece in enumerate(slices):
        params.update({f"period_{n}": piece.period, f"depth_{n}": piece.area_depth, f"from_{n}": piece.from_on,
                       f"to_{n}": piece.to_on})
        parts.append(
            f"""SELECT r.period_on AS day, r.area_path, r.category_id, NULL::bigint AS assignee_staff_id,
                       r.requests, {counts}, r.accept_histogram AS ah, r.resolve_histogram AS rh
                FROM report_rollup r
                WHERE r.period = :period_{n} AND r.area_depth = :depth_{n} AND r.every_category = :every
                  AND r.period_on >= :from_{n} AND r.period_on < :to_{n} AND {_scope("r.area_path", roots, params)}
                  {_filters("r", category_id, params)}"""
        )
    pending_counts = ", ".join(f"f.sign * f.{c} AS {c}" for c in COUNTS)
    parts.append(
        f"""SELECT f.day, f.area_path, f.category_id, NULL::bigint AS assignee_staff_id, f.sign AS requests,
                   {pending_counts}, {_one_hot("f.accept_bucket")} AS ah, {_one_hot("f.resolve_bucket")} AS rh
            FROM ({_facts(_change_inputs("report_change"))}) f
            WHERE f.day >= :day_from AND f.day < :day_to AND {_scope("f.area_path", roots, params)}
              {_filters("f", category_id, params)}"""
    )
    select = "sum(s.requests)::bigint AS requests, " + ", ".join(f"sum(s.{c})::bigint AS {c}" for c in COUNTS)
    if with_times:
        for name, column in (("ah", "ah"), ("rh", "rh")):
            sums = ", ".join(f"sum(s.{column}[{k}])" for k in range(1, BUCKETS + 1))
            select += f", ARRAY[{sums}]::bigint[] AS {name}"
    # The total is summed here from the groups: half the work of a second grouping in SQL.
    sql = _grouped(select, " UNION ALL ".join(parts), grouping, roots, with_total=False)
    rows = []
    for row in (await session.execute(text(sql), params)).mappings():
        rows.append(
            Row(
                key=row["gkey"],
                is_total=bool(row["is_total"]),
                requests=int(row["requests"] or 0),
                counts={c: int(row[c] or 0) for c in COUNTS},
                accept_histogram=[int(v or 0) for v in row["ah"]] if with_times else None,
                resolve_histogram=[int(v or 0) for v in row["rh"]] if with_times else None,
            )
        )
    return rows if grouping.kind == "none" else _with_total(rows)


def _nearest_rank(column: str, quantile: tuple[int, int]) -> str:
    numerator, denominator = quantile
    return (
        f"(array_agg(s.{column} ORDER BY s.{column}) FILTER (WHERE s.{column} IS NOT NULL))"
        f"[(count(s.{column}) * {numerator} + {denominator - 1}) / {denominator}]"
    )


async def live_rows(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    roots: Sequence[Root],
    category_id: int | None,
    assignee_staff_id: int | None,
    grouping: Grouping,
    with_times: bool,
) -> list[Row]:
    """Sums straight from the requests submitted in ``[start, end)``, with exact nearest-rank times."""
    params: dict[str, Any] = {"start": start, "end": end}
    where = f" AND r.submitted_at >= :start AND r.submitted_at < :end AND {_scope('r.area_path', roots, params)}"
    where += _filters("r", category_id, params)
    if assignee_staff_id is not None:
        params["assignee_staff_id"] = assignee_staff_id
        where += " AND r.assignee_staff_id = :assignee_staff_id"
    select = "count(*) AS requests, " + ", ".join(f"sum(s.{c})::bigint AS {c}" for c in COUNTS)
    if with_times:
        select += ", count(s.accept_seconds) AS accepted"
        for column, short in (("accept_seconds", "accept"), ("resolve_seconds", "resolve")):
            for name, quantile in QUANTILES.items():
                select += f", {_nearest_rank(column, quantile)} AS {short}_{name}"
    sql = _grouped(select, _facts(_REQUEST_INPUTS + where), grouping, roots, with_total=True)
    rows = []
    for row in (await session.execute(text(sql), params)).mappings():
        exact = None
        if with_times:
            exact = {
                f"{short}_{name}": row[f"{short}_{name}"] for short in ("accept", "resolve") for name in QUANTILES
            }
        rows.append(
            Row(
                key=row["gkey"],
                is_total=bool(row["is_total"]),
                requests=int(row["requests"] or 0),
                counts={c: int(row[c] or 0) for c in COUNTS},
                accepted=int(row["accepted"] or 0) if with_times else 0,
                exact=exact,
            )
        )
    return rows


async def estimated_requests(
    session: AsyncSession, *, day_from: date, day_to: date, roots: Sequence[Root], category_id: int | None
) -> int:
    """Requests in the subtrees over local days ``[day_from, day_to)`` by the day rollups (folded changes only):
    what an answer from the base table would have to read. Roots deeper than a subdistrict count their
    subdistrict (an over-estimate)."""
    params: dict[str, Any] = {"day_from": day_from, "day_to": day_to}
    coarse = [Root(root.path if root.depth <= 1 else _path_prefix(root.path, 1), min(root.depth, 1)) for root in roots]
    params["every"] = category_id is None
    sql = f"""SELECT coalesce(sum(r.requests), 0) FROM report_rollup r
              WHERE r.period = 'day' AND r.area_depth = 1 AND r.every_category = :every
                AND r.period_on >= :day_from AND r.period_on < :day_to
                AND {_scope("r.area_path", coarse, params)}{_filters("r", category_id, params)}"""
    return int(await session.scalar(text(sql), params) or 0)


def _path_prefix(path: str, depth: int) -> str:
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts[: depth + 1]) + "/"


# Names -----------------------------------------------------------------------------------------------------


async def areas_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[str, str, str, int]]:
    """id → (name, kind, path, depth)."""
    if not ids:
        return {}
    rows = await session.execute(
        text("SELECT id, name, kind, path, depth FROM area WHERE id = ANY(:ids)"), {"ids": list(set(ids))}
    )
    return {r.id: (r.name, r.kind, r.path, r.depth) for r in rows}


async def areas_by_path(session: AsyncSession, paths: Sequence[str]) -> dict[str, tuple[int, str, str, int]]:
    """path → (id, name, kind, depth)."""
    if not paths:
        return {}
    rows = await session.execute(
        text("SELECT id, name, kind, path, depth FROM area WHERE path = ANY(:paths)"), {"paths": list(set(paths))}
    )
    return {r.path: (r.id, r.name, r.kind, r.depth) for r in rows}


async def areas_at_depth(
    session: AsyncSession, roots: Sequence[Root], depth: int
) -> list[tuple[int, str, str, str, int]]:
    """Every area at ``depth`` inside the roots (a root deeper than that: the root), as (id, name, kind, path,
    depth), in tree order (parents first, siblings by id)."""
    params: dict[str, Any] = {"depth": depth}
    sql = f"""SELECT id, name, kind, path, depth FROM area a
              WHERE (a.depth = :depth OR a.path = ANY(:deep_roots)) AND {_scope("a.path", roots, params)}
              ORDER BY string_to_array(trim(both '/' from a.path), '/')::bigint[]"""
    params["deep_roots"] = [root.path for root in roots if root.depth > depth]
    return [(r.id, r.name, r.kind, r.path, r.depth) for r in await session.execute(text(sql), params)]


async def categories_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[str, str, str, int]]:
    """id → (code, name_zh, name_en, sort_order)."""
    if not ids:
        return {}
    rows = await session.execute(
        text("SELECT id, code, name_zh, name_en, sort_order FROM category WHERE id = ANY(:ids)"),
        {"ids": list(set(ids))},
    )
    return {r.id: (r.code, r.name_zh, r.name_en, r.sort_order) for r in rows}


async def category_id_by_code(session: AsyncSession, code: str) -> int | None:
    return await session.scalar(text("SELECT id FROM category WHERE code = :code"), {"code": code})


async def staff_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        text("SELECT id, full_name FROM staff WHERE id = ANY(:ids)"), {"ids": list(set(ids))}
    )
    return {r.id: r.full_name for r in rows}


async def staff_exists(session: AsyncSession, staff_id: int) -> bool:
    return bool(await session.scalar(text("SELECT EXISTS (SELECT 1 FROM staff WHERE id = :id)"), {"id": staff_id}))


async def pending_changes(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many changes wait to be folded, and since when."""
    row = (await session.execute(text("SELECT count(*), min(created_at) FROM report_change"))).one()
    return int(row[0]), row[1]
