"""send_letter: outbox row + history in the caller's transaction, delivered after commit over a real
SMTP conversation (aiosmtpd on 127.0.0.1), in the reader's language."""

from django.db import transaction

from illdesk.models import HistoryEvent
from letters.api import send_letter, staff_recipients
from letters.models import SentLetter


def _subject(message) -> str:
    # Python's compat32 folding may start a long encoded subject on a continuation line
    # ("Subject: \n =?utf-8?q?…"); mail clients drop that leading whitespace, and so do we.
    return str(message["Subject"]).strip()


def _parts(message):
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return plain, html


def test_it_sends_a_finnish_letter_over_smtp_after_commit(smtp_settings, smtp_server, borrowing_request, patron,
                                                           operator, django_capture_on_commit_callbacks):
    patron.language = "fi"
    patron.save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        letter = send_letter("cancel_request", request=borrowing_request, to=[patron.email], by=operator,
                             context={"reason": "Ei löytynyt yhdestäkään kirjastosta"})
    assert letter.state == SentLetter.State.QUEUED
    assert smtp_server.messages == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()

    assert len(smtp_server.messages) == 1
    mail_from, rcpt, message = smtp_server.messages[0]
    assert rcpt == ["pia@example.org"]
    assert message["To"] == "pia@example.org"
    assert _subject(message) == f"Kaukolainapyyntösi {borrowing_request.pk} on peruttu"
    assert message["Reply-To"] == "ill@example.org"
    assert mail_from == "illdesk@example.org"
    plain, html = _parts(message)
    assert "kaukolainapyyntösi on peruttu" in plain
    assert "Syy: Ei löytynyt yhdestäkään kirjastosta" in plain
    assert "Äidinkielen opetus ja kääntäminen" in plain and "Järvinen, Åsa" in plain
    assert '<html lang="fi">' in html and "Äidinkielen opetus ja kääntäminen" in html

    letter.refresh_from_db()
    assert letter.state == SentLetter.State.SENT
    assert letter.sent_at is not None and letter.attempts == 1
    assert letter.language == "fi"
    assert letter.request == borrowing_request
    event = borrowing_request.history.get(field="Letter")
    assert event.kind == HistoryEvent.Kind.ACTION
    assert event.new_value == "Cancel Request letter → pia@example.org"
    assert event.actor == operator


def test_partner_letters_follow_the_partners_language_and_are_partner_data(
        smtp_settings, smtp_server, lending_request, email_partner, django_capture_on_commit_callbacks):
    email_partner.language = "fi"
    email_partner.save()
    with django_capture_on_commit_callbacks(execute=True):
        letter = send_letter("lender_ship", request=lending_request, to=[email_partner.email])
    assert letter.language == "fi"
    _from, rcpt, message = smtp_server.messages[0]
    assert rcpt == ["ill@mail.example.org"]
    assert _subject(message) == "Aineisto lähetetty – kaukolainapyyntönne BRW-4242"
    plain, html = _parts(message)
    assert "Niteen viivakoodi: 3900012345" in plain
    assert "Eräpäivä: 1.4.2025" in plain
    event = lending_request.history.get(field="Letter")
    assert event.kind == HistoryEvent.Kind.PARTNER_DATA
    assert event.new_value == "Lender Ship email → ill@mail.example.org"


def test_an_explicit_language_wins_over_the_readers(smtp_settings, smtp_server, borrowing_request, patron,
                                                    django_capture_on_commit_callbacks):
    patron.language = "fi"
    patron.save()
    with django_capture_on_commit_callbacks(execute=True):
        send_letter("patron_ready_for_pickup", request=borrowing_request, to=[patron.email], language="en")
    message = smtp_server.messages[0][2]
    assert _subject(message) == f"Your interlibrary loan {borrowing_request.pk} is ready for pickup"
    assert "waiting for you at Main desk" in _parts(message)[0]


def test_staff_notices_go_to_the_librarys_ill_address_or_the_default(settings, smtp_settings, smtp_server, library,
                                                                     borrowing_request,
                                                                     django_capture_on_commit_callbacks):
    assert staff_recipients(borrowing_request) == ["ill@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        send_letter("staff_patron_cancelled", request=borrowing_request, to=staff_recipients(borrowing_request),
                    context={"note": "Löysin kirjan muualta."})
    _from, rcpt, message = smtp_server.messages[0]
    assert rcpt == ["ill@example.org"]
    assert _subject(message) == f"ILL request {borrowing_request.pk} cancelled by the patron"
    assert "Pia Patron (P0001) has cancelled" in _parts(message)[0]
    assert message["Reply-To"] is None  # staff notices are not answered to the library itself

    library.email = ""
    library.save()
    borrowing_request.refresh_from_db()
    settings.ILLDESK_STAFF_EMAIL = "ill-staff@example.org"
    assert staff_recipients(borrowing_request) == ["ill-staff@example.org"]
    del settings.ILLDESK_STAFF_EMAIL
    assert staff_recipients(borrowing_request) == [settings.DEFAULT_FROM_EMAIL]


def test_attachments_travel_with_the_letter(smtp_settings, smtp_server, borrowing_request, patron,
                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_letter("patron_digital_delivery", request=borrowing_request, to=[patron.email],
                    attachments=[("kopio.pdf", b"%PDF-1.4 test", "application/pdf")])
    message = smtp_server.messages[0][2]
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["kopio.pdf"]
    assert attachments[0].get_content() == b"%PDF-1.4 test"
    assert "It is attached to this message." in _parts(message)[0]


def test_a_letter_without_an_address_is_recorded_as_failed(borrowing_request, patron,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        letter = send_letter("query_to_patron", request=borrowing_request, to=["", "  "])
    assert letter.state == SentLetter.State.FAILED
    assert letter.last_error == "No email address to send to."
    assert "(not sent)" in borrowing_request.history.get(field="Letter").new_value


def test_a_rolled_back_action_sends_nothing_and_leaves_no_trace(smtp_settings, smtp_server, borrowing_request,
                                                                django_capture_on_commit_callbacks):
    class Refused(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                send_letter("cancel_request", request=borrowing_request, to=["pia@example.org"])
                raise Refused  # the action failed after queueing its letter
        except Refused:
            pass
    assert smtp_server.messages == []
    assert not SentLetter.objects.exists()
    assert not borrowing_request.history.exists()
