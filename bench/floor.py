"""The floor: every count a task list page shows, computed by ONE hand-written SQL statement.

Written by hand, not through the ORM or illdesk.tasklist: it is the yardstick the app is measured
against, and its results are checked against the app's (a wrong floor would make a fast app look
right). One GROUPING SETS over the scanned rows (one grouping set per facet, as one would write it),
tags joined to the same rows, the predefined filters and (lending) the tab counts as scalar subqueries.

Disjunctive counts in one pass: the scan keeps the rows that fail at most one selected facet and
marks the facet they fail (`fail`); a facet counts the rows with fail 0 or its own number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

B = "borrowing_borrowingrequest"
L = "lending_lendingrequest"


@dataclass
class Spec:
    """A task list view in plain terms (what the query string says)."""

    side: str  # borrowing / lending
    facets: dict[str, list[str]] = field(default_factory=dict)
    activity: str = "active"
    search: str = ""
    search_field: str = ""
    preset: str = ""
    tab: str = "mine"  # lending
    user_id: int = 0


# --- facets: (kind, SQL column or expression) -------------------------------------------------------

BORROWING_FACETS = {
    "tag": ("m2m", None),
    "partner": ("fk_none", "r.partner_id"),
    "status": ("choice", "r.status"),
    "created": ("past", "r.created_at"),
    "updated": ("past", "r.updated_at"),
    "format": ("choice", "r.requested_format"),
    "supplied": ("supplied", "r.supplied_format"),
    "due": ("future", "r.due_date"),
    "interest": ("future", "r.last_interest_date"),
    "patron_info": ("bool", "r.patron_info_required"),
    "message": ("bool", "r.has_active_message"),
    "owner": ("fk", "r.owner_id"),
    "partner_note": ("bool", "r.has_partner_note"),
    "pickup": ("pickup", "pl.kind"),
    "level": ("fk", "r.level_of_service_id"),
    "user_group": ("fk", "r.patron_category_id"),
    "assignee": ("fk_none", "r.assignee_id"),
    "event": ("value", "r.event_name"),
}
LENDING_FACETS = {
    "status": ("choice", "r.status"),
    "printed": ("bool", "r.printed"),
    "reported": ("bool", "r.reported"),
    "partner": ("fk", "r.partner_id"),
    "created": ("past", "r.created_at"),
    "updated": ("past", "r.updated_at"),
    "format": ("choice", "r.requested_format"),
    "supplied": ("supplied", "r.supplied_format"),
    "due": ("future", "r.due_date"),
    "interest": ("future", "r.last_interest_date"),
    "owner": ("fk", "r.owner_id"),
    "level": ("fk", "r.level_of_service_id"),
    "alerts": ("bool", "r.has_alerts"),
}

BORROWING_PRESETS = {
    "new_without_partner": "r.status IN ('created', 'ready_to_send') AND r.partner_id IS NULL",
    "overdue": "r.status = 'overdue'",
    "cancelled_by_partner": "r.status = 'cancelled_by_partner'",
    "recalled": "r.status = 'recalled_by_partner'",
    "returned_by_patron": "r.status = 'returned_by_patron'",
    "messages": "r.has_active_message AND r.is_active",
    "notes": "r.has_active_note AND r.is_active",
}
_LENDING_BASE_PRESETS = {
    "new": "r.status = 'created'", "overdue": "r.status = 'overdue'", "recalled": "r.status = 'recalled'",
    "locate_failed": "r.status = 'locate_failed'", "messages": "r.has_active_message",
    "notes": "r.has_active_note",
}


def lending_presets() -> dict[str, str]:
    out = {}
    for key, cond in _LENDING_BASE_PRESETS.items():
        out[f"{key}_mine"] = f"{cond} AND r.assignee_id = %(user)s AND r.is_active"
        out[f"{key}_unassigned"] = f"{cond} AND r.assignee_id IS NULL AND r.is_active"
    return out


SEARCH = {  # qf -> (local columns, related: [(fk column, table, [columns])], pk)
    "borrowing": {
        "title": (["title", "chapter_title"], [], False),
        "author": (["author", "chapter_author"], [], False),
        "identifier": (["isbn", "issn", "doi", "pmid", "oclc_number"], [], False),
        "external_id": (["external_id"], [], False),
        "requester": (["unauthenticated_name"],
                      [("requester_id", "illdesk_patron", ["first_name", "last_name", "card_number"])], False),
        "partner": ([], [("partner_id", "partners_partner", ["name", "code"])], False),
        "id": ([], [], True),
    },
    "lending": {
        "title": (["title", "chapter_title"], [], False),
        "author": (["author", "chapter_author"], [], False),
        "identifier": (["isbn", "issn", "doi", "pmid", "oclc_number"], [], False),
        "external_id": (["external_id", "borrower_request_id"], [], False),
        "requester": (["requester_name"], [], False),
        "partner": ([], [("partner_id", "partners_partner", ["name", "code"])], False),
        "barcode": ([], [("item_id", "lending_item", ["barcode"])], False),
        "id": ([], [], True),
    },
}
DOCUMENT = {  # the trigram-indexed document (illdesk.tasklist.search_document_fields)
    "borrowing": ["title", "chapter_title", "author", "chapter_author", "isbn", "issn", "doi", "pmid",
                  "oclc_number", "external_id", "unauthenticated_name"],
    "lending": ["title", "chapter_title", "author", "chapter_author", "isbn", "issn", "doi", "pmid",
                "oclc_number", "external_id", "borrower_request_id", "requester_name"],
}


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _buckets(kind: str) -> dict[str, tuple]:
    today = timezone.localdate()
    if kind == "past":
        t0 = _day_start(today)
        d = timedelta
        return {"today": (t0, None), "yesterday": (t0 - d(days=1), t0), "2_3_days": (t0 - d(days=3), t0 - d(days=1)),
                "4_7_days": (t0 - d(days=7), t0 - d(days=3)), "8_30_days": (t0 - d(days=30), t0 - d(days=7)),
                "older": (None, t0 - d(days=30))}
    d = timedelta
    return {"past": (None, today), "today": (today, today + d(days=1)),
            "next_7_days": (today + d(days=1), today + d(days=8)),
            "next_30_days": (today + d(days=8), today + d(days=31)), "later": (today + d(days=31), None)}


class _Params:
    """Named parameters for psycopg's %(name)s style."""

    def __init__(self) -> None:
        self.values: dict = {}

    def add(self, value) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"%({name})s"


