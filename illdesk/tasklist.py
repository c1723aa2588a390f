"""The generic faceted task list both sides configure.

Selection lives in the query string: one parameter per facet (repeatable: values OR-ed, facets
AND-ed), `q`/`qf` for the secondary search, `activity`, `preset`, `sort`, `page`. Facet counts are
disjunctive: each facet is counted over the list filtered by every *other* facet, so choosing a
value never hides its siblings.

How many queries, whatever the row count:

- PostgreSQL: ONE statement counts every facet but the tags, with GROUPING SETS. It scans the rows
  that fail at most one selected facet and tags each row with the facet it fails (`fail`: 0 when
  it passes them all); a facet's counts are then the rows with `fail` 0 or its own number. Small
  facets share a grouping set (their joint counts are summed up per facet in Python), so each row
  is hashed a handful of times, not once per facet. The same statement gives the list's total
  (no separate COUNT). One more statement counts the tags, one the predefined filters (a scalar
  subquery each, so each uses its own index), one per labelled facet for the labels.
- SQLite (development, tests): one grouped query per facet, as the design allows.

Secondary search on PostgreSQL adds, for the citation fields, a predicate implied by the one it
narrows (`search_document(...) LIKE '%TERM%'`) so one trigram index over the whole document serves
every field choice, and matches on related rows (requester, partner) become `fk = ANY(ARRAY(…))`, an
indexable form. Results are the same as plain `icontains` on each field (SQLite's path).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    Func,
    Lookup,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .inputs import no_nul, parse_pk, parse_pks

PAST_BUCKETS = [
    ("today", _("Today")),
    ("yesterday", _("Yesterday")),
    ("2_3_days", _("2–3 days ago")),
    ("4_7_days", _("4–7 days ago")),
    ("8_30_days", _("8–30 days ago")),
    ("older", _("Older")),
]
FUTURE_BUCKETS = [
    ("past", _("Passed")),
    ("today", _("Today")),
    ("next_7_days", _("Within a week")),
    ("next_30_days", _("Within a month")),
    ("later", _("Later")),
    ("none", _("Not set")),
]
BOOL_CHOICES = [("yes", _("Yes")), ("no", _("No"))]
# Facets with few values share a grouping set while the product of their sizes stays below this.
JOINT_LIMIT = 5000
WORK_MEM = "64MB"  # for the one counting statement, see _grouped_counts
DOC_SEPARATOR = 31  # chr(31), the ASCII unit separator: a search term never spans two fields


def _today() -> date:
    return timezone.localdate()


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    """One facet. `kind`: choice (column with choices), fk (foreign key, labelled by `label_fields`),
    bool, past_date (datetime column, age buckets), future_date (date column), m2m (tags)."""

    key: str
    label: str
    kind: str
    field: str
    choices: list[tuple[str, str]] | None = None
    label_fields: tuple[str, ...] = ("name",)
    include_none: str | None = None  # label for "no value" (e.g. Unassigned)
    empty_key: str = ""  # choice facets: URL value standing for the empty string (e.g. "undefined")

    def _to_db(self, value: str) -> str:
        return "" if self.empty_key and value == self.empty_key else value

    def _from_db(self, value) -> str:
        return self.empty_key if self.empty_key and value in ("", None) else value

    # --- filtering ----------------------------------------------------------------------------

    def q(self, values: list[str], model) -> Q:
        if not values:
            return Q()
        if self.kind in ("choice", "value"):
            return Q(**{f"{self.field}__in": [self._to_db(v) for v in values]})
        if self.kind == "bool":
            wanted = {v == "yes" for v in values if v in ("yes", "no")}
            return Q(**{f"{self.field}__in": list(wanted)}) if wanted else Q()
        if self.kind == "fk":
            ids = parse_pks(values)
            q = Q(**{f"{self.field}_id__in": ids}) if ids else Q(pk__in=[])
            if "none" in values:
                q |= Q(**{f"{self.field}__isnull": True})
            return q
        if self.kind == "m2m":
            ids = parse_pks(values)
            through = model._meta.get_field(self.field).remote_field.through
            source = f"{model._meta.model_name}_id"
            # `pk IN (uncorrelated subquery)`, not EXISTS: inside the OR and CASE of the counting
            # statement PostgreSQL hashes it once instead of probing the m2m table for every row.
            return Q(pk__in=through.objects.filter(tag_id__in=ids).values(source))
        if self.kind in ("past_date", "future_date"):
            q = Q(pk__in=[])
            for v in values:
                q |= self._bucket_q(v)
            return q
        raise ValueError(self.kind)

    def _bounds(self) -> dict:
        today = _today()
        if self.kind == "past_date":
            t0 = _start_of(today)
            return {
                "today": (t0, None),
                "yesterday": (t0 - timedelta(days=1), t0),
                "2_3_days": (t0 - timedelta(days=3), t0 - timedelta(days=1)),
                "4_7_days": (t0 - timedelta(days=7), t0 - timedelta(days=3)),
                "8_30_days": (t0 - timedelta(days=30), t0 - timedelta(days=7)),
                "older": (None, t0 - timedelta(days=30)),
            }
        return {
            "past": (None, today),
            "today": (today, today + timedelta(days=1)),
            "next_7_days": (today + timedelta(days=1), today + timedelta(days=8)),
            "next_30_days": (today + timedelta(days=8), today + timedelta(days=31)),
            "later": (today + timedelta(days=31), None),
        }

    def _bucket_q(self, bucket: str) -> Q:
        f = self.field
        if self.kind == "future_date" and bucket == "none":
            return Q(**{f"{f}__isnull": True})
        bounds = self._bounds()
        if bucket not in bounds:
            return Q(pk__in=[])
        lo, hi = bounds[bucket]
        q = Q()
        if lo is not None:
            q &= Q(**{f"{f}__gte": lo})
        if hi is not None:
            q &= Q(**{f"{f}__lt": hi})
        return q

    # --- counting -----------------------------------------------------------------------------

    def bucket_expression(self) -> Case:
        buckets = PAST_BUCKETS if self.kind == "past_date" else FUTURE_BUCKETS
        return Case(
            *[When(self._bucket_q(key), then=Value(key)) for key, _label in buckets],
            default=Value(""),
            output_field=CharField(),
        )

    def fast_bucket_expression(self) -> Case:
        """The same buckets as `bucket_expression`, tested in the order most rows stop early: the
        buckets partition the time line, so one bound per bucket is enough."""
        f = self.field
        bounds = self._bounds()
        if self.kind == "past_date":
            order = ["older", "8_30_days", "4_7_days", "2_3_days", "yesterday"]
            whens = [When(Q(**{f"{f}__lt": bounds[key][1]}), then=Value(key)) for key in order]
            return Case(*whens, default=Value("today"), output_field=CharField())
        order = ["past", "today", "next_7_days", "next_30_days"]
        whens = [When(Q(**{f"{f}__isnull": True}), then=Value("none"))]
        whens += [When(Q(**{f"{f}__lt": bounds[key][1]}), then=Value(key)) for key in order]
        return Case(*whens, default=Value("later"), output_field=CharField())

    def domain_size(self) -> int | None:
        """How many values the facet can take in one grouping set (None: unknown, maybe many)."""
        if self.kind == "bool":
            return 2
        if self.kind in ("past_date", "future_date"):
            return 6
        if self.kind == "choice" and self.choices and "__" not in self.field:
            return len(self.choices) + 1
        return None

    def counts(self, qs: QuerySet, selected: list[str]) -> list[FacetValue]:
        """One grouped query for this facet over `qs` (the per-facet path)."""
        if self.kind == "value":
            rows = qs.order_by().exclude(**{self.field: ""}).values_list(self.field).annotate(n=Count("pk"))
            return self.values(dict(rows), selected)
        if self.kind in ("choice", "bool"):
            rows = qs.order_by().values_list(self.field).annotate(n=Count("pk"))
            return self.values(dict(rows), selected)
        if self.kind in ("past_date", "future_date"):
            rows = qs.order_by().annotate(_bucket=self.bucket_expression()).values_list("_bucket").annotate(
                n=Count("pk")
            )
            return self.values(dict(rows), selected)
        if self.kind in ("fk", "m2m"):
            id_field = f"{self.field}_id" if self.kind == "fk" else f"{self.field}__id"
            label_lookups = [f"{self.field}__{name}" for name in self.label_fields]
            rows = qs.order_by().values_list(id_field, *label_lookups).annotate(n=Count("pk"))
            found, labels = {}, {}
            for row in rows:
                found[row[0]] = row[-1]
                labels[row[0]] = row[1:-1]
            return self.values(found, selected, labels)
        raise ValueError(self.kind)

    def values(self, found: dict, selected: list[str], labels: dict | None = None) -> list[FacetValue]:
        """Facet values from {database value: count} (and {pk: label parts} for fk/m2m facets)."""
        chosen = set(selected)
        if self.kind == "value":
            values = [FacetValue(str(k), str(k), n, str(k) in chosen) for k, n in found.items() if k and n]
            return sorted(values, key=lambda v: (-v.count, v.label))
        if self.kind in ("choice", "bool"):
            if self.kind == "bool":
                merged = {"yes": 0, "no": 0}
                for k, n in found.items():
                    merged["yes" if k else "no"] += n
                found = merged
            else:
                merged: dict = {}
                for k, n in found.items():
                    key = self._from_db(k)
                    merged[key] = merged.get(key, 0) + n
                found = merged
            choices = BOOL_CHOICES if self.kind == "bool" else (self.choices or [])
            return [
                FacetValue(str(k), str(label), found.get(k, 0), str(k) in chosen)
                for k, label in choices
                if found.get(k) or str(k) in chosen
            ]
        if self.kind in ("past_date", "future_date"):
            buckets = PAST_BUCKETS if self.kind == "past_date" else FUTURE_BUCKETS
            return [
                FacetValue(k, str(label), found.get(k, 0), k in chosen)
                for k, label in buckets
                if found.get(k) or k in chosen
            ]
        if self.kind in ("fk", "m2m"):
            labels = labels or {}
            result = []
            for pk, n in found.items():
                if not n:
                    continue
                if pk is None:
                    if self.include_none is None:
                        continue
                    result.append(FacetValue("none", str(self.include_none), n, "none" in chosen))
                    continue
                label = " ".join(str(part) for part in labels.get(pk, ()) if part) or str(pk)
                result.append(FacetValue(str(pk), label, n, str(pk) in chosen))
            result.sort(key=lambda v: (-v.count, v.label))
            return result
        raise ValueError(self.kind)

    def related_model(self, model):
        """fk/m2m facets: the model the ids point at."""
        return model._meta.get_field(self.field).related_model

    def labels(self, model, ids) -> dict:
        ids = [pk for pk in ids if pk is not None]
        if not ids:
            return {}
        rows = self.related_model(model)._default_manager.filter(pk__in=ids).values_list("pk", *self.label_fields)
        return {row[0]: row[1:] for row in rows}


@dataclass
class SearchField:
    key: str
    label: str
    lookups: tuple[str, ...]


@dataclass
class Preset:
    key: str
    label: str
    q: Callable[[object], Q]  # receives the user


@dataclass
class TaskListConfig:
    model: type
    facets: list[Facet]
    search_fields: list[SearchField]
    sorts: dict[str, str]
    presets: list[Preset] = field(default_factory=list)
    default_sort: str = "-created"
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()


@dataclass
class TaskListResult:
    page: object
    facets: list[tuple[Facet, list[FacetValue]]]
    presets: list[tuple[Preset, int]]
    selection: dict[str, list[str]]
    activity: str
    activity_counts: dict[str, int | None]
    search: str
    search_field: str
    sort: str
    preset: str
    needs_search: bool

    @property
    def has_filters(self) -> bool:
        return bool(self.selection or self.search or self.preset)


# --- secondary search ------------------------------------------------------------------------------


class SearchDocument(Func):
    """(f1 || chr(31) || f2 || …): the citation fields as one text, for one trigram index.

    A model indexes it with
        GinIndex(OpClass(Upper(SearchDocument(*fields)), name="gin_trgm_ops"), name=…)
    over exactly `search_document_fields(config)`, in that order (tests check they agree): that is
    the expression `icontains` on the document compiles to, so PostgreSQL can use the index."""

    template = "(%(expressions)s)"
    arg_joiner = f" || chr({DOC_SEPARATOR}) || "
    output_field = TextField()


class AnyArray(Lookup):
    """`fk = ANY(ARRAY(subquery))`: PostgreSQL evaluates the subquery once and, unlike `IN
    (subquery)` inside an OR, can use the column's index for it."""

    lookup_name = "any_array"
    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def _local_text_field(model, lookup: str):
    if "__" in lookup or lookup == "pk":
        return None
    try:
        f = model._meta.get_field(lookup)
    except FieldDoesNotExist:
        return None
    if isinstance(f, (CharField, TextField)) and not f.null:
        return f
    return None


