"""Status aliases (Koha ILL_STATUS_ALIAS): a library's own name for a status, shown through the cached
`alias_label` and the template filter, correct at once after a change."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse

from illdesk.aliases import alias_choices, alias_label, alias_or_none, label_for
from illdesk.models import StatusAlias
from tests.factories import make_borrowing, make_lending


def test_without_aliases_the_built_in_label_shows(db):
    assert alias_label("borrowing", "received_physically") == "Physically received by library"
    assert alias_label("lending", "created") == "Created lending request"
    assert alias_label("borrowing", "no_such_status") == "no_such_status"


def test_a_library_alias_wins_over_the_alias_for_every_library(library, other_library):
    StatusAlias.objects.create(side="borrowing", status="received_physically", label="Arrived")
    StatusAlias.objects.create(side="borrowing", status="received_physically", library=library,
                               label="On the pickup shelf")
    assert alias_label("borrowing", "received_physically", library.pk) == "On the pickup shelf"
    assert alias_label("borrowing", "received_physically", other_library.pk) == "Arrived"
    assert alias_label("borrowing", "received_physically") == "Arrived"
    assert alias_label("lending", "received_by_partner", library.pk) == "Received by partner"  # other side
    # pages with their own wording (the OPAC) ask whether there is an alias at all
    assert alias_or_none("borrowing", "received_physically", other_library.pk) == "Arrived"
    assert alias_or_none("borrowing", "sent", library.pk) is None


def test_the_cache_answers_without_queries_and_follows_every_change(library, django_assert_num_queries):
    alias = StatusAlias.objects.create(side="borrowing", status="sent", label="With the lender")
    assert alias_label("borrowing", "sent") == "With the lender"
    with django_assert_num_queries(0):
        for _ in range(100):
            alias_label("borrowing", "sent", library.pk)
    alias.label = "Asked"
    alias.save()
    assert alias_label("borrowing", "sent") == "Asked"
    StatusAlias.objects.filter(pk=alias.pk).delete()  # a queryset delete (the admin's bulk delete) too
    assert alias_label("borrowing", "sent") == "Request sent to partner"


def test_the_template_filter_and_tag(library):
    StatusAlias.objects.create(side="lending", status="shipped_physically", library=library, label="Posted")
    req = make_lending(library, "shipped_physically")
    html = Template("{% load tools_tags %}{{ req|status_alias }} | {% alias_label 'lending' 'shipped_physically' %}"
                    " | {% alias_label 'lending' req.status req.owner_id %}").render(Context({"req": req}))
    assert html == "Posted | Shipped physically | Posted"
    assert label_for(req) == "Posted"


def test_alias_choices_for_facets_and_selects(library):
    StatusAlias.objects.create(side="borrowing", status="overdue", label="Late")
    choices = dict(alias_choices("borrowing"))
    assert choices["overdue"] == "Late"
    assert choices["created"] == "Created borrowing request"


def test_an_alias_must_name_a_status_of_its_side(db):
    with pytest.raises(ValidationError):
        StatusAlias(side="lending", status="received_physically", label="x").full_clean()
    with pytest.raises(ValidationError):
        StatusAlias(side="borrowing", status="sent", label="   ").full_clean()
    StatusAlias(side="borrowing", status="sent", label="ok").full_clean()


def test_one_alias_per_status_and_library(library):
    StatusAlias.objects.create(side="borrowing", status="sent", label="A")
    with pytest.raises(ValidationError):
        StatusAlias(side="borrowing", status="sent", label="B").full_clean()  # a second one for every library
    StatusAlias(side="borrowing", status="sent", library=library, label="B").full_clean()


def test_admins_edit_aliases_in_the_admin(client, library):
    from django.contrib.auth.models import User

    root = User.objects.create_superuser("root", "root@example.org", "root")
    client.force_login(root)
    response = client.post(reverse("admin:illdesk_statusalias_add"),
                           {"side": "borrowing", "status": "loaned_to_patron", "library": library.pk,
                            "label": "Checked out"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert alias_label("borrowing", "loaned_to_patron", library.pk) == "Checked out"
    listing = client.get(reverse("admin:illdesk_statusalias_changelist")).content.decode()
    assert "Loaned item to patron" in listing and "Checked out" in listing


def test_aliases_show_on_batch_pages(client, operator, library):
    from tools.models import Batch

    StatusAlias.objects.create(side="borrowing", status="created", library=library, label="New, untouched")
    batch = Batch.objects.create(name="Reading list", library=library)
    batch.requests.add(make_borrowing(library, "created"))
    client.force_login(operator)
    assert "New, untouched" in client.get(reverse("tools:batch", args=[batch.pk])).content.decode()
