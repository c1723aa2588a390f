"""The generic faceted task list both sides configure.

Selection lives in the query string: one parameter per facet (repeatable: values OR-ed, facets
AND-ed), `q`/`qf` for the secondary search, `activity`, `preset`, `sort`, `page`. Facet counts are
disjunctive: each facet is counted over the list filtered by every *other* facet, so choosing a
value never hides its siblings. One grouped query per facet, whatever the row count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.paginator import Paginator
from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
            ids = [int(v) for v in values if v.isdigit()]
            q = Q(**{f"{self.field}_id__in": ids}) if ids else Q(pk__in=[])
            if "none" in values:
                q |= Q(**{f"{self.field}__isnull": True})
            return q
        if self.kind == "m2m":
            ids = [int(v) for v in values if v.isdigit()]
            through = model._meta.get_field(self.field).remote_field.through
            source = f"{model._meta.model_name}_id"
            return Q(Exists(through.objects.filter(**{source: OuterRef("pk"), "tag_id__in": ids})))
        if self.kind in ("past_date", "future_date"):
            q = Q(pk__in=[])
            for v in values:
                q |= self._bucket_q(v)
            return q
        raise ValueError(self.kind)

    def _bucket_q(self, bucket: str) -> Q:
        f = self.field
        today = _today()
        if self.kind == "past_date":
            t0 = _start_of(today)
            bounds = {
                "today": (t0, None),
                "yesterday": (t0 - timedelta(days=1), t0),
                "2_3_days": (t0 - timedelta(days=3), t0 - timedelta(days=1)),
                "4_7_days": (t0 - timedelta(days=7), t0 - timedelta(days=3)),
                "8_30_days": (t0 - timedelta(days=30), t0 - timedelta(days=7)),
                "older": (None, t0 - timedelta(days=30)),
            }
        else:
            if bucket == "none":
                return Q(**{f"{f}__isnull": True})
            bounds = {
                "past": (None, today),
                "today": (today, today + timedelta(days=1)),
                "next_7_days": (today + timedelta(days=1), today + timedelta(days=8)),
                "next_30_days": (today + timedelta(days=8), today + timedelta(days=31)),
                "later": (today + timedelta(days=31), None),
            }
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

    def counts(self, qs: QuerySet, selected: list[str]) -> list[FacetValue]:
        chosen = set(selected)
        if self.kind == "value":
            rows = qs.order_by().exclude(**{self.field: ""}).values_list(self.field).annotate(n=Count("pk"))
            values = [FacetValue(str(k), str(k), n, str(k) in chosen) for k, n in rows if k]
            return sorted(values, key=lambda v: (-v.count, v.label))
        if self.kind in ("choice", "bool"):
            rows = qs.order_by().values_list(self.field).annotate(n=Count("pk"))
            found = {("yes" if k else "no") if self.kind == "bool" else self._from_db(k): n for k, n in rows}
            choices = BOOL_CHOICES if self.kind == "bool" else (self.choices or [])
            return [
                FacetValue(str(k), str(label), found.get(k, 0), str(k) in chosen)
                for k, label in choices
                if found.get(k) or str(k) in chosen
            ]
        if self.kind in ("past_date", "future_date"):
            rows = qs.order_by().annotate(_bucket=self.bucket_expression()).values_list("_bucket").annotate(
                n=Count("pk")
            )
            found = dict(rows)
            buckets = PAST_BUCKETS if self.kind == "past_date" else FUTURE_BUCKETS
            return [
                FacetValue(k, str(label), found.get(k, 0), k in chosen)
                for k, label in buckets
                if found.get(k) or k in chosen
            ]
        if self.kind in ("fk", "m2m"):
            id_field = f"{self.field}_id" if self.kind == "fk" else f"{self.field}__id"
            label_lookups = [f"{self.field}__{name}" for name in self.label_fields]
            rows = qs.order_by().values_list(id_field, *label_lookups).annotate(n=Count("pk"))
            result = []
            for row in rows:
                pk, labels, n = row[0], row[1:-1], row[-1]
                if pk is None:
                    if self.include_none is None:
                        continue
                    result.append(FacetValue("none", str(self.include_none), n, "none" in chosen))
                    continue
                label = " ".join(str(part) for part in labels if part) or str(pk)
                result.append(FacetValue(str(pk), label, n, str(pk) in chosen))
            result.sort(key=lambda v: (-v.count, v.label))
            return result
        raise ValueError(self.kind)


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


def _search_q(config: TaskListConfig, text: str, field_key: str) -> Q:
    text = text.strip()
    if not text:
        return Q()
    fields = [f for f in config.search_fields if f.key == field_key] or config.search_fields
    q = Q()
    for sf in fields:
        for lookup in sf.lookups:
            if lookup == "pk":
                if text.isdigit():
                    q |= Q(pk=int(text))
                continue
            q |= Q(**{f"{lookup}__icontains": text})
    return q


def run(config: TaskListConfig, params, user, base: QuerySet, page_size: int = 25) -> TaskListResult:
    model = config.model
    selection = {f.key: [v for v in params.getlist(f.key) if v] for f in config.facets}
    selection = {k: v for k, v in selection.items() if v}
    search = params.get("q", "").strip()[:200]
    search_field = params.get("qf", "")
    activity = params.get("activity", "active")
    if activity not in ("active", "completed", "all"):
        activity = "active"
    preset_key = params.get("preset", "")
    preset = next((p for p in config.presets if p.key == preset_key), None)

    base = base.filter(removed_at__isnull=True)
    active_base = base.filter(is_active=True)
    search_q = _search_q(config, search, search_field)

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
    scoped = scoped.filter(search_q)
    if preset is not None:
        scoped = scoped.filter(preset.q(user))

    facet_qs = {f.key: f.q(selection.get(f.key, []), model) for f in config.facets}
    rows = scoped
    for q in facet_qs.values():
        rows = rows.filter(q)

    facet_results = []
    for facet in config.facets:
        others = scoped
        for key, q in facet_qs.items():
            if key != facet.key:
                others = others.filter(q)
        facet_results.append((facet, facet.counts(others, selection.get(facet.key, []))))

    preset_counts = []
    if config.presets:
        aggregates = {p.key: Count("pk", filter=p.q(user)) for p in config.presets}
        totals = base.aggregate(**aggregates)
        preset_counts = [(p, totals[p.key]) for p in config.presets]

    activity_counts: dict[str, int | None] = {"active": None, "completed": None, "all": None}
    if search:
        totals = base.filter(search_q).aggregate(
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
    rows = (rows.select_related(*config.select_related)
            .prefetch_related("tags", *config.prefetch_related).order_by(*ordering))

    paginator = Paginator(rows, page_size)
    page = paginator.get_page(params.get("page"))
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
