"""Who sent an inbound message: the partner (with its workflow profile) for an agency id.

Not cached, on purpose: this lookup decides who may speak for which requests, so a deactivated partner, a
new secret or a changed allow-list must count for the very next message in every process, with or
without Redis and whatever changed it (the admin, a bulk action, the CSV import, the shell, another
server). It is one indexed query (`partner_unique_agency_id`) with the profile joined.
"""

from __future__ import annotations

from ..iso18626.messages import AgencyId
from ..models import Partner


def find_partner(agency: AgencyId) -> Partner | None:
    """The partner whose agency id (type and value, case-insensitive) is `agency`, or None."""
    return (Partner.objects.filter(agency_id_type__iexact=(agency.type or "").strip(),
                                   agency_id_value__iexact=(agency.value or "").strip())
            .select_related("workflow_profile").first())
