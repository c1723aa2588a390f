"""Requests from partners are located at creation (seed 002): one match → located; none or several →
Locate failed, "No resources located". Locate, Search and Detach from the request page."""

import pytest
from django.urls import reverse

from illdesk.models import Note
from lending import actions
from lending.models import LendingRequest
from tests.factories import make_lending

from .helpers import dialog, fresh, offered, perform, statuses


@pytest.mark.parametrize(("fields", "record_id"), [
    ({"title": "Whatever", "isbn": "0-226-45808-3"}, "SAMPLE-0001"),  # ISBN-10 of the 13 we hold
    ({"title": "Interlending and document supply", "issn": "02641615"}, "SAMPLE-0002"),
    ({"title": "x", "oclc_number": "(OCoLC)1234567"}, "SAMPLE-0005"),
    ({"title": "The Structure of Scientific Revolutions", "author": "Thomas S. Kuhn"}, "SAMPLE-0001"),
    ({"title": "Structure of scientific revolutions!", "author": "Kuhn, T."}, "SAMPLE-0001"),
    ({"title": "Flora Fennica", "author": "Hiltunen", "bib_id": "SAMPLE-0004"}, "SAMPLE-0004"),
])
def test_an_incoming_request_with_one_match_is_located(inventory, iso_partner, library, fields, record_id):
    req = actions.create_incoming(iso_partner, fields={**fields, "external_id": "ISO-1"})
    assert (req.status, req.locate_status, req.record.record_id) == ("created", "located", record_id)
    assert (req.owner, req.partner, req.external_id, req.is_active) == (library, iso_partner, "ISO-1", True)
    created, located = req.history.order_by("id")[:2]
    assert (created.field, created.message) == ("Created", "Request from Peer University")
    assert located.message.startswith("Resource located:")


@pytest.mark.parametrize(("fields", "outcome"), [
    ({"title": "A book nobody has", "isbn": "9781234567897"}, "not_located"),
    ({"title": "Flora Fennica", "author": "Hiltunen, Raimo"}, "several"),  # two editions
    ({"title": "The structure of scientific revolutions", "author": "Somebody Else"}, "not_located"),
])
def test_no_match_or_several_is_locate_failed(inventory, iso_partner, fields, outcome):
    req = actions.create_incoming(iso_partner, fields=fields)
    assert (req.status, req.locate_status, req.record) == ("locate_failed", outcome, None)
    assert statuses(req) == ["Locate failed"]
    note = req.notes.get()
    assert note.kind == Note.Kind.INTERNAL and note.text.startswith("No resources located")
    assert LendingRequest.objects.get(pk=req.pk).has_active_note


def test_the_owner_defaults_to_the_first_library_and_can_be_given(inventory, iso_partner, library):
    from illdesk.models import ResourceSharingLibrary

    other = ResourceSharingLibrary.objects.create(code="BRANCH", name="Branch")
    assert actions.create_incoming(iso_partner, fields={"title": "x"}).owner == library
    assert actions.create_incoming(iso_partner, fields={"title": "x", "owner": other}).owner == other
    with pytest.raises(ValueError, match="status"):
        actions.create_incoming(iso_partner, fields={"title": "x", "status": "completed"})


def test_locate_is_offered_only_when_nothing_is_located_and_runs_from_the_page(client, operator, inventory,
                                                                               iso_partner, library):
    req = make_lending(library, "created", iso_partner, title="Flora Fennica", author="Hiltunen",
                       locate_status="not_run")
    client.force_login(operator)
    assert {"locate", "search"} <= set(offered(client, req))
    response = dialog(client, req, "locate", {})
    assert response.status_code == 302
    assert response["Location"] == reverse("lending:dialog", args=[req.pk, "search"])
    req = fresh(req)
    assert (req.status, req.locate_status) == ("locate_failed", "several")
    assert {"locate", "search"} <= set(offered(client, req))  # several: choose one, or change the query
    page = dialog(client, req, "search")
    assert [r.record_id for r in page.context["result"].records] == ["SAMPLE-0003", "SAMPLE-0004"]
    changed = client.get(reverse("lending:dialog", args=[req.pk, "search"]),
                         {"title": "Flora Fennica", "author": "", "isbn": "", "issn": "", "oclc_number": "",
                          "record_id": "SAMPLE-0003"})
    assert [r.record_id for r in changed.context["result"].records] == ["SAMPLE-0003"]
    chosen = inventory["SAMPLE-0004"]
    assert dialog(client, req, "search", {"record": chosen.pk}).status_code == 302
    req = fresh(req)
    assert (req.status, req.locate_status, req.record) == ("created", "located", chosen)
    assert "Created lending request" in statuses(req)
    names = offered(client, req)
    assert "locate" not in names and "search" not in names and "detach_from_inventory" in names


