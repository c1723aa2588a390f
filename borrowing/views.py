from django.utils.translation import gettext_lazy as _

from illdesk import dialogs
from illdesk import requestviews as rv

from .dialogs import DIALOGS, SIMPLE
from .models import BorrowingRequest
from .statuses import REMOVABLE, Status
from .tasklist import CONFIG

SIDE = rv.Side(
    name="borrowing",
    title=_("Borrowing requests"),
    model=BorrowingRequest,
    config=CONFIG,
    status_choices=Status.choices,
    removable=REMOVABLE,
    tabs=[
        ("general", _("General information")),
        ("history", _("History")),
        ("rota", _("Rota")),
        ("notes", _("Notes")),
        ("messages", _("General messages")),
        ("attachments", _("Attachments")),
        ("letters", _("Letters")),
        ("partner_messages", _("Partner messages")),
        ("communications", _("Communications")),
    ],
    detail_related=("partner__workflow_profile", "owner", "assignee", "requester__category", "pickup_location",
                    "level_of_service", "patron_category"),
    dialogs=(*dialogs.COMMON, *DIALOGS),
    simple_actions=SIMPLE,
)



def communication_action(request, pk: int, comm_pk: int, op: str):
    """Reply, add the partner's reply, or close one thread of the Communications tab."""
    from django.contrib import messages
    from django.http import Http404, HttpResponseNotAllowed
    from django.shortcuts import redirect

    from illdesk.workflow import ActionRefused

    from . import communications
    from .forms import ReplyForm

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    obj = rv.get_request_for_user(request, SIDE, pk)
    comm = obj.communications.filter(pk=comm_pk).first()
    if comm is None or op not in ("reply", "add_reply", "close"):
        raise Http404
    if op == "close":
        communications.close(comm, by=request.user)
    else:
        form = ReplyForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Write the text of the reply."))
            return redirect("borrowing:tab", pk=pk, tab="communications")
        try:
            if op == "reply":
                communications.reply(comm, by=request.user, body=form.cleaned_data["body"])
            else:
                communications.add_partner_reply(comm, by=request.user, body=form.cleaned_data["body"])
        except ActionRefused as exc:
            messages.error(request, exc.message)
    return redirect("borrowing:tab", pk=pk, tab="communications")
