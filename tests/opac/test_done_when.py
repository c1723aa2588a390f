"""Issue 8, "done when": a patron lands from a catalogue link with an OpenURL, sees the form filled,
submits, sees the request in "my requests", cancels another one, and staff see both in the borrowing
task list."""

from urllib.parse import urlencode

from django.urls import reverse

from borrowing.models import BorrowingRequest
from tests.factories import make_borrowing

OPENURL = urlencode({
    "url_ver": "Z39.88-2004", "rft_val_fmt": "info:ofi/fmt:kev:mtx:book", "rft.genre": "book",
    "rft.btitle": "Tuntematon sotilas", "rft.au": "Linna, Väinö", "rft.isbn": "9789510396322",
    "rft.pub": "WSOY", "rft.place": "Porvoo", "rft.date": "1954",
})


def test_the_patron_story_end_to_end(client, patron, pickup, library, operator):
    older = make_borrowing(library, "created", requester=patron, patron_category=patron.category,
                           title="Kalevala", pickup_location=pickup)

    # from the catalogue, not logged in: log in, come back with the citation
    landing = client.get(f"{reverse('opac:request')}?{OPENURL}")
    login_url = landing["Location"]
    back = client.post(login_url, {"username": "patron", "password": "patron",
                                   "next": f"{reverse('opac:request')}?{OPENURL}"})
    page = client.get(back["Location"])
    form = page.context["form"]
    assert (form.kind, form["title"].value(), form["author"].value(), form["isbn"].value()) == \
        ("book", "Tuntematon sotilas", "Linna, Väinö", "9789510396322")

    # submit what was filled in
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, "")}
    sent = client.post(reverse("opac:request"), data)
    new = BorrowingRequest.objects.get(title="Tuntematon sotilas")
    assert sent["Location"] == reverse("opac:submitted", args=[new.pk])
    assert str(new.pk) in client.get(sent["Location"]).content.decode()

    # my requests shows it; the older one is cancelled
    mine = client.get(reverse("opac:my_requests"))
    assert [r["req"].pk for r in mine.context["current"]] == [new.pk, older.pk]
    client.post(reverse("opac:cancel", args=[older.pk]))
    mine = client.get(reverse("opac:my_requests"))
    assert [r["req"].pk for r in mine.context["current"]] == [new.pk]
    assert [r["req"].pk for r in mine.context["history_rows"]] == [older.pk]
    assert "Cancelled by you" in mine.content.decode()

    # staff: the new one in the active list, the cancelled one under "all" (a final status)
    client.force_login(operator)
    active = client.get(reverse("borrowing:list")).content.decode()
    assert "Tuntematon sotilas" in active
    everything = client.get(reverse("borrowing:list"), {"activity": "all", "q": "Kalevala", "qf": "title"})
    assert "Kalevala" in everything.content.decode()
    assert "Cancelled by patron" in everything.content.decode()
