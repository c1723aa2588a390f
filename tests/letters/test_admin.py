"""Admin: overrides are validated, start from the shipped text, and are previewed against a real
request in both languages; the outbox is browsable and letters can be resent from it."""

import pytest
from django.urls import reverse

from letters.models import LetterTemplate, SentLetter

PREVIEW = reverse("admin:letters_lettertemplate_preview")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_preview_renders_a_real_request_in_both_languages(admin_client, borrowing_request):
    response = admin_client.get(PREVIEW, {"code": "patron_ready_for_pickup", "side": "borrowing",
                                          "request_id": borrowing_request.pk})
    assert response.status_code == 200
    en, fi = response.context["previews"]
    assert (en["language"], fi["language"]) == ("en", "fi")
    assert en["rendered"].subject == f"Your interlibrary loan {borrowing_request.pk} is ready for pickup"
    assert fi["rendered"].subject == f"Kaukolainasi {borrowing_request.pk} on noudettavissa"
    assert "Bring your library card." in en["rendered"].text  # the letter's sample values
    body = response.content.decode()
    assert "Äidinkielen opetus ja kääntäminen" in body and 'id="preview-fi"' in body and "srcdoc=" in body


def test_preview_of_a_slip_links_the_pdf(admin_client, lending_request):
    response = admin_client.get(PREVIEW, {"code": "shipping_slip", "request_id": lending_request.pk})
    assert response.context["pdf_url"] == reverse("letters:slip", args=["lending", lending_request.pk,
                                                                        "shipping_slip"])
    assert "Lähetyslappu" in response.context["previews"][1]["rendered"].html


def test_preview_of_an_inactive_override_before_activating_it(admin_client, borrowing_request, library):
    draft = LetterTemplate.objects.create(code="cancel_request", language="fi", library=library, active=False,
                                          subject="Luonnos: {{ request.title }}")
    response = admin_client.get(PREVIEW, {"template": draft.pk, "request_id": borrowing_request.pk})
    en, fi = response.context["previews"]
    assert fi["rendered"].subject == "Luonnos: Äidinkielen opetus ja kääntäminen"
    assert en["rendered"].subject.startswith("Your interlibrary loan request")  # untouched


def test_a_broken_override_shows_its_error_in_the_preview(admin_client, borrowing_request):
    template = LetterTemplate.objects.create(code="general_message", language="en",
                                             subject="{{ request.title|date:request.nothere }}")
    response = admin_client.get(PREVIEW, {"template": template.pk, "request_id": borrowing_request.pk})
    assert response.status_code == 200
    assert "VariableDoesNotExist" in response.context["previews"][0]["error"]


def test_add_starts_from_the_shipped_text_and_refuses_broken_templates(admin_client, library):
    add = reverse("admin:letters_lettertemplate_add")
    form = admin_client.get(add, {"code": "lender_reject", "language": "fi"})
    assert form.context["adminform"].form.initial["subject"].startswith("Emme voi toimittaa")
    assert "reason" in form.content.decode()  # the letter's variables are documented on the page

    response = admin_client.post(add, {"code": "lender_reject", "language": "fi", "library": library.pk,
                                       "active": "on", "subject": "{% if %}", "text": "", "html": ""})
    assert response.status_code == 200
    assert "Template error" in str(response.context["adminform"].form.errors["subject"])
    assert not LetterTemplate.objects.exists()

    response = admin_client.post(add, {"code": "lender_reject", "language": "fi", "library": library.pk,
                                       "active": "on", "subject": "Ei onnistu {{ request.id }}", "text": "",
                                       "html": ""})
    assert response.status_code == 302
    assert LetterTemplate.objects.get().subject == "Ei onnistu {{ request.id }}"


def test_the_outbox_in_the_admin(admin_client, borrowing_request, django_capture_on_commit_callbacks):
    from letters.api import send_letter

    with django_capture_on_commit_callbacks(execute=True):
        letter = send_letter("general_message", request=borrowing_request, to=["x@example.org"],
                             context={"message": "Hei"})
    changelist = reverse("admin:letters_sentletter_changelist")
    assert "x@example.org" in admin_client.get(changelist).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(changelist, {"action": "resend_letters", "_selected_action": [letter.pk]})
    assert SentLetter.objects.filter(resent_from=letter).count() == 1


def test_operators_do_not_edit_templates(client, operator):
    client.force_login(operator)
    assert client.get(PREVIEW).status_code == 302  # not admin staff: sent to the admin login