def search_document_fields(config: TaskListConfig) -> tuple[str, ...]:
    """The local, non-null text fields any search field looks in, in config order."""
    seen: list[str] = []
    for sf in config.search_fields:
        for lookup in sf.lookups:
            if lookup not in seen and _local_text_field(config.model, lookup) is not None:
                seen.append(lookup)
    return tuple(seen)


def search_document(config: TaskListConfig) -> SearchDocument:
    return SearchDocument(*search_document_fields(config))


def _search_q(config: TaskListConfig, text: str, field_key: str, vendor: str = "") -> Q:
    text = no_nul(text.strip().replace(chr(DOC_SEPARATOR), ""))
    if not text:
        return Q()
    fields = [f for f in config.search_fields if f.key == field_key] or config.search_fields
    pg = vendor == "postgresql"
    doc_fields = set(search_document_fields(config)) if pg else set()
    local, other = Q(), Q()
    local_lookups = []
    related: dict[str, list[str]] = {}  # foreign key -> lookups on the related row
    for sf in fields:
        for lookup in sf.lookups:
            if lookup == "pk":
                if (pk := parse_pk(text)) is not None:
                    other |= Q(pk=pk)
                continue
            hop, rest = _first_hop(config.model, lookup) if pg else (None, lookup)
            if hop is not None:
                related.setdefault(hop.name, []).append(rest)
                continue
            local |= Q(**{f"{lookup}__icontains": text})
            local_lookups.append(lookup)
    if local_lookups and doc_fields and all(lookup in doc_fields for lookup in local_lookups):
        # Implied by `local` (a field containing the text makes the document contain it): the
        # trigram index finds the candidates, `local` keeps exactly the rows it always kept.
        local = Q(_search_doc__icontains=text) & local
    for name, lookups in related.items():
        # requester__last_name contains text → requester_id = ANY(ARRAY(ids of matching patrons))
        hop = config.model._meta.get_field(name)
        matching = hop.related_model._default_manager.filter(
            reduce(or_, [Q(**{f"{rest}__icontains": text}) for rest in lookups])).order_by().values("pk")
        other |= Q(AnyArray(F(hop.attname), matching.query))
    return local | other


