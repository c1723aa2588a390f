"""Import borrowing requests from an external system (seed 001: Libris).

One run: check the profile (active, library code mapped), fetch our outgoing requests from the harvest
start date to today, and turn each record into a borrowing request — created the first time, updated
when it changed, skipped when it did not. Every record gets a report line; a bad record is reported
and the next one goes on.

    run_import(profile_id, *, trigger="schedule", by=None) -> JobRun
    import_profile(report, profile, *, today=None)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from borrowing.models import BorrowingRequest, RotaEntry
from borrowing.statuses import Status as BStatus
from illdesk.models import Format, HistoryEvent, Patron, PickupLocation, RequestType
from illdesk.workflow import record, update_fields
from partners.models import Partner

from .libris import LibrisClient, LibrisError
from .models import ImportedRecord, IntegrationProfile, JobRun
from .runs import JobFailed, Report, execute

IMPORT_JOB = "libris_import"
STALE_RUN = timedelta(hours=2)
ISSN = re.compile(r"^\d{4}-?\d{3}[\dXx]$")
MEDIA_TYPES = {"lån": Format.PHYSICAL, "lan": Format.PHYSICAL, "kopia": Format.DIGITAL}
# What a later run may change on a request it created (the lifecycle itself belongs to illdesk).
CITATION_FIELDS = ("title", "author", "isbn", "issn", "publisher", "place_of_publication", "year", "volume",
                   "pages", "chapter_title", "chapter_author", "request_type", "requested_format", "request_note")


class RecordFailed(Exception):
    """This record cannot be imported; the message says why."""


class RecordSkipped(Exception):
    """This record is left alone this time; the message says why."""


def run_import(profile_id: int, *, trigger: str = JobRun.Trigger.SCHEDULE, by=None,
               today: date | str | None = None) -> JobRun:
    profile = IntegrationProfile.objects.select_related("resource_sharing_library").get(pk=profile_id)
    if isinstance(today, str):
        today = date.fromisoformat(today)
    return execute(IMPORT_JOB, profile.job_name, lambda report: import_profile(report, profile, today=today),
                   trigger=trigger, by=by, profile=profile)


def import_profile(report: Report, profile: IntegrationProfile, *, today: date | None = None) -> None:
    if not profile.active:
        raise JobFailed(_("The integration profile “%(code)s” is not active.") % {"code": profile.code})
    if not _claim_profile(profile):
        report.note(_("Not run: another import with this profile is still running."))
        return
    try:
        _import(report, profile, today or timezone.localdate())
    finally:
        IntegrationProfile.objects.filter(pk=profile.pk).update(running_since=None)


def _claim_profile(profile: IntegrationProfile) -> bool:
    """Conditional UPDATE: only one run of a profile at a time (a crashed run frees it after STALE_RUN)."""
    now = timezone.now()
    return bool(IntegrationProfile.objects.filter(pk=profile.pk)
                .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_RUN))
                .update(running_since=now))


def _import(report: Report, profile: IntegrationProfile, today: date) -> None:
    context = Context(profile)
    start = profile.harvest_start_date
    if start > today:
        raise JobFailed(_("The harvest start date %(date)s is in the future.") % {"date": start.isoformat()})
    client = LibrisClient(base_url=profile.base_url, sigil=profile.library_code, api_key=profile.api_key,
                          timeout=float(profile.timeout_seconds))
    try:
        batch = client.outgoing(start, today)
    except LibrisError as exc:
        raise JobFailed(str(exc)) from exc
    for note in batch.notes:
        report.error(note)
    report.note(_("Requests from %(start)s to %(end)s: %(n)d received.") % {
        "start": start.isoformat(), "end": today.isoformat(), "n": len(batch.records)})
    for index, raw in enumerate(batch.records, 1):
        import_record(report, context, raw, index=index)


def import_record(report: Report, context: Context, raw: Any, *, index: int) -> None:
    key = _("record %(n)d") % {"n": index}
    if isinstance(raw, dict) and _plain(raw.get("lf_number")):
        key = _plain(raw.get("lf_number"))
    try:
        mapped = context.map(raw)
        with transaction.atomic():
            outcome, message, req = save(context.profile, mapped)
    except RecordSkipped as exc:
        report.skipped(str(exc), key=key)
    except RecordFailed as exc:
        report.failed(str(exc), key=key)
    except Exception as exc:
        report.failed(f"{type(exc).__name__}: {exc}", key=key)
    else:
        if mapped.notes:
            message = " ".join([message, *mapped.notes])
        report.line(outcome, message, key=key, obj=req)


# --- from a Libris record to our fields --------------------------------------------------------------


@dataclass
class Mapped:
    key: str
    request_id: str
    last_modified: str
    fields: dict[str, Any]
    requester: Patron | None
    unauthenticated_name: str
    unauthenticated_email: str
    pickup_location: PickupLocation | None
    rota: list[tuple[Partner, str, str]]  # partner, RotaEntry.State, the library's response
    notes: list[str] = field(default_factory=list)

    @property
    def active_partner(self) -> Partner | None:
        return next((p for p, state, _r in self.rota if state == RotaEntry.State.ACTIVE), None)

    def fingerprint(self) -> str:
        data = {
            "fields": self.fields, "requester": self.requester.pk if self.requester else None,
            "name": self.unauthenticated_name, "email": self.unauthenticated_email,
            "pickup": self.pickup_location.pk if self.pickup_location else None,
            "rota": [(p.pk, state, response) for p, state, response in self.rota],
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _plain(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def _text(raw: dict, name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise RecordFailed(_("“%(field)s” is not text.") % {"field": name})
    return _plain(value)


def _clip(name: str, value: str) -> str:
    limit = BorrowingRequest._meta.get_field(name).max_length
    return value[:limit] if limit else value


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y", "ja", "j"}
    return bool(value)


class Context:
    """What one run needs to map records: the profile, its code mappings, partners found so far."""

    def __init__(self, profile: IntegrationProfile) -> None:
        self.profile = profile
        self.libraries: dict[str, Any] = {}
        self.partner_mappings: dict[str, Partner] = {}
        for mapping in profile.mappings.select_related("library", "partner"):
            if mapping.library_id:
                self.libraries[mapping.external_code.casefold()] = mapping.library
            else:
                self.partner_mappings[mapping.external_code.casefold()] = mapping.partner
        if profile.library_code.casefold() not in self.libraries:
            raise JobFailed(
                _("No library code mapping for “%(code)s”: map the %(system)s library code “%(code)s” to one of "
                  "our libraries (Configuration › Integrations › Library code mappings) before importing. "
                  "Nothing was imported.") % {"code": profile.library_code, "system": profile.get_system_display()}
            )
        self._partners: dict[str, Partner | None] = {}

    def partner_for(self, code: str) -> Partner | None:
        """A mapped partner, else the partner whose code matches, case-insensitively (seed 001)."""
        folded = code.casefold()
        if folded in self.partner_mappings:
            return self.partner_mappings[folded]
        if folded not in self._partners:
            self._partners[folded] = Partner.objects.filter(code__iexact=code).order_by("-active", "pk").first()
        return self._partners[folded]

    def map(self, raw: Any) -> Mapped:
        if not isinstance(raw, dict):
            raise RecordFailed(_("The record is not a JSON object."))
        key = _text(raw, "lf_number")
        if not key:
            raise RecordFailed(_("The record has no lf_number."))
        title = _text(raw, "title")
        if not title:
            raise RecordFailed(_("The record has no title."))
        notes: list[str] = []
        fields = self._citation(raw, title, notes)
        requester, name, email = self._end_user(raw, notes)
        return Mapped(
            key=key[:100], request_id=_text(raw, "request_id")[:100], last_modified=_text(raw, "last_modified")[:40],
            fields=fields, requester=requester, unauthenticated_name=name, unauthenticated_email=email,
            pickup_location=self._pickup(raw), rota=self._rota(raw, notes), notes=notes,
        )

    def _citation(self, raw: dict, title: str, notes: list[str]) -> dict[str, Any]:
        media = _text(raw, "media_type")
        if not media:
            requested_format = Format.PHYSICAL
            notes.append(_("No media_type: imported as a loan."))
        elif media.casefold() in MEDIA_TYPES:
            requested_format = MEDIA_TYPES[media.casefold()]
        else:
            raise RecordFailed(_("Unknown media_type “%(value)s” (expected “Lån” or “Kopia”).") % {"value": media})
        identifier = _text(raw, "isbn_issn")
        issn = identifier if ISSN.match(identifier) else ""
        isbn = "" if issn else identifier
        article_title, article_author = _text(raw, "title_of_article"), _text(raw, "author_of_article")
        if requested_format == Format.DIGITAL and article_title:
            request_type = RequestType.ARTICLE if issn else RequestType.CHAPTER
        elif requested_format == Format.DIGITAL and issn:
            request_type = RequestType.ARTICLE
        else:
            request_type = RequestType.BOOK
        values = {
            "title": title, "author": _text(raw, "author"), "isbn": isbn, "issn": issn,
            "publisher": _text(raw, "imprint"), "place_of_publication": _text(raw, "place_of_publication"),
            "year": _text(raw, "year"), "volume": _text(raw, "volume_designation"), "pages": _text(raw, "pages"),
            "chapter_title": article_title, "chapter_author": article_author, "request_note": _text(raw, "message"),
        }
        fields: dict[str, Any] = {name: _clip(name, value) for name, value in values.items()}
        fields["request_type"] = request_type
        fields["requested_format"] = requested_format
        return fields

    def _end_user(self, raw: dict, notes: list[str]) -> tuple[Patron | None, str, str]:
        end_user = raw.get("end_user")
        if end_user is not None and not isinstance(end_user, dict):
            raise RecordFailed(_("“end_user” is not an object."))
        end_user = end_user or {}
        card = _text(end_user, "library_card")
        patron = Patron.objects.filter(card_number=card).first() if card else None
        if patron is None and self.profile.require_authentication:
            if card:
                raise RecordSkipped(_("End user not authenticated: library card %(card)s belongs to none of our "
                                      "patrons.") % {"card": card})
            raise RecordSkipped(_("End user not authenticated: the request has no library card."))
        if patron is not None:
            return patron, "", ""
        name = " ".join(p for p in (_text(end_user, "first_name"), _text(end_user, "last_name")) if p)[:200]
        email = _text(end_user, "email")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                notes.append(_("End user email “%(email)s” is not valid: left out.") % {"email": email[:100]})
                email = ""
        return None, name, email[:254]

    def _pickup(self, raw: dict) -> PickupLocation | None:
        receiving = raw.get("receiving_library")
        code = _text(receiving, "library_code") if isinstance(receiving, dict) else ""
        if not code:
            code = self.profile.library_code
        library = self.libraries.get(code.casefold())
        if library is None:
            raise RecordFailed(_("The receiving library “%(code)s” has no library code mapping.") % {"code": code})
        return (PickupLocation.objects.filter(library=library, kind=PickupLocation.Kind.LIBRARY)
                .order_by("pk").first())

    def _rota(self, raw: dict, notes: list[str]) -> list[tuple[Partner, str, str]]:
        recipients = raw.get("recipients") or []
        if not isinstance(recipients, list):
            raise RecordFailed(_("“recipients” is not a list."))
        rota: list[tuple[Partner, str, str]] = []
        seen: set[int] = set()
        for recipient in recipients:
            if not isinstance(recipient, dict):
                notes.append(_("A recipient that is not an object was left out."))
                continue
            code = _text(recipient, "library_code")
            partner = self.partner_for(code) if code else None
            if partner is None:
                notes.append(_("No partner with code “%(code)s”: left out of the rota.") % {"code": code or "?"})
                continue
            if partner.pk in seen:
                continue
            seen.add(partner.pk)
            response = _text(recipient, "response")[:60]
            if _truthy(recipient.get("is_active_library")):
                state = RotaEntry.State.ACTIVE
            elif response:
                state = RotaEntry.State.REJECTED
            else:
                state = RotaEntry.State.PENDING
            rota.append((partner, state, response))
        actives = [i for i, (_p, state, _r) in enumerate(rota) if state == RotaEntry.State.ACTIVE]
        for i in actives[1:]:  # one active partner at a time; Libris should never send two
            rota[i] = (rota[i][0], RotaEntry.State.PENDING, rota[i][2])
        return rota


# --- writing it --------------------------------------------------------------------------------------


def save(profile: IntegrationProfile, mapped: Mapped) -> tuple[str, str, BorrowingRequest]:
    """Create or update the request of one record. Runs inside the caller's transaction."""
    now = timezone.now()
    fingerprint = mapped.fingerprint()
    existing = (ImportedRecord.objects.select_for_update()
                .filter(profile=profile, external_key=mapped.key).first())
    if existing is None:
        try:
            with transaction.atomic():
                existing = ImportedRecord.objects.create(
                    profile=profile, external_key=mapped.key, external_request_id=mapped.request_id,
                    last_modified=mapped.last_modified, fields_hash=fingerprint, first_imported_at=now,
                    last_seen_at=now)
        except IntegrityError as exc:
            raise RecordSkipped(_("Imported by another run at the same moment.")) from exc
        req = _create(profile, mapped)
        existing.borrowing_request = req
        existing.save(update_fields=["borrowing_request"])
        return "created", _("Created borrowing request %(pk)s.") % {"pk": req.pk}, req
    existing.last_seen_at = now
    existing.save(update_fields=["last_seen_at"])
    req = existing.borrowing_request
    if req is None:
        raise RecordSkipped(_("The borrowing request imported from it earlier was deleted."))
    if existing.fields_hash == fingerprint:
        raise RecordSkipped(_("Unchanged since the last import (request %(pk)s).") % {"pk": req.pk})
    changes = {name: value for name, value in mapped.fields.items() if getattr(req, name) != value}
    untouched = req.status == BStatus.CREATED  # nobody has worked on it yet: who and where follow Libris too
    if untouched:
        for name in ("requester", "unauthenticated_name", "unauthenticated_email", "pickup_location"):
            if getattr(req, name) != getattr(mapped, name):
                changes[name] = getattr(mapped, name)
        if req.partner != mapped.active_partner:
            changes["partner"] = mapped.active_partner
    if changes:
        req = update_fields(req, by=None, changes=changes,
                            message=_("Updated from %(system)s") % {"system": profile.get_system_display()})
    rota_changed = untouched and _rota_differs(req, mapped)
    if rota_changed:
        req.rota_entries.all().delete()
        _create_rota(req, mapped)
        record(req, by=None, kind=HistoryEvent.Kind.ACTION, field=_("Rota"),
               new=", ".join(p.code for p, _s, _r in mapped.rota), message=_("Rota updated from Libris"))
    existing.fields_hash = fingerprint
    existing.last_modified = mapped.last_modified
    existing.external_request_id = mapped.request_id
    existing.save(update_fields=["fields_hash", "last_modified", "external_request_id"])
    if not changes and not rota_changed:
        raise RecordSkipped(_("Changed in Libris, but nothing illdesk takes over once work has started on "
                              "request %(pk)s (“%(status)s”).") % {"pk": req.pk, "status": req.get_status_display()})
    what = sorted(changes) + (["rota"] if rota_changed else [])
    message = _("Updated borrowing request %(pk)s: %(fields)s.") % {"pk": req.pk, "fields": ", ".join(what)}
    return "updated", message, req