def _bucket_key(kind: str, col: str, p: _Params) -> str:
    b = _buckets(kind)
    if kind == "past":
        return (f"CASE WHEN {col} >= {p.add(b['today'][0])} THEN 'today' WHEN {col} >= {p.add(b['yesterday'][0])} "
                f"THEN 'yesterday' WHEN {col} >= {p.add(b['2_3_days'][0])} THEN '2_3_days' "
                f"WHEN {col} >= {p.add(b['4_7_days'][0])} THEN '4_7_days' WHEN {col} >= {p.add(b['8_30_days'][0])} "
                f"THEN '8_30_days' ELSE 'older' END")
    return (f"CASE WHEN {col} IS NULL THEN 'none' WHEN {col} < {p.add(b['past'][1])} THEN 'past' "
            f"WHEN {col} < {p.add(b['today'][1])} THEN 'today' WHEN {col} < {p.add(b['next_7_days'][1])} "
            f"THEN 'next_7_days' WHEN {col} < {p.add(b['next_30_days'][1])} THEN 'next_30_days' ELSE 'later' END")


def _predicate(side: str, key: str, kind: str, col: str | None, values: list[str], p: _Params) -> str | None:
    """The SQL for "this facet has one of these values", or None when nothing valid was chosen."""
    if kind == "m2m":
        ids = [int(v) for v in values if v.isdigit()]
        return f"r.id IN (SELECT t.borrowingrequest_id FROM {B}_tags t WHERE t.tag_id = ANY({p.add(ids)}))"
    if kind in ("fk", "fk_none"):
        ids = [int(v) for v in values if v.isdigit()]
        parts = [f"{col} = ANY({p.add(ids)})"] if ids else []
        if "none" in values:
            parts.append(f"{col} IS NULL")
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
    if kind == "bool":
        wanted = {v == "yes" for v in values if v in ("yes", "no")}
        if not wanted:
            return None
        return f"{col} = ANY({p.add(list(wanted))})"
    if kind == "supplied":
        return f"{col} = ANY({p.add(['' if v == 'undefined' else v for v in values])})"
    if kind in ("choice", "value", "pickup"):
        return f"{col} = ANY({p.add(list(values))})"
    if kind in ("past", "future"):
        bounds = _buckets(kind)
        parts = []
        for v in values:
            if kind == "future" and v == "none":
                parts.append(f"{col} IS NULL")
                continue
            if v not in bounds:
                continue
            lo, hi = bounds[v]
            cond = []
            if lo is not None:
                cond.append(f"{col} >= {p.add(lo)}")
            if hi is not None:
                cond.append(f"{col} < {p.add(hi)}")
            parts.append("(" + " AND ".join(cond) + ")")
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
    raise ValueError(kind)