def search_index_sql(name: str, table: str, fields: tuple[str, ...]) -> str:
    """DDL (PostgreSQL, pg_trgm) of the trigram index over `fields` as one document: the expression
    `search_document` compiles to, so the search can use it (the sides' migrations; tested)."""
    document = f" || chr({DOC_SEPARATOR}) || ".join(f'"{f}"' for f in fields)
    return f'CREATE INDEX "{name}" ON "{table}" USING gin ((UPPER(({document}))) gin_trgm_ops)'


def _with_search_doc(qs: QuerySet, config: TaskListConfig, vendor: str) -> QuerySet:
    if vendor == "postgresql" and search_document_fields(config):
        return qs.alias(_search_doc=search_document(config))
    return qs


# --- counting ----------------------------------------------------------------------------------------


def _vendor(qs: QuerySet) -> str:
    return connections[qs.db].vendor


def _is_empty(qs: QuerySet) -> bool:
    return qs.query.is_empty()


def _first_hop(model, path: str):
    """`pickup_location__kind` → (the pickup_location field, "kind"); a local field → (None, path)."""
    if "__" not in path:
        return None, path
    first, rest = path.split("__", 1)
    f = model._meta.get_field(first)
    if f.many_to_one or f.one_to_one:
        return f, rest
    return None, path


