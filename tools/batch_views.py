"""Pages for request batches: list and create, one batch with its requests, and acting on the group."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from illdesk.inputs import parse_pk, parse_pks, safe_next
from illdesk.requestviews import report_to_user
from illdesk.roles import require_operator

from . import batches
from .forms import AddToBatchForm, BatchForm
from .models import Batch


def _ids(request: HttpRequest) -> list[int]:
    return parse_pks(request.POST.getlist("ids"))


def _report(request: HttpRequest, report: batches.AddReport) -> None:
    if report.added:
        messages.success(request, _("Added %(n)d request(s): %(ids)s.")
                         % {"n": len(report.added), "ids": ", ".join(map(str, report.added))})
    if report.already:
        messages.info(request, _("Already in the batch: %(ids)s.") % {"ids": ", ".join(map(str, report.already))})
    if report.not_found:
        messages.warning(request, _("No borrowing request matches: %(codes)s.")
                         % {"codes": ", ".join(report.not_found)})


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    require_operator(request)
    form = BatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        batch = form.save(commit=False)
        batch.created_by = request.user
        batch.save()
        messages.success(request, _("Batch “%(name)s” created.") % {"name": batch.name})
        return redirect("tools:batch", pk=batch.pk)
    rows = Batch.objects.select_related("library", "created_by").annotate(n=Count("requests"))
    return render(request, "tools/batches.html", {"form": form, "batches": rows})


def _batch(request: HttpRequest, pk: int) -> Batch:
    require_operator(request)
    return get_object_or_404(Batch.objects.select_related("library", "created_by"), pk=pk)


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from borrowing.statuses import Status

    batch = _batch(request, pk)
    requests = (batch.requests.select_related("partner", "owner", "requester").order_by("pk"))
    return render(request, "tools/batch.html", {
        "batch": batch, "requests": requests, "add_form": AddToBatchForm(), "status_choices": Status.choices,
    })


@login_required
def batch_add(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    batch = _batch(request, pk)
    form = AddToBatchForm(request.POST)
    if form.is_valid():
        _report(request, batches.add(batch, batches.codes(form.cleaned_data["references"]), by=request.user))
    else:
        messages.error(request, _("Enter at least one request."))
    return redirect("tools:batch", pk=batch.pk)


@login_required
def batch_act(request: HttpRequest, pk: int) -> HttpResponse:
    """The group actions: remove from the batch, change status (chosen requests or all), print slips."""
    from borrowing.statuses import Status

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    batch = _batch(request, pk)
    op = request.POST.get("op", "")
    ids = _ids(request)
    if op == "print":
        members = set(batch.requests.values_list("pk", flat=True))
        chosen = [i for i in ids if i in members] or sorted(members)
        return redirect(f"{reverse('letters:print_slips', args=['borrowing'])}?{urlencode({'ids': chosen}, True)}")
    if op == "remove":
        removed = batches.remove(batch, ids, by=request.user)
        if removed:
            messages.success(request, _("Removed from the batch: %(ids)s.") % {"ids": ", ".join(map(str, removed))})
        else:
            messages.warning(request, _("Select at least one request first."))
    elif op == "change_status":
        status = request.POST.get("status", "")
        if status not in Status.values:
            messages.error(request, _("Choose a status to change to."))
        else:
            report = batches.change_status(batch, ids or None, status, by=request.user)
            report_to_user(request, report, _("Done for %(n)d request(s): %(ids)s."))
    elif op == "delete":
        name = batch.name
        batch.delete()
        messages.success(request, _("Batch “%(name)s” deleted; its requests are unchanged.") % {"name": name})
        return redirect("tools:batches")
    else:
        messages.error(request, _("Unknown batch action."))
    return redirect("tools:batch", pk=batch.pk)


@login_required
def add_selected(request: HttpRequest) -> HttpResponse:
    """From the borrowing task list's bulk bar: add the selected requests to a batch (or a new one)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_operator(request)
    back = safe_next(request, request.POST.get("next"), reverse("borrowing:list"))
    ids = _ids(request)
    if not ids:
        messages.warning(request, _("Select at least one request first."))
        return redirect(back)
    choice = parse_pk(request.POST.get("batch"))
    if choice is not None:
        batch = Batch.objects.filter(pk=choice).first()
    else:
        batch = None
        name = request.POST.get("batch_name", "").strip()[:120]
        if name:
            from borrowing.models import BorrowingRequest

            library_id = BorrowingRequest.objects.filter(pk=ids[0]).values_list("owner_id", flat=True).first()
            batch, _created = Batch.objects.get_or_create(name=name, library_id=library_id,
                                                          defaults={"created_by": request.user})
    if batch is None:
        messages.error(request, _("Choose a batch, or name a new one."))
        return redirect(back)
    _report(request, batches.add_ids(batch, ids, by=request.user))
    return redirect(back)
