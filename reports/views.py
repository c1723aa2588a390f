"""Statistics and the copyright report (managers see statistics; every operator the copyright report)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from illdesk.inputs import parse_pk
from illdesk.models import ResourceSharingLibrary
from illdesk.roles import is_manager, staff_required

from . import copyright, statistics
from .forms import PeriodForm, quick_ranges
from .tables import Table, csv_response, xlsx_response


def require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise PermissionDenied(_("Statistics and fees are for resource-sharing managers."))


def _period_query(form: PeriodForm) -> str:
    period = form.period()
    params = {"start": period.start.isoformat(), "end": period.end.isoformat()}
    if period.library_id:
        params["library"] = str(period.library_id)
    return urlencode(params)


@login_required
def statistics_page(request: HttpRequest) -> HttpResponse:
    require_manager(request)
    form = PeriodForm(request.GET or None)
    period = form.period()
    if not form.is_bound:
        form = PeriodForm(initial={"start": period.start, "end": period.end})
    sections = statistics.build(period, fresh=request.GET.get("fresh") == "1")
    context = {
        "form": form,
        "period": period,
        "library": ResourceSharingLibrary.objects.filter(pk=period.library_id).first() if period.library_id else None,
        "sections": sections,
        "overview": statistics.overview_chart(sections),
        "query": _period_query(form),
        "export_base": reverse("reports:export", args=["x", "csv"]).rsplit("x.csv", 1)[0],
        "ranges": [(label, urlencode({"start": s.isoformat(), "end": e.isoformat(),
                                      **({"library": period.library_id} if period.library_id else {})}))
                   for label, s, e in quick_ranges()],
    }
    return render(request, "reports/statistics.html", context)


@login_required
def statistics_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """One table as CSV or Excel, or every table as one workbook (`all.xlsx`)."""
    require_manager(request)
    period = PeriodForm(request.GET or None).period()
    stamp = f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if key == "all":
        if fmt != "xlsx":
            raise Http404(_("Every table together exists as an Excel workbook only."))
        sections = statistics.build(period)
        return xlsx_response([t for s in sections for t in s.tables], f"illdesk-statistics-{stamp}")
    table = statistics.find_table(statistics.build(period), key)  # the page's (cached) tables
    if table is None:
        raise Http404(_("No such table."))
    return _export(table, fmt, f"illdesk-{key}-{stamp}")


def _export(table: Table, fmt: str, name: str) -> HttpResponse:
    if fmt == "csv":
        return csv_response(table, name)
    if fmt == "xlsx":
        return xlsx_response([table], name)
    raise Http404(_("Export as csv or xlsx."))


# --- copyright --------------------------------------------------------------------------------------


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def copyright_table(rows: list[copyright.JournalRow], year: int) -> Table:
    return Table(f"copyright-{year}", _("Article copies per journal, %(year)s") % {"year": year},
                 [_("Library"), _("ISSN"), _("Journal"), _("Copies requested"), _("Limit"), _("Limit reached")],
                 [[r.library, r.issn, r.title, r.count, r.limit, r.reached] for r in rows])


@login_required
@staff_required  # operators, managers and administrators
def copyright_report(request: HttpRequest) -> HttpResponse:
    this_year = copyright.current_year()
    year = max(min(_int(request.GET.get("year"), this_year), this_year + 1), 1900)
    library_id = parse_pk(request.GET.get("library")) or None
    only_reached = request.GET.get("reached") == "1"
    rows = copyright.report(year, library_id=library_id, only_reached=only_reached)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
        return _export(copyright_table(rows, year), fmt, f"illdesk-copyright-{year}")
    params: dict[str, int] = {"year": year}
    if library_id:
        params["library"] = library_id
    if only_reached:
        params["reached"] = 1
    context = {
        "rows": rows, "year": year, "years": list(range(this_year, this_year - 6, -1)),
        "library_id": library_id, "libraries": ResourceSharingLibrary.objects.all(), "only_reached": only_reached,
        "query": urlencode(params), "limit": copyright.limit_for(library_id),
    }
    return render(request, "reports/copyright.html", context)