def _per_facet_counts(config, scoped, selection, facet_qs):
    results = []
    for facet in config.facets:
        others = scoped
        for key, q in facet_qs.items():
            if key != facet.key:
                others = others.filter(q)
        results.append((facet, facet.counts(others, selection.get(facet.key, []))))
    return results, None


def _grouped_counts(config, scoped, selection, facet_qs, version=None, joint_m2m=False):
    """PostgreSQL: every facet but m2m ones in one GROUPING SETS statement, m2m ones in one more.
    Returns (facet results, number of rows in the list)."""
    model = config.model
    conn = connections[scoped.db]
    # Facets whose filter is a no-op (nothing valid chosen) select nothing.
    active = [f for f in config.facets if facet_qs[f.key]]
    number = {f.key: i for i, f in enumerate(active, start=1)}
    qs_all = [facet_qs[f.key] for f in active]

    # Each selected facet's predicate becomes one boolean column of the scan, evaluated once per row
    # (an m2m predicate is a subquery: repeated in a WHERE and a CASE it would run once per repetition).
    # Out of those: `fail` (0: passes all; i: fails only facet i) and the filter "fails at most one".
    preds = {f"p{i}": Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())
             for i, q in enumerate(qs_all, start=1)}
    n_sel = len(active)
    if n_sel == 0:
        fail_sql, keep_sql = "0", ""
    elif n_sel == 1:
        fail_sql, keep_sql = "CASE WHEN p1 THEN 0 ELSE 1 END", ""
    else:
        def all_but(i: int) -> str:
            return " AND ".join(f"p{j}" for j in range(1, n_sel + 1) if j != i)

        fail_sql = (f"CASE WHEN {all_but(0)} THEN 0 "
                    + " ".join(f"WHEN {all_but(i)} THEN {i}" for i in range(1, n_sel + 1)) + " END")
        keep_sql = " WHERE " + " + ".join(f"(NOT p{i})::integer" for i in range(1, n_sel + 1)) + " <= 1"
    scan = scoped

    # One key per facet (m2m aside); facets over a related column group by the local foreign key.
    keys: dict[str, tuple[str, object]] = {}  # facet key -> (alias, expression)
    hops: dict[str, tuple] = {}
    annotations = {}
    for i, facet in enumerate(config.facets):
        if facet.kind == "m2m":
            continue
        alias = f"k{i}"
        if facet.kind in ("past_date", "future_date"):
            expr = facet.fast_bucket_expression()
        elif facet.kind == "fk":
            expr = F(f"{facet.field}_id")
        else:
            hop, rest = _first_hop(model, facet.field)
            if hop is not None:
                hops[facet.key] = (hop, rest)
                expr = F(hop.attname)
            else:
                expr = F(facet.field)
        keys[facet.key] = (alias, expr)
        annotations[alias] = expr

    by_key = {f.key: f for f in config.facets}
    # Grouping sets: small facets share one while the product of their sizes allows, others alone.
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

    found: dict[str, dict] = {key: {} for key in keys}
    total = 0
    m2m = [f for f in config.facets if f.kind == "m2m"]
    m2m_found: dict[str, dict] = {f.key: {} for f in m2m}
    if not _is_empty(scan):
        # With a search the scan is the expensive part: the tags are counted from the same scanned rows
        # (one statement, the rows materialized once) instead of a second statement scanning again.
        # The tags are counted from the same scanned rows (one statement, the rows materialized once)
        # when their counts depend on the selection or a search makes the scan expensive; otherwise a
        # second plain statement is cheaper (measured).
        together = bool(m2m) and (joint_m2m or n_sel > 0)
        fields = ["rid", *annotations, *preds]
        inner = scan.order_by().annotate(**annotations, **preds, rid=F("pk")).values(*fields)
        try:
            inner_sql, inner_params = inner.query.sql_with_params()
        except EmptyResultSet:
            inner_sql = None
        if inner_sql is not None:
            aliases = [keys[k][0] for k in keys]
            qn = conn.ops.quote_name
            cols = ", ".join(qn(a) for a in aliases)
            grouping = ", ".join(
                "(" + ", ".join([*(qn(keys[k][0]) for k in s), qn("fail")]) + ")" for s in sets)
            position = {k: j for j, k in enumerate(keys)}
            n_keys = len(aliases)
            # OFFSET 0 keeps PostgreSQL from inlining the predicates into `fail` (they would run again)
            scanned = f"(SELECT *, {fail_sql} AS {qn('fail')} FROM ({inner_sql} OFFSET 0) s0{keep_sql})"
            if together:
                branches = []
                for i, facet in enumerate(m2m):
                    through, source, target = _m2m_columns(facet, model)
                    branches.append(
                        f"SELECT {', '.join(['NULL'] * n_keys)}, s.{qn('fail')}, -1, COUNT(*), t.{qn(target)}, {i} "
                        f"FROM s JOIN {qn(through)} t ON t.{qn(source)} = s.{qn('rid')} GROUP BY t.{qn(target)}, "
                        f"s.{qn('fail')}")
                sql = (f"WITH s AS MATERIALIZED {scanned} "
                       f"SELECT {cols}, {qn('fail')}, GROUPING({cols}), COUNT(*), NULL::bigint, NULL::integer FROM s "
                       f"GROUP BY GROUPING SETS ({grouping}) UNION ALL " + " UNION ALL ".join(branches))
            else:
                sql = (f"SELECT {cols}, {qn('fail')}, GROUPING({cols}), COUNT(*) FROM {scanned} s "
                       f"GROUP BY GROUPING SETS ({grouping})")
            set_of_mask = {}
            for s_index, s in enumerate(sets):
                members = {position[k] for k in s}
                mask = sum(1 << (n_keys - 1 - j) for j in range(n_keys) if j not in members)
                set_of_mask[mask] = s_index
            # The planner overestimates the groups of a joint grouping set and would sort for it (on
            # disk, with the default 4 MB); the hash tables really take a few MB.
            rows = _fetch(scan.db, sql, inner_params, version, work_mem=WORK_MEM)
            for row in rows:
                values, failed, mask, n = row[:n_keys], row[n_keys], row[n_keys + 1], row[n_keys + 2]
                if mask == -1:  # an m2m branch
                    facet = m2m[row[n_keys + 4]]
                    if failed == 0 or failed == number.get(facet.key):
                        counts = m2m_found[facet.key]
                        counts[row[n_keys + 3]] = counts.get(row[n_keys + 3], 0) + n
                    continue
                s = sets[set_of_mask[mask]]
                if set_of_mask[mask] == 0 and failed == 0:
                    total += n
                for k in s:
                    if failed == 0 or failed == number.get(k):
                        v = values[position[k]]
                        found[k][v] = found[k].get(v, 0) + n
        if not together:  # nothing selected: every scanned row counts
            for facet in m2m:
                m2m_found[facet.key] = _m2m_counts(facet, model, scan, version)

    results = []
    for facet in config.facets:
        chosen = selection.get(facet.key, [])
        if facet.kind == "m2m":
            counts = m2m_found[facet.key]
            results.append((facet, facet.values(counts, chosen, facet.labels(model, counts))))
            continue
        counts = found[facet.key]
        if facet.key in hops:
            hop, rest = hops[facet.key]
            mapping = dict(hop.related_model._default_manager.filter(pk__in=[k for k in counts if k is not None])
                           .values_list("pk", rest))
            merged: dict = {}
            for k, n in counts.items():
                v = mapping.get(k) if k is not None else None
                merged[v] = merged.get(v, 0) + n
            counts = merged
        labels = facet.labels(model, counts) if facet.kind == "fk" else None
        results.append((facet, facet.values(counts, chosen, labels)))
    if not keys:
        return results, None
    return results, total


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