def _create(profile: IntegrationProfile, mapped: Mapped) -> BorrowingRequest:
    requester = mapped.requester
    req = BorrowingRequest.objects.create(
        **mapped.fields, external_id=mapped.key, owner=profile.resource_sharing_library, requester=requester,
        patron_category=requester.category if requester else None, unauthenticated_name=mapped.unauthenticated_name,
        unauthenticated_email=mapped.unauthenticated_email, pickup_location=mapped.pickup_location,
        partner=mapped.active_partner,
    )
    _create_rota(req, mapped)
    record(req, by=None, kind=HistoryEvent.Kind.ACTION, field=_("Created"),
           new=_("Imported from %(system)s") % {"system": profile.get_system_display()},
           message=_("Profile %(code)s, LF number %(key)s, request id %(id)s") % {
               "code": profile.code, "key": mapped.key, "id": mapped.request_id or "—"})
    return req


def _create_rota(req: BorrowingRequest, mapped: Mapped) -> None:
    RotaEntry.objects.bulk_create([
        RotaEntry(request=req, partner=partner, position=position, state=state,
                  reject_reason=response if state == RotaEntry.State.REJECTED else "")
        for position, (partner, state, response) in enumerate(mapped.rota, 1)
    ])


def _rota_differs(req: BorrowingRequest, mapped: Mapped) -> bool:
    current = [(e.partner_id, e.state) for e in req.rota_entries.order_by("position")]
    return current != [(p.pk, state) for p, state, _r in mapped.rota]
