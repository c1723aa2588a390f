"""Assign / release: operators take unassigned tasks and pass on their own, managers manage all."""

import pytest
from django.urls import reverse

from borrowing.models import BorrowingRequest
from illdesk.models import HistoryEvent, Note
from tests.factories import make_borrowing


def dialog_url(req, name):
    return reverse("borrowing:dialog", args=[req.pk, name])


@pytest.fixture
def req(library):
    return make_borrowing(library, "created")


def test_an_operator_takes_an_unassigned_task_with_a_note_and_email(client, operator, operator2, req, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(dialog_url(req, "assign"),
                               {"assignee": operator2.pk, "note": "Please check the ISSN", "send_email": "on"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.assignee == operator2
    event = req.history.get(kind=HistoryEvent.Kind.ASSIGNMENT)
    assert (event.old_value, event.new_value, event.actor) == ("", "Otto Other", operator)
    assert Note.objects.get(object_id=req.pk).text == "Please check the ISSN"
    assert req.has_active_note
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["operator2@example.org"]


def test_an_operator_cannot_take_over_someone_elses_task(client, operator, operator2, req):
    BorrowingRequest.objects.filter(pk=req.pk).update(assignee=operator2)
    client.force_login(operator)
    response = client.post(dialog_url(req, "assign"), {"assignee": operator.pk})
    assert response.status_code == 409
    req.refresh_from_db()
    assert req.assignee == operator2
    assert "assign" not in [a.name for a in _actions(client, req)]


def test_a_manager_reassigns_anything_and_releases(client, manager, operator, operator2, req):
    BorrowingRequest.objects.filter(pk=req.pk).update(assignee=operator2)
    client.force_login(manager)
    client.post(dialog_url(req, "assign"), {"assignee": operator.pk})
    req.refresh_from_db()
    assert req.assignee == operator
    client.post(dialog_url(req, "release"))
    req.refresh_from_db()
    assert req.assignee is None


def test_only_operators_can_be_assigned(client, manager, admin_user, req):
    client.force_login(manager)
    response = client.post(dialog_url(req, "assign"), {"assignee": admin_user.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    req.refresh_from_db()
    assert req.assignee is None


def test_a_too_long_note_is_reported_next_to_the_field(client, operator, req):
    client.force_login(operator)
    response = client.post(dialog_url(req, "assign"), {"assignee": operator.pk, "note": "x" * 1001})
    assert response.status_code == 400
    assert "at most 1000 characters" in response.content.decode()


def test_the_dialog_is_an_htmx_fragment(client, operator, req):
    client.force_login(operator)
    response = client.get(dialog_url(req, "assign"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section class="dialog"')
    response = client.post(dialog_url(req, "assign"), {"assignee": operator.pk}, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("borrowing:detail", args=[req.pk])


def _actions(client, req):
    return client.get(reverse("borrowing:detail", args=[req.pk])).context["actions"]
