"""Statistics of both sides (SPEC §8, seed 004): volumes by month, partner, format, request type and
outcome, turnaround from the history timestamps, and recorded costs.

Everything is aggregated in the database: one grouping-sets query per side for the volumes, one
percentile query per side for turnaround, one for costs. Requests are counted in the period of their
request date (`created_at`), removed ones included (removal only hides a request from the task list).

Outcome of a request (exclusive, first match wins):
  filled     something was supplied (a supplied format is recorded; borrowing also "externally obtained")
  cancelled  cancelled by staff, patron or partner (borrowing) / by the borrower (lending)
  unfilled   closed without supply: rejected, expired, completed after the last partner said no
  in process everything else
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from . import sql

OUTCOMES = ("filled", "unfilled", "cancelled", "in_process")
OUTCOME_LABELS = {"filled": _("Filled"), "unfilled": _("Unfilled"), "cancelled": _("Cancelled"),
                  "in_process": _("In process")}
MILESTONES = ("shipped", "received", "completed")


@dataclass(frozen=True)
class Period:
    """Request dates from `start` to `end`, both included, in the library's time zone."""

    start: date
    end: date
    library_id: int | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        lo = datetime.combine(self.start, datetime.min.time(), tzinfo=tz)
        hi = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        return lo, hi

    def months(self) -> list[str]:
        result, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            result.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return result


@dataclass(frozen=True)
class SideSpec:
    name: str
    model: type
    filled: Q
    cancelled: Q
    unfilled: Q
    reason: Callable[[], Any]  # builds the reason expression
    milestones: dict[str, tuple[str, ...]]  # milestone → status codes whose first entry marks it

    def outcome(self) -> Case:
        return Case(
            When(self.filled, then=Value("filled")),
            When(self.cancelled, then=Value("cancelled")),
            When(self.unfilled, then=Value("unfilled")),
            default=Value("in_process"),
            output_field=CharField(),
        )


def _borrowing() -> SideSpec:
    from borrowing.models import BorrowingRequest, RotaEntry
    from borrowing.statuses import Status as S

    filled = ~Q(supplied_format="") | Q(status=S.EXTERNALLY_OBTAINED)
    cancelled = Q(status__in=[S.CANCELLED, S.CANCELLED_BY_PATRON, S.CANCELLED_BY_PARTNER])
    unfilled = Q(status__in=[S.COMPLETED, S.EXPIRED, S.EXPORTED_TO_THIRD_PARTY])

    def reason():
        last_reject = (RotaEntry.objects.filter(request=OuterRef("pk"), state=RotaEntry.State.REJECTED)
                       .exclude(reject_reason="").order_by("-position").values("reject_reason")[:1])
        return Case(
            When(Q(supplied_format="", status=S.EXTERNALLY_OBTAINED), then=Value(S.EXTERNALLY_OBTAINED.value)),
            When(filled, then=Value("")),
            When(cancelled, then=F("status")),
            When(Q(status__in=[S.EXPIRED, S.EXPORTED_TO_THIRD_PARTY]), then=F("status")),
            When(unfilled, then=Coalesce(Subquery(last_reject), Value(""))),
            default=Value(""),
            output_field=CharField(),
        )

    return SideSpec("borrowing", BorrowingRequest, filled, cancelled, unfilled, reason, {
        "shipped": (S.SHIPPED_PHYSICALLY, S.SHIPPED_DIGITALLY),
        "received": (S.RECEIVED_PHYSICALLY, S.RECEIVED_DIGITALLY, S.RECEIVED_NON_RETURNABLE),
        "completed": (S.COMPLETED, S.RECEIVED_DIGITALLY),
    })


def _lending() -> SideSpec:
    from lending.models import LendingRequest
    from lending.statuses import Status as S

    filled = ~Q(supplied_format="")
    cancelled = Q(status=S.CANCELLED)
    unfilled = Q(status__in=[S.REJECTED, S.EXPIRED, S.COMPLETED])

    def reason():
        return Case(
            When(filled, then=Value("")),
            When(cancelled, then=F("status")),
            When(Q(status=S.EXPIRED), then=F("status")),
            When(unfilled, then=F("reject_reason")),
            default=Value(""),
            output_field=CharField(),
        )

    return SideSpec("lending", LendingRequest, filled, cancelled, unfilled, reason, {
        "shipped": (S.SHIPPED_PHYSICALLY, S.SHIPPED_DIGITALLY),
        "received": (S.RECEIVED_BY_PARTNER,),
        "completed": (S.COMPLETED, S.SHIPPED_DIGITALLY),
    })


