"""Patron pages (SPEC §7): the request form, "my requests" with cancel / renew / change, and the
staff page that links an unauthenticated request to a patron.

Every page starts with a fetch-and-authorise helper: `_patron_for` (who is asking, may they request)
or `_own_request` (a request of this patron, else 404 — other patrons' requests do not exist here).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from borrowing.models import BorrowingRequest
from illdesk.inputs import no_nul
from illdesk.models import Patron
from illdesk.roles import operator_required
from illdesk.workflow import ActionRefused

from . import actions, openurl, resolvers
from .forms import CITATION_NAMES, LinkPatronForm, ModifyForm, NoteForm, RequestForm, default_format, type_of
from .models import OpacSettings
from .statuses import may_ask_renewal, may_cancel, may_modify, patron_status

SUBMITTED_KEY = "opac_submitted"
HISTORY_PAGE_SIZE = 20


class Refusal(Exception):
    def __init__(self, title: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


def _refused(request: HttpRequest, exc: Refusal) -> HttpResponse:
    return render(request, "opac/refused.html", {"title": exc.title, "message": exc.message}, status=exc.status)


def _linked_patron(user) -> Patron | None:
    if not user.is_authenticated:
        return None
    return Patron.objects.select_related("category", "home_library").filter(user=user).first()


def _patron_for(request: HttpRequest, *, placing: bool) -> Patron:
    """The patron behind the logged-in user; with `placing`, one whose category may request."""
    patron = _linked_patron(request.user)
    if patron is None:
        raise Refusal(_("No library card linked"),
                      _("Your account is not linked to a library card, so you cannot place interlibrary loan "
                        "requests here. Please contact the library."))
    if placing and not patron.category.may_request:
        raise Refusal(_("Interlibrary loan is not available"),
                      _("Patrons of your category (%(category)s) cannot place interlibrary loan requests. Please "
                        "contact the library if you need an item from another library.")
                      % {"category": patron.category.name})
    return patron


def _own_request(request: HttpRequest, pk: int) -> tuple[Patron, BorrowingRequest]:
    patron = _patron_for(request, placing=False)
    req = BorrowingRequest.objects.select_related("pickup_location", "owner").filter(
        pk=pk, requester=patron, removed_at__isnull=True).first()
    if req is None:
        raise Http404(_("No such request."))
    return patron, req


# --- the request form ---------------------------------------------------------------------------------------


def _post_values(data) -> dict[str, str]:
    keep = {"request_type", "oclc_number", "requested_format", "pickup_location", "last_interest_date",
            "request_note", "name", "email", "started", *CITATION_NAMES}
    return {k: data.get(k, "") for k in keep if data.get(k, "") != ""}


def _lookup(values: dict[str, str]) -> tuple[dict[str, str], str, str]:
    """Fill `values` from the DOI/PMID resolver: (values, success message, error message)."""
    try:
        citation = resolvers.lookup(doi=values.get("doi", ""), pmid=values.get("pmid", ""))
    except resolvers.LookupFailed as exc:
        return values, "", exc.message
    found = citation.as_form_values()
    if values.get("requested_format") == default_format(type_of(values)):
        values["requested_format"] = default_format(found["request_type"])
    for name in CITATION_NAMES:  # the lookup replaces the citation; service fields stay as typed
        values.pop(name, None)
    values.update(found)
    return values, _("The citation was filled in. Please check it before sending."), ""


@require_http_methods(["GET", "POST"])
def request_form(request: HttpRequest) -> HttpResponse:
    opac = OpacSettings.load()
    try:
        patron = _patron_for(request, placing=True) if request.user.is_authenticated else None
    except Refusal as exc:
        return _refused(request, exc)
    if patron is None and not opac.allow_unauthenticated:
        # A catalogue link for a visitor: log in first, come back with the whole OpenURL.
        return redirect_to_login(request.get_full_path())

    lookup_message = lookup_error = ""
    if request.method == "POST" and ("change_type" in request.POST or "lookup" in request.POST):
        values = _post_values(request.POST)
        if "lookup" in request.POST:
            values, lookup_message, lookup_error = _lookup(values)
        else:
            previous = request.POST.get("previous_type", "")
            if values.get("requested_format") == default_format(type_of({"request_type": previous})):
                values["requested_format"] = default_format(type_of(values))
        form = RequestForm(initial=values, patron=patron, opac=opac)
    elif request.method == "POST":
        form = RequestForm(request.POST, patron=patron, opac=opac)
        if form.is_valid():
            try:
                req = form.save(by=request.user if patron else None)
            except ActionRefused as exc:
                form.add_error(None, exc.message)
            else:
                request.session[SUBMITTED_KEY] = [*request.session.get(SUBMITTED_KEY, [])[-19:], req.pk]
                return redirect("opac:submitted", pk=req.pk)
    else:
        values = openurl.parse(request.GET)
        if (values.get("doi") or values.get("pmid")) and not values.get("title"):
            values, lookup_message, lookup_error = _lookup(values)
        form = RequestForm(initial=values, patron=patron, opac=opac)

    context = {
        "form": form, "patron": patron, "opac": opac, "lookup_message": lookup_message,
        "lookup_error": lookup_error,
        "limit_reached": patron is not None and actions.limit_reached(patron),
        "has_lookup": "doi" in form.fields or "pmid" in form.fields,
    }
    status = 400 if request.method == "POST" and form.is_bound and form.errors and not request.htmx else 200
    template = "opac/partials/request_form.html" if request.htmx else "opac/request.html"
    return render(request, template, context, status=status)


def submitted(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation page: the request id and what happens next (also for visitors without login,
    who may see only the requests they sent in this session)."""
    req = BorrowingRequest.objects.select_related("pickup_location", "owner").filter(pk=pk).first()
    patron = _linked_patron(request.user)
    mine = req is not None and (
        (patron is not None and req.requester_id == patron.pk)
        or (req.requester_id is None and pk in request.session.get(SUBMITTED_KEY, []))
    )
    if not mine:
        raise Http404(_("No such request."))
    return render(request, "opac/submitted.html", {"req": req, "status": patron_status(req.status),
                                                    "patron": patron})


