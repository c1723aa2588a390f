"""`seed_demo` builds a demo world through the state machine, and a second run changes nothing.

The command runs once per module (twice, to prove idempotence) inside a transaction that is rolled
back at the end, so the other test modules never see the demo data.
"""

from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from borrowing.models import BorrowingRequest
from borrowing.statuses import Status as BorrowingStatus
from illdesk import roles
from illdesk.models import GeneralMessage, HistoryEvent, Note, Patron
from illdesk.workflow import refresh_is_active
from lending.inventory import item_busy_reason
from lending.models import LendingRequest
from lending.statuses import HOLDS_NO_ITEM
from lending.statuses import Status as LendingStatus
from opac.actions import open_requests
from partners.models import Partner

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SIDES = [(BorrowingRequest, BorrowingStatus, 300), (LendingRequest, LendingStatus, 150)]


def _row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            first, second = StringIO(), StringIO()
            call_command("seed_demo", stdout=first)
            after_first = _row_counts()
            call_command("seed_demo", stdout=second)
            yield SimpleNamespace(after_first=after_first, after_second=_row_counts(),
                                  first_output=first.getvalue(), second_output=second.getvalue())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_it_changes_nothing_when_run_again(seeded, db):
    assert seeded.after_first == seeded.after_second
    assert "0 new" in seeded.second_output


def test_it_reaches_every_status_through_transitions_without_detours(seeded, db):
    # A demo path that a transition refused would end in a plain change of status: none may.
    assert "ended early" not in seeded.first_output


@pytest.mark.parametrize(("model", "statuses", "minimum"), SIDES)
def test_it_spreads_requests_over_every_status(seeded, db, model, statuses, minimum):
    demo = model.objects.filter(external_id__startswith="DEMO-")
    assert demo.count() >= minimum
    per_status = dict(demo.values_list("status").annotate(n=Count("id")))
    assert set(per_status) == set(statuses.values)
    assert min(per_status.values()) >= 3


@pytest.mark.parametrize(("model", "statuses", "minimum"), SIDES)
def test_every_request_has_the_history_its_status_implies(seeded, db, model, statuses, minimum):
    demo = model.objects.filter(external_id__startswith="DEMO-")
    # Created like a real one (OPAC, staff or a partner's message), never "No history yet".
    assert not demo.exclude(history__kind=HistoryEvent.Kind.ACTION, history__field="Created").exists()
    # Every request past the status it was created in got there by transitions, each with its row.
    moved = demo.exclude(status__in=[statuses.CREATED, "pending_approval"])
    assert moved.exists()
    assert not moved.exclude(history__kind=HistoryEvent.Kind.STATUS).exists()
    # e.g. sent, will supply, shipped, received, loaned; or being processed, shipped, received
    status, walked = ("loaned_to_patron", 5) if model is BorrowingRequest else ("received_by_partner", 3)
    for req in demo.filter(status=status):
        steps = list(req.history.filter(kind=HistoryEvent.Kind.STATUS).values_list("new_value", flat=True))
        assert len(steps) >= walked, (req.external_id, steps)
    # Some requests walked a real path: several status rows, all by the system.
    walked = moved.annotate(steps=Count("history", filter=Q(history__kind=HistoryEvent.Kind.STATUS)))
    assert walked.filter(steps__gte=4).exists()
    assert not HistoryEvent.objects.filter(actor__isnull=False).exists()


@pytest.mark.parametrize(("model", "statuses", "minimum"), SIDES)
def test_flags_and_dates_agree_with_the_rows(seeded, db, model, statuses, minimum):
    assert refresh_is_active(model) == 0  # is_active already follows the status
    demo = model.objects.filter(external_id__startswith="DEMO-")
    now = timezone.now()
    assert not demo.filter(updated_at__lt=F("created_at")).exists()
    assert not demo.filter(created_at__lt=now - timedelta(days=91)).exists()
    assert demo.filter(created_at__date=timezone.localdate()).exists() or demo.filter(
        created_at__gte=now - timedelta(days=1)).exists()
    ct_notes = Note.objects.filter(content_type__model=model._meta.model_name, active=True)
    with_partner_note = set(ct_notes.filter(kind=Note.Kind.FROM_PARTNER).values_list("object_id", flat=True))
    assert set(demo.filter(has_partner_note=True).values_list("pk", flat=True)) == with_partner_note
    assert set(demo.filter(has_active_note=True).values_list("pk", flat=True)) == set(
        ct_notes.values_list("object_id", flat=True))
    messages = GeneralMessage.objects.filter(content_type__model=model._meta.model_name, active=True)
    assert set(demo.filter(has_active_message=True).values_list("pk", flat=True)) == set(
        messages.values_list("object_id", flat=True))


def test_it_varies_what_the_facets_count(seeded, db):
    borrowing = BorrowingRequest.objects.filter(external_id__startswith="DEMO-B-")
    for field, wanted in (("request_type", {"book", "chapter", "journal", "article", "thesis", "conference",
                                            "other"}),
                          ("requested_format", {"digital", "physical", "physical_non_returnable"}),
                          ("pickup_location__kind", {"library", "reading_room", "personal_delivery"})):
        assert wanted <= set(borrowing.values_list(field, flat=True)), field
    assert borrowing.filter(assignee__isnull=True).exists()
    assert borrowing.values("assignee").distinct().count() >= 4
    for flag in ("patron_info_required", "has_partner_note", "has_active_message", "has_active_note"):
        assert borrowing.filter(**{flag: True}).exists(), flag
    assert borrowing.exclude(event_name="").exists()
    assert borrowing.filter(tags__isnull=False).exists()
    lending = LendingRequest.objects.filter(external_id__startswith="DEMO-L-")
    for flag in ("has_alerts", "printed", "reported"):
        assert lending.filter(**{flag: True}).exists(), flag
    assert lending.filter(item__isnull=False).exists()


