"""What a side configures its task list with (`TaskListConfig`), and what a page gets back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q

from .facets import Facet, FacetValue


@dataclass
class SearchField:
    key: str
    label: str
    lookups: tuple[str, ...]


@dataclass
class Preset:
    key: str
    label: str
    q: Callable[[object], Q]  # receives the user


@dataclass
class TaskListConfig:
    model: type
    facets: list[Facet]
    search_fields: list[SearchField]
    sorts: dict[str, str]
    presets: list[Preset] = field(default_factory=list)
    default_sort: str = "-created"
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()


@dataclass
class TaskListResult:
    page: object
    facets: list[tuple[Facet, list[FacetValue]]]
    presets: list[tuple[Preset, int]]
    selection: dict[str, list[str]]
    activity: str
    activity_counts: dict[str, int | None]
    search: str
    search_field: str
    sort: str
    preset: str
    needs_search: bool

    @property
    def has_filters(self) -> bool:
        return bool(self.selection or self.search or self.preset)


def first_hop(model, path: str):
    """`pickup_location__kind` → (the pickup_location field, "kind"); a local field → (None, path)."""
    if "__" not in path:
        return None, path
    first, rest = path.split("__", 1)
    f = model._meta.get_field(first)
    if f.many_to_one or f.one_to_one:
        return f, rest
    return None, path