def index(request: HttpRequest) -> HttpResponse:
    return redirect("opac:my_requests" if request.user.is_authenticated else "opac:request")


# --- my requests ---------------------------------------------------------------------------------------------


def _row(req: BorrowingRequest) -> dict:
    return {"req": req, "status": patron_status(req.status), "may_cancel": may_cancel(req),
            "may_renew": may_ask_renewal(req)}


@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    try:
        patron = _patron_for(request, placing=False)
    except Refusal as exc:
        return _refused(request, exc)
    mine = BorrowingRequest.objects.filter(requester=patron, removed_at__isnull=True).select_related(
        "pickup_location").order_by("-created_at", "-id")
    current = [_row(r) for r in mine.filter(is_active=True)]
    history = Paginator(mine.filter(is_active=False), HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "opac/my_requests.html", {
        "patron": patron, "current": current, "history": history,
        "history_rows": [_row(r) for r in history.object_list],
        "may_request": patron.category.may_request,
    })


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        _patron, req = _own_request(request, pk)
    except Refusal as exc:
        return _refused(request, exc)
    modify_form = None
    if may_modify(req):
        modify_form = ModifyForm(initial={"pickup_location": req.pickup_location_id,
                                          "last_interest_date": req.last_interest_date,
                                          "request_note": req.request_note})
    return render(request, "opac/detail.html", {**_row(req), "modify_form": modify_form})


