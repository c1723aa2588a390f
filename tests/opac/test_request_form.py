"""The request form: the fields of each type, server-side validation next to the fields, switching
type with and without JavaScript, placing the request, the confirmation page and email, and staff
seeing the new request in the borrowing task list."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from borrowing.models import BorrowingRequest
from illdesk.models import HistoryEvent, PickupLocation, ResourceSharingLibrary
from letters.models import SentLetter
from opac.forms import TYPE_FIELDS, RequestForm
from tests.opac.conftest import article_data, book_data

URL = reverse("opac:request")


def errors(response) -> dict:
    return {name: list(errs) for name, errs in response.context["form"].errors.items()}


@pytest.mark.parametrize("kind", list(TYPE_FIELDS))
def test_each_type_shows_its_own_labelled_fields(patron_client, kind):
    response = patron_client.get(URL, {"type": kind})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.kind == kind
    content = response.content.decode()
    for spec in TYPE_FIELDS[kind]:
        assert spec.name in form.fields
        assert f'<label for="id_{spec.name}">{spec.label}' in content  # every field has its label
    shown = {spec.name for spec in TYPE_FIELDS[kind]}
    for absent in {"chapter_title", "issue", "pmid", "edition"} - shown:
        assert absent not in form.fields
    for always in ("pickup_location", "last_interest_date", "request_note"):
        assert f'<label for="id_{always}">' in content
    assert 'id="id_requested_format"' in content and "<legend>Format" in content


@pytest.mark.parametrize(("kind", "missing"), [
    ("book", {"title"}),
    ("chapter", {"title", "chapter_title"}),
    ("journal", {"title"}),
    ("article", {"title", "chapter_title", "year"}),
    ("thesis", {"title", "author"}),
    ("conference", {"title"}),
    ("other", {"title"}),
])
def test_each_type_requires_its_fields_server_side(patron_client, pickup, kind, missing):
    response = patron_client.post(URL, {"request_type": kind, "requested_format": "physical",
                                        "pickup_location": pickup.pk})
    assert response.status_code == 400
    assert set(errors(response)) == missing
    content = response.content.decode()
    for name in missing:  # the message sits next to the field and the field points at it
        assert f'id="id_{name}_error"' in content
        assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*id_{name}_error"'
                         rf'[^>]*id="id_{name}"', content)
    assert BorrowingRequest.objects.count() == 0


@pytest.mark.parametrize(("field", "value"), [
    ("isbn", "978-0-00-000000-1"), ("issn", "1234-5678"), ("doi", "not a doi"), ("pmid", "12ab"),
])
def test_bad_identifiers_are_refused_next_to_their_field(patron_client, pickup, field, value):
    data = article_data(pickup, **{field: value}) if field != "isbn" else book_data(pickup, isbn=value)
    response = patron_client.post(URL, data)
    assert response.status_code == 400
    assert list(errors(response)) == [field]


def test_identifiers_are_stored_normalised(patron_client, pickup):
    response = patron_client.post(URL, article_data(pickup, issn="00280836", doi="https://doi.org/10.1038/nature12373",
                                                     pmid="PMID:23903748"))
    assert response.status_code == 302
    req = BorrowingRequest.objects.get()
    assert (req.issn, req.doi, req.pmid) == ("0028-0836", "10.1038/nature12373", "23903748")


def test_the_last_interest_date_may_not_be_in_the_past(patron_client, pickup):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = patron_client.post(URL, book_data(pickup, last_interest_date=yesterday.isoformat()))
    assert errors(response) == {"last_interest_date": ["This date is in the past."]}
    today = timezone.localdate()
    assert patron_client.post(URL, book_data(pickup, last_interest_date=today.isoformat())).status_code == 302


def test_a_patron_places_a_book_request(patron_client, patron, pickup, library, mailoutbox,
                                        django_capture_on_commit_callbacks):
    when = timezone.localdate() + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        response = patron_client.post(URL, book_data(pickup, isbn="978-0-226-45808-3", request_note="Kiitos!",
                                                     last_interest_date=when.isoformat()))
    req = BorrowingRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("opac:submitted", args=[req.pk])
    assert req.status == "created"
    assert req.is_active
    assert (req.requester, req.patron_category, req.owner, req.pickup_location) == \
        (patron, patron.category, library, pickup)
    assert (req.title, req.author, req.isbn, req.year) == ("Seitsemän veljestä", "Kivi, Aleksis", "9780226458083",
                                                           "1870")
    assert (req.request_type, req.requested_format, req.last_interest_date, req.request_note) == \
        ("book", "physical", when, "Kiitos!")
    created = req.history.get(field="Created")
    assert (created.kind, created.actor, created.new_value) == (HistoryEvent.Kind.ACTION, patron.user,
                                                                "Created borrowing request")

    page = patron_client.get(response["Location"])
    assert page.status_code == 200
    assert re.search(rf"Request number\s*<strong>{req.pk}</strong>", page.content.decode())

    letter = SentLetter.objects.get(code="patron_request_update")
    assert letter.to == ["pia@example.org"]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["pia@example.org"]
    assert str(req.pk) in mailoutbox[0].subject
    assert f"Its number is {req.pk}" in mailoutbox[0].body


def test_the_confirmation_email_can_be_switched_off(patron_client, pickup, opac):
    opac.confirm_to_patron = False
    opac.save()
    patron_client.post(URL, book_data(pickup))
    assert BorrowingRequest.objects.count() == 1
    assert not SentLetter.objects.exists()


def test_a_patron_without_email_gets_a_history_note_instead(patron_client, patron, pickup):
    patron.email = ""
    patron.save()
    patron_client.post(URL, book_data(pickup))
    req = BorrowingRequest.objects.get()
    assert "No email address" in req.history.get(field="Letter").message


def test_an_article_request_keeps_every_citation_field(patron_client, pickup):
    patron_client.post(URL, article_data(pickup, doi="10.1038/nature12373"))
    req = BorrowingRequest.objects.get()
    assert (req.request_type, req.title, req.chapter_title, req.chapter_author) == \
        ("article", "Nature", "Nanometre-scale thermometry", "Kucsko, G.")
    assert (req.volume, req.issue, req.pages, req.year, req.requested_format) == \
        ("500", "7460", "54-58", "2013", "digital")


def test_fields_of_another_type_are_not_saved(patron_client, pickup):
    patron_client.post(URL, book_data(pickup, chapter_title="Not a book field", issue="4"))
    req = BorrowingRequest.objects.get()
    assert (req.chapter_title, req.issue) == ("", "")


def test_changing_the_type_without_javascript_keeps_what_was_typed(patron_client, pickup):
    data = book_data(pickup, title="Proceedings of ISWC", request_type="conference", change_type="1",
                     previous_type="book")
    response = patron_client.post(URL, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.kind == "conference"
    assert not form.is_bound  # no errors shown for a form the patron has not finished
    assert form["title"].value() == "Proceedings of ISWC"
    assert form["author"].value() == "Kivi, Aleksis"
    assert form["requested_format"].value() == "digital"  # the default of the new type
    assert "Conference or proceedings title" in response.content.decode()
    assert BorrowingRequest.objects.count() == 0


def test_changing_the_type_with_htmx_swaps_only_the_form(patron_client, pickup):
    data = book_data(pickup, request_type="article", change_type="1", previous_type="book", requested_format="physical")
    data["requested_format"] = "physical_non_returnable"  # chosen by hand: kept
    response = patron_client.post(URL, data, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith('<form id="request-form"')
    assert "<html" not in content
    assert response.context["form"]["requested_format"].value() == "physical_non_returnable"
    assert "Article title" in content


def test_only_one_pickup_location_is_preselected_and_the_home_library_wins(patron_client, patron, pickup, library):
    form = patron_client.get(URL).context["form"]
    assert form["pickup_location"].value() == pickup.pk
    other = ResourceSharingLibrary.objects.create(code="BR", name="Branch")
    PickupLocation.objects.create(library=other, code="BR-DESK", name="Branch desk")
    assert patron_client.get(URL).context["form"]["pickup_location"].value() == pickup.pk
    patron.home_library = None
    patron.save()
    assert patron_client.get(URL).context["form"]["pickup_location"].value() is None


def test_the_owner_is_the_pickup_locations_library(patron_client, pickup):
    branch = ResourceSharingLibrary.objects.create(code="BR", name="Branch")
    desk = PickupLocation.objects.create(library=branch, code="BR-DESK", name="Branch desk")
    patron_client.post(URL, book_data(pickup, pickup_location=desk.pk))
    assert BorrowingRequest.objects.get().owner == branch


def test_the_request_gets_its_rota_from_the_rules(patron_client, pickup, library, email_partner):
    from partners.models import RotaAssignmentRule, RotaTemplate, RotaTemplateMember

    template = RotaTemplate.objects.create(code="BOOKS", name="Books")
    RotaTemplateMember.objects.create(template=template, partner=email_partner, position=1)
    RotaAssignmentRule.objects.create(name="Books", template=template, request_type="book")
    patron_client.post(URL, book_data(pickup))
    req = BorrowingRequest.objects.get()
    assert req.partner == email_partner
    assert [e.partner for e in req.rota_entries.all()] == [email_partner]


def test_staff_see_the_new_request_in_the_borrowing_task_list(patron_client, pickup, client, operator):
    patron_client.post(URL, book_data(pickup, title="Tuntematon sotilas"))
    patron_client.logout()
    client.force_login(operator)
    response = client.get(reverse("borrowing:list"))
    assert response.status_code == 200
    assert "Tuntematon sotilas" in response.content.decode()
    assert "Pia Patron" in response.content.decode()


def test_the_page_has_one_label_per_input_and_a_named_form(patron_client):
    content = patron_client.get(URL, {"type": "article"}).content.decode()
    inputs = re.findall(r'<(?:input|select|textarea)[^>]*\bid="(id_[a-z_]+)"', content)
    labelled = set(re.findall(r'<label for="(id_[a-z_0-9]+)"', content))
    for input_id in inputs:
        if input_id in ("id_oclc_number",):  # hidden
            continue
        assert input_id in labelled or input_id.rstrip("_0123456789") in {"id_request_type", "id_requested_format"}


def test_the_form_class_drops_unknown_types_to_book(patron):
    form = RequestForm(initial={"request_type": "<nonsense>"}, patron=patron)
    assert form.kind == "book"


def test_the_page_works_in_finnish(patron_client):
    patron_client.cookies["django_language"] = "fi"
    response = patron_client.get(URL)
    assert response.status_code == 200
    assert '<html lang="fi">' in response.content.decode()


def test_the_opac_root_sends_patrons_to_their_requests_and_visitors_to_the_form(client, patron_client):
    assert patron_client.get(reverse("opac:index"))["Location"] == reverse("opac:my_requests")
    patron_client.logout()
    assert client.get(reverse("opac:index"))["Location"] == URL