# --- caching that stays correct ----------------------------------------------------------------------
#
# A count is cached under the exact statement that computed it and the side's *data version*: a
# number that statement-level triggers raise, in the writing transaction itself, on every INSERT,
# UPDATE, DELETE or TRUNCATE of the tables the counts read (see `version_sql`). Readers see the
# version and the rows of the same committed state, so a cached count is never older than its key;
# any committed write changes the key. Date buckets are literal bounds in the statement, so a new
# day is a new statement. Only results read outside a transaction are cached (what they saw is
# committed), and never on a search (it also reads patrons and partners). Without the table (SQLite,
# or before the migration) nothing is cached.

VERSION_TABLE = "illdesk_tasklist_version"
VERSION_SHARDS = 64  # writers bump the row of their backend (pid % shards): no lock queue among writers
CACHE_SECONDS = 3600
_version_table: dict[str, bool] = {}  # database alias -> the table exists (looked up once per process)


def version_tables(config: TaskListConfig) -> list[str]:
    """The tables whose writes can change a side's counts: the requests, the m2m tables of m2m facets
    and the tables a facet reads through a foreign key (pickup location kind)."""
    model = config.model
    tables = [model._meta.db_table]
    for facet in config.facets:
        if facet.kind == "m2m":
            tables.append(model._meta.get_field(facet.field).remote_field.through._meta.db_table)
        elif "__" in facet.field:
            hop, _rest = _first_hop(model, facet.field)
            if hop is not None:
                tables.append(hop.related_model._meta.db_table)
    return list(dict.fromkeys(tables))


