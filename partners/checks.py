"""`manage.py check --deploy`: active ISO 18626 partners whose messages /iso18626 cannot authenticate."""

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def iso_partners_can_authenticate(app_configs=None, **kwargs):
    from .models import Partner

    try:
        partners = [p for p in Partner.objects.filter(active=True, profile_type=Partner.ProfileType.ISO18626)
                    if not p.can_authenticate]
    except DatabaseError:  # not migrated yet: nothing to say about partners
        return []
    if not partners:
        return []
    names = ", ".join(f"{p.code} ({p.agency_symbol or 'no agency id'})" for p in partners[:10])
    more = f" and {len(partners) - 10} more" if len(partners) > 10 else ""
    return [Warning(
        f"{len(partners)} active ISO 18626 partner(s) cannot authenticate, so /iso18626 refuses all their "
        f"messages: {names}{more}.",
        hint="Give each a shared secret or the addresses its messages come from (admin: Partners, ISO 18626).",
        id="partners.W001",
    )]