def side_spec(name: str) -> SideSpec:
    if name == "borrowing":
        return _borrowing()
    if name == "lending":
        return _lending()
    raise ValueError(name)


def requests_in(spec: SideSpec, period: Period) -> QuerySet:
    lo, hi = period.bounds()
    qs = spec.model.objects.filter(created_at__gte=lo, created_at__lt=hi)
    if period.library_id:
        qs = qs.filter(owner_id=period.library_id)
    return qs.order_by()


def month_key(value: Any) -> str:
    """TruncMonth comes back as a datetime (PostgreSQL) or text (SQLite, through raw SQL): "YYYY-MM"."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    return str(value)[:7]


# --- volumes -------------------------------------------------------------------------------------------


GROUPINGS = {
    "month": ["month"],
    "partner": ["partner_id"],
    "format": ["requested_format"],
    "type": ["request_type"],
    "outcome": ["outcome", "reason"],
}


def volumes(spec: SideSpec, period: Period) -> dict[str, list[dict[str, Any]]]:
    """Per grouping: rows with the group's columns, `n` and a count per outcome."""
    qs = requests_in(spec, period).annotate(
        month=TruncMonth("created_at"), outcome=spec.outcome(), reason=spec.reason(),
    ).values("month", "partner_id", "requested_format", "request_type", "outcome", "reason")
    base_sql, params = sql.compiled(qs)
    sums = {o: f"b.{sql.q('outcome')} = '{o}'" for o in OUTCOMES}
    rows = sql.grouping_sets(base_sql, params, GROUPINGS, sums)
    for row in rows["month"]:
        row["month"] = month_key(row["month"])
    return rows


# --- turnaround -------------------------------------------------------------------------------------------


def status_labels(spec: SideSpec, statuses: tuple[str, ...]) -> list[str]:
    """History rows hold status labels in the language of whoever made the change: every language's."""
    from django.conf import settings

    choices = dict(spec.model._meta.get_field("status").choices)
    labels = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels.update(str(choices[s]) for s in statuses)
    return sorted(labels)


def _duration(later: str, earlier: str) -> str:
    if sql.is_postgres():
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def turnaround(spec: SideSpec, period: Period, *, refresh_first: bool = True) -> dict[tuple[Any, str], sql.Spread]:
    """Request date → first shipped / received / completed status, per month and overall.

    {(month or None, milestone): Spread}. Completion counts only filled requests. The first times come
    from `RequestMilestone` (the history, condensed; brought up to date first)."""
    from .milestones import refresh
    from .models import RequestMilestone

    if refresh_first:
        refresh()
    qs = requests_in(spec, period).annotate(
        grp=TruncMonth("created_at"), filled=ExpressionWrapper(spec.filled, output_field=BooleanField()),
    ).values("id", "created_at", "grp", "filled")
    r_sql, r_params = sql.compiled(qs)
    ct = ContentType.objects.get_for_model(spec.model)
    durations = []
    for milestone in MILESTONES:
        column = f"m.{sql.q(milestone + '_at')}"
        d = _duration(column, f"r.{sql.q('created_at')}")
        guard = f"{column} IS NOT NULL AND {d} >= 0"
        if milestone == "completed":
            guard += f" AND r.{sql.q('filled')}"
        durations.append(f"CASE WHEN {guard} THEN {d} END AS {sql.q(milestone)}")
    values_sql = (
        f"SELECT r.{sql.q('grp')} AS grp, {', '.join(durations)} FROM ({r_sql}) r "
        f"JOIN {sql.q(RequestMilestone._meta.db_table)} m ON m.object_id = r.id AND m.content_type_id = %s"
    )
    found = sql.spreads(values_sql, (*r_params, ct.pk), MILESTONES)
    return {(month_key(grp) if grp is not None else None, ms): spread for (grp, ms), spread in found.items()}


# --- costs --------------------------------------------------------------------------------------------------


def costs(spec: SideSpec, period: Period) -> list[dict[str, Any]]:
    """Cost and shipping cost recorded on requests, per partner and currency."""
    qs = requests_in(spec, period).filter(Q(cost__isnull=False) | Q(shipping_cost__isnull=False))
    rows = (qs.values("partner_id", "partner__name", "currency")
            .annotate(n=Count("pk"), cost=Sum("cost"), shipping=Sum("shipping_cost"))
            .order_by("partner__name", "currency"))
    return list(rows)