def _trigger_name(table: str) -> str:
    return f"tlv_{table}"[:63]


def version_table_sql() -> list[str]:
    """The DDL (PostgreSQL) of the version table and the trigger function both sides share
    (illdesk migration 0002); each side then adds its rows and triggers (`version_side_sql`)."""
    return [
        f"CREATE TABLE {VERSION_TABLE} (side varchar(20) NOT NULL, shard integer NOT NULL, "
        "version bigint NOT NULL DEFAULT 0, PRIMARY KEY (side, shard))",
        "CREATE FUNCTION illdesk_bump_tasklist_version() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE {VERSION_TABLE} SET version = version + 1 WHERE side = TG_ARGV[0] "
        f"AND shard = pg_backend_pid() % {VERSION_SHARDS}; RETURN NULL; END $$",
    ]


def version_table_reverse_sql() -> list[str]:
    return ["DROP FUNCTION IF EXISTS illdesk_bump_tasklist_version()", f"DROP TABLE IF EXISTS {VERSION_TABLE}"]


def version_side_sql(side: str, tables: list[str]) -> list[str]:
    """A side's shard rows and the statement triggers on `tables` (whose writes change its counts)."""
    # Shard 0 starts at the clock (microseconds): a table made again (migrations reversed and applied)
    # starts above any version a count cached before could carry.
    out = [f"INSERT INTO {VERSION_TABLE} (side, shard, version) SELECT '{side}', g.shard, CASE WHEN g.shard = 0 "
           "THEN (extract(epoch FROM clock_timestamp()) * 1000000)::bigint ELSE 0 END "
           f"FROM generate_series(0, {VERSION_SHARDS - 1}) AS g(shard)"]
    for table in tables:
        out.append(f'CREATE TRIGGER "{_trigger_name(table)}" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                   f"ON \"{table}\" FOR EACH STATEMENT EXECUTE FUNCTION illdesk_bump_tasklist_version('{side}')")
    return out


def version_side_reverse_sql(side: str, tables: list[str]) -> list[str]:
    return [*(f'DROP TRIGGER IF EXISTS "{_trigger_name(table)}" ON "{table}"' for table in tables),
            f"DELETE FROM {VERSION_TABLE} WHERE side = '{side}'"]


def version_sql(tables: dict[str, list[str]]) -> list[str]:
    """All of the data version's DDL at once: {side: [tables whose writes change its counts]}. The
    migrations run the same statements in pieces; `version_reverse_sql` undoes it."""
    out = version_table_sql()
    for side, names in tables.items():
        out += version_side_sql(side, names)
    return out


def version_reverse_sql(tables: dict[str, list[str]]) -> list[str]:
    out = [f'DROP TRIGGER IF EXISTS "{_trigger_name(table)}" ON "{table}"'
           for names in tables.values() for table in names]
    return [*out, *version_table_reverse_sql()]


def forget_version_table() -> None:
    """Look for the version table again (tests that create or drop it)."""
    _version_table.clear()


def data_version(db: str, side: str) -> int | None:
    """The side's data version, or None when counts are not to be cached (no table, in a transaction)."""
    conn = connections[db]
    if conn.vendor != "postgresql" or conn.in_atomic_block:
        return None
    present = _version_table.get(db)
    if present is None:
        with conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [VERSION_TABLE])
            present = _version_table[db] = bool(cursor.fetchone()[0])
    if not present:
        return None
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(version), 0) FROM {VERSION_TABLE} WHERE side = %s", [side])
        return int(cursor.fetchone()[0])


