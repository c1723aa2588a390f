from django.utils.translation import gettext_lazy as _

from illdesk import dialogs
from illdesk import requestviews as rv

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
    ],
    detail_related=("partner__workflow_profile", "owner", "assignee", "requester__category", "pickup_location",
                    "level_of_service", "patron_category"),
    dialogs=(*dialogs.COMMON,),
    simple_actions=frozenset({"approve", "loan_to_patron", "reactivate"}),
)

