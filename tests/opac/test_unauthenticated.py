"""Requests without logging in (Koha ILLOpacUnauthenticatedRequest): off by default, name and email,
a honeypot and a minimum fill time instead of a captcha, status Pending approval, and staff linking
the request to a patron."""

import datetime

import time_machine
from django.urls import reverse
from django.utils import timezone

from borrowing.models import BorrowingRequest
from illdesk.models import HistoryEvent
from letters.models import SentLetter
from opac.forms import make_token
from tests.opac.conftest import book_data

URL = reverse("opac:request")


def anonymous_data(pickup, **extra):
    return book_data(pickup, name="Sam Page", email="sam.page@unauth.ill", **extra)


def fill_slowly(client, data):
    """Open the form (ten seconds ago, like a person), send it now."""
    with time_machine.travel(timezone.now() - datetime.timedelta(seconds=10)):
        token = client.get(URL).context["form"]["started"].value()
    return client.post(URL, {**data, "started": token})


def test_it_is_off_by_default_and_visitors_are_sent_to_log_in(client, opac, pickup):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.post(URL, anonymous_data(pickup, started=make_token())).status_code == 302
    assert BorrowingRequest.objects.count() == 0


def test_the_form_asks_for_name_and_email(client, anonymous_allowed, pickup):
    response = client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert '<label for="id_name">Your name' in content
    assert '<label for="id_email">Your email address' in content
    assert 'class="hp" aria-hidden="true"' in content
    assert 'tabindex="-1"' in content
    assert "Have a library card? Log in" in content
    response = fill_slowly(client, book_data(pickup))
    assert set(response.context["form"].errors) == {"name", "email"}


def test_a_visitor_places_a_request_that_waits_for_approval(client, anonymous_allowed, pickup, library, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = fill_slowly(client, anonymous_data(pickup))
    req = BorrowingRequest.objects.get()
    assert response.status_code == 302
    assert req.status == "pending_approval"
    assert (req.requester, req.patron_category) == (None, None)
    assert (req.unauthenticated_name, req.unauthenticated_email) == ("Sam Page", "sam.page@unauth.ill")
    assert req.owner == library
    assert "without logging in by Sam Page <sam.page@unauth.ill>" in req.history.get(field="Created").message
    assert mailoutbox[0].to == ["sam.page@unauth.ill"]
    assert "check your details" in mailoutbox[0].body

    page = client.get(response["Location"])  # the confirmation page, in the same session
    assert page.status_code == 200
    assert str(req.pk) in page.content.decode()


def test_the_confirmation_page_is_not_for_other_visitors(client, anonymous_allowed, pickup):
    response = fill_slowly(client, anonymous_data(pickup))
    client.cookies.clear()
    assert client.get(response["Location"]).status_code == 404


def test_the_letter_is_in_the_language_the_visitor_used(client, anonymous_allowed, pickup):
    client.cookies["django_language"] = "fi"
    fill_slowly(client, anonymous_data(pickup))
    assert SentLetter.objects.get().language == "fi"


def test_a_filled_honeypot_is_refused(client, anonymous_allowed, pickup):
    response = fill_slowly(client, anonymous_data(pickup, website="http://spam.example"))
    assert response.status_code == 400
    assert "could not be accepted" in response.context["form"].non_field_errors()[0]
    assert BorrowingRequest.objects.count() == 0


def test_a_form_sent_too_fast_is_refused_then_accepted(client, anonymous_allowed, pickup):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = client.get(URL).context["form"]["started"].value()
        traveller.shift(1)
        response = client.post(URL, {**anonymous_data(pickup), "started": token})
        assert response.status_code == 400
        assert "very fast" in response.context["form"].non_field_errors()[0]
        traveller.shift(5)
        # the re-rendered form carries the original token: the second try passes
        token = response.context["form"]["started"].value()
        assert client.post(URL, {**anonymous_data(pickup), "started": token}).status_code == 302


def test_a_missing_forged_or_day_old_token_is_refused(client, anonymous_allowed, pickup):
    assert client.post(URL, anonymous_data(pickup)).status_code == 400
    assert client.post(URL, anonymous_data(pickup, started="1700000000:forged")).status_code == 400
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = make_token()
        traveller.shift(2 * 24 * 3600)
        response = client.post(URL, {**anonymous_data(pickup), "started": token})
    assert "expired" in response.context["form"].non_field_errors()[0]
    assert BorrowingRequest.objects.count() == 0


def test_logged_in_patrons_never_see_the_anti_bot_fields(patron_client, anonymous_allowed):
    form = patron_client.get(URL).context["form"]
    for name in ("name", "email", "website", "started"):
        assert name not in form.fields


# --- staff link the request to a patron ---------------------------------------------------------------


def _unauth_request(client, pickup):
    fill_slowly(client, anonymous_data(pickup))
    client.cookies.clear()
    return BorrowingRequest.objects.get()


def test_only_operators_open_the_link_page(client, anonymous_allowed, pickup, patron, outsider):
    req = _unauth_request(client, pickup)
    url = reverse("opac:link", args=[req.pk])
    assert client.get(url).status_code == 302  # to login
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    client.force_login(patron.user)
    assert client.get(url).status_code == 403


def test_staff_find_the_patron_and_link_the_request(client, anonymous_allowed, pickup, patron, operator):
    req = _unauth_request(client, pickup)
    assert req.needs_patron_link
    patron.first_name, patron.last_name, patron.email = "Sam", "Page", "sam@example.org"
    patron.save()
    client.force_login(operator)
    url = reverse("opac:link", args=[req.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert list(page.context["candidates"]) == [patron]  # suggested by name
    assert "sam.page@unauth.ill" in page.content.decode()
    assert list(client.get(url, {"q": "P0001"}).context["candidates"]) == [patron]
    assert list(client.get(url, {"q": "nobody"}).context["candidates"]) == []

    response = client.post(url, {"patron": patron.pk, "approve": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("borrowing:detail", args=[req.pk])
    req.refresh_from_db()
    assert (req.requester, req.patron_category, req.status) == (patron, patron.category, "created")
    assert not req.needs_patron_link
    requester_row = req.history.get(kind=HistoryEvent.Kind.FIELD, field="Requester")
    assert (requester_row.old_value, requester_row.actor) == ("", operator)
    assert "P0001" in requester_row.new_value
    assert req.history.filter(kind=HistoryEvent.Kind.STATUS, new_value="Created borrowing request").exists()
    # linked once: the page now sends staff back to the request
    assert client.get(url).status_code == 302


def test_linking_without_approval_keeps_it_pending(client, anonymous_allowed, pickup, patron, operator):
    req = _unauth_request(client, pickup)
    client.force_login(operator)
    client.post(reverse("opac:link", args=[req.pk]), {"patron": patron.pk})
    req.refresh_from_db()
    assert (req.requester, req.status) == (patron, "pending_approval")


def test_a_linked_request_shows_in_the_patrons_list(client, anonymous_allowed, pickup, patron, operator):
    req = _unauth_request(client, pickup)
    client.force_login(operator)
    client.post(reverse("opac:link", args=[req.pk]), {"patron": patron.pk, "approve": "on"})
    client.force_login(patron.user)
    rows = client.get(reverse("opac:my_requests")).context["current"]
    assert [r["req"].pk for r in rows] == [req.pk]
