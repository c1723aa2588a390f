from django.utils.translation import gettext_lazy as _

from illdesk import dialogs
from illdesk import requestviews as rv

from .models import LendingRequest
from .statuses import REMOVABLE, Status
from .tasklist import CONFIG

SIDE = rv.Side(
    name="lending",
    title=_("Lending requests"),
    model=LendingRequest,
    config=CONFIG,
    status_choices=Status.choices,
    removable=REMOVABLE,
    tabs=[
        ("general", _("General information")),
        ("history", _("History")),
        ("notes", _("Notes")),
        ("messages", _("General messages")),
        ("alerts", _("Alerts")),
        ("attachments", _("Attachments")),
    ],
    detail_related=("partner__workflow_profile", "owner", "assignee", "level_of_service", "item", "record",
                    "locked_by"),
    scope_tabs=True,
    dialogs=(*dialogs.COMMON,),
    simple_actions=frozenset({"start_processing", "will_supply", "reactivate", "detach_from_inventory"}),
)

