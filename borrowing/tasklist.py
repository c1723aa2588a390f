"""The borrowing task list: facets, secondary search fields, sorts and predefined filters (SPEC §1)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from illdesk.models import PickupLocation
from illdesk.shared_list import SORTS, citation_search_fields, date_and_format_facets
from illdesk.tasklist import Facet, Preset, SearchField, TaskListConfig

from .models import BorrowingRequest
from .statuses import Status

CONFIG = TaskListConfig(
    model=BorrowingRequest,
    facets=[
        Facet("tag", _("Tags"), "m2m", "tags"),
        Facet("partner", _("Active partner"), "fk", "partner", include_none=_("No partner")),
        Facet("status", _("Status"), "choice", "status", choices=Status.choices),
        *date_and_format_facets(_("Request date")),
        Facet("patron_info", _("Patron information required"), "bool", "patron_info_required"),
        Facet("message", _("Active general message"), "bool", "has_active_message"),
        Facet("owner", _("Owner"), "fk", "owner"),
        Facet("partner_note", _("Note from partner"), "bool", "has_partner_note"),
        Facet("pickup", _("Pickup location"), "choice", "pickup_location__kind", choices=PickupLocation.Kind.choices),
        Facet("level", _("Level of service"), "fk", "level_of_service"),
        Facet("user_group", _("User group"), "fk", "patron_category"),
        Facet("assignee", _("Assignee"), "fk", "assignee", label_fields=("first_name", "last_name", "username"),
              include_none=_("Unassigned")),
        Facet("event", _("Event name"), "value", "event_name"),
    ],
    search_fields=[
        *citation_search_fields(),
        SearchField("external_id", _("External identifier"), ("external_id",)),
        SearchField("requester", _("Requester"), ("requester__first_name", "requester__last_name",
                                                   "requester__card_number", "unauthenticated_name")),
        SearchField("partner", _("Partner"), ("partner__name", "partner__code")),
        SearchField("id", _("Request id"), ("pk",)),
    ],
    sorts=SORTS,
    presets=[
        Preset("new_without_partner", _("New – without partner"),
               lambda user: Q(status__in=[Status.CREATED, Status.READY_TO_SEND], partner__isnull=True)),
        Preset("overdue", _("Overdue"), lambda user: Q(status=Status.OVERDUE)),
        Preset("cancelled_by_partner", _("Cancelled by partner"), lambda user: Q(status=Status.CANCELLED_BY_PARTNER)),
        Preset("recalled", _("Recalled"), lambda user: Q(status=Status.RECALLED_BY_PARTNER)),
        Preset("returned_by_patron", _("Returned by patron"), lambda user: Q(status=Status.RETURNED_BY_PATRON)),
        # notes and messages stay on a request after it completes; the presets are for work still to do
        Preset("messages", _("With active general messages"), lambda user: Q(has_active_message=True, is_active=True)),
        Preset("notes", _("With active notes"), lambda user: Q(has_active_note=True, is_active=True)),
    ],
    prefetch_related=("rota_entries",),
    select_related=("partner__workflow_profile", "owner", "assignee", "requester", "pickup_location",
                    "level_of_service"),
)
