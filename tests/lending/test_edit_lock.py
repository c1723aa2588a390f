"""Edit (seed 002): opening Edit locks the task against other operators, who see who holds it and can
only view; the lock expires after ILLDESK_LOCK_MINUTES; saving releases it."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_lending

from .helpers import dialog, fresh, offered, perform


def test_opening_edit_locks_the_request_and_saving_releases_it(client, operator, operator2, library,
                                                               iso_partner, settings):
    settings.ILLDESK_LOCK_MINUTES = 10
    req = make_lending(library, "created", iso_partner)
    client.force_login(operator)
    assert "edit" in offered(client, req)
    response = dialog(client, req, "edit")
    assert response.status_code == 200 and "form" in response.context
    req = fresh(req)
    assert req.locked_by == operator
    assert timedelta(minutes=9) < req.locked_until - timezone.now() <= timedelta(minutes=10)

    # the other operator sees who holds it and can only view
    other = client.__class__()
    other.force_login(operator2)
    page = other.get(reverse("lending:detail", args=[req.pk]))
    assert page.context["actions"] == []
    assert "Olli Operator" in page.content.decode() and "you can only view this request now" in page.content.decode()
    refused = dialog(other, req, "edit")
    assert refused.status_code == 409 and "Olli Operator is editing this request until" in refused.content.decode()
    assert perform(other, req, "will_supply").status_code == 409
    assert dialog(other, req, "reject", {"reason": "NotOnShelf"}).status_code == 409
    assert fresh(req).status == "created"

    saved = dialog(client, req, "edit", {**_form(req), "title": "Corrected title", "volume": "3"})
    assert saved.status_code == 302
    req = fresh(req)
    assert (req.title, req.volume, req.locked_by, req.locked_until) == ("Corrected title", "3", None, None)
    changes = set(req.history.filter(kind="field").values_list("field", "old_value", "new_value"))
    assert ("Title", "The structure of scientific revolutions", "Corrected title") in changes
    assert ("Volume", "", "3") in changes
    assert "will_supply" in offered(other, req)


def test_the_lock_expires(client, operator, operator2, library, iso_partner, settings):
    settings.ILLDESK_LOCK_MINUTES = 5
    req = make_lending(library, "created", iso_partner)
    client.force_login(operator)
    dialog(client, req, "edit")
    client.force_login(operator2)
    assert offered(client, req) == []
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert "edit" in offered(client, req)
        assert dialog(client, req, "edit").status_code == 200
        assert fresh(req).locked_by == operator2


def test_stop_editing_releases_the_lock(client, operator, library, iso_partner):
    req = make_lending(library, "created", iso_partner)
    client.force_login(operator)
    dialog(client, req, "edit")
    assert "release_edit_lock" in offered(client, req)
    assert dialog(client, req, "release_edit_lock", {}).status_code == 302
    assert fresh(req).locked_by is None
    assert "release_edit_lock" not in offered(client, req)


def test_an_invalid_edit_changes_nothing(client, operator, library, iso_partner):
    req = make_lending(library, "created", iso_partner)
    client.force_login(operator)
    response = dialog(client, req, "edit", {**_form(req), "title": "", "requested_format": "bogus"})
    assert response.status_code == 400
    assert fresh(req).title == "The structure of scientific revolutions"
    assert not req.history.filter(kind="field").exists()


def test_completed_requests_are_view_only(client, operator, library, iso_partner):
    req = make_lending(library, "completed", iso_partner)
    client.force_login(operator)
    assert "edit" not in offered(client, req)
    assert dialog(client, req, "edit").status_code == 409
    page = client.get(reverse("lending:list"), {"activity": "completed", "q": "structure", "tab": "unassigned"})
    assert "View" in page.content.decode()


def _form(req) -> dict:
    from lending.forms import EditForm

    form = EditForm(obj=req)
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        data[name] = "" if value is None else getattr(value, "pk", value)
    return data
