"""Importing borrowing requests from Libris (seed 001): mapping first, a line per record, re-runs update
instead of duplicating, one bad record never stops the others."""

from __future__ import annotations

import datetime

import pytest

from borrowing.models import BorrowingRequest, RotaEntry
from illdesk.models import HistoryEvent, Patron, PickupLocation
from integrations.importing import run_import
from integrations.models import ImportedRecord, JobRun, LibraryCodeMapping
from partners.models import Partner

from .conftest import libris_record

TODAY = "2026-11-23"


def _lines(run: JobRun) -> dict[str, tuple[str, str]]:
    return {line.key: (line.outcome, line.message) for line in run.lines.all()}


@pytest.mark.django_db
def test_without_a_library_code_mapping_the_run_fails_clearly(profile, libris):
    LibraryCodeMapping.objects.filter(profile=profile).delete()
    libris.serve([libris_record("LF1")])
    run = run_import(profile.pk, today=TODAY)
    assert run.state == JobRun.State.FAILED
    assert "No library code mapping for “Hig”" in run.errors
    assert libris.requests == []  # nothing was even fetched
    assert not BorrowingRequest.objects.exists()


@pytest.mark.django_db
def test_it_creates_borrowing_requests_with_citation_rota_and_history(profile, libris, iso_partner, email_partner,
                                                                      pickup):
    libris.serve([libris_record("LF1", recipients=[
        {"library_code": "maillib", "response": "Negativ", "is_active_library": False},
        {"library_code": "peer", "response": "", "is_active_library": True},
        {"library_code": "NOBODY", "is_active_library": False},
    ])])
    run = run_import(profile.pk, today=TODAY)
    assert (run.state, run.created, run.failed) == (JobRun.State.SUCCEEDED, 1, 0)
    req = BorrowingRequest.objects.get()
    assert (req.status, req.external_id, req.title, req.author) == ("created", "LF1", "Röda rummet",
                                                                   "Strindberg, August")
    assert (req.isbn, req.issn, req.year, req.publisher) == ("9789100000000", "", "1879", "Bonnier")
    assert (req.requested_format, req.request_type, req.owner) == ("physical", "book", profile.resource_sharing_library)
    assert req.partner == iso_partner  # the active library, matched case-insensitively
    assert req.pickup_location == pickup
    assert (req.requester, req.unauthenticated_name, req.unauthenticated_email) == (
        None, "Greta Garbo", "greta@example.org")
    rota = [(e.partner.code, e.state, e.reject_reason) for e in req.rota_entries.order_by("position")]
    assert rota == [("MAILLIB", RotaEntry.State.REJECTED, "Negativ"), ("PEER", RotaEntry.State.ACTIVE, "")]
    outcome, message = _lines(run)["LF1"]
    assert outcome == "created" and "NOBODY" in message
    assert run.lines.get().object_id == req.pk
    created = HistoryEvent.objects.get(object_id=req.pk, field="Created")
    assert "LF1" in created.message and created.new_value == "Imported from Libris"
    assert ImportedRecord.objects.get().borrowing_request == req
    assert "2026-11-01" in run.summary and "1 received" in run.summary


@pytest.mark.django_db
def test_a_rerun_skips_unchanged_records_and_updates_changed_ones(profile, libris, iso_partner):
    libris.serve([libris_record("LF1"), libris_record("LF2")])
    run_import(profile.pk, today=TODAY)
    second = run_import(profile.pk, today=TODAY)
    assert (second.created, second.updated, second.skipped) == (0, 0, 2)
    assert "Unchanged" in _lines(second)["LF1"][1]

    libris.serve([libris_record("LF1", title="Röda rummet: skildringar", year="1880",
                                last_modified="2026-11-22 08:00:00"), libris_record("LF2")])
    third = run_import(profile.pk, today=TODAY)
    assert (third.created, third.updated, third.skipped) == (0, 1, 1)
    assert BorrowingRequest.objects.count() == 2
    req = BorrowingRequest.objects.get(external_id="LF1")
    assert (req.title, req.year) == ("Röda rummet: skildringar", "1880")
    assert "title" in _lines(third)["LF1"][1] and "year" in _lines(third)["LF1"][1]
    change = HistoryEvent.objects.get(object_id=req.pk, kind="field", field="Title")
    assert (change.old_value, change.new_value) == ("Röda rummet", "Röda rummet: skildringar")


@pytest.mark.django_db
def test_once_work_has_started_only_the_citation_follows_libris(profile, libris, iso_partner, email_partner,
                                                                operator):
    from illdesk.workflow import run_transition

    libris.serve([libris_record("LF1")])
    run_import(profile.pk, today=TODAY)
    req = run_transition(BorrowingRequest.objects.get(), "send", by=operator)
    libris.serve([libris_record("LF1", recipients=[{"library_code": "MAILLIB", "is_active_library": True}])])
    run = run_import(profile.pk, today=TODAY)
    req.refresh_from_db()
    assert (req.status, req.partner) == ("sent", iso_partner)
    assert run.skipped == 1 and "work has started" in _lines(run)["LF1"][1]


