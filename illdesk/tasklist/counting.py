"""Counting the facets and the predefined filters.

PostgreSQL: one GROUPING SETS statement for every facet but the m2m ones (see the package docstring), built in
three steps: `_plan_sets` (a grouping key per facet, and which facets share a grouping set), `_counting_sql`
(the statement) and `_fold_rows` (its rows back into counts per facet). Elsewhere one grouped query per facet
(`_per_facet_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, Case, Count, F, QuerySet, Value, When

from .config import Preset, TaskListConfig, first_hop
from .facets import Facet
from .versioning import _fetch

# Facets with few values share a grouping set while the product of their sizes stays below this.
JOINT_LIMIT = 5000
# The planner overestimates the groups of a joint grouping set and would sort for it (on disk, with the
# default 4 MB); the hash tables really take a few MB.
WORK_MEM = "64MB"


def _vendor(qs: QuerySet) -> str:
    return connections[qs.db].vendor


def _is_empty(qs: QuerySet) -> bool:
    return qs.query.is_empty()


def _per_facet_counts(config, scoped, selection, facet_qs):
    results = []
    for facet in config.facets:
        others = scoped
        for key, q in facet_qs.items():
            if key != facet.key:
                others = others.filter(q)
        results.append((facet, facet.counts(others, selection.get(facet.key, []))))
    return results, None



@dataclass
class _Plan:
    keys: dict[str, tuple[str, object]]  # facet key -> (column alias, grouping expression); m2m facets aside
    hops: dict[str, tuple]  # facet key -> (foreign key, field on the related row): grouped by the local key
    sets: list[list[str]]  # the grouping sets, as facet keys

    @property
    def position(self) -> dict[str, int]:
        return {k: j for j, k in enumerate(self.keys)}


def _plan_sets(config: TaskListConfig) -> _Plan:
    """One key per facet (m2m aside); facets over a related column group by the local foreign key. Small
    facets share one grouping set while the product of their sizes allows, others have one alone."""
    keys: dict[str, tuple[str, object]] = {}
    hops: dict[str, tuple] = {}
    for i, facet in enumerate(config.facets):
        if facet.kind == "m2m":
            continue
        if facet.kind in ("past_date", "future_date"):
            expr = facet.fast_bucket_expression()
        elif facet.kind == "fk":
            expr = F(f"{facet.field}_id")
        else:
            hop, rest = first_hop(config.model, facet.field)
            if hop is not None:
                hops[facet.key] = (hop, rest)
                expr = F(hop.attname)
            else:
                expr = F(facet.field)
        keys[facet.key] = (f"k{i}", expr)

    by_key = {f.key: f for f in config.facets}
    sets: list[list[str]] = []
    joint: list[str] = []
    size = 1
    for key in keys:
        n = by_key[key].domain_size() if key not in hops else None
        if n is None:
            sets.append([key])
        elif size * n <= JOINT_LIMIT:
            joint.append(key)
            size *= n
        else:
            sets.append(joint)
            joint, size = [key], n
    if joint:
        sets.append(joint)
    return _Plan(keys, hops, sets)


def _fail_sql(n_sel: int) -> tuple[str, str]:
    """`fail` (0: passes every selected facet; i: fails only facet i) and the filter "fails at most one"."""
    if n_sel == 0:
        return "0", ""
    if n_sel == 1:
        return "CASE WHEN p1 THEN 0 ELSE 1 END", ""

    def all_but(i: int) -> str:
        return " AND ".join(f"p{j}" for j in range(1, n_sel + 1) if j != i)

    fail_sql = (f"CASE WHEN {all_but(0)} THEN 0 "
                + " ".join(f"WHEN {all_but(i)} THEN {i}" for i in range(1, n_sel + 1)) + " END")
    keep_sql = " WHERE " + " + ".join(f"(NOT p{i})::integer" for i in range(1, n_sel + 1)) + " <= 1"
    return fail_sql, keep_sql


def _counting_sql(plan: _Plan, scan: QuerySet, selected: list, m2m: list[Facet]) -> tuple[str, list] | None:
    """The statement over `scan` (None: it selects nothing). `selected`: the Q of each selected facet, in
    facet number order; `m2m`: the m2m facets to count from the same scanned rows (a UNION ALL branch each)."""
    model = scan.model
    # Each selected facet's predicate becomes one boolean column of the scan, evaluated once per row
    # (an m2m predicate is a subquery: repeated in a WHERE and a CASE it would run once per repetition).
    preds = {f"p{i}": Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())
             for i, q in enumerate(selected, start=1)}
    fail_sql, keep_sql = _fail_sql(len(selected))
    annotations = {alias: expr for alias, expr in plan.keys.values()}
    fields = ["rid", *annotations, *preds]
    inner = scan.order_by().annotate(**annotations, **preds, rid=F("pk")).values(*fields)
    try:
        inner_sql, inner_params = inner.query.sql_with_params()
    except EmptyResultSet:
        return None
    qn = connections[scan.db].ops.quote_name
    cols = ", ".join(qn(alias) for alias in annotations)
    grouping = ", ".join(
        "(" + ", ".join([*(qn(plan.keys[k][0]) for k in s), qn("fail")]) + ")" for s in plan.sets)
    # OFFSET 0 keeps PostgreSQL from inlining the predicates into `fail` (they would run again)
    scanned = f"(SELECT *, {fail_sql} AS {qn('fail')} FROM ({inner_sql} OFFSET 0) s0{keep_sql})"
    if not m2m:
        return (f"SELECT {cols}, {qn('fail')}, GROUPING({cols}), COUNT(*) FROM {scanned} s "
                f"GROUP BY GROUPING SETS ({grouping})"), inner_params
    n_keys = len(annotations)
    branches = []
    for i, facet in enumerate(m2m):
        through, source, target = _m2m_columns(facet, model)
        branches.append(
            f"SELECT {', '.join(['NULL'] * n_keys)}, s.{qn('fail')}, -1, COUNT(*), t.{qn(target)}, {i} "
            f"FROM s JOIN {qn(through)} t ON t.{qn(source)} = s.{qn('rid')} GROUP BY t.{qn(target)}, "
            f"s.{qn('fail')}")
    return (f"WITH s AS MATERIALIZED {scanned} "
            f"SELECT {cols}, {qn('fail')}, GROUPING({cols}), COUNT(*), NULL::bigint, NULL::integer FROM s "
            f"GROUP BY GROUPING SETS ({grouping}) UNION ALL " + " UNION ALL ".join(branches)), inner_params


def _fold_rows(rows, plan: _Plan, number: dict[str, int], m2m: list[Facet]) -> tuple[dict, dict, int]:
    """({facet key: {value: count}}, the same for the m2m facets, rows in the list) from the statement's rows.
    A row counts for a facet when it passes every selected facet (`fail` 0) or fails only that one."""
    position, n_keys = plan.position, len(plan.keys)
    set_of_mask = {}  # GROUPING() of a set's rows -> the set
    for s_index, s in enumerate(plan.sets):
        members = {position[k] for k in s}
        set_of_mask[sum(1 << (n_keys - 1 - j) for j in range(n_keys) if j not in members)] = s_index
    found: dict[str, dict] = {key: {} for key in plan.keys}
    m2m_found: dict[str, dict] = {f.key: {} for f in m2m}
    total = 0
    for row in rows:
        values, failed, mask, n = row[:n_keys], row[n_keys], row[n_keys + 1], row[n_keys + 2]
        if mask == -1:  # an m2m branch
            facet = m2m[row[n_keys + 4]]
            if failed == 0 or failed == number.get(facet.key):
                counts = m2m_found[facet.key]
                counts[row[n_keys + 3]] = counts.get(row[n_keys + 3], 0) + n
            continue
        s = plan.sets[set_of_mask[mask]]
        if set_of_mask[mask] == 0 and failed == 0:
            total += n
        for k in s:
            if failed == 0 or failed == number.get(k):
                v = values[position[k]]
                found[k][v] = found[k].get(v, 0) + n
    return found, m2m_found, total


def _grouped_counts(config, scoped, selection, facet_qs, version=None, joint_m2m=False):
    """PostgreSQL: every facet but m2m ones in one GROUPING SETS statement, m2m ones in one more.
    Returns (facet results, number of rows in the list)."""
    # Facets whose filter is a no-op (nothing valid chosen) select nothing.
    active = [f for f in config.facets if facet_qs[f.key]]
    number = {f.key: i for i, f in enumerate(active, start=1)}
    plan = _plan_sets(config)
    m2m = [f for f in config.facets if f.kind == "m2m"]
    found: dict[str, dict] = {key: {} for key in plan.keys}
    m2m_found: dict[str, dict] = {f.key: {} for f in m2m}
    total = 0
    if not _is_empty(scoped):
        # The tags are counted from the same scanned rows (one statement, the rows materialized once)
        # when their counts depend on the selection or a search makes the scan expensive; otherwise a
        # second plain statement is cheaper (measured).
        together = bool(m2m) and (joint_m2m or bool(active))
        statement = _counting_sql(plan, scoped, [facet_qs[f.key] for f in active], m2m if together else [])
        if statement is not None:
            rows = _fetch(scoped.db, *statement, version, work_mem=WORK_MEM)
            found, folded_m2m, total = _fold_rows(rows, plan, number, m2m if together else [])
            m2m_found.update(folded_m2m)
        if not together:  # nothing selected: every scanned row counts
            for facet in m2m:
                m2m_found[facet.key] = _m2m_counts(facet, config.model, scoped, version)
    results = _facet_results(config, selection, plan, found, m2m_found)
    return results, (total if plan.keys else None)


def _facet_results(config, selection, plan: _Plan, found: dict, m2m_found: dict) -> list:
    model = config.model
    results = []
    for facet in config.facets:
        chosen = selection.get(facet.key, [])
        if facet.kind == "m2m":
            counts = m2m_found[facet.key]
            results.append((facet, facet.values(counts, chosen, facet.labels(model, counts))))
            continue
        counts = found[facet.key]
        if facet.key in plan.hops:
            hop, rest = plan.hops[facet.key]
            mapping = dict(hop.related_model._default_manager.filter(pk__in=[k for k in counts if k is not None])
                           .values_list("pk", rest))
            merged: dict = {}
            for k, n in counts.items():
                v = mapping.get(k) if k is not None else None
                merged[v] = merged.get(v, 0) + n
            counts = merged
        labels = facet.labels(model, counts) if facet.kind == "fk" else None
        results.append((facet, facet.values(counts, chosen, labels)))
    return results


def _m2m_columns(facet: Facet, model) -> tuple[str, str, str]:
    """(through table, column pointing at the request, column pointing at the related row)."""
    through = model._meta.get_field(facet.field).remote_field.through
    source = through._meta.get_field(model._meta.model_name).column
    target = through._meta.get_field(model._meta.get_field(facet.field).related_model._meta.model_name).column
    return through._meta.db_table, source, target


def _m2m_counts(facet: Facet, model, scan: QuerySet, version=None) -> dict:
    """Counts per related id over the scanned rows (no facet selected)."""
    through = model._meta.get_field(facet.field).remote_field.through
    source = model._meta.model_name
    target = model._meta.get_field(facet.field).related_model._meta.model_name
    counts = (through.objects.filter(**{f"{source}__in": scan.order_by().values("pk")}).order_by()
              .values_list(f"{target}_id").annotate(n=Count("pk")))
    try:
        sql, params = counts.query.sql_with_params()
    except EmptyResultSet:
        return {}
    return dict(_fetch(scan.db, sql, params, version))


def _preset_counts(config: TaskListConfig, base: QuerySet, user, version=None) -> list[tuple[Preset, int]]:
    """Every predefined filter counted in one statement, one scalar subquery each: each subquery is
    planned on its own, so each can use the index that fits its predicate."""
    if not config.presets:
        return []
    counts = count_each([base.filter(preset.q(user)) for preset in config.presets], version)
    return list(zip(config.presets, counts, strict=True))


def count_each(querysets: list[QuerySet], version=None) -> list[int]:
    """The rows of each queryset (all on one database), in one statement of scalar subqueries; cached
    under the data version like the facet counts when `version` is given."""
    if not querysets:
        return []
    parts, params = [], []
    for qs in querysets:
        try:
            sql, p = qs.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) s)")
        params.extend(p)
    row = _fetch(querysets[0].db, "SELECT " + ", ".join(parts), params, version)[0]
    return [int(n) for n in row]
