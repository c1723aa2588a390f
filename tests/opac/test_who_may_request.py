"""Who may request (seed 003): patron categories allowed to, per-category limits on open requests,
and the duplicate check against the patron's own open requests (warn or block)."""

import pytest
from django.urls import reverse

from borrowing.models import BorrowingRequest
from illdesk.models import PatronCategory
from opac.models import OpacSettings
from tests.factories import make_borrowing
from tests.opac.conftest import article_data, book_data

URL = reverse("opac:request")


def test_a_category_that_may_not_request_sees_why(patron_client, patron, pickup):
    patron.category.may_request = False
    patron.category.save()
    response = patron_client.get(URL)
    assert response.status_code == 403
    assert "Patrons of your category (Staff) cannot place interlibrary loan requests" in response.content.decode()
    assert patron_client.post(URL, book_data(pickup)).status_code == 403
    assert BorrowingRequest.objects.count() == 0
    # "my requests" still works, without the "New request" button
    page = patron_client.get(reverse("opac:my_requests"))
    assert page.status_code == 200
    assert not page.context["may_request"]


def test_a_user_without_a_library_card_cannot_request(client, operator, pickup):
    client.force_login(operator)
    response = client.get(URL)
    assert response.status_code == 403
    assert "not linked to a library card" in response.content.decode()
    assert client.get(reverse("opac:my_requests")).status_code == 403


def test_the_limit_counts_open_requests_of_the_patron(patron_client, patron, library, pickup, other_patron):
    patron.category.request_limit = 2
    patron.category.save()
    make_borrowing(library, "sent", requester=patron, title="Open one")
    make_borrowing(library, "completed", requester=patron, title="Done")  # not open: does not count
    make_borrowing(library, "created", requester=other_patron, title="Someone else's")
    assert patron_client.post(URL, book_data(pickup, title="Second")).status_code == 302

    page = patron_client.get(URL)
    assert page.context["limit_reached"]
    assert "You already have 2 open requests" in page.content.decode()
    response = patron_client.post(URL, book_data(pickup, title="Third"))
    assert response.status_code == 400
    assert "the most your patron category allows" in response.context["form"].non_field_errors()[0]
    assert BorrowingRequest.objects.filter(requester=patron).count() == 3


def test_a_category_without_a_limit_has_none(patron_client, patron, library, pickup):
    assert patron.category.request_limit is None
    for n in range(5):
        make_borrowing(library, "created", requester=patron, title=f"Book {n}")
    assert patron_client.post(URL, book_data(pickup)).status_code == 302


@pytest.fixture
def existing(library, patron):
    return make_borrowing(library, "sent", requester=patron, request_type="book", title="Seitsemän Veljestä!",
                          isbn="9780226458083")


def _mode(opac, mode):
    opac.duplicate_check = mode
    opac.save()


def test_warn_mode_asks_for_confirmation_then_accepts(patron_client, pickup, existing, opac):
    _mode(opac, OpacSettings.DuplicateCheck.WARN)
    response = patron_client.post(URL, book_data(pickup))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.duplicates == [existing]
    assert form.needs_duplicate_confirmation
    content = response.content.decode()
    assert f"You have already requested this item (request {existing.pk})" in content
    assert 'name="confirm_duplicate"' in content
    assert BorrowingRequest.objects.count() == 1

    response = patron_client.post(URL, book_data(pickup, confirm_duplicate="on"))
    assert response.status_code == 302
    assert BorrowingRequest.objects.count() == 2


def test_block_mode_refuses(patron_client, pickup, existing, opac):
    _mode(opac, OpacSettings.DuplicateCheck.BLOCK)
    response = patron_client.post(URL, book_data(pickup, confirm_duplicate="on"))
    assert response.status_code == 400
    assert not response.context["form"].needs_duplicate_confirmation
    assert BorrowingRequest.objects.count() == 1


def test_off_mode_does_not_check(patron_client, pickup, existing, opac):
    _mode(opac, OpacSettings.DuplicateCheck.OFF)
    assert patron_client.post(URL, book_data(pickup)).status_code == 302


@pytest.mark.parametrize(("mine", "duplicate"), [
    ({"title": "Another title", "isbn": "0-306-40615-2"}, False),  # another ISBN, another title
    ({"title": "Another title", "isbn": "0-226-45808-3"}, True),  # the ISBN-10 of the same book
    ({"title": "Another title", "isbn": "978-0-226-45808-3"}, True),  # same ISBN
    ({"title": "seitsemän veljestä"}, True),  # same normalised title
    ({"title": "Seitsemän veljestä, osa 2"}, False),
])
def test_what_counts_as_the_same_book(patron_client, pickup, existing, opac, mine, duplicate):
    _mode(opac, OpacSettings.DuplicateCheck.BLOCK)
    response = patron_client.post(URL, book_data(pickup, **mine))
    assert (response.status_code == 400) is duplicate


def test_two_articles_of_one_journal_are_not_duplicates(patron_client, library, patron, pickup, opac):
    _mode(opac, OpacSettings.DuplicateCheck.BLOCK)
    make_borrowing(library, "created", requester=patron, request_type="article", title="Nature", issn="0028-0836",
                   chapter_title="Another article", volume="499", year="2013")
    assert patron_client.post(URL, article_data(pickup)).status_code == 302
    # the same article again, found by its DOI even with a different spelling of the title
    BorrowingRequest.objects.filter(chapter_title="Nanometre-scale thermometry").update(doi="10.1038/nature12373")
    response = patron_client.post(URL, article_data(pickup, chapter_title="Thermometry",
                                                     doi="https://doi.org/10.1038/NATURE12373"))
    assert response.status_code == 400


def test_only_open_requests_of_the_same_patron_count(patron_client, library, patron, other_patron, pickup, opac):
    _mode(opac, OpacSettings.DuplicateCheck.BLOCK)
    make_borrowing(library, "completed", requester=patron, title="Seitsemän veljestä")
    make_borrowing(library, "created", requester=other_patron, title="Seitsemän veljestä")
    make_borrowing(library, "cancelled_by_patron", requester=patron, title="Seitsemän veljestä")
    assert patron_client.post(URL, book_data(pickup)).status_code == 302


def test_categories_are_admin_settings(db):
    category = PatronCategory.objects.create(code="GUEST", name="Guest")
    assert category.may_request and category.request_limit is None
