"""The copyright warning on a borrowing request page:

    {% load reports_tags %}{% copyright_warning obj %}

renders nothing unless the request is an article copy whose journal reached its library's limit.
"""

from typing import Any

from django import template

from reports.copyright import status_for

register = template.Library()


@register.inclusion_tag("reports/partials/copyright_warning.html")
def copyright_warning(obj: Any) -> dict[str, Any]:
    found = status_for(obj)
    return {"copyright": found if found is not None and found.reached else None}


@register.filter
def days(value: Any) -> str:
    """Days with one decimal, or a dash when there is nothing to show."""
    if value in (None, ""):
        return "–"
    return f"{float(value):.1f}"
