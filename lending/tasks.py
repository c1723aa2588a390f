"""Celery tasks for lending. Thin: the work is in lending.actions."""

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(name="lending.locate_received", ignore_result=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=5, retry_backoff_max=600, max_retries=8)
def locate_received(request_id: int) -> str:
    """Locate a request received over ISO 18626 after its confirmation went out (idempotent: a
    repeated or retried run finds the locate done and does nothing)."""
    from .actions.incoming import locate_if_pending

    return locate_if_pending(request_id)


@shared_task(name="lending.requeue_missed_locates", ignore_result=True)
def requeue_missed_locates() -> int:
    """Lending's sweeper (every minute from beat): enqueue again the locate of requests received over
    ISO 18626 whose locate task was lost (Redis or the worker down when it was sent)."""
    from .actions.incoming import requeue_missed_locates as sweep

    return sweep()
