"""Recording a job run: a JobRun row when the job starts, a line per record as it goes, counts and
the final state when it ends. Lines are written outside the per-record transactions so a record
whose work was rolled back still says why."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from .models import IntegrationProfile, JobRun, JobRunLine

logger = logging.getLogger("illdesk.jobs")

Outcome = JobRunLine.Outcome
MAX_ERRORS_CHARS = 20_000


class JobFailed(Exception):
    """The run as a whole cannot go on (no mapping, the external system refused…): the message is the
    run's error for the report."""


class Report:
    def __init__(self, run: JobRun) -> None:
        self.run = run
        self.counts: Counter[str] = Counter()
        self.errors: list[str] = []

    def line(self, outcome: str, message: str = "", *, key: Any = "", obj=None) -> JobRunLine:
        self.counts[outcome] += 1
        ct = ContentType.objects.get_for_model(type(obj)) if obj is not None else None
        return JobRunLine.objects.create(
            run=self.run, key=str(key)[:120], outcome=outcome, message=message,
            content_type=ct, object_id=obj.pk if obj is not None else None,
        )

    def created(self, message: str = "", **kw) -> JobRunLine:
        return self.line(Outcome.CREATED, message, **kw)

    def updated(self, message: str = "", **kw) -> JobRunLine:
        return self.line(Outcome.UPDATED, message, **kw)

    def skipped(self, message: str = "", **kw) -> JobRunLine:
        return self.line(Outcome.SKIPPED, message, **kw)

    def failed(self, message: str = "", **kw) -> JobRunLine:
        return self.line(Outcome.FAILED, message, **kw)

    def error(self, message: str) -> None:
        """A run-level error (shown at the top of the report)."""
        self.errors.append(message)

    def note(self, message: str) -> None:
        """Something worth saying about the whole run that is not an error."""
        self.run.summary = (f"{self.run.summary} {message}" if self.run.summary else message)[:300]

    def finish(self, *, fatal: bool = False) -> JobRun:
        run = self.run
        run.created, run.updated = self.counts[Outcome.CREATED], self.counts[Outcome.UPDATED]
        run.skipped, run.failed = self.counts[Outcome.SKIPPED], self.counts[Outcome.FAILED]
        run.errors = "\n".join(self.errors)[:MAX_ERRORS_CHARS]
        run.finished_at = timezone.now()
        if fatal:
            run.state = JobRun.State.FAILED
        elif self.errors or run.failed:
            run.state = JobRun.State.PARTIAL
        else:
            run.state = JobRun.State.SUCCEEDED
        run.save(update_fields=["created", "updated", "skipped", "failed", "errors", "finished_at", "state",
                                "summary"])
        return run


def execute(job: str, name: str, work: Callable[[Report], None], *, trigger: str = JobRun.Trigger.SCHEDULE,
            by=None, profile: IntegrationProfile | None = None) -> JobRun:
    """Run `work(report)` as job `job`, recorded from start to end whatever happens inside."""
    run = JobRun.objects.create(
        job=job, name=name[:250], trigger=trigger, profile=profile,
        triggered_by=by if getattr(by, "is_authenticated", False) else None,
    )
    report = Report(run)
    fatal = False
    try:
        work(report)
    except JobFailed as exc:
        report.error(str(exc))
        fatal = True
    except Exception as exc:  # the run is recorded as failed rather than lost
        logger.exception("job %s failed", job)
        report.error(f"{type(exc).__name__}: {exc}")
        fatal = True
    return report.finish(fatal=fatal)
