"""A Request is confirmed at once and located after commit, by a task that runs once whatever happens
to it (re-delivered, retried, lost and swept up, overtaken by the borrower or an operator)."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from illdesk.models import HistoryEvent, Note
from lending import actions
from lending.actions import incoming
from lending.models import BibRecord, Item, LendingRequest
from lending.tasks import locate_received, requeue_missed_locates
from partners.iso18626.messages import Action
from partners.models import InboundMessage

from .iso_helpers import post, ram, request, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_in_process(eager_celery):
    """The locate task runs in this process, also when REDIS_URL names a broker (CI's PostgreSQL run)."""


@pytest.fixture
def on_shelf(library):
    """The title the peer's request() asks for, held once, so that locate finds it."""
    record = BibRecord.objects.create(record_id="GEB-1", title="Gödel, Escher, Bach : an eternal golden braid",
                                      author="Hofstadter, Douglas R.")
    Item.objects.create(record=record, barcode="B-GEB-1", library=library)
    return record


def fresh(req):
    return LendingRequest.objects.get(pk=req.pk)


def status_rows(req) -> list[str]:
    return list(req.history.filter(kind=HistoryEvent.Kind.STATUS).values_list("new_value", flat=True))


def test_the_confirmation_goes_out_before_the_catalogue_is_searched(peer, on_shelf,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        _, confirmation = post(request("BRW-1"))
        assert status_of(confirmation) == "OK"
        req = LendingRequest.objects.get()
        assert (req.status, req.locate_status, req.record) == ("created", "not_run", None)
        assert "created (“Created lending request”)" in InboundMessage.objects.get().outcome
    assert len(callbacks) == 1  # the locate, enqueued once the request is committed
    callbacks[0]()
    req = fresh(req)
    assert (req.status, req.locate_status, req.record) == ("created", "located", on_shelf)
    located = req.history.get(field="Locate")
    assert located.message.startswith("Resource located: Gödel, Escher, Bach")


def test_the_locate_task_runs_once_however_often_it_is_delivered(peer, library,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(request("BRW-2"))
    req = LendingRequest.objects.get()
    assert (req.status, req.locate_status) == ("locate_failed", "not_located")
    before = (list(req.history.values_list("pk", flat=True)), list(Note.objects.values_list("pk", flat=True)))
    assert locate_received.apply(args=[req.pk]).get() == "nothing to do"  # a re-delivered task
    assert incoming.locate_if_pending(req.pk) == "nothing to do"
    after = (list(req.history.values_list("pk", flat=True)), list(Note.objects.values_list("pk", flat=True)))
    assert after == before
    assert status_rows(req) == ["Locate failed"]
    assert locate_received.apply(args=[req.pk + 1000]).get() == "gone"


def test_a_request_the_borrower_cancels_before_its_locate_is_left_alone(peer, on_shelf,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        post(request("BRW-3"))
        _, confirmation = post(ram("BRW-3", Action.CANCEL))
    assert status_of(confirmation) == "OK"
    req = LendingRequest.objects.get()
    assert req.status == "cancel_reply"
    for callback in callbacks:
        callback()
    req = fresh(req)
    assert (req.status, req.locate_status, req.record) == ("cancel_reply", "not_run", None)


def test_an_operator_who_located_it_first_wins(peer, library, on_shelf, operator,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        post(request("BRW-4"))
    req = LendingRequest.objects.get()
    actions.choose_record(req, on_shelf, by=operator)
    for callback in callbacks:
        callback()
    req = fresh(req)
    assert (req.locate_status, req.record) == ("located", on_shelf)
    chosen = req.history.get(field="Locate")  # the operator's choice only: the task found it done
    assert chosen.message.startswith("Resource chosen") and chosen.actor == operator


def test_a_broker_that_is_down_at_commit_costs_nothing_but_time(peer, library, monkeypatch, caplog,
                                                                django_capture_on_commit_callbacks):
    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(locate_received, "delay", down)
    with caplog.at_level(logging.WARNING, logger="illdesk.lending"), \
            django_capture_on_commit_callbacks(execute=True):
        _, confirmation = post(request("BRW-5"))
    assert status_of(confirmation) == "OK"
    req = LendingRequest.objects.get()
    assert req.locate_status == "not_run"
    assert "the sweeper will" in caplog.text
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        requeue_missed_locates()  # lending's sweeper, every minute from beat
    assert fresh(req).locate_status == "not_located"


def test_the_sweeper_takes_only_received_requests_past_the_grace_period(peer, library, operator,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():  # enqueued, but the tasks are lost
        post(request("BRW-6"))
    lost = LendingRequest.objects.get()
    copy = actions.duplicate(lost, by=operator)  # starts "not located yet" on purpose (seed 002)
    assert incoming.requeue_missed_locates() == 0  # within the grace period
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert incoming.requeue_missed_locates() == 1
    assert fresh(lost).locate_status == "not_located"
    assert fresh(copy).locate_status == "not_run"
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert incoming.requeue_missed_locates() == 0


def test_two_deliveries_of_the_task_at_once_locate_once(peer, library, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    from lending import inventory

    with django_capture_on_commit_callbacks():
        post(request("BRW-7"))
    req = LendingRequest.objects.get()
    search, inner = inventory.search, []

    def search_while_the_other_delivery_runs(query, **kwargs):
        if not inner:  # the other worker locates (nothing found) while this one searches
            inner.append("running")
            inner[0] = incoming.locate_if_pending(req.pk)
        return search(query, **kwargs)

    monkeypatch.setattr(inventory, "search", search_while_the_other_delivery_runs)
    assert incoming.locate_if_pending(req.pk) == "nothing to do"  # decided again under the lock
    assert inner == ["not_located"]
    assert status_rows(req) == ["Locate failed"]
    assert Note.objects.filter(text="No resources located").count() == 1


def test_lendings_locate_sweeper_is_its_own_beat_task_every_minute():
    from celery import current_app
    from django_celery_beat.models import PeriodicTask

    import illdesk.celery  # noqa: F401 - registers the apps' tasks

    task = PeriodicTask.objects.get(task="lending.requeue_missed_locates")
    assert task.enabled and (task.interval.every, task.interval.period) == (60, "seconds")
    assert "lending.requeue_missed_locates" in current_app.tasks
    # the ISO sweeper no longer knows about lending
    assert PeriodicTask.objects.filter(task="partners.retry_due_messages").exists()
