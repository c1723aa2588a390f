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

The package, one module per job: `facets` (the facet model), `config` (what a side configures), `search`,
`counting`, `versioning` (the data version counts are cached under); `run` is here.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet

from ..inputs import no_nul
from .config import Preset, SearchField, TaskListConfig, TaskListResult
from .counting import _grouped_counts, _per_facet_counts, _preset_counts, _vendor, count_each
from .facets import BOOL_CHOICES, FUTURE_BUCKETS, PAST_BUCKETS, Facet, FacetValue
from .search import (
    SearchDocument,
    _search_q,
    _with_search_doc,
    search_document,
    search_document_fields,
    search_index_sql,
)
from .versioning import (
    VERSION_TABLE,
    data_version,
    forget_version_table,
    version_reverse_sql,
    version_side_reverse_sql,
    version_side_sql,
    version_sql,
    version_table_reverse_sql,
    version_table_sql,
    version_tables,
)

__all__ = [
    "BOOL_CHOICES", "FUTURE_BUCKETS", "PAST_BUCKETS", "VERSION_TABLE", "Facet", "FacetValue", "Preset",
    "SearchDocument", "SearchField", "TaskListConfig", "TaskListResult", "count_each", "data_version",
    "forget_version_table", "run", "search_document", "search_document_fields", "search_index_sql",
    "version_reverse_sql", "version_side_reverse_sql", "version_side_sql", "version_sql",
    "version_table_reverse_sql", "version_table_sql", "version_tables",
]


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
