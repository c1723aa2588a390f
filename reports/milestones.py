"""Keep `RequestMilestone` in step with the history: the first time each request was shipped,
received and completed, read from the status rows of the history (labels in every language).

History rows are only ever added, so the table is maintained incrementally: each refresh reads the
rows after the watermark (by primary key, an index range) and upserts the earliest timestamps. A
little overlap (`OVERLAP` ids) is re-read every time because a transaction that started earlier can
commit a row with a lower id after a later one; re-reading is harmless (the upsert keeps the
earliest time). `rebuild()` starts over, e.g. after status labels or their translations changed.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from . import sql
from .models import MilestoneWatermark, RequestMilestone

OVERLAP = 5_000
CHUNK = 1_000_000
ANALYZE_AFTER = 100_000
MILESTONES = ("shipped", "received", "completed")


def _earliest(column: str) -> str:
    """The earlier of the stored and the new time, NULL-safe on both databases (LEAST ignores NULLs
    only on PostgreSQL; SQLite's MIN() returns NULL for any NULL)."""
    table = sql.q(RequestMilestone._meta.db_table)
    old, new = f"{table}.{sql.q(column)}", f"excluded.{sql.q(column)}"
    return f"CASE WHEN {old} IS NULL THEN {new} WHEN {new} IS NULL OR {old} <= {new} THEN {old} ELSE {new} END"


def _statement() -> tuple[str, list]:
    from illdesk.models import HistoryEvent

    from .stats import side_spec, status_labels

    cases, case_params, cts, every = [], [], [], []
    per_side = []
    for side in ("borrowing", "lending"):
        spec = side_spec(side)
        ct = ContentType.objects.get_for_model(spec.model).pk
        cts.append(ct)
        per_side.append((ct, {m: status_labels(spec, spec.milestones[m]) for m in MILESTONES}))
    for milestone in MILESTONES:
        conditions = []
        for ct, labels in per_side:
            marks = ", ".join(["%s"] * len(labels[milestone]))
            conditions.append(f"(h.content_type_id = %s AND h.new_value IN ({marks}))")
            case_params += [ct, *labels[milestone]]
            every += [label for label in labels[milestone] if label not in every]
        cases.append(f"MIN(CASE WHEN {' OR '.join(conditions)} THEN h.at END)")
    table = sql.q(RequestMilestone._meta.db_table)
    columns = [f"{m}_at" for m in MILESTONES]
    statement = (
        f"INSERT INTO {table} (content_type_id, object_id, {', '.join(sql.q(c) for c in columns)}) "
        f"SELECT h.content_type_id, h.object_id, {', '.join(cases)} FROM {sql.q(HistoryEvent._meta.db_table)} h "
        f"WHERE h.id > %s AND h.id <= %s AND h.kind = %s AND h.content_type_id IN (%s, %s) "
        f"AND h.new_value IN ({', '.join(['%s'] * len(every))}) "
        "GROUP BY h.content_type_id, h.object_id "
        f"ON CONFLICT (content_type_id, object_id) DO UPDATE SET "
        + ", ".join(f"{sql.q(c)} = {_earliest(c)}" for c in columns)
    )
    # placeholders in order: the CASE conditions, then the WHERE clause (ids filled in per chunk)
    return statement, [case_params, [HistoryEvent.Kind.STATUS, *cts, *every]]


def refresh() -> int:
    """Bring the milestones up to date with the history; returns the history ids scanned."""
    from illdesk.models import HistoryEvent

    with transaction.atomic():
        mark, _created = MilestoneWatermark.objects.select_for_update().get_or_create(pk=1)
        top = HistoryEvent.objects.aggregate(m=Max("id"))["m"] or 0
        start = max(mark.last_history_id - OVERLAP, 0)
        statement, (case_params, where_params) = _statement()
        with connection.cursor() as cursor:
            low = start
            while low < top:
                high = min(low + CHUNK, top)
                cursor.execute(statement, [*case_params, low, high, *where_params])
                low = high
        MilestoneWatermark.objects.filter(pk=mark.pk).update(last_history_id=top, refreshed_at=timezone.now())
        if top - start > ANALYZE_AFTER and sql.is_postgres():
            # fresh planner statistics, or the first turnaround query after a big catch-up joins badly
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {sql.q(RequestMilestone._meta.db_table)}")
    return top - start


def rebuild() -> int:
    with transaction.atomic():
        RequestMilestone.objects.all().delete()
        MilestoneWatermark.objects.update(last_history_id=0, refreshed_at=None)
        return refresh()
