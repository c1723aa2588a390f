"""The scan station page and its htmx endpoint. The running list lives in the session, so a reload
(or a browser without JavaScript, which posts the form and is redirected back) keeps it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from illdesk.inputs import no_nul
from illdesk.roles import operator_required, require_operator

from . import scan

SESSION_KEY = "tools_scan"
KEPT = 200


def _state(request: HttpRequest) -> dict:
    state = request.session.get(SESSION_KEY) or {}
    state.setdefault("results", [])
    state.setdefault("pending", None)
    state.setdefault("tally", {"ok": 0, "error": 0})
    return state


def _mode(value: str | None) -> str:
    return value if value in scan.MODES else "receive"


def _options(request: HttpRequest, mode: str) -> scan.Options:
    params = request.POST if request.method == "POST" else request.GET
    fmt = params.get("fmt", "requested")
    return scan.Options(mode=mode, received_format=fmt if fmt in scan.RECEIVE_FORMATS else "requested",
                        pair_item=params.get("pair") == "1")


def _context(request: HttpRequest, mode: str, state: dict, options: scan.Options) -> dict:
    pending = state["pending"] if state["pending"] and state["pending"].get("mode") == mode else None
    return {"mode": mode, "modes": scan.MODES.items(), "state": state, "pending": pending, "options": options,
            "prompt": scan.prompt(mode, pending), "results": state["results"]}


@login_required
@operator_required
def station(request: HttpRequest) -> HttpResponse:
    state = _state(request)
    if request.method == "GET":
        mode = _mode(request.GET.get("mode"))
        if state["pending"] and state["pending"].get("mode") != mode:
            state["pending"] = None
            request.session[SESSION_KEY] = state
        return render(request, "tools/scan.html", _context(request, mode, state, _options(request, mode)))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    mode = _mode(request.POST.get("mode"))
    options = _options(request, mode)
    pending = state["pending"] if state["pending"] and state["pending"].get("mode") == mode else None
    result, state["pending"] = scan.scan(no_nul(request.POST.get("code", "")), options, pending, by=request.user)
    state["results"] = [result.as_dict(), *state["results"]][:KEPT]
    if result.level in ("ok", "error"):
        state["tally"][result.level] += 1
    request.session[SESSION_KEY] = state
    if not request.htmx:
        query = f"mode={mode}&fmt={options.received_format}" + ("&pair=1" if options.pair_item else "")
        return redirect(f"{reverse('tools:scan')}?{query}")
    context = _context(request, mode, state, options)
    context["result"] = result.as_dict()
    return render(request, "tools/partials/scan_result.html", context)


@login_required
def clear(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require_operator(request)
    request.session[SESSION_KEY] = {"results": [], "pending": None, "tally": {"ok": 0, "error": 0}}
    return redirect(f"{reverse('tools:scan')}?mode={_mode(request.POST.get('mode'))}")
