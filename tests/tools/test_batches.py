"""Request batches (Koha): create, add and remove requests (audited), and act on the group."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.models import BorrowingRequest
from illdesk.models import HistoryEvent
from tests.factories import make_borrowing
from tools.models import Batch


@pytest.fixture
def staff(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def batch(library, operator):
    return Batch.objects.create(name="Course HIST-101", library=library, created_by=operator)


@pytest.fixture
def three(library, iso_partner):
    return [make_borrowing(library, "created", None, external_id="EXT-A"),
            make_borrowing(library, "sent", iso_partner),
            make_borrowing(library, "loaned_to_patron", iso_partner, temp_barcode="ILL00000777")]


def test_a_batch_is_created_from_the_list_page(staff, library, operator):
    response = staff.post(reverse("tools:batches"), {"name": "Thesis: Virtanen", "library": library.pk,
                                                     "note": "All for one PhD"})
    batch = Batch.objects.get()
    assert response.url == reverse("tools:batch", args=[batch.pk])
    assert batch.created_by == operator
    assert "Thesis: Virtanen" in staff.get(reverse("tools:batches")).content.decode()


def test_requests_are_added_by_id_external_id_or_barcode(staff, batch, three):
    response = staff.post(reverse("tools:batch_add", args=[batch.pk]),
                          {"references": f"{three[1].pk}\nEXT-A, ILL00000777 NOPE {three[1].pk}"}, follow=True)
    body = response.content.decode()
    assert set(batch.requests.all()) == set(three)
    assert "No borrowing request matches: NOPE" in body
    assert f"Already in the batch: {three[1].pk}" in body
    event = HistoryEvent.objects.get(object_id=three[0].pk, field="Batch")
    assert event.new_value == "Course HIST-101"


def test_the_bulk_bar_adds_selected_requests_to_a_batch(staff, batch, three, library):
    url = reverse("tools:batch_add_selected")
    back = reverse("borrowing:list")
    response = staff.post(url, {"ids": [three[0].pk, three[1].pk], "batch": batch.pk, "next": back})
    assert response.url == back
    assert set(batch.requests.all()) == {three[0], three[1]}
    staff.post(url, {"ids": [three[2].pk], "batch": "", "batch_name": "Interlibrary rush", "next": back})
    new = Batch.objects.get(name="Interlibrary rush")
    assert list(new.requests.all()) == [three[2]] and new.library == library


def test_the_bulk_bar_fragment_renders(batch):
    from django.template import Context, Template

    html = Template("{% load tools_tags %}{% add_to_batch_controls %}").render(Context({}))
    assert "Course HIST-101" in html and 'formaction="/tools/batches/add-selected/"' in html


def test_status_changes_for_the_whole_batch_go_through_the_state_machine(staff, batch, three, operator):
    batch.requests.add(*three)
    response = staff.post(reverse("tools:batch_act", args=[batch.pk]), {"op": "change_status", "status": "overdue"},
                          follow=True)
    assert set(BorrowingRequest.objects.filter(batches=batch).values_list("status", flat=True)) == {"overdue"}
    event = HistoryEvent.objects.filter(object_id=three[0].pk, kind="status").get()
    assert (event.new_value, event.actor, event.message) == ("Overdue request", operator, "Bulk change status")
    assert "Done for 3 request(s)" in response.content.decode()


def test_status_changes_for_chosen_requests_only(staff, batch, three, library):
    outsider = make_borrowing(library, "created")
    batch.requests.add(*three)
    staff.post(reverse("tools:batch_act", args=[batch.pk]),
               {"op": "change_status", "status": "cancelled", "ids": [three[0].pk, outsider.pk]})
    assert BorrowingRequest.objects.get(pk=three[0].pk).status == "cancelled"
    assert BorrowingRequest.objects.get(pk=three[1].pk).status == "sent"
    assert BorrowingRequest.objects.get(pk=outsider.pk).status == "created"  # not in the batch: untouched


def test_print_slips_and_remove_and_delete(staff, batch, three):
    batch.requests.add(*three)
    url = reverse("tools:batch_act", args=[batch.pk])
    response = staff.post(url, {"op": "print"})
    assert response.url.startswith(reverse("letters:print_slips", args=["borrowing"]))
    assert all(f"ids={r.pk}" in response.url for r in three)
    staff.post(url, {"op": "remove", "ids": [three[2].pk]})
    assert set(batch.requests.all()) == {three[0], three[1]}
    assert HistoryEvent.objects.filter(object_id=three[2].pk, field="Batch", old_value=batch.name).exists()
    response = staff.post(url, {"op": "delete"})
    assert response.url == reverse("tools:batches")
    assert not Batch.objects.exists()
    assert BorrowingRequest.objects.count() == 3


def test_an_unknown_status_changes_nothing(staff, batch, three):
    batch.requests.add(*three)
    response = staff.post(reverse("tools:batch_act", args=[batch.pk]), {"op": "change_status", "status": "bogus"},
                          follow=True)
    assert "Choose a status" in response.content.decode()
    assert not HistoryEvent.objects.filter(kind="status").exists()


def test_outsiders_cannot_use_batches(client, outsider, batch):
    client.force_login(outsider)
    assert client.get(reverse("tools:batches")).status_code == 403
    assert client.get(reverse("tools:batch", args=[batch.pk])).status_code == 403
