"""Celery tasks run in-process for a test even when REDIS_URL points at a broker: CI runs the suite both
ways, and most tests want a task's effect without a worker."""

from __future__ import annotations

from contextlib import contextmanager

from illdesk.celery import app as celery_app


@contextmanager
def tasks_in_process(*, propagate: bool):
    """`propagate`: a task's exception reaches the test (True) or is only logged, as a worker would (False)."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, propagate
    try:
        yield celery_app
    finally:
        conf.task_always_eager, conf.task_eager_propagates = saved
