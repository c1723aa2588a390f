"""Whether an inbound ISO 18626 message really comes from the partner it names.

A partner is trusted only when it can prove it: by a shared secret (`Authorization: Bearer <secret>`,
`X-ISO18626-Shared-Secret: <secret>`, or header/requestingAgencyAuthentication/securityCode), by the
address the message comes from (the partner's allow-list of networks, for peers that cannot send a
secret), or both when both are set. A partner with neither is not trusted at all: knowing its agency id
must not be enough to move our requests.

The source address is the connection's. Behind a reverse proxy that is the proxy's, so the proxy's own
addresses go in `ILLDESK_TRUSTED_PROXIES`: for a connection from one of them, the address the proxy
appended to `X-Forwarded-For` (the last one) counts instead. Nothing else in that header is believed.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Mapping

from django.conf import settings

from ..models import Partner, parse_networks

HOW_TO = ("ask the library to set a shared secret or the addresses your messages come from for you "
          "(Partners, ISO 18626)")


def _offered_secrets(msg, headers: Mapping[str, str]) -> list[str]:
    offered = []
    auth = headers.get("Authorization", "") or ""
    if auth[:7].lower() == "bearer ":
        offered.append(auth[7:].strip())
    if headers.get("X-ISO18626-Shared-Secret"):
        offered.append(headers["X-ISO18626-Shared-Secret"].strip())
    credentials = msg.header.requesting_agency_authentication
    if credentials is not None and credentials.security_code:
        offered.append(credentials.security_code)
    return offered


def _address(text: str):
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def source_address(remote_addr: str, headers: Mapping[str, str]) -> str:
    """The address a message comes from: the connection's, or a trusted proxy's report of it."""
    peer = _address(remote_addr)
    proxies = parse_networks(" ".join(getattr(settings, "ILLDESK_TRUSTED_PROXIES", ()) or ()))
    if peer is not None and any(peer in net for net in proxies):
        forwarded = (headers.get("X-Forwarded-For", "") or "").split(",")[-1]
        if _address(forwarded) is not None:
            return forwarded.strip()
    return (remote_addr or "").strip()


def refusal(partner: Partner, msg, headers: Mapping[str, str], source: str) -> str | None:
    """None when the message proves it is the partner's, else what the confirmation tells the sender.
    `source` is where it comes from (`source_address`)."""
    networks = partner.networks
    if not partner.shared_secret and not networks:
        return f"this library has no way to check that messages from you are yours: {HOW_TO}"
    if partner.shared_secret:
        secret = partner.shared_secret.encode("utf-8")
        if not any(hmac.compare_digest(o.encode("utf-8"), secret) for o in _offered_secrets(msg, headers)):
            return "header/requestingAgencyAuthentication: the shared secret is missing or wrong"
    if networks:
        address = _address(source)
        if address is None or not any(address in net for net in networks):
            return "this message comes from an address that is not allowed to speak for you"
    return None
