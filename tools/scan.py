"""The scan station: staff scan slips and items one after another and each scan runs one action.

Modes (SPEC §1/§2, seed 000 and 002):
  receive   borrowing: the item arrived from the lender     → borrowing.actions.receive
  return    borrowing: the item goes back to the lender     → borrowing.actions.return_item
  ship      lending: request slip + item barcode            → lending.actions.ship_item (non-returnable
            copies ship on the request scan alone; an item barcode alone ships the request it is for)
  check_in  lending: the item came back                     → lending.actions.check_in / scan_in_return

A scan is a request id (the slips' barcode), an external id, a borrowing temporary barcode or a
lending item barcode. When a mode needs two scans (ship; receive with "scan the item barcode too"),
the first is kept as pending in the session until the second arrives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from illdesk.inputs import parse_pk
from illdesk.workflow import ActionRefused

MODES: dict[str, Any] = {
    "receive": gettext_lazy("Receive (borrowing)"),
    "return": gettext_lazy("Return to lender (borrowing)"),
    "ship": gettext_lazy("Ship (lending)"),
    "check_in": gettext_lazy("Check in (lending)"),
}
SIDE_OF_MODE = {"receive": "borrowing", "return": "borrowing", "ship": "lending", "check_in": "lending"}
RECEIVE_FORMATS = ("requested", "physical", "digital", "physical_non_returnable")
MAX_CODE = 100


class ScanError(Exception):
    pass


@dataclass
class Result:
    level: str  # ok / wait / error
    code: str
    message: str
    request_id: int | None = None
    side: str = ""
    title: str = ""
    status: str = ""
    at: str = field(default_factory=lambda: timezone.localtime().strftime("%H:%M:%S"))

    @property
    def ok(self) -> bool:
        return self.level != "error"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Options:
    mode: str
    received_format: str = "requested"
    pair_item: bool = False  # receive: the next scan is the item's barcode, used as temporary barcode


# --- finding what was scanned ------------------------------------------------------------------------


def _unique(qs, code: str):
    found = list(qs[:2])
    if len(found) > 1:
        raise ScanError(_("Several requests match “%(code)s”: scan the request number instead.") % {"code": code})
    return found[0] if found else None


def _find(qs, code: str, fields: tuple[str, ...], not_found: str):
    """The request whose id is the code, else the one request whose first matching field holds it."""
    pk = parse_pk(code)
    found = qs.filter(pk=pk).first() if pk is not None else None
    for name in fields:
        if found is not None:
            break
        found = _unique(qs.filter(**{name: code}), code)
    if found is None:
        raise ScanError(not_found)
    return found


def find_borrowing(code: str):
    from borrowing.models import BorrowingRequest

    qs = BorrowingRequest.objects.select_related("owner", "partner__workflow_profile")
    return _find(qs, code, ("temp_barcode", "external_id"),
                 _("No borrowing request matches “%(code)s”.") % {"code": code})


def find_item(code: str):
    from lending.models import Item

    return Item.objects.filter(barcode=code).first()


def find_lending(code: str):
    from lending.models import LendingRequest

    qs = LendingRequest.objects.select_related("owner", "partner__workflow_profile", "item")
    return _find(qs, code, ("external_id", "borrower_request_id"),
                 _("No lending request matches “%(code)s”.") % {"code": code})


# --- the lending actions: the scan station changes nothing itself ---------------------------------------


def ship(req, *, by, barcode: str = ""):
    from illdesk.models import Format
    from lending import actions

    if req.requested_format == Format.PHYSICAL_NON_RETURNABLE:
        return actions.ship_non_returnable(req, by=by)
    return actions.ship_item(req, barcode=barcode, by=by)


def check_in(req, *, by, note: str = ""):
    from lending import actions

    return actions.check_in(req, by=by, note=note)


# --- one scan ------------------------------------------------------------------------------------------------


def _result(level: str, code: str, message: str, req=None) -> Result:
    if req is None:
        return Result(level, code, message)
    from illdesk.aliases import label_for

    return Result(level, code, message, req.pk, req._meta.app_label, (req.chapter_title or req.title)[:120],
                  label_for(req))


def _done(code: str, req, message: str) -> Result:
    return _result("ok", code, message, req)


def scan(code: str, options: Options, pending: dict | None, *, by) -> tuple[Result, dict | None]:
    """Handle one scan. Returns the result and what is pending afterwards (None: nothing)."""
    code = (code or "").strip()[:MAX_CODE]
    if not code:
        return Result("error", "", _("Nothing was scanned.")), pending
    if options.mode not in MODES:
        return Result("error", code, _("Choose what the station does first.")), None
    try:
        if options.mode == "receive":
            return _receive(code, options, pending, by=by)
        if options.mode == "return":
            return _return(code, by=by), None
        if options.mode == "ship":
            return _ship(code, pending, by=by)
        return _check_in(code, by=by), None
    except ScanError as exc:
        return Result("error", code, str(exc)), pending
    except ActionRefused as exc:
        # A refused second scan (wrong item) keeps the first: scanning the right item finishes it.
        return Result("error", code, exc.message), pending


def _receive(code: str, options: Options, pending: dict | None, *, by) -> tuple[Result, dict | None]:
    from borrowing.actions import receive

    if pending and pending.get("mode") == "receive":
        req = find_borrowing(str(pending["pk"]))
        if code in (str(req.pk), req.external_id):
            raise ScanError(_("That is the request slip again: scan the item's own barcode."))
        req = receive(req, by=by, received_format=_format(req, options), temp_barcode=code)
        return _done(code, req, _("Received with barcode %(code)s.") % {"code": code}), None
    req = find_borrowing(code)
    if options.pair_item:
        _refuse_unless_can(req, "receive")
        return (_result("wait", code, _("Now scan the item's barcode for request %(pk)s.") % {"pk": req.pk}, req),
                {"mode": "receive", "pk": req.pk})
    req = receive(req, by=by, received_format=_format(req, options))
    message = _("Received.") + (f" {_('Temporary barcode')}: {req.temp_barcode}" if req.temp_barcode else "")
    return _done(code, req, message), None


def _format(req, options: Options) -> str:
    return req.requested_format if options.received_format == "requested" else options.received_format


def _refuse_unless_can(req, transition: str) -> None:
    from django_fsm import can_proceed

    if not can_proceed(getattr(req, transition)):
        raise ScanError(_("Request %(pk)s cannot be received while it is “%(status)s”.")
                        % {"pk": req.pk, "status": req.get_status_display()})


def _return(code: str, *, by) -> Result:
    from borrowing.actions import return_item

    req = return_item(find_borrowing(code), by=by)
    return _done(code, req, _("Returned to the lender."))


def _ship(code: str, pending: dict | None, *, by) -> tuple[Result, dict | None]:
    from illdesk.models import Format
    from lending.statuses import BEFORE_SHIP

    item = find_item(code)
    if item is not None:
        if pending and pending.get("mode") == "ship":
            req = find_lending(str(pending["pk"]))
        else:
            from lending.models import LendingRequest

            req = _unique(LendingRequest.objects.filter(item=item, status__in=BEFORE_SHIP), code)
            if req is None:
                raise ScanError(_("Item %(code)s is not put aside for any request: scan the request slip first.")
                                % {"code": code})
        req = ship(req, by=by, barcode=code)
        return _done(code, req, _("Shipped with item %(code)s.") % {"code": code}), None
    req = find_lending(code)
    if req.requested_format == Format.PHYSICAL_NON_RETURNABLE:
        req = ship(req, by=by)
        return _done(code, req, _("Shipped (non-returnable).")), None
    if req.status not in BEFORE_SHIP:
        raise ScanError(_("Request %(pk)s cannot be shipped while it is “%(status)s”.")
                        % {"pk": req.pk, "status": req.get_status_display()})
    note = _("Now scan the item's barcode for request %(pk)s.") % {"pk": req.pk}
    if pending and pending.get("mode") == "ship" and pending.get("pk") != req.pk:
        note = _("Request %(old)s was not shipped. ") % {"old": pending["pk"]} + note
    return _result("wait", code, note, req), {"mode": "ship", "pk": req.pk}


def _check_in(code: str, *, by) -> Result:
    item = find_item(code)
    if item is not None:
        from lending.actions import scan_in_return

        req = scan_in_return(code, by=by)
        return _done(code, req, _("Checked in: item %(code)s is back.") % {"code": code})
    req = check_in(find_lending(code), by=by)
    return _done(code, req, _("Checked in."))


def prompt(mode: str, pending: dict | None) -> str:
    if pending and pending.get("mode") == mode:
        return _("Scan the item's barcode for request %(pk)s (or another request to start over).") % {
            "pk": pending["pk"]}
    return {
        "receive": _("Scan the request slip (request id, external id or temporary barcode) of an item that arrived."),
        "return": _("Scan the temporary barcode or request id of an item going back to the lender."),
        "ship": _("Scan the request slip, then the item's barcode (or the item's barcode alone)."),
        "check_in": _("Scan the item's barcode (or the request id) of an item that came back."),
    }.get(mode, "")
