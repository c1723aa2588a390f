"""Who a letter goes to by default: the patron, the partner, or the library's ILL staff address."""

from __future__ import annotations

from django.conf import settings

from . import catalog


def staff_email(library=None) -> str:
    """Koha: the library's ILL email, else the ILLDefaultStaffEmail preference (ILLDESK_STAFF_EMAIL)."""
    if library is not None and library.email:
        return library.email
    return getattr(settings, "ILLDESK_STAFF_EMAIL", "") or settings.DEFAULT_FROM_EMAIL


def staff_recipients(req) -> list[str]:
    return [staff_email(req.owner if req is not None and req.owner_id else None)]


def patron_email(req) -> str:
    patron = getattr(req, "requester", None)
    if patron is not None and patron.email:
        return patron.email
    return getattr(req, "unauthenticated_email", "") or ""


def default_recipients(code: str, req, *, partner=None) -> list[str]:
    """The usual addressee of `code` for `req` (empty when there is no address to send to)."""
    spec = catalog.get(code)
    if spec.audience == catalog.PATRON:
        email = patron_email(req)
    elif spec.audience == catalog.PARTNER:
        partner = partner if partner is not None else req.partner
        email = partner.email if partner is not None else ""
    elif code == "assignment_notice":
        email = req.assignee.email if req.assignee_id else ""
    else:
        email = staff_email(req.owner if req.owner_id else None)
    return [email] if email else []


def clean_addresses(to) -> list[str]:
    """Strip, drop blanks, split "a, b" strings, keep order, no duplicates (case-insensitive)."""
    if isinstance(to, str):
        to = [to]
    seen: set[str] = set()
    result = []
    for entry in to or ():
        for address in str(entry).replace(";", ",").split(","):
            address = address.strip()
            if address and address.lower() not in seen:
                seen.add(address.lower())
                result.append(address)
    return result
