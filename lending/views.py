"""The lending task list and request page (shared machinery in illdesk.requestviews), plus the lending
pages: the row actions that are pages of their own, Shipping Items, the print slip report, and the
lending bulk actions (remove alerts)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from illdesk import dialogs as common_dialogs
from illdesk import requestviews as rv
from illdesk.inputs import parse_pk, parse_pks, safe_next
from illdesk.requestviews import done
from illdesk.workflow import ActionRefused, RowAction

from . import actions, forms, inventory, printing
from .dialogs import DIALOGS, SIMPLE
from .models import BibRecord, FulfillmentRequest, Item, LendingRequest
from .statuses import REMOVABLE, Status
from .tasklist import CONFIG


@dataclass
class LendingSide(rv.Side):
    def actions_for(self, obj, user) -> list[RowAction]:
        """While another operator edits the request (seed 002 "Edit" lock), others can only view it."""
        if actions.lock_holder(obj, user) is not None:
            return []
        return super().actions_for(obj, user)


# --- helpers -----------------------------------------------------------------------------------------------


def refuse(request, message: str, status: int, pk: int | None = None) -> HttpResponse:
    return rv.refuse(request, message, status, SIDE, pk)


def _detail_url(pk: int) -> str:
    return reverse("lending:detail", args=[pk])


def _dialog_response(request, obj, spec, form, *, status: int = 200) -> HttpResponse:
    return rv.render_dialog(request, SIDE, obj, spec, form, status=status)


# --- row actions that are pages of their own (SIDE.pages; illdesk.requestviews.dialog serves them) ----------


def edit_page(request, obj, spec):
    """Opening Edit takes the edit lock (others then only view the request); saving releases it."""
    got, obj = actions.acquire_edit_lock(obj, request.user)
    if not got:
        raise ActionRefused(actions.lock_text(obj, request.user))
    form = forms.EditForm(request.POST or None, obj=obj, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            actions.edit(obj, by=request.user, changes=form.changes())
            return done(request, _("Saved."), _detail_url(obj.pk))
        return _dialog_response(request, obj, spec, form, status=200 if request.htmx else 400)
    return _dialog_response(request, obj, spec, form)


def duplicate_page(request, obj, spec):
    if request.method != "POST":
        return _dialog_response(request, obj, spec, None)
    copy = actions.duplicate(obj, by=request.user)
    return done(request, _("New request %(pk)s created as a copy: adjust its details.") % {"pk": copy.pk},
                reverse("lending:dialog", args=[copy.pk, "edit"]))


def ship_page_redirect(request, obj, spec):
    """Row action "Ship item" opens the Shipping Items page for this request."""
    target = reverse("lending:ship") + f"?request={obj.pk}"
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def print_slip_page(request, obj, spec):
    code = printing.slip_code(obj)
    if request.htmx or request.GET.get("download") is None:
        context = {"obj": obj, "side": SIDE, "spec": spec, "code": code,
                   "url": reverse("lending:dialog", args=[obj.pk, "print_slip"]) + "?download=1"}
        template = "lending/partials/print_slip.html" if request.htmx else "lending/print_slip.html"
        return render(request, template, context)
    code, data = printing.print_slip(obj, by=request.user, language=request.GET.get("language") or None)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{code}-{obj.pk}.pdf"'
    return response


def more_details_page(request, obj, spec):
    items = list(Item.objects.filter(record_id=obj.record_id).select_related("library")) if obj.record_id else []
    context = {"obj": obj, "side": SIDE, "spec": spec, "items": items,
               "fulfillment": obj.fulfillment_requests.select_related("item").all()}
    template = "lending/partials/more_details.html" if request.htmx else "lending/more_details.html"
    return render(request, template, context)


def locate_page(request, obj, spec):
    """Locate against the local inventory; several matches open the search page to choose from (seed 002)."""
    if request.method != "POST":
        return _dialog_response(request, obj, spec, None)
    req = actions.locate(obj, by=request.user)
    if req.locate_status == LendingRequest.LocateStatus.SEVERAL:
        return done(request, _("Several resources match: choose one, or change the query."),
                    reverse("lending:dialog", args=[obj.pk, "search"]))
    if req.locate_status == LendingRequest.LocateStatus.LOCATED:
        return done(request, _("Resource located: %(title)s.") % {"title": req.record.title}, _detail_url(obj.pk))
    return done(request, _("No resources located."), _detail_url(obj.pk))


def search_page(request, obj, spec):
    """Search the local inventory for the citation (seed 002 "Search"; also where several matches of
    Locate are chosen from, or the query changed)."""
    if request.method == "POST":
        record = BibRecord.objects.filter(pk=parse_pk(request.POST.get("record"))).first()
        if record is None:
            raise ActionRefused(_("Choose one of the records found."), status=400)
        actions.choose_record(obj, record, by=request.user)
        return done(request, _("Resource located: %(title)s.") % {"title": record.title}, _detail_url(obj.pk))
    initial = vars(inventory.Query.for_request(obj))
    form = forms.SearchForm(request.GET if "title" in request.GET else None, initial=initial)
    query = inventory.Query(**form.cleaned_data) if form.is_bound and form.is_valid() else \
        inventory.Query(**initial)
    result = inventory.search(query) if not query.is_empty else inventory.SearchResult()
    context = {"obj": obj, "side": SIDE, "form": form, "result": result, "query": query}
    return render(request, "lending/search.html", context)


def fulfillment_page(request, obj, spec):
    """Manage fulfillment options: the located resource and its items, and the ship-physically /
    ship-digitally requests placed for it."""
    kind = request.POST.get("kind", "")
    bound = {}
    if request.method == "POST":
        if request.POST.get("cancel"):
            fr = FulfillmentRequest.objects.filter(request=obj, pk=parse_pk(request.POST["cancel"])).first()
            if fr is None:
                raise Http404(_("No such fulfillment request."))
            actions.cancel_fulfillment_request(fr, by=request.user)
            return done(request, _("Fulfillment request cancelled."), request.path)
        if kind not in FulfillmentRequest.Kind.values:
            raise ActionRefused(_("Choose ship physically or ship digitally."), status=400)
        form = forms.fulfillment_form(kind, request.POST, req=obj)
        if form.is_valid():
            fr = actions.place_fulfillment_request(obj, kind=kind, by=request.user,
                                                   item=form.cleaned_data.get("item"), details=form.details())
            return done(request, _("%(kind)s request %(pk)s placed.") % {"kind": fr.get_kind_display(), "pk": fr.pk},
                        request.path)
        bound[kind] = form
    items = list(Item.objects.filter(record_id=obj.record_id).select_related("library")) if obj.record_id else []
    place_forms = []
    if obj.record_id:
        for value, label in FulfillmentRequest.Kind.choices:
            if value == FulfillmentRequest.Kind.SHIP_PHYSICALLY and not items:
                continue  # nothing to move: digital only
            place_forms.append((value, label, bound.get(value) or forms.fulfillment_form(value, req=obj)))
    candidates = [] if obj.record_id else inventory.search(inventory.Query.for_request(obj)).records
    context = {"obj": obj, "side": SIDE, "spec": spec, "items": items, "candidates": candidates,
               "place_forms": place_forms,
               "requests": obj.fulfillment_requests.select_related("item", "created_by").all()}
    return render(request, "lending/fulfillment.html", context, status=400 if bound else 200)


PAGES = {
    "edit": edit_page,
    "duplicate": duplicate_page,
    "ship_physically": ship_page_redirect,
    "print_slip": print_slip_page,
    "more_details": more_details_page,
    "locate": locate_page,
    "search": search_page,
    "fulfillment": fulfillment_page,
}

SIDE = LendingSide(
    name="lending",
    title=gettext_lazy("Lending requests"),
    model=LendingRequest,
    config=CONFIG,
    status_choices=Status.choices,
    removable=REMOVABLE,
    tabs=[
        ("general", gettext_lazy("General information")),
        ("history", gettext_lazy("History")),
        ("notes", gettext_lazy("Notes")),
        ("messages", gettext_lazy("General messages")),
        ("alerts", gettext_lazy("Alerts")),
        ("attachments", gettext_lazy("Attachments")),
        ("letters", gettext_lazy("Letters")),
        ("partner_messages", gettext_lazy("Partner messages")),
    ],
    detail_related=("partner__workflow_profile", "owner", "assignee", "level_of_service", "item", "record",
                    "locked_by"),
    scope_tabs=True,
    dialogs=(*common_dialogs.COMMON, *DIALOGS),
    simple_actions=SIMPLE,
    guard=actions.refuse_if_locked,
    unavailable_text=actions.lock_text,
    pages=PAGES,
)


# --- Shipping Items ------------------------------------------------------------------------------------------


@login_required
def ship(request):
    """Shipping Items (seed 002): scan the item barcode and the request id → Shipped physically. Items the
    borrower sent back are scanned in here too (→ checked in)."""
    rv.require_operator(request)
    shipped = request.session.get("lending_shipped", [])
    ship_form = forms.ShipItemForm(initial={"request_id": request.GET.get("request", "")})
    # Both forms have a "barcode" field: distinct ids keep each label on its own input.
    scan_form = forms.ScanInForm(auto_id="id_scan_in_%s")
    status = 200
    if request.method == "POST":
        op = request.POST.get("op", "ship")
        try:
            if op == "scan_in":
                scan_form = forms.ScanInForm(request.POST, auto_id="id_scan_in_%s")
                if scan_form.is_valid():
                    req = actions.scan_in_return(scan_form.cleaned_data["barcode"], by=request.user)
                    messages.success(request, _("Request %(pk)s checked in: item %(barcode)s is back.")
                                     % {"pk": req.pk, "barcode": scan_form.cleaned_data["barcode"]})
                    return redirect("lending:ship")
            else:
                ship_form = forms.ShipItemForm(request.POST)
                if ship_form.is_valid():
                    d = ship_form.cleaned_data
                    req = actions.find_request(d["request_id"])
                    req = actions.ship_item(req, barcode=d["barcode"], by=request.user, note=d["note"])
                    request.session["lending_shipped"] = [req.pk, *[pk for pk in shipped if pk != req.pk]][:20]
                    messages.success(request, _("Item %(barcode)s shipped for request %(pk)s.")
                                     % {"barcode": d["barcode"], "pk": req.pk})
                    return redirect("lending:ship")
            status = 400
        except ActionRefused as exc:
            messages.error(request, exc.message)
            status = exc.status
    recent = LendingRequest.objects.filter(pk__in=request.session.get("lending_shipped", [])) \
        .select_related("item", "partner").order_by("-shipped_at")
    context = {"side": SIDE, "ship_form": ship_form, "scan_form": scan_form, "recent": recent}
    return render(request, "lending/ship.html", context, status=status)


# --- bulk: remove alerts; print slip report -------------------------------------------------------------------


def _next(request, value: str | None) -> str:
    """Where to go back to: a path on this site only (never another host)."""
    return safe_next(request, value, reverse("lending:list"))


def _ids(params) -> list[int]:
    return sorted(set(parse_pks(params.getlist("ids"))))


@login_required
def bulk(request):
    """The lending bulk bar: remove alerts here; everything else is the shared bulk action."""
    if request.method == "POST" and request.POST.get("op") == "remove_alerts":
        rv.require_operator(request)
        back = _next(request, request.POST.get("next"))
        ids = _ids(request.POST)
        if not ids:
            messages.warning(request, _("Select at least one request first."))
            return redirect(back)
        report = actions.remove_alerts(ids, by=request.user)
        rv.report_to_user(request, report, _("Alerts removed for %(n)d request(s): %(ids)s."))
        return redirect(back)
    return rv.bulk_action(request, SIDE)


def _deliver_report(request, form, requests) -> HttpResponse | None:
    """Download, or email to the chosen user / printer address; None when the form needs fixing."""
    fmt = form.cleaned_data["format"]
    ids = [r.pk for r in requests]
    if request.POST.get("download"):
        data, content_type, filename = printing.render(requests, fmt)
        actions.mark(ids, flag="reported", by=request.user, message=_("Print slip report (download)"))
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    try:
        to = form.recipient()
    except ValidationError as exc:
        form.add_error(None, exc)
        return None
    try:
        printing.send_report(requests, fmt, to=to, by=request.user)
    except (OSError, smtplib.SMTPException) as exc:  # the mail server said no: say so, change nothing
        form.add_error(None, _("The report could not be sent to %(to)s: %(error)s") % {"to": to, "error": exc})
        return None
    actions.mark(ids, flag="reported", by=request.user, message=_("Print slip report sent to %(to)s") % {"to": to})
    messages.success(request, _("The report of %(n)d request(s) was sent to %(to)s.") % {"n": len(requests), "to": to})
    return redirect(_next(request, request.POST.get("next")))


@login_required
def report(request):
    """Print slip report: the dialog (printer or user; Excel, XML or PDF), then Send (email) or Download."""
    rv.require_operator(request)
    params = request.POST if request.method == "POST" else request.GET
    requests = printing.report_requests(_ids(params))
    if not requests:
        messages.warning(request, _("Select at least one request first."))
        return redirect("lending:list")
    form = forms.ReportForm(request.POST if request.POST.get("send") or request.POST.get("download") else None,
                            printers=printing.printers(), user=request.user)
    if form.is_bound and form.is_valid():
        try:
            response = _deliver_report(request, form, requests)
        except ActionRefused as exc:
            return refuse(request, exc.message, exc.status)
        if response is not None:
            return response
    context = {"side": SIDE, "form": form, "requests": requests, "next": _next(request, params.get("next"))}
    return render(request, "lending/report.html", context, status=400 if form.is_bound else 200)
