"""Status aliases in templates.

    {% load tools_tags %}
    {{ obj|status_alias }}                      the request's status, as its library calls it
    {% alias_label side.name v.value %}          a status of a side (facets), global aliases
    {% alias_label "borrowing" obj.status obj.owner_id %}
    {% add_to_batch_controls %}                 the task list bulk bar's "Add to batch"
"""

from django import template

from illdesk.aliases import alias_label as _alias_label
from illdesk.aliases import label_for

register = template.Library()


@register.filter
def status_alias(obj) -> str:
    if obj is None or not hasattr(obj, "status"):
        return ""
    return label_for(obj)


@register.simple_tag
def alias_label(side: str, status: str, library_id: int | None = None) -> str:
    return _alias_label(str(side), str(status), library_id or None)


@register.inclusion_tag("tools/partials/add_to_batch.html")
def add_to_batch_controls() -> dict:
    """The bulk bar's "Add to batch" controls (borrowing task list): `{% add_to_batch_controls %}`."""
    from tools.models import Batch

    return {"tool_batches": Batch.objects.order_by("name").only("pk", "name")[:200]}
