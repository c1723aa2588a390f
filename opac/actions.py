"""What patrons do to their requests from the OPAC (SPEC §7), and the staff step that links an
unauthenticated request to a patron.

Same discipline as borrowing/actions.py: one transaction per action, status changed only through
the borrowing side's actions (`borrowing.actions.transition`), a history row for everything, letters
queued in the transaction (delivered after commit by the letters outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from borrowing import rota
from borrowing.actions import letter_to_patron, transition
from borrowing.models import BorrowingRequest
from borrowing.statuses import Status
from illdesk.models import HistoryEvent, Patron, PickupLocation, ResourceSharingLibrary
from illdesk.workflow import ActionRefused, record, update_fields
from letters.api import send_letter, staff_recipients

from .identifiers import isbn13, normalize_doi, normalize_issn, normalize_pmid, title_key
from .models import OpacSettings
from .statuses import may_modify

S = Status

# Fields of BorrowingRequest a patron's request form may set.
CITATION_FIELDS = ("request_type", "title", "author", "chapter_title", "chapter_author", "isbn", "issn", "doi",
                   "pmid", "publisher", "place_of_publication", "year", "edition", "volume", "issue", "pages",
                   "oclc_number")
SERVICE_FIELDS = ("requested_format", "pickup_location", "last_interest_date", "request_note")
PATRON_EDITABLE_FIELDS = ("pickup_location", "last_interest_date", "request_note")


# --- who may request ---------------------------------------------------------------------------------


def open_requests(patron: Patron) -> QuerySet[BorrowingRequest]:
    """The patron's requests still in process (what the limit and the duplicate check count)."""
    return BorrowingRequest.objects.filter(requester=patron, is_active=True)


def limit_reached(patron: Patron) -> bool:
    """Koha: per-category limits on open requests (no limit when the category sets none)."""
    limit = patron.category.request_limit
    return limit is not None and open_requests(patron).count() >= limit


def _part_key(values: dict[str, Any]) -> tuple:
    chapter = title_key(values.get("chapter_title"))
    if chapter:
        return ("title", chapter)
    return ("numbers", *(title_key(values.get(f)) for f in ("volume", "issue", "pages")))


def _same(values: dict[str, Any], other: BorrowingRequest) -> bool:
    """Same item: same DOI or PMID; or the same container (ISBN, ISSN or normalised title) and the
    same part (the same article/chapter title, or volume+issue+pages — so two different articles of
    one journal are not duplicates)."""
    theirs = {f: getattr(other, f) for f in CITATION_FIELDS}
    for field, norm in (("doi", normalize_doi), ("pmid", normalize_pmid)):
        mine = norm(values.get(field))
        if mine and mine.lower() == norm(theirs[field]).lower():
            return True
    container = False
    for field, norm in (("isbn", isbn13), ("issn", normalize_issn)):
        mine = norm(values.get(field))
        if mine and mine == norm(theirs[field]):
            container = True
    mine_title = title_key(values.get("title"))
    if mine_title and mine_title == title_key(theirs["title"]):
        container = True
    return container and _part_key(values) == _part_key(theirs)


def find_duplicates(patron: Patron, values: dict[str, Any]) -> list[BorrowingRequest]:
    """The patron's own open requests for the same item (Alma check_patron_duplicate_borrowing_requests)."""
    fields = ("pk", "status", "created_at", *CITATION_FIELDS)
    return [req for req in open_requests(patron).only(*fields) if _same(values, req)]


def owner_for(pickup: PickupLocation | None, patron: Patron | None) -> ResourceSharingLibrary:
    """The library that handles the request: the pickup location's, else the patron's home library,
    else the first resource-sharing library."""
    if pickup is not None:
        return pickup.library
    if patron is not None and patron.home_library_id:
        return patron.home_library
    library = ResourceSharingLibrary.objects.order_by("pk").first()
    if library is None:
        raise ActionRefused(_("The library has not set up interlibrary loan yet."), status=503)
    return library


# --- notices ---------------------------------------------------------------------------------------------


def _staff_notice(req: BorrowingRequest, code: str, *, by, context: Callable[[], dict]) -> None:
    """Koha ILL_REQUEST_MODIFIED / ILL_REQUEST_CANCEL, in the owning library's language."""
    if not OpacSettings.load().staff_notices:
        return
    with translation.override(req.owner.language):
        values = context()
    send_letter(code, request=req, to=staff_recipients(req), context=values, by=by)


# --- placing a request ------------------------------------------------------------------------------------


