"""Task-list pieces both sides configure identically: the date and format facets, the citation search
fields and the sortable columns (SPEC §1 and §2 list the same ones)."""

from django.utils.translation import gettext_lazy as _

from .models import Format, SuppliedFormat
from .tasklist import Facet, SearchField

# Supplied format has an "Undefined" value stored as ""; the URL needs a non-empty key for it.
SUPPLIED_FORMAT_CHOICES = [("undefined", SuppliedFormat.UNDEFINED.label)] + [
    (v, label) for v, label in SuppliedFormat.choices if v
]

SORTS = {
    "created": "created_at",
    "updated": "updated_at",
    "title": "title",
    "status": "status",
    "due": "due_date",
    "partner": "partner__name",
    "id": "id",
}


def date_and_format_facets(created_label) -> list[Facet]:
    return [
        Facet("created", created_label, "past_date", "created_at"),
        Facet("updated", _("Update date"), "past_date", "updated_at"),
        Facet("format", _("Requested format"), "choice", "requested_format", choices=Format.choices),
        Facet("supplied", _("Supplied format"), "choice", "supplied_format", choices=SUPPLIED_FORMAT_CHOICES,
              empty_key="undefined"),
        Facet("due", _("Due date"), "future_date", "due_date"),
        Facet("interest", _("Last interest date"), "future_date", "last_interest_date"),
    ]


def citation_search_fields() -> list[SearchField]:
    return [
        SearchField("title", _("Title"), ("title", "chapter_title")),
        SearchField("author", _("Author"), ("author", "chapter_author")),
        SearchField("identifier", _("Identifier (ISBN, ISSN, DOI, PMID, OCLC)"),
                    ("isbn", "issn", "doi", "pmid", "oclc_number")),
    ]
