"""Celery tasks of the letters app (thin: the work is in letters/outbox.py)."""

from celery import shared_task

from . import outbox


@shared_task(name="letters.tasks.deliver_letter", ignore_result=True)
def deliver_letter(letter_id: int) -> str:
    """One delivery attempt for an outbox row; failures are recorded and re-scheduled with backoff."""
    return outbox.deliver(letter_id)


@shared_task(name="letters.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Re-enqueue queued and retrying letters that are due (nothing is lost when the broker was down)."""
    return outbox.sweep()
