"""SMTP failures retry with backoff, end as failed (with an alert) and show on the request; a broker
outage loses nothing (the sweeper sends what stayed queued)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from illdesk.models import Alert
from letters import outbox, tasks
from letters.api import send_letter
from letters.models import SentLetter


def _send(req, django_capture_on_commit_callbacks, code="patron_request_update"):
    with django_capture_on_commit_callbacks(execute=True):
        return send_letter(code, request=req, to=["pia@example.org"], context={"message": "Päivitys"})


def _make_due(letter):
    SentLetter.objects.filter(pk=letter.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_a_dead_server_leaves_the_letter_retrying_with_backoff(dead_smtp, borrowing_request,
                                                                django_capture_on_commit_callbacks):
    before = timezone.now()
    letter = _send(borrowing_request, django_capture_on_commit_callbacks)
    letter.refresh_from_db()
    assert letter.state == SentLetter.State.RETRYING
    assert letter.attempts == 1
    assert "refused" in letter.last_error.lower() or "errno" in letter.last_error.lower()
    assert before + timedelta(seconds=55) < letter.next_attempt_at < timezone.now() + timedelta(seconds=65)
    assert outbox.sweep() == 0  # not due yet

    _make_due(letter)
    assert outbox.sweep() == 1
    letter.refresh_from_db()
    assert (letter.state, letter.attempts) == (SentLetter.State.RETRYING, 2)
    assert letter.next_attempt_at > timezone.now() + timedelta(seconds=250)  # 5 minutes after the 2nd failure


def test_after_the_last_attempt_it_fails_and_alerts_the_request(dead_smtp, settings, borrowing_request, operator,
                                                                client, django_capture_on_commit_callbacks):
    settings.ILLDESK_LETTER_MAX_ATTEMPTS = 2
    letter = _send(borrowing_request, django_capture_on_commit_callbacks)
    _make_due(letter)
    tasks.sweep_outbox.delay()
    letter.refresh_from_db()
    assert (letter.state, letter.attempts) == (SentLetter.State.FAILED, 2)
    alert = Alert.objects.get(object_id=borrowing_request.pk)
    assert "could not be sent" in alert.text and "pia@example.org" in alert.text
    assert borrowing_request.history.filter(field="Letter", new_value__contains="not sent").exists()

    client.force_login(operator)
    page = client.get(reverse("letters:for_request", args=["borrowing", borrowing_request.pk])).content.decode()
    assert "Failed" in page and letter.last_error[:40] in page


def test_a_retrying_letter_goes_out_once_the_server_is_back(dead_smtp, smtp_server, borrowing_request, operator,
                                                            client, django_capture_on_commit_callbacks):
    letter = _send(borrowing_request, django_capture_on_commit_callbacks)
    client.force_login(operator)
    page = client.get(reverse("letters:for_request", args=["borrowing", borrowing_request.pk])).content.decode()
    assert "Retrying" in page and "Retry now" in page

    dead_smtp.EMAIL_PORT = smtp_server.port  # the mail server is back
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("letters:retry", args=[letter.pk]))
    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.state == SentLetter.State.SENT and letter.attempts == 2 and letter.last_error == ""
    assert len(smtp_server.messages) == 1


def test_a_permanent_refusal_fails_at_once(smtp_settings, smtp_server, borrowing_request,
                                           django_capture_on_commit_callbacks):
    smtp_server.refuse.add("pia@example.org")
    letter = _send(borrowing_request, django_capture_on_commit_callbacks)
    letter.refresh_from_db()
    assert (letter.state, letter.attempts) == (SentLetter.State.FAILED, 1)
    assert "550" in letter.last_error


def test_with_a_broker_a_failed_attempt_is_rescheduled_with_a_countdown(dead_smtp, borrowing_request, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    from illdesk.celery import app

    app.conf.task_always_eager = False  # restored by the eager_celery fixture
    queued, scheduled = [], []
    monkeypatch.setattr(tasks.deliver_letter, "delay", lambda pk: queued.append(pk))
    monkeypatch.setattr(tasks.deliver_letter, "apply_async", lambda args, countdown: scheduled.append((args,
                                                                                                      countdown)))
    letter = _send(borrowing_request, django_capture_on_commit_callbacks)
    assert queued == [letter.pk]
    assert outbox.deliver(letter.pk) == SentLetter.State.RETRYING
    assert scheduled == [((letter.pk,), 60)]
    assert outbox.deliver(letter.pk) == "skipped"  # not due yet: a duplicate message does nothing


def test_nothing_is_lost_when_the_broker_is_down(smtp_settings, smtp_server, borrowing_request, monkeypatch,
                                                 django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(tasks.deliver_letter, "delay", broker_down)
        letter = _send(borrowing_request, django_capture_on_commit_callbacks)  # the action itself succeeds
    letter.refresh_from_db()
    assert letter.state == SentLetter.State.QUEUED and smtp_server.messages == []
    assert outbox.sweep() == 1
    letter.refresh_from_db()
    assert letter.state == SentLetter.State.SENT
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("state", ["sent", "failed"])
def test_finished_letters_are_never_sent_twice(state, smtp_settings, smtp_server, borrowing_request,
                                               django_capture_on_commit_callbacks):
    letter = _send(borrowing_request, django_capture_on_commit_callbacks)
    SentLetter.objects.filter(pk=letter.pk).update(state=state)
    assert outbox.deliver(letter.pk) == "skipped"
    assert outbox.sweep() == 0
