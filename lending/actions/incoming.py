"""A lending request arrives (ISO 18626, the API, or by hand) and is located in our inventory; the
borrower answers our conditions."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from illdesk.cache import TwoLevelCache
from illdesk.models import HistoryEvent, Note, ResourceSharingLibrary
from illdesk.notes import add_note, check_len
from illdesk.workflow import ActionRefused, record, status_label

from .. import inventory
from ..models import OPEN_REQUEST, BibRecord, LendingRequest
from ..statuses import Status
from .common import let_go, transition

log = logging.getLogger("illdesk.lending")

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


# Every incoming request needs it and it practically never changes: saving or deleting a library drops it
# (lending.apps connects forget_default_owner); in front of a shared cache each process keeps it a second too,
# sparing a busy endpoint a Redis round trip.
_OWNER = TwoLevelCache("lending:default-owner:v1", lambda: default_owner().pk, seconds=300, local_seconds=1.0)


def default_owner_id() -> int:
    """default_owner's id, cached."""
    return _OWNER.get()


def forget_default_owner(*_args, **_kwargs) -> None:
    _OWNER.forget()


def open_request(partner, borrower_request_id: str | None) -> LendingRequest | None:
    """The partner's open lending request for its request `borrower_request_id`: at most one (constraint
    lending_request_once_per_borrower_request), None when there is none or no id to look for."""
    if partner is None or not borrower_request_id:
        return None
    return (LendingRequest.objects.filter(OPEN_REQUEST, partner=partner, borrower_request_id=borrower_request_id)
            .order_by("-pk").first())


class AlreadyReceived(Exception):
    """Another copy of the borrower's request was taken a moment ago (it committed while this one was being
    inserted): `request` is that one, to answer with instead. Nothing of this copy was written."""

    def __init__(self, request: LendingRequest) -> None:
        super().__init__(f"already have lending request {request.pk} for this borrower's request")
        self.request = request


def create_incoming(partner, *, fields: dict[str, Any], by=None, locate_after_commit: bool = False) -> LendingRequest:
    """A borrowing library's request becomes a lending request of ours, located at once (seed 002:
    no match or several → Locate failed, "No resources located").

    `fields` are LendingRequest fields (citation, requested_format, external_id, borrower_request_id,
    requester_name, dates …); "owner" defaults to the first resource-sharing library. Unknown or
    workflow-owned names (status, record, item …) raise ValueError.

    `locate_after_commit` (ISO 18626 inbound): the request is created at "Created lending request",
    locate not run, and located by the task `lending.locate_received` once the caller's transaction
    commits, so the partner's confirmation does not wait for the catalogue search (ISO 18626 confirms
    a request before any status change). Without a broker the task runs in-process right after the
    commit; with one a worker runs it (retried; `locate_received` is idempotent), and the ISO
    sweeper re-enqueues a locate whose task was lost (`requeue_missed_locates`).

    One open lending request per borrower's request (partner, borrower_request_id): when the insert
    loses to another copy of the same request (sent again after a timeout, posted twice at once) this
    raises AlreadyReceived with the winner, and the caller answers with it. Callers look first
    (`open_request`) for the common case of a copy sent later; only the constraint settles copies that
    arrive together, so the loser never writes anything.
    """
    unknown = set(fields) - _FIELDS - {"owner", "owner_id", "level_of_service_id", "assignee_id"}
    if unknown:
        raise ValueError(f"not lending request fields: {', '.join(sorted(unknown))}")
    # Missing parts of a message arrive as None; text columns store them as "".
    values = {k: ("" if v is None and k in _TEXT else v) for k, v in fields.items()}
    if "owner" not in values and "owner_id" not in values:
        values["owner_id"] = default_owner_id()
    # No savepoint: nothing here is retried after a failure, which rolls the caller back as well. (Only the
    # insert has one, `_insert`: losing it to another copy of the request is no failure.)
    with transaction.atomic(savepoint=False):
        req, winner = _insert(partner, values)
        if winner is None:
            source = partner.name if partner is not None else _("entered by hand")
            record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Created"),
                   new=status_label(LendingRequest, req.status),
                   message=_("Request from %(source)s") % {"source": source})
            if locate_after_commit:
                transaction.on_commit(partial(enqueue_locate, req.pk))
            else:
                req = locate(req, by=by)
    if winner is not None:  # raised out here: leaving the block above by an exception would spoil the caller's
        raise AlreadyReceived(winner)  # transaction, which is to answer with the winner
    return req