def test_it_creates_partners_of_every_profile_type(seeded, db):
    assert Partner.objects.count() >= 12
    assert set(Partner.objects.values_list("profile_type", flat=True)) == set(Partner.ProfileType.values)
    peer = Partner.objects.get(code="DEMO-PEER")
    assert (peer.profile_type, peer.agency_id_type, peer.agency_id_value) == ("iso18626", "ISIL", "ZZ-PEER")
    assert peer.iso_endpoint == "http://127.0.0.1:8001/iso18626"
    ours_type, ours_value = "ISIL", "ZZ-ILLDESK"
    assert not Partner.objects.filter(agency_id_type=ours_type, agency_id_value=ours_value).exists()


def test_the_demo_logins_work(seeded, db):
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        users = {name: authenticate(username=name, password=name)
                 for name in ("operator", "operator2", "operator3", "manager", "admin", "patron")}
    assert all(users.values()), users
    assert roles.is_operator(users["operator"]) and not roles.is_manager(users["operator"])
    assert roles.is_manager(users["manager"]) and roles.is_operator(users["manager"])
    assert users["admin"].is_superuser and users["admin"].is_staff and roles.is_admin(users["admin"])
    assert not roles.is_staff_worker(users["patron"])
    assert Patron.objects.get(user=users["patron"]).category.may_request


# --- the README's journeys, in the demo as seeded, all at once -----------------------------------------


def test_no_item_is_held_by_two_active_lending_requests(seeded, db):
    held = (LendingRequest.objects.exclude(status__in=HOLDS_NO_ITEM).filter(item__isnull=False, removed_at=None)
            .values("item").annotate(n=Count("id")).filter(n__gt=1))
    assert not held.exists()
    # and every request that is ready to ship has a copy that is free for it
    ready = LendingRequest.objects.filter(status__in=["being_processed", "will_supply"],
                                          requested_format="physical", record__isnull=False)
    assert ready.filter(item__isnull=False).exists()
    for req in ready:
        copies = [req.item] if req.item else list(req.record.items.all())
        assert any(not item_busy_reason(c, req) for c in copies), req.external_id


def test_an_operator_ships_a_demo_physical_lending_request(seeded, db, client):
    req = LendingRequest.objects.filter(status="being_processed", requested_format="physical",
                                        item__isnull=False).order_by("pk").first()
    client.force_login(User.objects.get(username="operator"))
    page = client.get(reverse("lending:detail", args=[req.pk]))
    assert page.status_code == 200 and req.item.barcode in page.content.decode()
    response = client.post(reverse("lending:ship"), {"op": "ship", "barcode": req.item.barcode,
                                                     "request_id": str(req.pk)})
    assert response.status_code == 302, response.content.decode()[:500]
    req.refresh_from_db()
    assert req.status == "shipped_physically"
    assert req.item.state == "shipped"


def test_the_demo_patron_sends_an_openurl_request(seeded, db, client):
    patron = Patron.objects.get(user__username="patron")
    assert patron.category.request_limit is not None
    assert open_requests(patron).count() <= patron.category.request_limit - 3
    client.force_login(patron.user)
    query = urlencode({"genre": "article", "rft.atitle": "Demo journey", "rft.jtitle": "Nature",
                       "rft.issn": "0028-0836", "rft.date": "2020", "rft.volume": "5", "rft.spage": "10",
                       "rft_id": "info:doi/10.1038/demo-journey"})
    page = client.get(f"{reverse('opac:request')}?{query}")
    assert page.status_code == 200
    form = page.context["form"]
    assert not form.non_field_errors()
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, "")}
    sent = client.post(reverse("opac:request"), data)
    new = BorrowingRequest.objects.get(doi="10.1038/demo-journey")
    assert sent["Location"] == reverse("opac:submitted", args=[new.pk])
    assert new.requester == patron and new.status == "created"


def test_a_demo_borrowing_request_is_received_loaned_and_returned(seeded, db, client):
    req = BorrowingRequest.objects.filter(status="shipped_physically", requested_format="physical",
                                          is_active=True).order_by("pk").first()
    client.force_login(User.objects.get(username="operator"))
    dialog = reverse("borrowing:dialog", args=[req.pk, "receive"])
    assert client.post(dialog, {"received_format": "physical", "temp_barcode": ""}).status_code == 302
    req.refresh_from_db()
    assert req.status == "received_physically"
    client.post(reverse("borrowing:perform", args=[req.pk, "check_out_to_patron"]))
    req.refresh_from_db()
    assert req.status == "loaned_to_patron"
    client.post(reverse("borrowing:dialog", args=[req.pk, "return_item"]), {})
    req.refresh_from_db()
    # with the partner's check-in step the item goes back to it; without, the request completes
    assert req.status in ("returned_to_partner", "completed")
    steps = list(req.history.filter(kind="status").order_by("at", "id").values_list("new_value", flat=True))
    assert steps[-3:-1] == ["Physically received by library", "Loaned item to patron"]
