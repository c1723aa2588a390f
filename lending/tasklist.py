"""The lending task list: facets, find box fields, sorts and predefined filters (SPEC §2, seed 002)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from illdesk.models import Format, SuppliedFormat
from illdesk.tasklist import Facet, Preset, SearchField, TaskListConfig

from .models import LendingRequest
from .statuses import Status

SUPPLIED = [("undefined", SuppliedFormat.UNDEFINED.label)] + [
    (v, label) for v, label in SuppliedFormat.choices if v
]


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
        Facet("created", _("Creation date"), "past_date", "created_at"),
        Facet("updated", _("Update date"), "past_date", "updated_at"),
        Facet("format", _("Requested format"), "choice", "requested_format", choices=Format.choices),
        Facet("supplied", _("Supplied format"), "choice", "supplied_format", choices=SUPPLIED,
              empty_key="undefined"),
        Facet("due", _("Due date"), "future_date", "due_date"),
        Facet("interest", _("Last interest date"), "future_date", "last_interest_date"),
        Facet("owner", _("Owning library"), "fk", "owner"),
        Facet("level", _("Level of service"), "fk", "level_of_service"),
        Facet("alerts", _("Alerts"), "bool", "has_alerts"),
    ],
    search_fields=[
        SearchField("title", _("Title"), ("title", "chapter_title")),
        SearchField("author", _("Author"), ("author", "chapter_author")),
        SearchField("identifier", _("Identifier (ISBN, ISSN, DOI, PMID, OCLC)"),
                    ("isbn", "issn", "doi", "pmid", "oclc_number")),
        SearchField("external_id", _("External identifier"), ("external_id", "borrower_request_id")),
        SearchField("requester", _("Requester"), ("requester_name",)),
        SearchField("partner", _("Partner"), ("partner__name", "partner__code")),
        SearchField("barcode", _("Item barcode"), ("item__barcode",)),
        SearchField("id", _("Request id"), ("pk",)),
    ],
    sorts={
        "created": "created_at",
        "updated": "updated_at",
        "title": "title",
        "status": "status",
        "due": "due_date",
        "partner": "partner__name",
        "id": "id",
    },
    presets=_presets(),
    select_related=("partner__workflow_profile", "owner", "assignee", "level_of_service", "item"),
)
