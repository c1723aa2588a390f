"""Celery tasks of the reports app (thin: the work is in reports.milestones)."""

from celery import shared_task


@shared_task
def refresh_milestones() -> int:
    """Schedule it (django-celery-beat, e.g. every 10 minutes) so the statistics page never catches up
    with much history itself."""
    from reports import milestones

    return milestones.refresh()