@login_required
@require_http_methods(["POST"])
def modify(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        _patron, req = _own_request(request, pk)
    except Refusal as exc:
        return _refused(request, exc)
    form = ModifyForm(request.POST)
    if not form.is_valid():
        return render(request, "opac/detail.html", {**_row(req), "modify_form": form}, status=400)
    try:
        actions.modify(req, by=request.user, changes=form.cleaned_data)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your changes were saved. The library has been told."))
    return redirect("opac:detail", pk=pk)


def _confirmed_action(request: HttpRequest, pk: int, *, allowed, run, template_vars: dict, done: str):
    """GET: a confirmation page with an optional note; POST: run the action."""
    try:
        _patron, req = _own_request(request, pk)
    except Refusal as exc:
        return _refused(request, exc)
    form = NoteForm(request.POST if request.method == "POST" else None)
    if not allowed(req):
        messages.error(request, _("This is no longer possible for this request."))
        return redirect("opac:detail", pk=pk)
    if request.method == "POST" and form.is_valid():
        try:
            run(req, by=request.user, note=form.cleaned_data["note"])
        except ActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect("opac:detail", pk=pk)
    return render(request, "opac/confirm.html", {**_row(req), "form": form, **template_vars},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _confirmed_action(
        request, pk, allowed=may_cancel, run=actions.patron_cancel, done=_("Your request was cancelled."),
        template_vars={"heading": _("Cancel this request?"), "button": _("Cancel the request"),
                       "explain": _("The library will not order the item for you."), "danger": True})


@login_required
@require_http_methods(["GET", "POST"])
def renew(request: HttpRequest, pk: int) -> HttpResponse:
    return _confirmed_action(
        request, pk, allowed=may_ask_renewal, run=actions.ask_renewal,
        done=_("Your renewal request was sent. The library asks the lending library and tells you the answer."),
        template_vars={"heading": _("Ask for a renewal?"), "button": _("Ask for a renewal"),
                       "explain": _("The lending library decides whether you may keep the item longer. Until "
                                    "you hear from us, the current due date applies."), "danger": False})


# --- staff: link an unauthenticated request --------------------------------------------------------------


def _candidates(req: BorrowingRequest, query: str):
    patrons = Patron.objects.select_related("category").order_by("last_name", "first_name")
    if query:
        q = Q()
        for word in query.split()[:5]:
            q &= (Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(card_number__iexact=word)
                  | Q(email__iexact=word))
        return patrons.filter(q)[:25]
    words = req.unauthenticated_name.split()
    q = Q(email__iexact=req.unauthenticated_email) if req.unauthenticated_email else Q(pk__in=[])
    if len(words) >= 2:
        q |= Q(first_name__iexact=words[0], last_name__iexact=words[-1])
        q |= Q(first_name__iexact=words[-1], last_name__iexact=words[0])
    return patrons.filter(q)[:25]


@login_required
@require_http_methods(["GET", "POST"])
@operator_required
def link(request: HttpRequest, pk: int) -> HttpResponse:
    """Koha: "Before they can be progressed, you need to link it to a patron record"."""
    req = BorrowingRequest.objects.select_related("owner", "pickup_location").filter(pk=pk).first()
    if req is None:
        raise Http404(_("No such request."))
    if req.requester_id is not None:
        messages.info(request, _("This request already belongs to a patron."))
        return redirect("borrowing:detail", pk=pk)
    query = no_nul(request.GET.get("q", "")).strip()[:100]
    candidates = _candidates(req, query)
    posted = request.method == "POST"
    form = LinkPatronForm(request.POST if posted else None, candidates=None if posted else candidates)
    if request.method == "POST" and form.is_valid():
        patron = form.cleaned_data["patron"]
        try:
            actions.link_to_patron(req, patron=patron, by=request.user, approve=form.cleaned_data["approve"])
        except ActionRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The request now belongs to %(patron)s.") % {"patron": patron})
        return redirect("borrowing:detail", pk=pk)
    return render(request, "opac/link.html", {"req": req, "form": form, "query": query,
                                              "candidates": candidates},
                  status=400 if posted else 200)
