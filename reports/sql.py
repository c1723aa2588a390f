"""The SQL the statistics need beyond the ORM: grouping sets and percentiles.

The ORM builds and filters the rows (so every filter and annotation is written once, portably);
these helpers wrap its compiled SQL. PostgreSQL does the work with GROUPING SETS and the ordered-set
aggregate `percentile_cont`; SQLite, which has neither, gets UNION ALL of plain GROUP BYs and
window functions that pick only the (at most two) neighbouring rows each percentile needs, so even
there no per-request row ever reaches Python. Both give exactly `percentile_cont`'s linear
interpolation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

PERCENTILES = (0.5, 0.9)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def compiled(qs: QuerySet) -> tuple[str, tuple[Any, ...]]:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def q(name: str) -> str:
    return connection.ops.quote_name(name)


# --- counts over several groupings in one pass ---------------------------------------------------


def grouping_sets(base_sql: str, params: Sequence[Any], sets: dict[str, Sequence[str]],
                  sums: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Rows of `base_sql` counted per grouping set.

    `sets` names each grouping (e.g. {"month": ["month"], "outcome": ["outcome", "reason"]}); `sums`
    are extra columns as SQL over the base row alias `b` (e.g. {"filled": "b.outcome = 'filled'"}, a
    condition, summed as 0/1). Returns {set name: [{column: value, …, "n": count, <sum>: …}]}.
    """
    columns = list(dict.fromkeys(c for cols in sets.values() for c in cols))
    aggregates = ["COUNT(*) AS n"] + [f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {q(name)}"
                                      for name, cond in sums.items()]
    if is_postgres():
        flags = [f"GROUPING(b.{q(c)}) AS {q('g_' + c)}" for c in columns]
        spec = ", ".join("(" + ", ".join(f"b.{q(c)}" for c in cols) + ")" for cols in sets.values())
        sql = (f"SELECT {', '.join(flags)}, {', '.join(f'b.{q(c)}' for c in columns)}, {', '.join(aggregates)} "
               f"FROM ({base_sql}) b GROUP BY GROUPING SETS ({spec})")
        all_params = list(params)
    else:
        parts = []
        for cols in sets.values():
            flags = [f"{0 if c in cols else 1} AS {q('g_' + c)}" for c in columns]
            picked = [f"b.{q(c)}" if c in cols else f"NULL AS {q(c)}" for c in columns]
            group = ", ".join(f"b.{q(c)}" for c in cols)
            parts.append(f"SELECT {', '.join(flags)}, {', '.join(picked)}, {', '.join(aggregates)} FROM b "
                         f"GROUP BY {group}")
        sql = f"WITH b AS ({base_sql}) " + " UNION ALL ".join(parts)
        all_params = list(params)
    result: dict[str, list[dict[str, Any]]] = {name: [] for name in sets}
    width = len(columns)
    names = ["n", *sums]
    for row in fetch(sql, all_params):
        flags, values, counts = row[:width], row[width:2 * width], row[2 * width:]
        grouped = frozenset(c for c, flag in zip(columns, flags, strict=True) if flag == 0)
        for name, cols in sets.items():
            if grouped == frozenset(cols):
                entry = {c: v for c, v in zip(columns, values, strict=True) if c in cols}
                entry.update({k: int(v or 0) for k, v in zip(names, counts, strict=True)})
                result[name].append(entry)
                break
    return result


# --- percentiles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """Count, median, 90th percentile and mean of durations (seconds)."""

    count: int
    median: float | None
    p90: float | None
    mean: float | None


def _interpolate(sorted_pairs: dict[int, float], n: int, p: float) -> float | None:
    if n == 0:
        return None
    position = p * (n - 1)
    k = int(position)
    low = sorted_pairs.get(k)
    if low is None:
        return None
    high = sorted_pairs.get(k + 1, low)
    return low + (high - low) * (position - k)


def spreads(values_sql: str, params: Sequence[Any], measures: Sequence[str]) -> dict[tuple[Any, str], Spread]:
    """Percentiles of each measure column of `values_sql` (columns: grp, *measures; NULL = not
    reached), per grp and over all rows (grp key None). Returns {(grp, measure): Spread}."""
    if is_postgres():
        return _spreads_postgres(values_sql, params, measures)
    return _spreads_window(values_sql, params, measures)


def _spreads_postgres(values_sql: str, params: Sequence[Any], measures: Sequence[str]) -> dict:
    cols = []
    for m in measures:
        cols += [f"COUNT(d.{q(m)})", *(f"percentile_cont({p}) WITHIN GROUP (ORDER BY d.{q(m)})" for p in PERCENTILES),
                 f"AVG(d.{q(m)})"]
    sql = (f"SELECT GROUPING(d.grp), d.grp, {', '.join(cols)} FROM ({values_sql}) d "
           f"GROUP BY GROUPING SETS ((d.grp), ())")
    result = {}
    for row in fetch(sql, params):
        grp = None if row[0] else row[1]
        stats = row[2:]
        for i, m in enumerate(measures):
            count, median, p90, mean = stats[i * 4:(i + 1) * 4]
            result[(grp, m)] = Spread(int(count), _float(median), _float(p90), _float(mean))
    return result


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _spreads_window(values_sql: str, params: Sequence[Any], measures: Sequence[str]) -> dict:
    """Window functions rank each (grp, measure) partition; only the ranks each percentile needs come back.
    The overall figures are a second partition with grp NULL over the same rows."""
    unions = []
    for m in measures:
        for grp in ("d.grp", "NULL"):
            unions.append(f"SELECT {grp} AS grp, {0 if grp == 'NULL' else 1} AS grouped, '{m}' AS ms, "
                          f"d.{q(m)} AS v FROM d WHERE d.{q(m)} IS NOT NULL")
    wanted = " OR ".join(f"rn = CAST({p} * (n - 1) AS INTEGER) OR rn = CAST({p} * (n - 1) AS INTEGER) + 1"
                         for p in PERCENTILES)
    sql = (f"WITH d AS ({values_sql}), u AS ({' UNION ALL '.join(unions)}), "
           "o AS (SELECT grp, grouped, ms, v, ROW_NUMBER() OVER (PARTITION BY grouped, grp, ms ORDER BY v) - 1 AS rn, "
           "COUNT(*) OVER (PARTITION BY grouped, grp, ms) AS n, AVG(v) OVER (PARTITION BY grouped, grp, ms) AS mean "
           f"FROM u) SELECT grp, grouped, ms, n, mean, rn, v FROM o WHERE {wanted} OR rn = 0")
    found: dict[tuple[Any, str], dict[str, Any]] = {}
    for grp, grouped, ms, n, mean, rn, v in fetch(sql, params):
        key = (grp if grouped else None, ms)
        entry = found.setdefault(key, {"n": int(n), "mean": float(mean), "ranks": {}})
        entry["ranks"][int(rn)] = float(v)
    result = {}
    for key, entry in found.items():
        n, ranks = entry["n"], entry["ranks"]
        result[key] = Spread(n, _interpolate(ranks, n, 0.5), _interpolate(ranks, n, 0.9), entry["mean"])
    return result