def create_request(values: dict[str, Any], *, patron: Patron | None, by=None, name: str = "",
                   email: str = "") -> BorrowingRequest:
    """A new borrowing request from the OPAC form.

    A patron's request starts as "Created borrowing request" with its rota built from the rules, like
    a request staff enter. Without an account (`patron` None, `name`/`email` given) it waits as
    "Pending approval" until staff link it to a patron (Koha: status "Unauthenticated").
    """
    unknown = set(values) - set(CITATION_FIELDS) - set(SERVICE_FIELDS)
    if unknown:
        raise ValueError(f"not OPAC request fields: {', '.join(sorted(unknown))}")
    if patron is None and not (name and email):
        raise ValueError("an unauthenticated request needs a name and an email address")
    fields = {k: v for k, v in values.items() if v not in (None, "")}
    owner = owner_for(fields.get("pickup_location"), patron)
    with transaction.atomic():
        req = BorrowingRequest.objects.create(
            **fields, owner=owner, requester=patron, patron_category=patron.category if patron else None,
            unauthenticated_name="" if patron else name, unauthenticated_email="" if patron else email,
            status=S.CREATED if patron else S.PENDING_APPROVAL,
        )
        source = _("Requested by the patron in the OPAC") if patron else \
            _("Requested in the OPAC without logging in by %(name)s <%(email)s>") % {"name": name, "email": email}
        record(req, by=by, kind=HistoryEvent.Kind.ACTION, field=_("Created"), new=req.get_status_display(),
               message=source)
        if patron is not None:
            rota.rebuild(req, by=None, keep_active=False)
            req.refresh_from_db()
        if OpacSettings.load().confirm_to_patron:
            letter_to_patron(req, "patron_request_update", by=by, context=lambda: {"message": _received(req)},
                             visitor_language=get_language())
    return req


def _received(req: BorrowingRequest) -> str:
    message = _("We have received your interlibrary loan request. Its number is %(id)s.") % {"id": req.pk}
    if req.requester_id is None:
        message += " " + _("The library will check your details before ordering the item.")
    return message


# --- the patron's own requests ----------------------------------------------------------------------------


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > 1000:
        raise ActionRefused(_("A note can be at most %(n)d characters.") % {"n": 1000}, status=400)
    return note


def patron_cancel(req: BorrowingRequest, *, by, note: str = "") -> BorrowingRequest:
    """→ Cancelled by patron, while staff have not processed it; staff get the Koha ILL_REQUEST_CANCEL
    notice."""
    note = _check_note(note)
    with transaction.atomic():
        req = transition(req, "patron_cancel", by=by,
                         message=note or _("Cancelled by the patron in the OPAC"))
        _staff_notice(req, "staff_patron_cancelled", by=by, context=lambda: {"note": note})
    return req


def ask_renewal(req: BorrowingRequest, *, by, note: str = "") -> BorrowingRequest:
    """→ Mediated patron renewal: staff then ask the lender (the profile decides how)."""
    note = _check_note(note)
    with transaction.atomic():
        req = transition(req, "patron_asks_renewal", by=by,
                         message=note or _("The patron asked for a renewal in the OPAC"))
        _staff_notice(req, "staff_patron_modified", by=by,
                      context=lambda: {"changes": _("The patron asks for a renewal."), "note": note})
    return req


def modify(req: BorrowingRequest, *, by, changes: dict[str, Any], note: str = "") -> BorrowingRequest:
    """The patron changes the pickup location, last interest date or note of a request staff have not
    processed yet; staff get the Koha ILL_REQUEST_MODIFIED notice listing what changed."""
    unknown = set(changes) - set(PATRON_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"patrons cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = BorrowingRequest.objects.select_for_update().get(pk=req.pk)
        if not may_modify(current):
            raise ActionRefused(_("The library is already working on this request; it can no longer be changed "
                                  "here. Please contact the library."))
        before = {f: _shown(current, f) for f in changes}
        changed = {f: v for f, v in changes.items() if getattr(current, f) != v}
        if not changed:
            return current
        current = update_fields(current, by=by, changes=changed, message=_("Changed by the patron in the OPAC"))
        after = {f: _shown(current, f) for f in changed}

        def lines() -> dict:
            return {"changes": "\n".join(
                f"{str(BorrowingRequest._meta.get_field(f).verbose_name).capitalize()}: {before[f] or '—'} → "
                f"{after[f] or '—'}" for f in changed), "note": note}

        _staff_notice(current, "staff_patron_modified", by=by, context=lines)
    return current


def _shown(req: BorrowingRequest, field: str) -> str:
    value = getattr(req, field)
    return "" if value is None else str(value)


# --- staff: link an unauthenticated request to a patron --------------------------------------------------


def link_to_patron(req: BorrowingRequest, *, patron: Patron, by, approve: bool = False) -> BorrowingRequest:
    """Koha: "Before they can be progressed, you need to link it to a patron record." The requester and
    user group are set (history rows), the rota is built now that the category is known, and with
    `approve` the request moves on from Pending approval to Created."""
    with transaction.atomic():
        current = BorrowingRequest.objects.select_for_update().get(pk=req.pk)
        if current.requester_id is not None:
            raise ActionRefused(_("This request already belongs to a patron."))
        current = update_fields(current, by=by, changes={"requester": patron, "patron_category": patron.category},
                                message=_("Linked to the patron who placed the request without logging in"))
        if not current.rota_entries.exists():
            rota.rebuild(current, by=by, keep_active=False)
        if approve and current.status == S.PENDING_APPROVAL:
            current = transition(current, "approve", by=by)
    return BorrowingRequest.objects.get(pk=current.pk)