def _insert(partner, values: dict[str, Any]) -> tuple[LendingRequest | None, LendingRequest | None]:
    """(the new request, None), or (None, the open request that has its borrower's id already).

    A request that may collide with another copy of itself is inserted in a savepoint: when it loses, the
    savepoint goes and the caller's transaction stays usable for reading the winner. On PostgreSQL the
    insert waits for the winner's transaction and fails once that commits, so the winner is there to read;
    SQLite serialises writers, and a writer it cannot wait for fails with "database is locked" instead
    (OperationalError, propagated: the caller answers "try again").
    """
    if partner is None or not values.get("borrower_request_id"):
        return LendingRequest.objects.create(partner=partner, **values), None
    try:
        with transaction.atomic():
            return LendingRequest.objects.create(partner=partner, **values), None
    except IntegrityError:
        winner = open_request(partner, values["borrower_request_id"])
        if winner is None:  # some other constraint, or the winner closed already: not ours to explain
            raise
        log.info("lending request %s already has borrower's request %r of %s: not taken twice",
                 winner.pk, winner.borrower_request_id, partner.code)
        return None, winner


# --- locate after commit -------------------------------------------------------------------------

#: How long a received request may wait for its locate task before the sweeper enqueues it again.
LOCATE_GRACE = timedelta(minutes=2)
SWEEP_BATCH = 500


def enqueue_locate(pk: int) -> None:
    """Hand the locate to Celery. When that fails the request stays "Locate not run" and the sweeper
    (or an operator's Locate) picks it up."""
    from ..tasks import locate_received

    try:
        locate_received.delay(pk)
    except Exception:  # Redis down, broker misconfigured …: requeue_missed_locates tries again
        log.warning("could not enqueue locate of lending request %s; the sweeper will", pk, exc_info=True)


class NotPending(ActionRefused):
    """The request is not waiting for its locate any more."""


def _still_waiting(current: LendingRequest) -> None:
    if current.locate_status != LendingRequest.LocateStatus.NOT_RUN:
        raise NotPending(_("Locate already ran for this request."))


# what locate reads (Query.for_request) and decides on; the rest of the row is read under the lock
_LOCATE_READS = ("title", "author", "isbn", "issn", "oclc_number", "bib_id", "status", "locate_status")


def locate_if_pending(pk: int) -> str:
    """Run the locate a received request is waiting for, once: a request that is gone, was located or
    searched meanwhile (by an operator, or by an earlier run of the same task), or has moved on (the
    borrower cancelled) is left as it is; whether it still waits is decided again under the row lock
    the locate takes. Returns what happened, for the task's log."""
    req = LendingRequest.objects.only(*_LOCATE_READS).filter(pk=pk).first()
    if req is None:
        return "gone"
    if req.locate_status != LendingRequest.LocateStatus.NOT_RUN or not can_proceed(req.locate):
        return "nothing to do"
    try:
        req = locate(req, by=None, check=_still_waiting)
    except ActionRefused:  # located or moved on between the look above and the lock
        return "nothing to do"
    return req.locate_status


def requeue_missed_locates(now=None) -> int:
    """Enqueue the locate again for requests received over ISO 18626 that still wait for it after
    LOCATE_GRACE (the task was never enqueued or was lost). Part of the ISO sweeper."""
    from partners.models import InboundMessage

    now = now or timezone.now()
    received = InboundMessage.objects.filter(content_type=ContentType.objects.get_for_model(LendingRequest),
                                             object_id=OuterRef("pk"), kind="request", acted=True)
    waiting = list(LendingRequest.objects.filter(
        is_active=True, status=Status.CREATED,
        locate_status=LendingRequest.LocateStatus.NOT_RUN, created_at__lt=now - LOCATE_GRACE,
    ).filter(Exists(received)).order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    for pk in waiting:
        enqueue_locate(pk)
    return len(waiting)


def _outcome(result: inventory.SearchResult) -> str:
    if result.single is not None:
        return LendingRequest.LocateStatus.LOCATED
    return LendingRequest.LocateStatus.SEVERAL if result.records else LendingRequest.LocateStatus.NOT_LOCATED


def locate(req: LendingRequest, *, by, query: inventory.Query | None = None, check=None) -> LendingRequest:
    """Run locate against the local inventory: one record → located and linked; none or several →
    Locate failed with "No resources located" (several: staff choose one on the search page).
    `check` (see common.transition) may refuse, once the request is locked."""
    result = inventory.search(query or inventory.Query.for_request(req), with_items=False)
    outcome = _outcome(result)
    with transaction.atomic():
        if outcome == LendingRequest.LocateStatus.LOCATED:
            record_ = result.single
            message = _("Resource located: %(title)s (%(id)s, matched on %(on)s)") % {
                "title": record_.title, "id": record_.record_id, "on": result.matched_on}
            return transition(req, "locate", by=by, outcome=outcome, record=record_, message=message,
                              tracked=("locate_status",), check=check)
        if outcome == LendingRequest.LocateStatus.SEVERAL:
            message = _("%(n)d resources found (on %(on)s): choose one") % {"n": len(result.records),
                                                                          "on": result.matched_on}
        else:
            message = NO_RESOURCES
        req = transition(req, "locate", by=by, outcome=outcome, message=message, tracked=("locate_status",),
                         check=check)
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
        if not accepted:
            let_go(req, by=by)
    return req
