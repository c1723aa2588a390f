"""The Django admin: every page renders, request status is read-only there, history cannot be
edited, and status settings keep the `is_active` column in step."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import reverse

from borrowing.models import BorrowingRequest, RotaEntry
from illdesk.models import HistoryEvent, Note, StatusSetting, Tag
from illdesk.workflow import run_transition
from lending.models import BibRecord, Item, LendingRequest
from partners.models import RotaAssignmentRule, RotaTemplate, RotaTemplateMember
from tests.factories import make_borrowing, make_lending


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin", "admin@example.org", "admin")


@pytest.fixture
def su_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def world(library, pickup, level, patron, iso_partner, email_partner, external_partner):
    """One row of every model the admin lists, so changelists render real rows."""
    sent = make_borrowing(library, partner=iso_partner, requester=patron, pickup_location=pickup,
                          level_of_service=level, patron_category=patron.category)
    sent = run_transition(sent, "send", by=None, message="test")
    RotaEntry.objects.create(request=sent, partner=iso_partner, position=1, state=RotaEntry.State.ACTIVE)
    created = make_borrowing(library, partner=email_partner, title="Kalevala")
    record = BibRecord.objects.create(record_id="R1", title="Flora Fennica", isbn="9789514570001")
    item = Item.objects.create(record=record, barcode="39001000012345", library=library)
    lending = make_lending(library, partner=iso_partner, record=record, item=item)
    Tag.objects.create(name="urgent")
    Note.objects.create(content_type=ContentType.objects.get_for_model(BorrowingRequest), object_id=sent.pk,
                        kind=Note.Kind.FROM_PARTNER, text="Fragile")
    template = RotaTemplate.objects.create(code="T", name="Template")
    RotaTemplateMember.objects.create(template=template, partner=iso_partner, position=1)
    RotaAssignmentRule.objects.create(name="Books", template=template, request_type="book", owner=library)
    return {"sent": sent, "created": created, "lending": lending}


def test_it_has_the_illdesk_header(su_client):
    response = su_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"illdesk administration" in response.content


def test_every_changelist_and_add_page_renders(su_client, superuser, world):
    request = RequestFactory().get("/")
    request.user = superuser
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert su_client.get(changelist).status_code == 200, changelist
        if opts.app_label in ("illdesk", "partners", "borrowing", "lending"):  # our search_fields
            assert su_client.get(changelist, {"q": "x"}).status_code == 200, changelist
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        expected = 200 if model_admin.has_add_permission(request) else 403
        assert su_client.get(add).status_code == expected, add


def test_every_change_page_of_our_models_renders(su_client, world):
    opened = 0
    for model in admin.site._registry:
        opts = model._meta
        obj = model._default_manager.first()
        if opts.app_label in ("illdesk", "partners", "borrowing", "lending") and obj is not None:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert su_client.get(url).status_code == 200, url
            opened += 1
    assert opened >= 15


@pytest.mark.parametrize("key", ["sent", "lending"])
def test_a_request_change_page_shows_status_read_only(su_client, world, key):
    obj = world[key]
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    response = su_client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "is_active" not in form.fields
    assert obj.get_status_display() in response.content.decode()


def test_editing_a_request_in_the_admin_keeps_its_status_and_is_audited(su_client, world):
    obj = world["sent"]
    url = reverse("admin:borrowing_borrowingrequest_change", args=[obj.pk])
    form = su_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "tags"}
    data.update({"title": "A new title", "status": "completed", "rota_entries-TOTAL_FORMS": "1",
                 "rota_entries-INITIAL_FORMS": "1", "rota_entries-0-id": obj.rota_entries.get().pk,
                 "rota_entries-0-request": obj.pk, "rota_entries-0-position": "1",
                 "rota_entries-0-partner": obj.partner_id, "rota_entries-0-state": "active"})
    for key in ("created_at", "due_date", "last_interest_date", "needed_by", "reply_by", "removed_at"):
        value = form.initial.get(key)
        if hasattr(value, "date"):  # split datetime widget
            data[f"{key}_0"], data[f"{key}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
            data.pop(key, None)
    response = su_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    obj.refresh_from_db()
    assert obj.title == "A new title"
    assert obj.status == "sent"  # a posted status is ignored
    assert obj.history.filter(kind=HistoryEvent.Kind.FIELD, new_value="A new title").exists()


def test_history_is_read_only(su_client, world):
    event = world["sent"].history.first()
    assert su_client.get(reverse("admin:illdesk_historyevent_add")).status_code == 403
    change = reverse("admin:illdesk_historyevent_change", args=[event.pk])
    response = su_client.get(change)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert su_client.post(change, {"field": "x"}).status_code == 403
    assert su_client.post(reverse("admin:illdesk_historyevent_delete", args=[event.pk])).status_code == 403
    assert HistoryEvent.objects.filter(pk=event.pk, field=event.field).exists()


def test_a_status_setting_flips_is_active_of_matching_requests(su_client, world):
    sent, created, lending = world["sent"], world["created"], world["lending"]
    response = su_client.post(reverse("admin:illdesk_statussetting_add"),
                              {"side": "borrowing", "status": "borrowing:sent", "inactive": "on"})
    assert response.status_code == 302
    setting = StatusSetting.objects.get()
    assert (setting.side, setting.status, setting.inactive) == ("borrowing", "sent", True)
    assert BorrowingRequest.objects.get(pk=sent.pk).is_active is False
    assert BorrowingRequest.objects.get(pk=created.pk).is_active is True
    assert LendingRequest.objects.get(pk=lending.pk).is_active is True

    su_client.post(reverse("admin:illdesk_statussetting_delete", args=[setting.pk]), {"post": "yes"})
    assert not StatusSetting.objects.exists()
    assert BorrowingRequest.objects.get(pk=sent.pk).is_active is True


def test_a_status_setting_accepts_a_bare_code_of_its_side(su_client, world):
    response = su_client.post(reverse("admin:illdesk_statussetting_add"),
                              {"side": "lending", "status": "created", "inactive": "on"})
    assert response.status_code == 302
    assert LendingRequest.objects.get(pk=world["lending"].pk).is_active is False
    assert BorrowingRequest.objects.get(pk=world["created"].pk).is_active is True


@pytest.mark.parametrize("status", ["lending:being_processed", "being_processed", "borrowing:nonsense"])
def test_a_status_setting_refuses_a_status_of_the_other_side(su_client, db, status):
    response = su_client.post(reverse("admin:illdesk_statussetting_add"),
                              {"side": "borrowing", "status": status, "inactive": "on"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"]
    assert not StatusSetting.objects.exists()


def test_the_status_setting_form_shows_both_sides(su_client, db):
    content = su_client.get(reverse("admin:illdesk_statussetting_add")).content.decode()
    assert "Borrowing: Request sent to partner" in content
    assert "Lending: Being processed" in content


def test_the_system_administrator_role_can_configure_partners(client, admin_user, world):
    client.force_login(admin_user)
    for name in ("partners_partner", "partners_workflowprofile", "partners_rotatemplate", "illdesk_statussetting",
                 "illdesk_patron", "lending_bibrecord"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code in (200, 403), name
    assert client.get(reverse("admin:partners_partner_changelist")).status_code == 200
    assert client.get(reverse("admin:partners_partner_add")).status_code == 200
