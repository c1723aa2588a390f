"""The statistics page's tables (and charts) built from the aggregates in `reports.stats`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from illdesk import sides
from illdesk.models import Format, RequestType
from illdesk.reasons import reason_label

from . import stats
from .tables import Chart, Table

# Colours the charts use for the outcomes (colour-blind safe, Okabe–Ito).
OUTCOME_COLOURS = {"filled": "#009E73", "unfilled": "#D55E00", "cancelled": "#999999", "in_process": "#0072B2"}
SIDE_COLOURS = {"borrowing": "#0072B2", "lending": "#E69F00"}
TOP_PARTNERS_CHARTED = 15


def _outcome_columns() -> list[str]:
    return [_("Requests"), *(str(stats.OUTCOME_LABELS[o]) for o in stats.OUTCOMES)]


def _outcome_cells(row: dict[str, Any]) -> list[int]:
    return [row["n"], *(row[o] for o in stats.OUTCOMES)]


def _outcome_datasets(rows: list[list[Any]]) -> list[dict[str, Any]]:
    return [{"label": str(stats.OUTCOME_LABELS[o]), "data": [r[i + 2] for r in rows],
             "color": OUTCOME_COLOURS[o]} for i, o in enumerate(stats.OUTCOMES)]


def _totals(rows: list[list[Any]], label_columns: int = 1) -> list[Any]:
    if not rows:
        return []
    width = len(rows[0])
    return [_("Total"), *([""] * (label_columns - 1)),
            *(sum(r[i] for r in rows) for i in range(label_columns, width))]


def days(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 86400, 2)


@dataclass
class Section:
    side: str
    title: str
    tables: list[Table] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    computed_at: datetime = field(default_factory=timezone.now)


def _volume_table(key: str, title: str, first: str, rows: list[tuple[str, dict[str, Any]]], *,
                  horizontal: bool = False, chart_limit: int | None = None) -> Table:
    body = [[label, *_outcome_cells(row)] for label, row in rows]
    charted = body[:chart_limit] if chart_limit else body
    chart = Chart("bar", [r[0] for r in charted], _outcome_datasets(charted), stacked=True, horizontal=horizontal,
                  y_title=_("Requests")) if body else None
    return Table(key, title, [first, *_outcome_columns()], body, chart=chart, totals=_totals(body))


def _empty_row() -> dict[str, Any]:
    return {"n": 0, **{o: 0 for o in stats.OUTCOMES}}


def _reason_text(side: str, outcome: str, reason: str) -> str:
    from illdesk.aliases import builtin_label

    if not reason:
        return _("No reason recorded") if outcome == "unfilled" else ""
    from illdesk.models import status_choices

    if reason in dict(status_choices(side)):
        return builtin_label(side, reason)
    return reason_label(reason)


def volume_tables(spec: stats.SideSpec, period: stats.Period, title: str) -> list[Table]:
    from partners.models import Partner

    found = stats.volumes(spec, period)
    side = spec.name
    by_month = {r["month"]: r for r in found["month"]}
    months = [(m, by_month.get(m, _empty_row())) for m in period.months()]
    ids = [r["partner_id"] for r in found["partner"] if r["partner_id"] is not None]
    names = dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name"))
    partners = sorted(found["partner"], key=lambda r: (-r["n"], names.get(r["partner_id"], "")))
    partner_rows = [(names.get(r["partner_id"], _("No partner")) if r["partner_id"] else _("No partner"), r)
                    for r in partners]
    formats = dict(Format.choices)
    format_rows = [(str(formats.get(r["requested_format"], r["requested_format"])), r)
                   for r in sorted(found["format"], key=lambda r: -r["n"])]
    types = dict(RequestType.choices)
    type_rows = [(str(types.get(r["request_type"], r["request_type"])), r)
                 for r in sorted(found["type"], key=lambda r: -r["n"])]
    outcome_order = {o: i for i, o in enumerate(stats.OUTCOMES)}
    outcomes = sorted(found["outcome"], key=lambda r: (outcome_order[r["outcome"]], -r["n"]))
    total = sum(r["n"] for r in outcomes)
    outcome_rows = [[str(stats.OUTCOME_LABELS[r["outcome"]]), _reason_text(side, r["outcome"], r["reason"] or ""),
                     r["n"], round(100 * r["n"] / total, 1) if total else 0.0] for r in outcomes]
    per_outcome = {o: sum(r["n"] for r in outcomes if r["outcome"] == o) for o in stats.OUTCOMES}
    outcome_chart = Chart("doughnut", [str(stats.OUTCOME_LABELS[o]) for o in stats.OUTCOMES],
                          [{"label": _("Requests"), "data": [per_outcome[o] for o in stats.OUTCOMES],
                            "colors": [OUTCOME_COLOURS[o] for o in stats.OUTCOMES]}]) if total else None
    outcome_table = Table(f"{side}-outcome", _("%(side)s: outcome") % {"side": title},
                          [_("Outcome"), _("Reason"), _("Requests"), _("Share %")], outcome_rows,
                          chart=outcome_chart,
                          totals=[_("Total"), "", total, 100.0 if total else 0.0] if total else None,
                          meta={"per_outcome": per_outcome})
    return [
        _volume_table(f"{side}-month", _("%(side)s: requests by month") % {"side": title}, _("Month"), months),
        outcome_table,
        _volume_table(f"{side}-partner", _("%(side)s: requests by partner") % {"side": title}, _("Partner"),
                      partner_rows, horizontal=True, chart_limit=TOP_PARTNERS_CHARTED),
        _volume_table(f"{side}-format", _("%(side)s: requests by requested format") % {"side": title},
                      _("Requested format"), format_rows),
        _volume_table(f"{side}-type", _("%(side)s: requests by request type") % {"side": title},
                      _("Request type"), type_rows),
    ]


def milestone_labels(side: str) -> dict[str, str]:
    if side == "borrowing":
        return {"shipped": _("Request → shipped by the lender"), "received": _("Request → received"),
                "completed": _("Request → completed")}
    return {"shipped": _("Request → shipped"), "received": _("Request → received by the borrower"),
            "completed": _("Request → completed")}


def short_milestones() -> dict[str, str]:
    return {"shipped": _("Shipped"), "received": _("Received"), "completed": _("Completed")}


def turnaround_tables(spec: stats.SideSpec, period: stats.Period, title: str) -> list[Table]:
    found = stats.turnaround(spec, period, refresh_first=False)
    side = spec.name
    labels = milestone_labels(side)
    overall = []
    for ms in stats.MILESTONES:
        spread = found.get((None, ms))
        overall.append([labels[ms], spread.count if spread else 0, days(spread.median) if spread else None,
                        days(spread.p90) if spread else None, days(spread.mean) if spread else None])
    chart = Chart("bar", [r[0] for r in overall], [
        {"label": _("Median (days)"), "data": [r[2] for r in overall], "color": SIDE_COLOURS[side]},
        {"label": _("90th percentile (days)"), "data": [r[3] for r in overall], "color": "#CC79A7"},
    ], y_title=_("Days")) if any(r[1] for r in overall) else None
    summary_table = Table(f"{side}-turnaround", _("%(side)s: turnaround") % {"side": title},
                          [_("From request to"), _("Requests"), _("Median days"), _("90th pct. days"),
                           _("Mean days")], overall, chart=chart,
                          note=_("From the request date to the first time the request reached the status, "
                                 "taken from the request history. Completion counts filled requests only."))
    monthly = []
    for month in period.months():
        row: list[Any] = [month]
        for ms in stats.MILESTONES:
            spread = found.get((month, ms))
            row += [spread.count if spread else 0, days(spread.median) if spread else None,
                    days(spread.p90) if spread else None]
        monthly.append(row)
    columns = [_("Month")]
    short = short_milestones()
    for ms in stats.MILESTONES:
        columns += [_("%(m)s: n") % {"m": short[ms]}, _("%(m)s: median") % {"m": short[ms]},
                    _("%(m)s: p90") % {"m": short[ms]}]
    month_chart = Chart("line", [r[0] for r in monthly], [
        {"label": _("Median days: %(m)s") % {"m": labels[ms]},
         "data": [r[2 + 3 * i] for r in monthly], "color": list(OUTCOME_COLOURS.values())[i]}
        for i, ms in enumerate(stats.MILESTONES)
    ], y_title=_("Days")) if any(r[1] or r[4] or r[7] for r in monthly) else None
    month_table = Table(f"{side}-turnaround-month", _("%(side)s: turnaround by month") % {"side": title},
                        columns, monthly, chart=month_chart,
                        note=_("Days from the request date, for requests made in the month; p90: the 90th percentile."))
    return [summary_table, month_table]


def cost_table(spec: stats.SideSpec, period: stats.Period, title: str) -> Table:
    rows = []
    for r in stats.costs(spec, period):
        cost, shipping = r["cost"] or Decimal("0"), r["shipping"] or Decimal("0")
        rows.append([r["partner__name"] or _("No partner"), r["currency"], r["n"], cost, shipping, cost + shipping])
    return Table(f"{spec.name}-costs", _("%(side)s: costs recorded on requests") % {"side": title},
                 [_("Partner"), _("Currency"), _("Requests"), _("Cost"), _("Shipping cost"), _("Total")], rows)


def side_title(side: str) -> str:
    return sides.get(side).label()


CACHE_SECONDS = 600


def _version() -> tuple:
    """Changes whenever a request or its history changes (every transition touches both): three index
    lookups, so a cached result is never served for data that has moved on."""
    from borrowing.models import BorrowingRequest
    from illdesk.models import HistoryEvent
    from lending.models import LendingRequest

    return (BorrowingRequest.objects.aggregate(m=Max("updated_at"), n=Max("id")),
            LendingRequest.objects.aggregate(m=Max("updated_at"), n=Max("id")),
            HistoryEvent.objects.aggregate(n=Max("id"))["n"])


def _cache_key(period: stats.Period, sides: tuple[str, ...]) -> str:
    from django.db import connection

    raw = repr((connection.vendor, period, sides, translation.get_language(), _version()))
    return "reports:statistics:" + hashlib.sha256(raw.encode()).hexdigest()


def build(period: stats.Period, sides: Iterable[str] = ("borrowing", "lending"), *,
          fresh: bool = False) -> list[Section]:
    """The page's sections; cached (keyed on the data's version) so exports and reloads are instant."""
    sides = tuple(sides)
    key = _cache_key(period, sides)
    if not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    sections = _build(period, sides)
    cache.set(key, sections, getattr(settings, "ILLDESK_STATISTICS_CACHE_SECONDS", CACHE_SECONDS))
    return sections


def _build(period: stats.Period, sides: tuple[str, ...]) -> list[Section]:
    from .milestones import refresh

    refresh()  # once for both sides
    sections = []
    for side in sides:
        spec = stats.side_spec(side)
        title = side_title(side)
        tables = volume_tables(spec, period, title) + turnaround_tables(spec, period, title)
        tables.append(cost_table(spec, period, title))
        section = Section(side, title, tables)
        outcome = next(t for t in tables if t.key == f"{side}-outcome")
        per_outcome = outcome.meta["per_outcome"]
        total = sum(per_outcome.values())
        closed = per_outcome["filled"] + per_outcome["unfilled"]
        turn = next(t for t in tables if t.key == f"{side}-turnaround")
        section.summary = {
            "total": total,
            "filled": per_outcome["filled"],
            "fill_rate": round(100 * per_outcome["filled"] / closed, 1) if closed else None,
            "median_completed": turn.rows[2][2],
            "median_received": turn.rows[1][2],
        }
        sections.append(section)
    return sections


def overview_chart(sections: list[Section]) -> Chart | None:
    """Borrowing and lending side by side, month by month: the picture at a glance."""
    tables = {s.side: next(t for t in s.tables if t.key == f"{s.side}-month") for s in sections}
    if not tables or not any(t.rows for t in tables.values()):
        return None
    labels = [r[0] for r in next(iter(tables.values())).rows]
    return Chart("bar", labels, [{"label": side_title(side), "data": [r[1] for r in t.rows],
                                  "color": SIDE_COLOURS[side]} for side, t in tables.items()],
                 y_title=_("Requests"))


def find_table(sections: list[Section], key: str) -> Table | None:
    return next((t for s in sections for t in s.tables if t.key == key), None)