def _search(side: str, text: str, qf: str, p: _Params) -> str:
    text = text.strip()
    fields = SEARCH[side]
    chosen = [fields[qf]] if qf in fields else list(fields.values())
    like = p.add(f"%{text.replace(chr(92), chr(92) * 2).replace('%', chr(92) + '%').replace('_', chr(92) + '_')}%")
    local = [c for cols, _rel, _pk in chosen for c in cols]
    arms = []
    if local:
        doc = " || chr(31) || ".join(f"r.{c}" for c in DOCUMENT[side])
        any_local = " OR ".join(f"UPPER(r.{c}) LIKE UPPER({like})" for c in local)
        # the document contains the text whenever a field does: the trigram index finds candidates
        arms.append(f"(UPPER(({doc})) LIKE UPPER({like}) AND ({any_local}))")
    for _cols, related, _pk in chosen:
        for fk, table, cols in related:
            cond = " OR ".join(f"UPPER(x.{c}) LIKE UPPER({like})" for c in cols)
            arms.append(f"r.{fk} = ANY(ARRAY(SELECT x.id FROM {table} x WHERE {cond}))")
    if any(pk for _c, _r, pk in chosen) and text.isdigit():
        arms.append(f"r.id = {p.add(int(text))}")
    return "(" + " OR ".join(arms) + ")" if arms else "TRUE"


def build(spec: Spec) -> tuple[str, dict]:
    side = spec.side
    table = B if side == "borrowing" else L
    facets = BORROWING_FACETS if side == "borrowing" else LENDING_FACETS
    presets = BORROWING_PRESETS if side == "borrowing" else lending_presets()
    p = _Params()
    user = p.add(spec.user_id)
    base = ["r.removed_at IS NULL"]
    if side == "lending":
        base.append({"mine": f"r.assignee_id = {user}", "unassigned": "r.assignee_id IS NULL",
                     "others": f"(r.assignee_id IS NOT NULL AND r.assignee_id <> {user})"}[spec.tab])
    scope = list(base)
    needs_search = spec.activity != "active" and not spec.search and not spec.preset
    if spec.preset:
        scope.append("(" + presets[spec.preset].replace("%(user)s", user) + ")")
    elif spec.activity == "active":
        scope.append("r.is_active")
    elif spec.activity == "completed":
        scope.append("NOT r.is_active")
    if needs_search:
        scope.append("FALSE")
    search = _search(side, spec.search, spec.search_field, p) if spec.search.strip() else None
    if search:
        scope.append(search)

    selected = []
    for key, values in spec.facets.items():
        kind, col = facets[key]
        pred = _predicate(side, key, kind, col, values, p)
        if pred is not None:
            selected.append((key, pred))
    number = {key: i for i, (key, _pred) in enumerate(selected, start=1)}
    preds = [pred for _key, pred in selected]

    def all_but(i):
        parts = [x for j, x in enumerate(preds) if j != i]
        return " AND ".join(parts) if parts else "TRUE"

    if len(preds) >= 2:
        scope.append("(" + " OR ".join(f"({all_but(i)})" for i in range(len(preds))) + ")")
    if len(preds) == 1:
        fail = f"CASE WHEN {preds[0]} THEN 0 ELSE 1 END"
    elif preds:
        fail = (f"CASE WHEN {' AND '.join(preds)} THEN 0 "
                + " ".join(f"WHEN {all_but(i)} THEN {i + 1}" for i in range(len(preds))) + " ELSE -1 END")
    else:
        fail = "0"

    keys = []
    for key, (kind, col) in facets.items():
        if kind == "m2m":
            continue
        expr = _bucket_key(kind, col, p) if kind in ("past", "future") else col
        keys.append((key, expr))
    select_keys = ", ".join(f"{expr} AS {key}" for key, expr in keys)
    names = ", ".join(key for key, _e in keys)
    sets = ", ".join(f"({key}, fail)" for key, _e in keys)
    join = " LEFT JOIN illdesk_pickuplocation pl ON pl.id = r.pickup_location_id" if side == "borrowing" else ""
    where = " AND ".join(scope)
    sql = [f"WITH s AS MATERIALIZED (SELECT r.id, {select_keys}, {fail} AS fail FROM {table} r{join} WHERE {where}),",
           f" f AS (SELECT {names}, fail, GROUPING({names}) AS g, count(*) AS n FROM s "
           f"GROUP BY GROUPING SETS ({sets}))"]
    outputs = ["(SELECT json_agg(f) FROM f)"]
    if side == "borrowing":
        sql.append(", t AS (SELECT tt.tag_id, s.fail, count(*) AS n FROM s JOIN "
                   f"{B}_tags tt ON tt.borrowingrequest_id = s.id GROUP BY 1, 2)")
        outputs.append("(SELECT json_agg(t) FROM t)")
    else:
        outputs.append("NULL")
    base_where = " AND ".join(base)
    for cond in presets.values():
        outputs.append(f"(SELECT count(*) FROM {table} r WHERE {base_where} AND {cond.replace('%(user)s', user)})")
    if search:
        outputs.append(f"(SELECT json_build_object('active', count(*) FILTER (WHERE r.is_active), 'completed', "
                       f"count(*) FILTER (WHERE NOT r.is_active)) FROM {table} r WHERE {base_where} AND {search})")
    else:
        outputs.append("NULL")
    if side == "lending":
        outputs.append(f"(SELECT json_build_object('mine', count(*) FILTER (WHERE r.assignee_id = {user}), "
                       f"'unassigned', count(*) FILTER (WHERE r.assignee_id IS NULL), 'others', count(*) FILTER "
                       f"(WHERE r.assignee_id IS NOT NULL AND r.assignee_id <> {user})) FROM {table} r "
                       "WHERE r.is_active AND r.removed_at IS NULL)")
    sql.append(" SELECT " + ", ".join(outputs))
    meta = {"keys": [k for k, _e in keys], "number": number, "presets": list(presets),
            "kinds": {k: kind for k, (kind, _c) in facets.items()}}
    return "".join(sql), {"params": p.values, "meta": meta}


