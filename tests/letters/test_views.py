"""The letters tab of a request: the log, preview, resend, and "send a letter" (preview, then send);
and Koha's "Place request with partners"."""

import pytest
from django.urls import reverse

from letters.models import SentLetter
from partners.models import Partner


@pytest.fixture
def staff(client, operator):
    client.force_login(operator)
    return client


def _tab(client, side, pk, **headers):
    return client.get(reverse("letters:for_request", args=[side, pk]), **headers)


def test_the_tab_lists_letters_with_their_state(staff, borrowing_request, operator, smtp_settings, smtp_server,
                                                django_capture_on_commit_callbacks):
    from letters.api import send_letter

    with django_capture_on_commit_callbacks(execute=True):
        send_letter("query_to_patron", request=borrowing_request, to=["pia@example.org"], by=operator,
                    context={"note": "Mikä painos?"})
    fragment = _tab(staff, "borrowing", borrowing_request.pk, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in body  # a fragment for the request page's tab
    assert "Query To Patron letter" in body and "pia@example.org" in body and "Sent" in body
    assert f"Kysymys kaukolainapyynnöstäsi {borrowing_request.pk}" not in body  # patron's language is en
    assert f"Question about your interlibrary loan request {borrowing_request.pk}" in body
    for slip in ("Receive slip", "Return slip"):
        assert slip in body
    assert "Place request with partners" in body
    page = _tab(staff, "borrowing", borrowing_request.pk)
    assert "<html" in page.content.decode()  # without htmx: a whole page


def test_only_staff_see_letters(client, outsider, borrowing_request):
    client.force_login(outsider)
    assert _tab(client, "borrowing", borrowing_request.pk).status_code == 403
    client.logout()
    assert _tab(client, "borrowing", borrowing_request.pk).status_code == 302
    assert client.get(reverse("letters:for_request", args=["nowhere", 1])).status_code in (302, 404)


def test_compose_previews_then_sends(staff, borrowing_request, operator, smtp_settings, smtp_server,
                                     django_capture_on_commit_callbacks):
    url = reverse("letters:compose", args=["borrowing", borrowing_request.pk])
    preview = staff.get(url, {"code": "cancel_request"}, HTTP_HX_REQUEST="true")
    body = preview.content.decode()
    assert preview.status_code == 200
    assert 'value="pia@example.org"' in body  # the patron, prefilled
    assert f"Your interlibrary loan request {borrowing_request.pk} has been cancelled" in body
    assert 'name="var_reason"' in body and 'name="send"' in body

    data = {"code": "cancel_request", "shown_code": "cancel_request", "to": "pia@example.org", "language": "fi",
            "var_reason": "Ei saatavilla", "var_note": ""}
    again = staff.post(url, {**data, "preview": "1"}).content.decode()
    assert "Syy: Ei saatavilla" in again
    assert not SentLetter.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        sent = staff.post(url, {**data, "send": "1"}, HTTP_HX_REQUEST="true")
    assert sent.status_code == 204
    assert sent["HX-Redirect"] == reverse("borrowing:detail", args=[borrowing_request.pk])
    letter = SentLetter.objects.get()
    assert (letter.code, letter.language, letter.to, letter.state) == ("cancel_request", "fi", ["pia@example.org"],
                                                                      SentLetter.State.SENT)
    assert letter.sent_by == operator
    assert "Syy: Ei saatavilla" in smtp_server.messages[0][2].get_body(("plain",)).get_content()


def test_compose_refuses_bad_addresses_and_letters_of_the_other_side(staff, lending_request):
    url = reverse("letters:compose", args=["lending", lending_request.pk])
    response = staff.post(url, {"code": "lender_reject", "shown_code": "lender_reject", "to": "not an address",
                                "send": "1"})
    assert response.status_code == 400 and "is not an email address" in response.content.decode()
    wrong = staff.post(url, {"code": "cancel_request", "shown_code": "cancel_request", "to": "a@b.fi", "send": "1"})
    assert wrong.status_code == 400
    assert not SentLetter.objects.exists()
    choices = staff.get(url, {"code": "lender_reject"}).content.decode()
    assert "ill@mail.example.org" in choices and "Lender Checked-In email" in choices
    assert "Cancel Request letter" not in choices


def test_preview_and_resend_of_a_sent_letter(staff, borrowing_request, smtp_settings, smtp_server,
                                             django_capture_on_commit_callbacks):
    from letters.api import send_letter

    with django_capture_on_commit_callbacks(execute=True):
        first = send_letter("patron_ready_for_pickup", request=borrowing_request, to=["pia@example.org"])
    shown = staff.get(reverse("letters:letter", args=[first.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert first.subject in shown and "srcdoc=" in shown and "Main desk" in shown

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("letters:resend", args=[first.pk]))
    assert response.status_code == 302
    second = SentLetter.objects.exclude(pk=first.pk).get()
    assert (second.subject, second.body_html, second.resent_from) == (first.subject, first.body_html, first)
    assert len(smtp_server.messages) == 2
    assert borrowing_request.history.filter(field="Letter").count() == 2


def test_place_request_with_partners(staff, borrowing_request, email_partner, full_profile, smtp_settings,
                                     smtp_server, django_capture_on_commit_callbacks):
    finnish = Partner.objects.create(code="hki", name="Helsingin kaupunginkirjasto", profile_type="email",
                                     email="kaukopalvelu@hel.example.fi", language="fi",
                                     workflow_profile=full_profile)
    Partner.objects.create(code="NOMAIL", name="No Mail", profile_type="iso18626", workflow_profile=full_profile)
    url = reverse("letters:partner_request", args=[borrowing_request.pk])
    form = staff.get(url).content.decode()
    assert "HKI – Helsingin kaupunginkirjasto" in form and "No Mail" not in form
    assert f"Interlibrary loan request {borrowing_request.pk} from Main Library" in form
    fingerprint = form.split('name="fingerprint" value="')[1].split('"')[0]
    subject = f"Interlibrary loan request {borrowing_request.pk} from Main Library"
    body = staff.get(url).context["form"].initial["body"]

    # untouched: one letter per partner, each in its own language
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"partners": [email_partner.pk, finnish.pk], "subject": subject, "body": body,
                         "fingerprint": fingerprint, "send": "1"})
    sent = {rcpt[0]: message for _f, rcpt, message in smtp_server.messages}
    assert set(sent) == {"ill@mail.example.org", "kaukopalvelu@hel.example.fi"}
    assert str(sent["kaukopalvelu@hel.example.fi"]["Subject"]).strip().startswith("Kaukolainapyyntö")
    assert "Helsingin kaupunginkirjasto" in sent["kaukopalvelu@hel.example.fi"].get_body(("plain",)).get_content()

    # edited: the operator's subject and text go to every selected partner
    smtp_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"partners": [email_partner.pk, finnish.pk], "subject": "Kiireellinen pyyntö",
                         "body": "Voisitteko lähettää <tämän> kirjan?", "fingerprint": fingerprint, "send": "1"})
    assert sorted(str(m["Subject"]).strip() for _f, _r, m in smtp_server.messages) == ["Kiireellinen pyyntö"] * 2
    html = smtp_server.messages[0][2].get_body(("html",)).get_content()
    assert "Voisitteko lähettää &lt;tämän&gt; kirjan?" in html
    assert borrowing_request.history.filter(field="Letter", new_value__startswith="Partner request email").count() == 4
