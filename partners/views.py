"""ISO 18626 pages: the inbound endpoint, the staff "Delivery problems" list, a request's messages."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from illdesk import sides
from illdesk.inputs import safe_next
from illdesk.roles import operator_required
from illdesk.workflow import ActionRefused

from .iso18626 import MAX_MESSAGE_BYTES
from .messaging import inbound, outbox
from .models import InboundMessage, OutboundMessage


@csrf_exempt
def iso18626_endpoint(request):
    """POST /iso18626: the confirmation is always the HTTP 200 answer (ERROR ones included)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"], _("POST ISO 18626 messages to this address."))
    body = request.read(MAX_MESSAGE_BYTES + 1)
    answer = inbound.receive(body, headers=request.headers, remote_addr=request.META.get("REMOTE_ADDR", ""))
    return HttpResponse(answer.xml, content_type="application/xml; charset=utf-8")


def request_url(content_type: ContentType, object_id: int) -> str:
    try:
        return reverse(f"{content_type.app_label}:detail", args=[object_id])
    except NoReverseMatch:
        return ""


def problem_messages():
    now = timezone.now()
    stuck = now - timedelta(minutes=10)
    return (OutboundMessage.objects
            .filter(Q(state__in=[OutboundMessage.State.FAILED, OutboundMessage.State.RETRYING])
                    | Q(state=OutboundMessage.State.QUEUED, created_at__lt=stuck)
                    | Q(state=OutboundMessage.State.SENDING, claimed_until__lt=now))
            .select_related("partner", "content_type").order_by("-created_at", "-id"))


@login_required
@operator_required
def delivery_problems(request):
    page = Paginator(problem_messages(), 50).get_page(request.GET.get("page"))
    rows = [(m, request_url(m.content_type, m.object_id)) for m in page.object_list]
    return render(request, "partners/problems.html", {"page": page, "rows": rows})


@login_required
@require_POST
@operator_required
def retry_message(request, pk: int):
    msg = get_object_or_404(OutboundMessage, pk=pk)
    try:
        outbox.retry_now(msg, by=request.user)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Message %(pk)s queued for delivery again.") % {"pk": pk})
    return redirect(safe_next(request, request.POST.get("next"), reverse("partners:delivery_problems")))


@login_required
@operator_required
def request_messages(request, side: str, pk: int):
    """Every ISO 18626 message in and out of one request, oldest first (a tab or a page of its own)."""
    try:
        model_class = sides.get(side).model
    except LookupError:
        raise Http404(_("No such side.")) from None
    model = ContentType.objects.get_for_model(model_class)
    obj = get_object_or_404(model_class, pk=pk)
    outgoing = OutboundMessage.objects.filter(content_type=model, object_id=pk).select_related("partner")
    incoming = InboundMessage.objects.filter(content_type=model, object_id=pk).select_related("partner")
    rows = sorted([("out", m.created_at, m) for m in outgoing] + [("in", m.received_at, m) for m in incoming],
                  key=lambda r: (r[1], r[2].pk))
    context = {"obj": obj, "side_name": side, "rows": rows, "detail_url": request_url(model, pk)}
    template = "partners/request_messages.html" if request.htmx else "partners/request_messages_page.html"
    return render(request, template, context)