def run(cursor, spec: Spec) -> tuple[str, dict]:
    sql, extra = build(spec)
    cursor.execute(sql, extra["params"])
    return cursor.fetchone(), extra["meta"]


def counts(row, meta) -> dict:
    """The floor's result as {facet: {value: count}} (values as the task list's query string has them),
    plus total, presets, activity and tab counts."""
    kinds = meta["kinds"]
    number = meta["number"]
    keys = meta["keys"]
    facets: dict[str, dict] = {k: {} for k in kinds}
    total = 0
    n_keys = len(keys)
    for rec in (row[0] if isinstance(row[0], list) else json.loads(row[0] or "[]")):
        mask = rec["g"]
        member = [j for j in range(n_keys) if not (mask >> (n_keys - 1 - j)) & 1]
        key = keys[member[0]]
        fail = rec["fail"]
        if member[0] == 0 and fail == 0:
            total += rec["n"]
        if fail != 0 and fail != number.get(key):
            continue
        value = _as_param(kinds[key], rec[key])
        if value is None:
            continue
        facets[key][value] = facets[key].get(value, 0) + rec["n"]
    tags = row[1] if isinstance(row[1], list) or row[1] is None else json.loads(row[1])
    for rec in tags or []:
        if rec["fail"] in (0, number.get("tag")):
            facets["tag"][str(rec["tag_id"])] = facets["tag"].get(str(rec["tag_id"]), 0) + rec["n"]
    n_presets = len(meta["presets"])
    presets = dict(zip(meta["presets"], row[2:2 + n_presets], strict=True))
    activity = row[2 + n_presets]
    tabs = row[3 + n_presets] if len(row) > 3 + n_presets else None
    return {"facets": {k: v for k, v in facets.items()}, "total": total, "presets": presets,
            "activity": activity, "tabs": tabs}


def _as_param(kind: str, value):
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "supplied":
        return "undefined" if value in ("", None) else value
    if kind == "fk_none":
        return "none" if value is None else str(value)
    if kind in ("fk",):
        return None if value is None else str(value)
    if kind == "value":
        return value or None
    return value
