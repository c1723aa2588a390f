"""Copyright tracking for article copies: the "rule of five" (CONTU guidelines).

Per borrowing library, journal (ISSN) and calendar year of the request, count the copies of articles
requested — articles published in the last `recent_years` years before the request (an article
without a year counts, to be safe), requests withdrawn by staff or the patron not counted. When the
count reaches the library's limit (default 5) the request page warns and the report flags the
journal: further copies need the publisher's permission or a fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from illdesk.models import RequestType

from .models import CopyrightRule

DEFAULT_LIMIT = 5
DEFAULT_RECENT_YEARS = 5


def clean_issn(value: str) -> str:
    """"0264-1615", "0264 1615" and "02641615" are one journal: "02641615"."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def display_issn(value: str) -> str:
    v = clean_issn(value)
    return f"{v[:4]}-{v[4:]}" if len(v) == 8 else v


def _normalised(field: str = "issn"):
    return Upper(Replace(Replace(field, Value("-"), Value("")), Value(" "), Value("")))


@dataclass(frozen=True)
class Limit:
    limit: int
    recent_years: int


def limit_for(library_id: int | None) -> Limit:
    rules = {r.library_id: r for r in CopyrightRule.objects.filter(Q(library_id=library_id) | Q(library__isnull=True))}
    rule = rules.get(library_id) or rules.get(None)
    if rule is None:
        return Limit(DEFAULT_LIMIT, DEFAULT_RECENT_YEARS)
    return Limit(rule.limit, rule.recent_years)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def counted(year: int, recent_years: int) -> QuerySet:
    """Article copies requested in `year` that count towards the limit (any library, any journal)."""
    from borrowing.models import BorrowingRequest
    from borrowing.statuses import Status

    lo, hi = _year_bounds(year)
    qs = (BorrowingRequest.objects.filter(request_type=RequestType.ARTICLE, created_at__gte=lo, created_at__lt=hi)
          .exclude(issn="").exclude(status__in=[Status.CANCELLED, Status.CANCELLED_BY_PATRON]))
    if recent_years:
        recent = Q(year="")
        for published in range(year - recent_years, year + 1):
            recent |= Q(year__startswith=str(published))
        qs = qs.filter(recent)
    return qs.order_by()


@dataclass(frozen=True)
class CopyrightStatus:
    issn: str
    year: int
    count: int
    limit: int

    @property
    def reached(self) -> bool:
        return self.count >= self.limit

    @property
    def over(self) -> bool:
        return self.count > self.limit


def status_for(req: Any) -> CopyrightStatus | None:
    """For a borrowing article request with an ISSN: how many copies of that journal its library asked
    for in the request's year (this one included). None when the rule does not apply."""
    if getattr(req, "_meta", None) is None or req._meta.app_label != "borrowing":
        return None
    issn = clean_issn(req.issn)
    if req.request_type != RequestType.ARTICLE or not issn:
        return None
    year = timezone.localtime(req.created_at).year
    rule = limit_for(req.owner_id)
    count = (counted(year, rule.recent_years).filter(owner_id=req.owner_id)
             .annotate(n_issn=_normalised()).filter(n_issn=issn).count())
    return CopyrightStatus(display_issn(issn), year, count, rule.limit)


@dataclass(frozen=True)
class JournalRow:
    library: str
    library_id: int
    issn: str
    title: str
    count: int
    limit: int

    @property
    def reached(self) -> bool:
        return self.count >= self.limit


def report(year: int, *, library_id: int | None = None, only_reached: bool = False) -> list[JournalRow]:
    """Per library and journal: copies requested in `year`; those at the limit first."""
    from illdesk.models import ResourceSharingLibrary

    libraries = dict(ResourceSharingLibrary.objects.values_list("pk", "name"))
    rows: list[JournalRow] = []
    library_ids = [library_id] if library_id else list(libraries)
    for lib in library_ids:  # one grouped query per library: each may have its own rule
        rule = limit_for(lib)
        grouped = (counted(year, rule.recent_years).filter(owner_id=lib).annotate(n_issn=_normalised())
                   .values("n_issn").annotate(n=Count("pk"), title=Max("title")).order_by("-n", "n_issn"))
        for g in grouped:
            if only_reached and g["n"] < rule.limit:
                continue
            rows.append(JournalRow(libraries.get(lib, ""), lib, display_issn(g["n_issn"]), g["title"], g["n"],
                                   rule.limit))
    rows.sort(key=lambda r: (not r.reached, r.library, -r.count, r.issn))  # the journals to act on first
    return rows


def current_year() -> int:
    return timezone.localdate().year