@pytest.mark.django_db
def test_bad_and_partial_records_are_reported_and_the_others_imported(profile, libris, iso_partner):
    libris.serve([
        "not an object",
        {"title": "No LF number"},
        libris_record("LF2", title=""),
        libris_record("LF3", media_type="Mikrofilm"),
        libris_record("LF4", title=["a", "list"]),
        libris_record("LF5", receiving_library={"library_code": "Xyz"}),
        libris_record("LF6", end_user="Greta"),
        {"lf_number": "LF7", "title": "Only a title"},
        libris_record("LF8", media_type="Kopia", isbn_issn="0028-0836", title="Nature", title_of_article="DNA",
                      author_of_article="Watson", pages="737-738", volume_designation="171",
                      end_user={"first_name": "A", "email": "not-an-email"}),
        libris_record("LF9", recipients="PEER"),
    ])
    run = run_import(profile.pk, today=TODAY)
    lines = _lines(run)
    assert lines["record 1"] == ("failed", "The record is not a JSON object.")
    assert lines["record 2"] == ("failed", "The record has no lf_number.")
    assert lines["LF2"] == ("failed", "The record has no title.")
    assert lines["LF3"][0] == "failed" and "Mikrofilm" in lines["LF3"][1]
    assert lines["LF4"] == ("failed", "“title” is not text.")
    assert lines["LF5"][0] == "failed" and "“Xyz” has no library code mapping" in lines["LF5"][1]
    assert lines["LF6"] == ("failed", "“end_user” is not an object.")
    assert lines["LF9"] == ("failed", "“recipients” is not a list.")
    assert lines["LF7"][0] == "created" and "No media_type" in lines["LF7"][1]
    assert lines["LF8"][0] == "created" and "not-an-email" in lines["LF8"][1]
    assert (run.state, run.created, run.failed) == (JobRun.State.PARTIAL, 2, 8)
    partial = BorrowingRequest.objects.get(external_id="LF7")
    assert (partial.partner, partial.author, partial.requested_format) == (None, "", "physical")
    article = BorrowingRequest.objects.get(external_id="LF8")
    assert (article.request_type, article.requested_format, article.issn, article.isbn) == (
        "article", "digital", "0028-0836", "")
    assert (article.chapter_title, article.chapter_author, article.pages, article.volume) == (
        "DNA", "Watson", "737-738", "171")
    assert article.unauthenticated_email == ""


@pytest.mark.django_db
def test_require_authentication_imports_only_our_patrons(profile, libris, patron, iso_partner):
    profile.require_authentication = True
    profile.save()
    libris.serve([libris_record("LF1", end_user={"library_card": patron.card_number}),
                  libris_record("LF2", end_user={"library_card": "UNKNOWN"}),
                  libris_record("LF3", end_user={"first_name": "No", "last_name": "Card"})])
    run = run_import(profile.pk, today=TODAY)
    lines = _lines(run)
    assert lines["LF1"][0] == "created"
    assert lines["LF2"] == ("skipped", "End user not authenticated: library card UNKNOWN belongs to none of our "
                                       "patrons.")
    assert lines["LF3"][0] == "skipped"
    req = BorrowingRequest.objects.get()
    assert (req.requester, req.patron_category) == (patron, patron.category)
    # the patron registers later: the next run imports the request
    Patron.objects.create(card_number="UNKNOWN", first_name="New", last_name="Patron", category=patron.category)
    assert _lines(run_import(profile.pk, today=TODAY))["LF2"][0] == "created"


@pytest.mark.django_db
def test_mapped_codes_win_over_partner_codes(profile, libris, iso_partner, email_partner, library):
    LibraryCodeMapping.objects.create(profile=profile, external_code="Sto", partner=email_partner)
    branch = PickupLocation.objects.create(library=library, code="BRANCH", name="Branch desk")
    libris.serve([libris_record("LF1", recipients=[{"library_code": "STO", "is_active_library": "true"}])])
    run_import(profile.pk, today=TODAY)
    req = BorrowingRequest.objects.get()
    assert req.partner == email_partner and req.pickup_location == branch


@pytest.mark.django_db
def test_an_inactive_profile_or_a_refusing_libris_fails_the_run(profile, libris):
    profile.api_key = "wrong"
    profile.save()
    run = run_import(profile.pk, today=TODAY)
    assert run.state == JobRun.State.FAILED and "HTTP 401" in run.errors
    profile.active = False
    profile.save()
    run = run_import(profile.pk, today=TODAY)
    assert run.state == JobRun.State.FAILED and "not active" in run.errors


@pytest.mark.django_db
def test_a_running_import_is_not_started_twice(profile, libris):
    from django.utils import timezone

    type(profile).objects.filter(pk=profile.pk).update(running_since=timezone.now())
    libris.serve([libris_record("LF1")])
    run = run_import(profile.pk, today=TODAY)
    assert run.total == 0 and "still running" in run.summary
    assert libris.requests == []


@pytest.mark.django_db
def test_partner_codes_match_case_insensitively_and_prefer_active_partners(profile, libris, full_profile):
    Partner.objects.create(code="hig-old", name="Old", profile_type="email", workflow_profile=full_profile,
                           active=False)
    current = Partner.objects.create(code="HIG-OLD", name="Current", profile_type="email",
                                     workflow_profile=full_profile)
    libris.serve([libris_record("LF1", recipients=[{"library_code": "Hig-Old", "is_active_library": 1}])])
    run_import(profile.pk, today=TODAY)
    assert BorrowingRequest.objects.get().partner == current


def test_the_harvest_window_starts_at_the_profile_date(db, profile, libris):
    libris.serve([])
    run_import(profile.pk, today=datetime.date(2026, 11, 23))
    assert "start_date=2026-11-01&end_date=2026-11-23" in libris.requests[0]["path"]
