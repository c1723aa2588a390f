"""Views shared by both task lists. Each side passes its `Side`; borrowing/views.py and
lending/views.py stay a few lines each."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from . import bulk, dialogs, tasklist
from .aliases import alias_label
from .inputs import parse_pks, safe_next
from .models import HistoryEvent, Tag
from .roles import is_manager, operator_required, require_operator
from .workflow import ActionRefused, RowAction, available_transitions


@dataclass
class Side:
    name: str  # "borrowing" / "lending"
    title: str
    model: type
    config: tasklist.TaskListConfig
    status_choices: list
    removable: frozenset
    tabs: list[tuple[str, str]]
    detail_related: tuple[str, ...] = ()
    scope_tabs: bool = False  # lending: assigned to me / unassigned / assigned to others
    # Run straight from a confirm button: name -> run(obj, user, note), the side's action for it (returns the
    # request). Others need their own dialog.
    simple_actions: Mapping[str, Callable] = field(default_factory=dict)
    dialogs: tuple = ()  # illdesk.dialogs.Dialog: transitions with input, and extra actions
    # Row actions that are pages of their own: name -> page(request, obj, spec) (lending: edit, locate …)
    pages: Mapping[str, Callable] = field(default_factory=dict)
    # guard(obj, user) on the locked row before a bulk transition: raises ActionRefused (lending: the edit lock)
    guard: Callable | None = None
    # why `user` can do nothing with `obj` now, or None (lending: "… is editing this request until 14:05")
    unavailable_text: Callable | None = None

    def dialog(self, name: str):
        return next((d for d in self.dialogs if d.name == name), None)

    def actions_for(self, obj, user) -> list[RowAction]:
        """What the user can do now: the state machine's answer, limited to actions with a UI, plus
        the extra actions whose own rule allows them."""
        with_dialog = {d.name for d in self.dialogs if d.available is None}
        offered = set(self.simple_actions) | with_dialog
        actions = [a for a in available_transitions(obj, user) if a.name in offered]
        actions += [RowAction(d.name, str(d.label)) for d in self.dialogs
                    if d.available is not None and d.available(obj, user)]
        return actions


def get_request_for_user(request, side: Side, pk: int, *, for_update: bool = False):
    """Fetch-and-authorise: every request page starts here."""
    require_operator(request)
    qs = side.model.objects.select_related(*side.detail_related)
    try:
        return qs.get(pk=pk)
    except side.model.DoesNotExist as exc:
        raise Http404(_("No such request.")) from exc


def _scope_tab(request, side: Side, user, version=None):
    """Lending tabs. Returns (tab, base queryset, counts)."""
    model = side.model
    active = model.objects.filter(is_active=True, removed_at__isnull=True)
    scopes = {"mine": Q(assignee=user), "unassigned": Q(assignee__isnull=True),
              "others": Q(assignee__isnull=False) & ~Q(assignee=user)}
    # one statement, cached with the list's counts while the side's data does not change
    counts = dict(zip(scopes, tasklist.count_each([active.filter(q) for q in scopes.values()], version),
                      strict=True))
    tabs = ["mine", "unassigned"] + (["others"] if is_manager(user) else [])
    tab = request.GET.get("tab", "mine")
    if tab not in tabs:
        tab = "mine"
    base = model.objects.filter(scopes[tab])
    labels = {"mine": _("Assigned to me"), "unassigned": _("Unassigned"), "others": _("Assigned to others")}
    return tab, base, [(t, labels[t], counts[t]) for t in tabs]


FACET_TOP = 20  # values a facet lists before its "show all" link (the partner facet has hundreds)
_PK = 2147483647  # stands for a request's id in a URL reversed once per page
_ACTION = "--action--"  # and for an action's name


@dataclass
class FacetLink:
    value: str
    label: str
    count: int
    selected: bool
    url: str  # this list with the value chosen, or no longer chosen


@dataclass
class FacetBox:
    facet: tasklist.Facet
    values: list[FacetLink]
    total: int  # values the facet has (some may be cut, see more_url)
    more_url: str = ""  # the facet is cut to its top values: the list with all of them
    less_url: str = ""  # the facet shows all of its values: back to the top ones


@dataclass(frozen=True)
class ActionLink:
    name: str
    label: str
    url: str


class QueryLinks:
    """Query strings of the list's links, from the current one. Toggling a facet value appends one
    encoded pair to the query encoded once, instead of encoding the whole query for every value."""

    def __init__(self, params):
        self.items = [(k, v) for k in params for v in params.getlist(k) if k != "page" and v]
        self.present = set(self.items)
        self.base = urlencode(self.items)

    def toggle(self, key: str, value) -> str:
        """As `{% toggle key value %}`: `key=value` added, or removed when it is there."""
        pair = (key, str(value))
        if pair in self.present:
            return "?" + urlencode([item for item in self.items if item != pair])
        extra = urlencode([pair])
        return f"?{self.base}&{extra}" if self.base else f"?{extra}"


def facet_boxes(result: tasklist.TaskListResult, params, side_name: str) -> list[FacetBox]:
    """The sidebar: each facet with its values' links. A facet with more than FACET_TOP values shows the
    FACET_TOP largest (and every chosen one) unless `expand=<facet>` asks for all of them."""
    links = QueryLinks(params)
    expanded = set(params.getlist("expand"))
    boxes = []
    for facet, values in result.facets:
        if not values:
            continue
        shown, more, less = values, "", ""
        if len(values) > FACET_TOP:
            if facet.key in expanded:
                less = links.toggle("expand", facet.key)
            else:
                top = sorted(range(len(values)), key=lambda i: -values[i].count)[:FACET_TOP]
                keep = set(top) | {i for i, v in enumerate(values) if v.selected}
                shown = [v for i, v in enumerate(values) if i in keep]
                more = links.toggle("expand", facet.key)
        aliased = facet.key == "status"  # statuses as this library calls them
        boxes.append(FacetBox(facet, [
            FacetLink(v.value, alias_label(side_name, v.value) if aliased else v.label, v.count, v.selected,
                      links.toggle(facet.key, v.value))
            for v in shown], len(values), more, less))
    return boxes


def row_links(side: Side, rows: list) -> tuple[list, dict[str, str]]:
    """Each row's actions with their URLs, and the request page's URL around the id ({"before", "after"}:
    a dict, the template's cheapest lookup): reversed once per page, not per row and action."""
    detail = reverse(f"{side.name}:detail", args=[_PK])
    dialog = reverse(f"{side.name}:dialog", args=[_PK, _ACTION])
    linked = []
    for obj, actions in rows:
        pk = str(obj.pk)
        linked.append((obj, [
            ActionLink(a.name, a.label, detail.replace(str(_PK), pk) + f"#action-{a.name}"
                       if a.name in side.simple_actions else dialog.replace(str(_PK), pk).replace(_ACTION, a.name))
            for a in actions]))
    before, after = detail.split(str(_PK))
    return linked, {"before": before, "after": after}


@login_required
@operator_required
def task_list(request, side: Side):
    scope_tabs, tab = None, ""
    base = side.model.objects.all()
    version = tasklist.data_version(base.db, side.model._meta.app_label)
    if side.scope_tabs:
        tab, base, scope_tabs = _scope_tab(request, side, request.user, version)
    result = tasklist.run(side.config, request.GET, request.user, base, page_size=settings.ILLDESK_PAGE_SIZE,
                          version=version)
    with dialogs.one_answer_per_page():
        rows = [(obj, side.actions_for(obj, request.user)) for obj in result.page.object_list]
    rows, detail_url = row_links(side, rows)
    context = {
        "side": side,
        "result": result,
        "facets": facet_boxes(result, request.GET, side.name),
        "rows": rows,
        "detail_url": detail_url,
        "scope_tabs": scope_tabs,
        "tab": tab,
        "status_choices": side.status_choices,
        "all_tags": Tag.objects.all(),
    }
    fragment = request.htmx and not request.htmx.boosted
    template = "illdesk/partials/tasklist.html" if fragment else "illdesk/tasklist.html"
    return TemplateResponse(request, template, context)


@login_required
def bulk_action(request, side: Side):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_operator(request)
    ids = parse_pks(request.POST.getlist("ids"))
    op = request.POST.get("op", "")
    back = safe_next(request, request.POST.get("next"), request.path.rsplit("bulk/", 1)[0])
    if not ids:
        messages.warning(request, _("Select at least one request first."))
        return redirect(back)
    if op == "change_status":
        status = request.POST.get("status", "")
        if status not in dict(side.status_choices):
            messages.error(request, _("Choose a status to change to."))
            return redirect(back)
        report = bulk.change_status(side.model, ids, status, by=request.user, guard=side.guard)
    elif op in ("add_tag", "remove_tag"):
        name = request.POST.get("tag", "").strip()[:60]
        if not name:
            messages.error(request, _("Enter a tag."))
            return redirect(back)
        if op == "add_tag":
            tag, _created = Tag.objects.get_or_create(name=name)
        else:
            tag = Tag.objects.filter(name=name).first()
            if tag is None:
                messages.error(request, _("There is no tag “%(tag)s”.") % {"tag": name})
                return redirect(back)
        report = bulk.set_tag(side.model, ids, tag, add=op == "add_tag", by=request.user)
    elif op == "remove":
        report = bulk.remove(side.model, ids, side.removable, by=request.user)
    else:
        messages.error(request, _("Unknown bulk action."))
        return redirect(back)
    report_to_user(request, report, _("Done for %(n)d request(s): %(ids)s."))
    return redirect(back)


def report_to_user(request, report: bulk.BulkReport, done_text: str) -> None:
    """One success message naming the requests done, one warning per request skipped and why."""
    if report.done:
        messages.success(request, done_text % {"n": len(report.done), "ids": ", ".join(map(str, report.done))})
    for pk, reason in report.skipped:
        messages.warning(request, _("Request %(pk)d not changed: %(reason)s") % {"pk": pk, "reason": reason})


@login_required
def detail(request, side: Side, pk: int):
    obj = get_request_for_user(request, side, pk)
    context = tab_context(request, side, obj, "general")
    context.update(actions=side.actions_for(obj, request.user), tabs=side.tabs,
                   tab_template=tab_template(side, "general"))
    return render(request, "illdesk/detail.html", context)


def tab_template(side: Side, tab: str) -> list[str]:
    """A side's own tab template wins over the shared one."""
    return [f"{side.name}/tabs/{tab}.html", f"illdesk/tabs/{tab}.html"]


def tab_context(request, side: Side, obj, tab: str) -> dict:
    ct = ContentType.objects.get_for_model(side.model)
    context = {"side": side, "obj": obj, "tab": tab, "show_operator": is_manager(request.user)}
    if tab == "history":
        mode = request.GET.get("mode", "full")
        events = HistoryEvent.objects.filter(content_type=ct, object_id=obj.pk).select_related("actor")
        if mode == "brief":
            events = events.filter(kind__in=[HistoryEvent.Kind.STATUS, HistoryEvent.Kind.ASSIGNMENT])
        context.update(events=events[:500], mode=mode)
    elif tab == "notes":
        context["notes"] = obj.notes.select_related("author").all()
    elif tab == "messages":
        context["general_messages"] = obj.general_messages.select_related("author").all()
    elif tab == "attachments":
        context["attachments"] = obj.attachments.select_related("uploaded_by").all()
    elif tab == "alerts":
        context["alerts"] = obj.alerts.all()
    elif tab == "rota":
        context["rota"] = obj.rota_entries.select_related("partner").all()
    elif tab == "communications":
        context["communications"] = obj.communications.prefetch_related("entries__author").all()
    return context


@login_required
def detail_tab(request, side: Side, pk: int, tab: str):
    obj = get_request_for_user(request, side, pk)
    if tab not in dict(side.tabs):
        raise Http404(_("No such tab."))
    context = tab_context(request, side, obj, tab)
    if request.htmx:
        return render(request, tab_template(side, tab), context)
    context.update(actions=side.actions_for(obj, request.user), tabs=side.tabs, tab_template=tab_template(side, tab))
    return render(request, "illdesk/detail.html", context)


def _not_offered(request, side: Side, obj) -> HttpResponse:
    why = side.unavailable_text(obj, request.user) if side.unavailable_text else None
    return refuse(request, why or _("This action is not available for this request now."), 409, side, obj.pk)


@login_required
def perform(request, side: Side, pk: int, action: str):
    """Run a confirm-only action offered on the request page (with an optional note) through the side's
    action for it; the others have their own dialogs."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    obj = get_request_for_user(request, side, pk)
    run = side.simple_actions.get(action)
    if run is None or action not in {a.name for a in side.actions_for(obj, request.user)}:
        return _not_offered(request, side, obj)
    try:
        req = run(obj, request.user, request.POST.get("note", "").strip()[:1000])
    except ActionRefused as exc:
        return refuse(request, exc.message, exc.status, side, pk)
    return done(request, _("Done: the request is “%(status)s”.") % {"status": req.get_status_display()},
                reverse(f"{side.name}:detail", args=[pk]))


@login_required
def dialog(request, side: Side, pk: int, name: str):
    """GET: the dialog's form (an htmx fragment, or a page without JavaScript). POST: run it. A row action
    that is a page of its own (`side.pages`) is served by that page."""
    obj = get_request_for_user(request, side, pk)
    spec = side.dialog(name)
    if spec is None:
        raise Http404(_("No such action."))
    if name not in {a.name for a in side.actions_for(obj, request.user)}:
        return _not_offered(request, side, obj)
    page = side.pages.get(name)
    if page is not None:
        try:
            return page(request, obj, spec)
        except ActionRefused as exc:
            return refuse(request, exc.message, exc.status, side, pk)
    form = None
    if spec.form_class is not None:
        kwargs = {"obj": obj, "user": request.user}
        form = spec.form_class(request.POST, request.FILES, **kwargs) \
            if request.method == "POST" else spec.form_class(**kwargs)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            message = spec.perform(obj, form, request.user)
        except ActionRefused as exc:
            return refuse(request, exc.message, exc.status, side, pk)
        return done(request, message, reverse(f"{side.name}:detail", args=[pk]))
    # htmx swaps only 2xx answers: an invalid form comes back as 200 so the errors show in the dialog.
    return render_dialog(request, side, obj, spec, form,
                         status=400 if request.method == "POST" and not request.htmx else 200)


def render_dialog(request, side: Side, obj, spec, form, *, status: int = 200) -> HttpResponse:
    """A dialog: an htmx fragment, or a page of its own without JavaScript."""
    context = {"side": side, "obj": obj, "spec": spec, "form": form}
    template = "illdesk/partials/dialog.html" if request.htmx else "illdesk/dialog_page.html"
    return render(request, template, context, status=status)


def done(request, message: str, target: str) -> HttpResponse:
    """After an action: the message, and the browser (or htmx) goes to `target`."""
    messages.success(request, message)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def refuse(request, message: str, status: int, side: Side, pk: int | None = None) -> HttpResponse:
    """An action refused: the sentence, as text for htmx or as a page with the way back."""
    if request.htmx:
        # Plain text: htmx shows it as text (static/js/illdesk.js); the message may hold a user's name.
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return render(request, "illdesk/refused.html", {"message": message, "side": side, "pk": pk}, status=status)


def urls_for(side: Side) -> list:
    """The URL patterns every request side has; an app adds its own dialogs next to them."""
    from django.urls import path

    return [
        path("", lambda request: task_list(request, side), name="list"),
        path("bulk/", lambda request: bulk_action(request, side), name="bulk"),
        path("<int:pk>/", lambda request, pk: detail(request, side, pk), name="detail"),
        path("<int:pk>/tab/<slug:tab>/", lambda request, pk, tab: detail_tab(request, side, pk, tab), name="tab"),
        path("<int:pk>/do/<slug:action>/", lambda request, pk, action: perform(request, side, pk, action),
             name="perform"),
        path("<int:pk>/dialog/<slug:name>/", lambda request, pk, name: dialog(request, side, pk, name),
             name="dialog"),
    ]
