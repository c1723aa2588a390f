from urllib.parse import urlencode

from django import template

register = template.Library()


def _items(params, drop=()):
    return [(k, v) for k in params for v in params.getlist(k) if k not in drop and k != "page" and v]


@register.simple_tag(takes_context=True)
def toggle(context, key: str, value: str) -> str:
    """Query string with `key=value` added, or removed when it is already selected. (The task list's
    facets get theirs from the view: illdesk.requestviews.facet_boxes.)"""
    from illdesk.requestviews import QueryLinks

    return QueryLinks(context["request"].GET).toggle(key, value)


@register.simple_tag(takes_context=True)
def with_param(context, key: str, value: str, *drop: str) -> str:
    """Query string with `key` set to `value` (replacing it) and the `drop` keys removed."""
    params = context["request"].GET
    items = [i for i in _items(params, drop=(key, *drop))]
    if value not in ("", None):
        items.append((key, str(value)))
    return "?" + urlencode(items)


@register.simple_tag(takes_context=True)
def page_link(context, number: int) -> str:
    params = context["request"].GET
    return "?" + urlencode([*_items(params), ("page", number)])


@register.simple_tag(takes_context=True)
def sort_link(context, key: str) -> str:
    params = context["request"].GET
    current = params.get("sort", "")
    new = f"-{key}" if current == key else key
    return "?" + urlencode([*_items(params, drop=("sort",)), ("sort", new)])


@register.filter
def sort_state(sort: str, key: str) -> str:
    if sort == key:
        return "ascending"
    if sort == f"-{key}":
        return "descending"
    return "none"


@register.filter
def person(user) -> str:
    """A user's full name, else username; empty for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.username