def _fetch(db: str, sql: str, params, version: int | None, work_mem: str | None = None) -> list:
    """The statement's rows: from the cache when the same statement already ran on this data version."""
    key = None
    if version is not None:
        digest = hashlib.sha256(f"{connections[db].settings_dict['NAME']}|{sql}|{params!r}".encode()).hexdigest()
        key = f"illdesk.tasklist:{version}:{digest}"
        rows = cache.get(key)
        if rows is not None:
            return rows
    conn = connections[db]
    if work_mem and conn.vendor == "postgresql":
        with transaction.atomic(using=db), conn.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    if key is not None:
        cache.set(key, rows, CACHE_SECONDS)
    return rows


_LOOK_UP = object()


def run(config: TaskListConfig, params, user, base: QuerySet, page_size: int = 25,
        version=_LOOK_UP) -> TaskListResult:
    """The list for the query string `params`. `version`: the side's data version when the caller has
    already read it (`data_version`), so a page reads it once."""
    model = config.model
    selection = {f.key: [no_nul(v) for v in params.getlist(f.key) if v] for f in config.facets}
    selection = {k: v for k, v in selection.items() if v}
    search = params.get("q", "").strip()[:200]
    search_field = params.get("qf", "")
    activity = params.get("activity", "active")
    if activity not in ("active", "completed", "all"):
        activity = "active"
    preset_key = params.get("preset", "")
    preset = next((p for p in config.presets if p.key == preset_key), None)
    vendor = _vendor(base)

    base = base.filter(removed_at__isnull=True)
    active_base = base.filter(is_active=True)
    search_q = _search_q(config, search, search_field, vendor)

    # All and Completed stay empty until there is a search term: completed history is huge.
    # A predefined filter is narrow by itself and may show completed requests (cancelled by partner).
    needs_search = activity != "active" and not search and preset is None
    if preset is not None:
        scoped = base
    elif activity == "active":
        scoped = active_base
    elif activity == "completed":
        scoped = base.filter(is_active=False)
    else:
        scoped = base
    if needs_search:
        scoped = scoped.none()
    scoped = _with_search_doc(scoped, config, vendor).filter(search_q)
    if preset is not None:
        scoped = scoped.filter(preset.q(user))

    facet_qs = {f.key: f.q(selection.get(f.key, []), model) for f in config.facets}
    rows = scoped
    for q in facet_qs.values():
        rows = rows.filter(q)

    if version is _LOOK_UP:
        version = data_version(base.db, model._meta.app_label) if vendor == "postgresql" else None
    if vendor == "postgresql":
        facet_results, total = _grouped_counts(config, scoped, selection, facet_qs,
                                               version=None if search else version, joint_m2m=bool(search))
    else:
        facet_results, total = _per_facet_counts(config, scoped, selection, facet_qs)

    preset_counts = _preset_counts(config, base, user, version)

    activity_counts: dict[str, int | None] = {"active": None, "completed": None, "all": None}
    if search:
        totals = _with_search_doc(base, config, vendor).filter(search_q).aggregate(
            active=Count("pk", filter=Q(is_active=True)), completed=Count("pk", filter=Q(is_active=False))
        )
        activity_counts = {**totals, "all": totals["active"] + totals["completed"]}

    sort = params.get("sort", config.default_sort)
    key = sort.lstrip("-")
    if key not in config.sorts:
        sort, key = config.default_sort, config.default_sort.lstrip("-")
    order = config.sorts[key]
    desc = sort.startswith("-")
    ordering = [f"-{order}" if desc else order, "-pk" if desc else "pk"]
    rows = rows.order_by(*ordering)

    paginator = Paginator(rows, page_size)
    if total is not None:
        paginator.count = total  # counted with the facets: no COUNT(*) of its own
    page = paginator.get_page(params.get("page"))
    # The page's ids first (sorted and cut without joining anything), then those rows with what the
    # list shows: the joins never see more than a page, whatever the planner guesses about the filter.
    bottom = (page.number - 1) * paginator.per_page
    ids = list(rows.values_list("pk", flat=True)[bottom:bottom + paginator.per_page]) if paginator.count else []
    objects = (model._default_manager.filter(pk__in=ids).select_related(*config.select_related)
               .prefetch_related("tags", *config.prefetch_related)) if ids else []
    order = {pk: i for i, pk in enumerate(ids)}
    page.object_list = sorted(objects, key=lambda obj: order[obj.pk])
    return TaskListResult(
        page=page,
        facets=facet_results,
        presets=preset_counts,
        selection=selection,
        activity=activity,
        activity_counts=activity_counts,
        search=search,
        search_field=search_field,
        sort=sort,
        preset=preset.key if preset else "",
        needs_search=needs_search,
    )
