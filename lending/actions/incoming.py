"""A lending request arrives (ISO 18626, the API, or by hand) and is located in our inventory; the
borrower answers our conditions."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from illdesk.models import HistoryEvent, Note, ResourceSharingLibrary
from illdesk.notes import add_note, check_len
from illdesk.workflow import ActionRefused, record

from .. import inventory
from ..models import BibRecord, LendingRequest
from .common import transition

NO_RESOURCES = "No resources located"

_FIELDS = {f.name for f in LendingRequest._meta.concrete_fields} - {
    "id", "status", "partner", "locate_status", "record", "item", "locked_by", "locked_until", "is_active",
    "removed_at", "shipped_at",
}

_TEXT = {f.name for f in LendingRequest._meta.concrete_fields
         if f.get_internal_type() in ("CharField", "TextField") and not f.null}


def default_owner() -> ResourceSharingLibrary:
    owner = ResourceSharingLibrary.objects.order_by("pk").first()
    if owner is None:
        raise ActionRefused(_("No resource-sharing library is configured to own lending requests."), status=409)
    return owner


def create_incoming(partner, *, fields: dict[str, Any], by=None) -> LendingRequest:
    """A borrowing library's request becomes a lending request of ours, located at once (seed 002:
    no match or several → Locate failed, "No resources located").

    `fields` are LendingRequest fields (citation, requested_format, external_id, borrower_request_id,
    requester_name, dates …); "owner" defaults to the first resource-sharing library. Unknown or
    workflow-owned names (status, record, item …) raise ValueError.
    """
    unknown = set(fields) - _FIELDS - {"owner", "owner_id", "level_of_service_id", "assignee_id"}
    if unknown:
        raise ValueError(f"not lending request fields: {', '.join(sorted(unknown))}")
    # Missing parts of a message arrive as None; text columns store them as "".
    values = {k: ("" if v is None and k in _TEXT else v) for k, v in fields.items()}
    if "owner" not in values and "owner_id" not in values:
        values["owner"] = default_owner()
    with transaction.atomic():
        req = LendingRequest.objects.create(partner=partner, **values)
        source = partner.name if partner is not None else _("entered by hand")
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Created"), new=req.get_status_display(),
               message=_("Request from %(source)s") % {"source": source})
        req = locate(req, by=by)
    return req


def _outcome(result: inventory.SearchResult) -> str:
    if result.single is not None:
        return LendingRequest.LocateStatus.LOCATED
    return LendingRequest.LocateStatus.SEVERAL if result.records else LendingRequest.LocateStatus.NOT_LOCATED


def locate(req: LendingRequest, *, by, query: inventory.Query | None = None) -> LendingRequest:
    """Run locate against the local inventory: one record → located and linked; none or several →
    Locate failed with "No resources located" (several: staff choose one on the search page)."""
    result = inventory.search(query or inventory.Query.for_request(req))
    outcome = _outcome(result)
    with transaction.atomic():
        if outcome == LendingRequest.LocateStatus.LOCATED:
            record_ = result.single
            message = _("Resource located: %(title)s (%(id)s, matched on %(on)s)") % {
                "title": record_.title, "id": record_.record_id, "on": result.matched_on}
            return transition(req, "locate", by=by, outcome=outcome, record=record_, message=message,
                              tracked=("locate_status",))
        if outcome == LendingRequest.LocateStatus.SEVERAL:
            message = _("%(n)d resources found (on %(on)s): choose one") % {"n": len(result.records),
                                                                          "on": result.matched_on}
        else:
            message = NO_RESOURCES
        req = transition(req, "locate", by=by, outcome=outcome, message=message, tracked=("locate_status",))
        add_note(req, Note.Kind.INTERNAL, _(NO_RESOURCES) if outcome == LendingRequest.LocateStatus.NOT_LOCATED
                 else f"{_(NO_RESOURCES)}: {message}", by=by)
    return req


def choose_record(req: LendingRequest, record_: BibRecord, *, by) -> LendingRequest:
    """Staff pick one of several matches (or any record found on the search page)."""
    return transition(req, "locate", by=by, outcome=LendingRequest.LocateStatus.LOCATED, record=record_,
                      message=_("Resource chosen: %(title)s (%(id)s)") % {"title": record_.title,
                                                                         "id": record_.record_id},
                      tracked=("locate_status",))


def conditional_answer(req: LendingRequest, *, accepted: bool, by=None, note: str = "") -> LendingRequest:
    """The borrower's answer to our conditions: yes → Created lending request (reply-by date cleared),
    no → Rejected. ISO partners answer by message; for email partners staff record it (`by` = staff)."""
    check_len(note)
    message = _("The borrower accepted the conditions") if accepted else _("The borrower declined the conditions")
    with transaction.atomic():
        req = transition(req, "borrower_answered_condition", by=by, accepted=accepted,
                         message=message + (f": {note}" if note else ""), tracked=("reply_by",))
        add_note(req, Note.Kind.FROM_PARTNER, note, by=by)
    return req
