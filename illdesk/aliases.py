"""Status aliases: a library's own name for a status, without touching the state machine.

`alias_label(side, status, library_id)` answers from one cached dict of every alias (the table is a
few dozen rows). The cache entry is dropped whenever an alias is saved or deleted (signals, so the
admin, bulk deletes and the shell all count), and it also expires after `CACHE_SECONDS` so a process
whose local cache missed an invalidation made by another process (per-process LocMemCache) is never
stale for longer than that. With a shared cache (Redis) invalidation is immediate everywhere (give or
take the one-second in-process memo that spares a task list one cache round trip per row).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from .cache import TwoLevelCache
from .models import StatusAlias, status_choices

CACHE_KEY = "tools:status-aliases:v1"  # the key it had in tools/: processes not yet restarted share it
CACHE_SECONDS = 60
LOCAL_SECONDS = 1.0

AliasMap = dict[tuple[str, str, int | None], str]


def _load() -> AliasMap:
    rows = StatusAlias.objects.values_list("side", "status", "library_id", "label")
    return {(side, status, library_id): label for side, status, library_id, label in rows}


_ALIASES = TwoLevelCache(CACHE_KEY, _load, seconds=CACHE_SECONDS, local_seconds=LOCAL_SECONDS)


def aliases() -> AliasMap:
    return _ALIASES.get()


def invalidate(*_args, **_kwargs) -> None:
    _ALIASES.forget()


def connect_signals() -> None:
    post_save.connect(invalidate, sender=StatusAlias, dispatch_uid="illdesk_alias_saved")
    post_delete.connect(invalidate, sender=StatusAlias, dispatch_uid="illdesk_alias_deleted")


def builtin_label(side: str, status: str) -> str:
    return str(dict(status_choices(side)).get(status, status))


def alias_or_none(side: str, status: str, library_id: int | None = None) -> str | None:
    """The library's alias for `status`, else the alias for every library, else None (for pages such
    as the OPAC that have their own wording when no alias is set)."""
    found = aliases()
    if library_id is not None:
        label = found.get((side, status, library_id))
        if label:
            return label
    return found.get((side, status, None)) or None


def alias_label(side: str, status: str, library_id: int | None = None) -> str:
    """The library's alias for `status`, else the alias for every library, else the status's own label."""
    return alias_or_none(side, status, library_id) or builtin_label(side, status)


def alias_choices(side: str, library_id: int | None = None) -> list[tuple[str, str]]:
    """The side's status choices with aliases applied (for facets, selects and the OPAC)."""
    return [(value, alias_label(side, value, library_id)) for value, _label in status_choices(side)]


def label_for(obj) -> str:
    """Alias of a borrowing or lending request's current status, for its owning library."""
    return alias_label(obj._meta.app_label, obj.status, getattr(obj, "owner_id", None))
