"""Who sent an inbound message: the partner (with its workflow profile) for an agency id, cached.

Every message needs this lookup and partners change rarely. The cache is Django's (Redis when
REDIS_URL is set, shared by every process), so an entry dropped by one process is gone for all of
them. Entries are dropped when a partner or workflow profile is saved or deleted (signals, connected
in partners.apps, so the admin, the CSV import and the shell all count) and by the admin's bulk
activate/deactivate, which updates without signals. Unknown agency ids are never cached.

In front of a shared cache each process keeps what it read for LOCAL_SECONDS (a busy peer sends many
messages a second; this spares each of them a Redis round trip): a change made in another process
counts here at most that much later, one made in this process at once. The local-memory cache (no
REDIS_URL, and the tests) is in-process already and needs nothing in front.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db.models.signals import post_delete, post_save, pre_save

from illdesk.cache import TwoLevelCache

from ..iso18626.messages import AgencyId
from ..models import Partner, WorkflowProfile

KEY = "partners:iso-peer:v1:{}"
SECONDS = 300
LOCAL_SECONDS = 1.0


def _key(agency_type: str, agency_value: str) -> str:
    # Peers send anything: hash, so that no agency id can make an invalid or over-long cache key.
    symbol = f"{(agency_type or '').strip()}:{(agency_value or '').strip()}".casefold()
    return KEY.format(hashlib.sha256(symbol.encode("utf-8")).hexdigest())


def _load(agency_type: str, agency_value: str) -> Partner | None:
    return (Partner.objects.filter(agency_id_type__iexact=(agency_type or "").strip(),
                                   agency_id_value__iexact=(agency_value or "").strip())
            .select_related("workflow_profile").first())


# Unknown agency ids come back None, which the helper never caches: a partner added later counts at once.
_PEERS = TwoLevelCache(_key, _load, seconds=SECONDS, local_seconds=LOCAL_SECONDS, forget_after_commit=True)


def find_partner(agency: AgencyId) -> Partner | None:
    """The partner whose agency id (type and value, case-insensitive) is `agency`, or None. Each call gets
    its own instance: a message may cache relations on it."""
    return _PEERS.get(agency.type, agency.value)


def forget(partners: Iterable[tuple[str, str]]) -> None:
    """Drop the entries of these (agency id type, value) pairs, now and again once the current
    transaction commits (a message handled in between may have cached what was still committed)."""
    variants = [(t, v) for t, v in partners if v]
    if variants:
        _PEERS.forget(*variants)


def forget_queryset(queryset) -> None:
    forget(list(queryset.values_list("agency_id_type", "agency_id_value")))


def _remember_old_symbol(sender, instance: Partner, **kwargs) -> None:
    # A changed agency id must drop the entry under the old one too.
    instance._peer_symbol_before = (Partner.objects.filter(pk=instance.pk)
                                    .values_list("agency_id_type", "agency_id_value").first()
                                    if instance.pk else None)


def _partner_changed(sender, instance: Partner, **kwargs) -> None:
    before = getattr(instance, "_peer_symbol_before", None)
    forget([(instance.agency_id_type, instance.agency_id_value), *([before] if before else [])])


def _profile_changed(sender, instance: WorkflowProfile, **kwargs) -> None:
    forget_queryset(Partner.objects.filter(workflow_profile_id=instance.pk))


def connect_signals() -> None:
    pre_save.connect(_remember_old_symbol, sender=Partner, dispatch_uid="partners_peer_before")
    post_save.connect(_partner_changed, sender=Partner, dispatch_uid="partners_peer_saved")
    post_delete.connect(_partner_changed, sender=Partner, dispatch_uid="partners_peer_deleted")
    # A profile in use cannot be deleted (PROTECT): saving is the only change that matters.
    post_save.connect(_profile_changed, sender=WorkflowProfile, dispatch_uid="partners_profile_saved")
