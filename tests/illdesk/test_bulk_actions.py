"""Bulk change status, tags and remove, through the task list's bulk form."""

import pytest
from django.urls import reverse

from borrowing.models import BorrowingRequest
from illdesk.models import HistoryEvent, Tag
from lending.models import LendingRequest
from tests.factories import make_borrowing, make_lending

BULK = reverse("borrowing:bulk")


@pytest.fixture
def three(library, iso_partner):
    return [make_borrowing(library, s, partner=iso_partner) for s in ("created", "sent", "completed")]


def test_it_changes_status_in_bulk_through_the_state_machine(client, manager, three):
    client.force_login(manager)
    ids = [r.pk for r in three]
    response = client.post(BULK, {"ids": ids, "op": "change_status", "status": "overdue"}, follow=True)
    assert response.status_code == 200
    for req in BorrowingRequest.objects.filter(pk__in=ids):
        assert req.status == "overdue"
        assert req.is_active  # completed → overdue makes it active again: a manager may reactivate
        event = req.history.get(kind=HistoryEvent.Kind.STATUS)
        assert event.actor == manager
        assert event.new_value == "Overdue request"
        assert event.message == "Bulk change status"
    assert "Done for 3 request(s)" in response.content.decode()


def test_an_operator_cannot_reactivate_by_changing_status_in_bulk(client, operator, three):
    """Reactivating is a manager's action (SPEC §8): a bulk status change must not be the back door."""
    client.force_login(operator)
    ids = [r.pk for r in three]
    response = client.post(BULK, {"ids": ids, "op": "change_status", "status": "overdue"}, follow=True)
    body = response.content.decode()
    assert f"Request {three[2].pk} not changed: Only staff allowed to reactivate requests" in body
    assert "Done for 2 request(s)" in body
    completed = BorrowingRequest.objects.get(pk=three[2].pk)
    assert (completed.status, completed.is_active) == ("completed", False)
    assert not completed.history.filter(kind=HistoryEvent.Kind.STATUS).exists()


def test_an_unknown_status_changes_nothing(client, operator, three):
    client.force_login(operator)
    response = client.post(BULK, {"ids": [three[0].pk], "op": "change_status", "status": "bogus"}, follow=True)
    assert "Choose a status" in response.content.decode()
    three[0].refresh_from_db()
    assert three[0].status == "created"
    assert not HistoryEvent.objects.exists()


def test_only_final_requests_can_be_removed(client, operator, three):
    client.force_login(operator)
    response = client.post(BULK, {"ids": [r.pk for r in three], "op": "remove"}, follow=True)
    body = response.content.decode()
    assert f"Request {three[0].pk} not changed: only completed requests can be removed" in body
    removed = BorrowingRequest.objects.filter(removed_at__isnull=False)
    assert list(removed) == [three[2]]
    # removed requests leave the task list but stay in the database for statistics
    response = client.get(reverse("borrowing:list"), {"activity": "all", "q": three[2].title})
    assert three[2].pk not in [o.pk for o, _a in response.context["rows"]]


def test_tags_are_added_and_removed_with_history(client, operator, three):
    client.force_login(operator)
    client.post(BULK, {"ids": [three[0].pk, three[1].pk], "op": "add_tag", "tag": "urgent"})
    tag = Tag.objects.get(name="urgent")
    assert set(tag.borrowing_borrowingrequest_set.all()) == {three[0], three[1]}
    client.post(BULK, {"ids": [three[0].pk], "op": "remove_tag", "tag": "urgent"})
    assert set(tag.borrowing_borrowingrequest_set.all()) == {three[1]}
    assert three[0].history.filter(field="Tags").count() == 2


def test_bulk_needs_a_selection_and_staff(client, operator, outsider, three):
    client.force_login(outsider)
    assert client.post(BULK, {"ids": [three[0].pk], "op": "remove"}).status_code == 403
    client.force_login(operator)
    response = client.post(BULK, {"op": "remove"}, follow=True)
    assert "Select at least one request" in response.content.decode()
    assert client.get(BULK).status_code == 405


def test_lending_bulk_change_status(client, manager, library, iso_partner):
    req = make_lending(library, "created", partner=iso_partner)
    client.force_login(manager)
    client.post(reverse("lending:bulk"), {"ids": [req.pk], "op": "change_status", "status": "completed"})
    req = LendingRequest.objects.get(pk=req.pk)
    assert req.status == "completed" and not req.is_active


def test_bulk_never_redirects_to_another_site(client, operator, three):
    client.force_login(operator)
    response = client.post(BULK, {"ids": [three[0].pk], "op": "add_tag", "tag": "x", "next": "//evil.example.org/"})
    assert response.status_code == 302
    assert response.url == "/borrowing/"
