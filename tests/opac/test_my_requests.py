""""My requests": the patron's own requests with a patron-friendly status, due date and pickup;
cancel while staff have not processed it, ask for a renewal of a loan, change pickup / date / note;
staff notices; other patrons' requests do not exist here."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from borrowing.models import BorrowingRequest
from borrowing.statuses import Status
from illdesk.models import HistoryEvent, PickupLocation
from letters.models import SentLetter
from opac.statuses import PATRON_STATUS, patron_status
from tests.factories import make_borrowing

LIST = reverse("opac:my_requests")


def mine(library, patron, status="created", **fields):
    return make_borrowing(library, status, requester=patron, patron_category=patron.category, **fields)


def test_every_staff_status_has_a_patron_text():
    assert set(PATRON_STATUS) == set(Status.values)
    assert str(patron_status("sent")) != "sent"
    assert str(patron_status("shipped_physically").text) == "On its way"
    assert str(patron_status("received_physically").text) == "Ready for pickup"
    for status in ("sent", "accepted", "will_supply"):
        assert str(patron_status(status).text) == "Requested from another library"
    assert str(patron_status("no-such-status").text) == "Being processed by the library"


def test_the_list_shows_current_and_completed_requests(patron_client, patron, library, pickup,
                                                       django_assert_max_num_queries):
    due = datetime.date(2030, 5, 31)
    loan = mine(library, patron, "loaned_to_patron", title="On loan", due_date=due, pickup_location=pickup)
    shipped = mine(library, patron, "shipped_physically", title="Coming")
    done = mine(library, patron, "completed", title="Old one")
    cancelled = mine(library, patron, "cancelled_by_patron", title="Never mind")
    mine(library, patron, "completed", title="Removed", removed_at=timezone.now())
    with django_assert_max_num_queries(8):
        response = patron_client.get(LIST)
    assert response.status_code == 200
    assert [r["req"] for r in response.context["current"]] == [shipped, loan]
    assert [r["req"] for r in response.context["history_rows"]] == [cancelled, done]
    content = response.content.decode()
    assert "On loan to you" in content
    assert "On its way" in content
    assert "Cancelled by you" in content
    assert "Main desk" in content
    assert "Removed" not in content
    assert "31" in content and "2030" in content  # the due date


def test_the_list_query_count_does_not_grow_with_requests(patron_client, patron, library, pickup,
                                                          django_assert_max_num_queries):
    for n in range(30):
        mine(library, patron, "sent" if n % 2 else "completed", title=f"Item {n}", pickup_location=pickup)
    with django_assert_max_num_queries(8):
        assert patron_client.get(LIST).status_code == 200


def test_other_patrons_requests_are_invisible(patron_client, library, other_patron):
    theirs = mine(library, other_patron, "created", title="Olavi's secret book")
    assert "Olavi" not in patron_client.get(LIST).content.decode()
    for name in ("detail", "cancel", "renew"):
        assert patron_client.get(reverse(f"opac:{name}", args=[theirs.pk])).status_code == 404
    for name in ("cancel", "renew", "modify"):
        assert patron_client.post(reverse(f"opac:{name}", args=[theirs.pk])).status_code == 404
    assert patron_client.get(reverse("opac:submitted", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "created"


def test_pages_need_a_login(client, library, patron):
    req = mine(library, patron)
    for url in (LIST, reverse("opac:detail", args=[req.pk]), reverse("opac:cancel", args=[req.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- cancel ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["created", "pending_approval", "ready_to_send", "locate_failed", "bad_citation",
                                    "local_holding"])
def test_a_patron_cancels_what_staff_have_not_processed(patron_client, patron, library, operator, status, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    req = mine(library, patron, status)
    url = reverse("opac:cancel", args=[req.pk])
    page = patron_client.get(url)
    assert page.status_code == 200
    assert "Cancel this request?" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = patron_client.post(url, {"note": "Found it in the bookshop"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "cancelled_by_patron"
    assert not req.is_active
    event = req.history.get(kind=HistoryEvent.Kind.STATUS)
    assert (event.new_value, event.actor, event.message) == ("Cancelled by patron", patron.user,
                                                             "Found it in the bookshop")
    notice = SentLetter.objects.get(code="staff_patron_cancelled")
    assert notice.to == ["ill@example.org"]  # the owning library's ILL address
    assert mailoutbox[0].to == ["ill@example.org"]
    assert "Found it in the bookshop" in mailoutbox[0].body


@pytest.mark.parametrize("status", ["sent", "shipped_physically", "loaned_to_patron", "completed", "cancelled"])
def test_a_patron_cannot_cancel_once_staff_are_on_it(patron_client, patron, library, status):
    req = mine(library, patron, status)
    assert not any(r["may_cancel"] for r in patron_client.get(LIST).context["current"])
    response = patron_client.post(reverse("opac:cancel", args=[req.pk]))
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == status
    assert not SentLetter.objects.exists()


def test_staff_notices_can_be_switched_off(patron_client, patron, library, opac):
    opac.staff_notices = False
    opac.save()
    req = mine(library, patron)
    patron_client.post(reverse("opac:cancel", args=[req.pk]))
    req.refresh_from_db()
    assert req.status == "cancelled_by_patron"
    assert not SentLetter.objects.exists()


# --- renew ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["loaned_to_patron", "renewed_by_partner", "overdue"])
def test_a_patron_asks_for_a_renewal_of_a_loan(patron_client, patron, library, status):
    req = mine(library, patron, status, due_date=datetime.date(2030, 1, 15))
    rows = patron_client.get(LIST).context["current"]
    assert rows[0]["may_renew"] and not rows[0]["may_cancel"]
    response = patron_client.post(reverse("opac:renew", args=[req.pk]), {"note": "Two more weeks please"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "mediated_patron_renewal"
    assert str(patron_status(req.status).text) == "Renewal requested"
    notice = SentLetter.objects.get(code="staff_patron_modified")
    assert "renewal" in notice.body_text


@pytest.mark.parametrize("status", ["created", "received_physically", "mediated_patron_renewal", "returned_by_patron"])
def test_no_renewal_outside_a_loan(patron_client, patron, library, status):
    req = mine(library, patron, status)
    patron_client.post(reverse("opac:renew", args=[req.pk]))
    req.refresh_from_db()
    assert req.status == status


# --- change ------------------------------------------------------------------------------------------------


def test_a_patron_changes_pickup_date_and_note_and_staff_are_told(patron_client, patron, library, pickup):
    other_desk = PickupLocation.objects.create(library=library, code="READ", name="Reading room")
    req = mine(library, patron, "created", pickup_location=pickup)
    when = timezone.localdate() + datetime.timedelta(days=60)
    page = patron_client.get(reverse("opac:detail", args=[req.pk]))
    assert page.context["modify_form"] is not None
    response = patron_client.post(reverse("opac:modify", args=[req.pk]), {
        "pickup_location": other_desk.pk, "last_interest_date": when.isoformat(), "request_note": "Any edition"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.pickup_location, req.last_interest_date, req.request_note) == (other_desk, when, "Any edition")
    fields = set(req.history.filter(kind=HistoryEvent.Kind.FIELD).values_list("field", flat=True))
    assert fields == {"Pickup location", "Last interest date", "Request note"}
    notice = SentLetter.objects.get(code="staff_patron_modified")
    assert "Main desk → Reading room" in notice.body_text


def test_nothing_changed_sends_no_notice(patron_client, patron, library, pickup):
    req = mine(library, patron, "created", pickup_location=pickup)
    patron_client.post(reverse("opac:modify", args=[req.pk]), {"pickup_location": pickup.pk})
    assert not SentLetter.objects.exists()


def test_a_past_date_is_refused_on_change(patron_client, patron, library):
    req = mine(library, patron, "created")
    response = patron_client.post(reverse("opac:modify", args=[req.pk]), {"last_interest_date": "2001-01-01"})
    assert response.status_code == 400
    assert "This date is in the past." in response.content.decode()


def test_no_changes_once_staff_are_on_it(patron_client, patron, library, pickup):
    req = mine(library, patron, "sent", pickup_location=pickup, request_note="old")
    assert patron_client.get(reverse("opac:detail", args=[req.pk])).context["modify_form"] is None
    patron_client.post(reverse("opac:modify", args=[req.pk]), {"request_note": "new"})
    req.refresh_from_db()
    assert req.request_note == "old"


def test_the_detail_page_shows_the_citation_and_help(patron_client, patron, library):
    req = mine(library, patron, "recalled_by_partner", title="Recalled book", isbn="9780226458083",
               due_date=datetime.date(2030, 2, 1))
    content = patron_client.get(reverse("opac:detail", args=[req.pk])).content.decode()
    assert "Recalled – please return" in content
    assert "needs the item back early" in content
    assert "9780226458083" in content


def test_history_is_paged(patron_client, patron, library):
    for n in range(25):
        mine(library, patron, "completed", title=f"Done {n}")
    first = patron_client.get(LIST)
    assert len(first.context["history_rows"]) == 20
    assert len(patron_client.get(LIST, {"page": 2}).context["history_rows"]) == 5
    assert BorrowingRequest.objects.count() == 25


def test_the_pickup_location_cannot_be_emptied(patron_client, patron, library, pickup):
    req = mine(library, patron, "created", pickup_location=pickup)
    response = patron_client.post(reverse("opac:modify", args=[req.pk]), {"pickup_location": ""})
    assert response.status_code == 400
    req.refresh_from_db()
    assert req.pickup_location == pickup
