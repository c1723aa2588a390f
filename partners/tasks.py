"""Celery tasks for ISO 18626 delivery. Thin: the work is in partners.messaging.outbox."""

from celery import shared_task


@shared_task(name="partners.deliver_outbound", ignore_result=True)
def deliver_outbound(message_id: int) -> str:
    """One delivery attempt of an OutboundMessage (retries are scheduled by the outbox itself)."""
    from .messaging.outbox import deliver

    return deliver(message_id)


@shared_task(name="partners.retry_due_messages", ignore_result=True)
def retry_due_messages() -> int:
    """The ISO 18626 sweeper (every minute from beat): re-enqueue queued/retrying messages that are due.
    (The locates of received requests whose task was lost are lending's own sweeper, lending.tasks.)"""
    from .messaging.outbox import retry_due

    return retry_due()