def test_detach_from_inventory_unlinks_the_record_and_frees_the_item(client, operator, kuhn, iso_partner, library):
    req = actions.create_incoming(iso_partner, fields={"title": "x", "isbn": kuhn.isbn})
    copy = kuhn.items.first()
    actions.place_fulfillment_request(req, kind="ship_physically", by=operator, item=copy)
    client.force_login(operator)
    assert perform(client, req, "detach_from_inventory").status_code == 302
    req = fresh(req)
    assert (req.locate_status, req.record, req.item) == ("not_located", None, None)
    copy.refresh_from_db()
    assert copy.state == "on_shelf"
    assert req.fulfillment_requests.get().state == "cancelled"
    fields = set(req.history.filter(kind="field").values_list("field", flat=True))
    assert {"Resource locate status", "Item", "Item status"} <= fields
    assert "detach_from_inventory" not in offered(client, req)
    assert perform(client, req, "detach_from_inventory").status_code == 409


def test_locate_refused_once_located(client, operator, kuhn, iso_partner, library):
    req = actions.create_incoming(iso_partner, fields={"title": "x", "isbn": kuhn.isbn})
    client.force_login(operator)
    before = req.history.count()
    assert dialog(client, req, "locate", {}).status_code == 409
    assert dialog(client, req, "search").status_code == 409
    assert fresh(req).locate_status == "located" and req.history.count() == before


@pytest.mark.parametrize(("wanted", "candidate", "match"), [
    ("Flora", "Flora : a guide", True),
    ("Flora : a guide", "Flora", True),
    ("The Flora", "flora", True),
    ("Flora", "Floral arrangements", False),
    ("", "Flora", False),
])
def test_titles_match_ignoring_case_punctuation_articles_and_subtitles(wanted, candidate, match):
    from lending.inventory import titles_match

    assert titles_match(wanted, candidate) is match


@pytest.mark.parametrize(("fields", "status", "locate_status"), [
    ({"isbn": "9780226458083"}, "created", "located"),
    ({"isbn": "9781234567897", "title": "Unknown book"}, "locate_failed", "not_located"),
])
def test_locate_from_the_page_with_one_or_no_match(client, operator, inventory, iso_partner, library, fields,
                                                    status, locate_status):
    req = make_lending(library, "created", iso_partner, locate_status="not_run", **fields)
    client.force_login(operator)
    response = dialog(client, req, "locate", {})
    assert response.status_code == 302 and response["Location"] == reverse("lending:detail", args=[req.pk])
    assert (fresh(req).status, fresh(req).locate_status) == (status, locate_status)


@pytest.mark.parametrize(("title", "word"), [
    ("The Structure of Scientific Revolutions", "revolutions"),
    ("Älykkyyden historia", "historia"),  # "alykkyyden" is not how the catalogue writes it
    ("Öljy ja öljyn jalostus", "jalostus"),
    ("Äö", "ao"),  # nothing plain: the old rule, the longest normalised word
    ("", ""),
])
def test_the_title_search_narrows_on_the_longest_word_written_in_plain_letters(title, word):
    from lending.inventory import narrowing_word

    assert narrowing_word(title) == word


def test_a_title_whose_longest_word_has_an_accent_is_located(iso_partner, library):
    from lending.models import BibRecord

    held = BibRecord.objects.create(record_id="FI-1", title="Älykkyyden historia", author="Virtanen, Aino")
    BibRecord.objects.create(record_id="FI-2", title="Kielen historia", author="Virtanen, Aino")
    req = actions.create_incoming(iso_partner, fields={"title": "Älykkyyden historia", "author": "Aino Virtanen"})
    assert (req.status, req.locate_status, req.record) == ("created", "located", held)


def test_incoming_requests_get_the_first_library_even_after_it_changed(iso_partner, library):
    from illdesk.models import ResourceSharingLibrary

    assert actions.create_incoming(iso_partner, fields={"title": "x"}).owner == library  # cached now
    first = ResourceSharingLibrary.objects.create(code="AAA", name="Not first: a later id")
    assert actions.create_incoming(iso_partner, fields={"title": "x"}).owner == library
    LendingRequest.objects.all().delete()
    library.delete()
    assert actions.create_incoming(iso_partner, fields={"title": "x"}).owner == first
