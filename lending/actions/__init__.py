"""Lending workflows (SPEC §2, seed 002). Each action: one transaction, the row locked, the transition
run through illdesk.workflow (refused while another operator holds the edit lock), history written,
the partner told through partners.notify (outbox, delivered after commit).

Public API used by other apps:
    create_incoming(partner, *, fields, by=None) -> LendingRequest   (ISO 18626 inbound, the API)
    conditional_answer(req, *, accepted, by=None, note="")          (the borrower's yes / no)
"""

from .common import lock_holder, refuse_if_locked
from .fulfil import (
    PLACEABLE,
    cancel_fulfillment_request,
    check_in,
    detach,
    find_request,
    place_fulfillment_request,
    reactivate,
    scan_in_return,
    ship_digitally,
    ship_item,
    ship_non_returnable,
)
from .incoming import NO_RESOURCES, choose_record, conditional_answer, create_incoming, default_owner, locate
from .manage import (
    acquire_edit_lock,
    duplicate,
    edit,
    lock_text,
    mark,
    release_edit_lock,
    remove,
    remove_alerts,
)
from .respond import (
    answer_cancel,
    conditional,
    general_message,
    recall,
    refuse_renewal,
    reject,
    renew,
    status_query,
    will_supply,
)

__all__ = [
    "NO_RESOURCES",
    "PLACEABLE",
    "acquire_edit_lock",
    "answer_cancel",
    "cancel_fulfillment_request",
    "check_in",
    "choose_record",
    "conditional",
    "conditional_answer",
    "create_incoming",
    "default_owner",
    "detach",
    "duplicate",
    "edit",
    "find_request",
    "general_message",
    "locate",
    "lock_holder",
    "lock_text",
    "mark",
    "place_fulfillment_request",
    "reactivate",
    "recall",
    "refuse_if_locked",
    "refuse_renewal",
    "reject",
    "release_edit_lock",
    "remove",
    "remove_alerts",
    "renew",
    "scan_in_return",
    "ship_digitally",
    "ship_item",
    "ship_non_returnable",
    "status_query",
    "will_supply",
]
