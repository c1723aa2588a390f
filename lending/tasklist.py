"""The lending task list: facets, find box fields, sorts and predefined filters (SPEC §2, seed 002)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from illdesk.shared_list import SORTS, citation_search_fields, date_and_format_facets
from illdesk.tasklist import Facet, Preset, SearchField, TaskListConfig

from .models import LendingRequest
from .statuses import Status


def _presets() -> list[Preset]:
    base = [
        ("new", _("New"), Q(status=Status.CREATED)),
        ("overdue", _("Overdue"), Q(status=Status.OVERDUE)),
        ("recalled", _("Recalled"), Q(status=Status.RECALLED)),
        ("locate_failed", _("Failed locate"), Q(status=Status.LOCATE_FAILED)),
        ("messages", _("With active general messages"), Q(has_active_message=True)),
        ("notes", _("With active notes"), Q(has_active_note=True)),
    ]
    presets = []
    for key, label, q in base:
        presets.append(Preset(f"{key}_mine", f"{label} – {_('assigned to me')}",
                              lambda user, q=q: q & Q(assignee=user, is_active=True)))
        presets.append(Preset(f"{key}_unassigned", f"{label} – {_('unassigned')}",
                              lambda user, q=q: q & Q(assignee__isnull=True, is_active=True)))
    return presets


CONFIG = TaskListConfig(
    model=LendingRequest,
    facets=[
        Facet("status", _("Status"), "choice", "status", choices=Status.choices),
        Facet("printed", _("Request printed"), "bool", "printed"),
        Facet("reported", _("Request reported"), "bool", "reported"),
        Facet("partner", _("Active partner"), "fk", "partner"),
        *date_and_format_facets(_("Creation date")),
        Facet("owner", _("Owning library"), "fk", "owner"),
        Facet("level", _("Level of service"), "fk", "level_of_service"),
        Facet("alerts", _("Alerts"), "bool", "has_alerts"),
    ],
    search_fields=[
        *citation_search_fields(),
        SearchField("external_id", _("External identifier"), ("external_id", "borrower_request_id")),
        SearchField("requester", _("Requester"), ("requester_name",)),
        SearchField("partner", _("Partner"), ("partner__name", "partner__code")),
        SearchField("barcode", _("Item barcode"), ("item__barcode",)),
        SearchField("id", _("Request id"), ("pk",)),
    ],
    sorts=SORTS,
    presets=_presets(),
    # locked_by: the row actions ask who holds the edit lock (lending.actions.lock_holder)
    select_related=("partner__workflow_profile", "owner", "assignee", "level_of_service", "item", "locked_by"),
)
