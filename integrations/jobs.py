"""The scheduled jobs (SPEC §6, seeds 001 and 002). Each is an action: it finds its candidate rows,
claims each one with `select_for_update(skip_locked=True)` inside its own transaction (so a second
worker running the same job at the same time skips what the first is doing), checks again under the
lock, changes the request only through the side's actions (lending.actions.scheduled, borrowing.actions:
the same steps and side effects as a staff action), and reports one line per request. Running a job
twice does nothing the second time.

    run_job(code, *, trigger="schedule", by=None, **options) -> JobRun
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from borrowing import actions as borrowing_actions
from borrowing.models import BorrowingRequest
from borrowing.statuses import Status as BStatus
from lending.actions import scheduled as lending_jobs
from lending.models import LendingRequest
from lending.statuses import ON_LOAN
from lending.statuses import Status as LStatus

from .importing import IMPORT_JOB
from .models import JobRun, OverdueNotice
from .partner_import import PARTNER_IMPORT_JOB
from .runs import Report, execute

DEFAULT_AUTO_REJECT_HOURS = 24


def _sources(model: type[models.Model], transition: str) -> list[str]:
    """The statuses the state machine lets `transition` start from (one source of truth)."""
    return [str(s) for s in getattr(model, transition)._django_fsm.transitions if s != "*"]


def _claim(model: type[models.Model], pk: int):
    """Lock one row for this transaction, or None when another worker holds it (PostgreSQL; SQLite
    serialises writers anyway)."""
    return model.objects.select_for_update(skip_locked=True).filter(pk=pk).first()


def _each(report: Report, model: type[models.Model], pks: Iterable[int],
          handle: Callable[[Any], tuple[str, str]]) -> None:
    """Claim and handle each row in its own transaction; a failure is reported and the next row goes on."""
    for pk in pks:
        key = f"{model._meta.verbose_name} {pk}"
        obj = None
        try:
            with transaction.atomic():
                obj = _claim(model, pk)
                if obj is None:
                    outcome, message = "skipped", _("Being handled by another worker.")
                else:
                    outcome, message = handle(obj)
        except Exception as exc:
            report.failed(f"{type(exc).__name__}: {exc}", key=key, obj=obj)
            continue
        report.line(outcome, message, key=key, obj=obj)


def _today(today: date | str | None) -> date:
    if isinstance(today, str):
        return date.fromisoformat(today)
    return today or timezone.localdate()


# --- overdue messages to borrowing partners ----------------------------------------------------------


def send_overdue_notices(report: Report, *, today: date | str | None = None, limit: int | None = None) -> None:
    """Lending requests out on loan past their due date: mark overdue where the status allows and send
    the borrowing partner the overdue message (ISO StatusChange Overdue / Borrower Overdue letter),
    once per due date."""
    today = _today(today)
    due = (LendingRequest.objects.filter(status__in=ON_LOAN, due_date__lt=today, partner__isnull=False)
           .filter(Q(overdue_notice__isnull=True) | Q(overdue_notice__due_date__lt=F("due_date"))
                   | Q(overdue_notice__due_date__gt=F("due_date")))
           .order_by("due_date", "pk").values_list("pk", flat=True))
    pks = list(due[:limit] if limit else due)

    def handle(req: LendingRequest) -> tuple[str, str]:
        if req.status not in ON_LOAN or req.due_date is None or req.due_date >= today:
            return "skipped", _("No longer overdue.")
        if not _claim_notice(req):
            return "skipped", _("The overdue message for due date %(date)s was already sent.") % {
                "date": req.due_date.isoformat()}
        req = lending_jobs.overdue(req)
        return "updated", _("Overdue message sent to %(partner)s (due %(date)s).") % {
            "partner": req.partner, "date": req.due_date.isoformat()}

    _each(report, LendingRequest, pks, handle)


def _claim_notice(req: LendingRequest) -> bool:
    """Record that the message for this due date goes out now; False when it already went.

    The conditional UPDATE (and the unique row per request) make the claim safe even without the
    row lock the caller holds."""
    now = timezone.now()
    moved = (OverdueNotice.objects.filter(lending_request=req).exclude(due_date=req.due_date)
             .update(due_date=req.due_date, sent_at=now, notices_sent=F("notices_sent") + 1))
    if moved:
        return True
    if OverdueNotice.objects.filter(lending_request=req).exists():
        return False
    try:
        with transaction.atomic():
            OverdueNotice.objects.create(lending_request=req, due_date=req.due_date, sent_at=now)
    except IntegrityError:
        return False
    return True


# --- expire requests past their last interest date -----------------------------------------------


def expire_requests(report: Report, *, today: date | str | None = None) -> None:
    """Borrowing and lending requests whose last interest date has passed → Expired, where the state
    machine allows it. Lending requests marked "Non expiring" never expire."""
    today = _today(today)
    for model, exclude, expire in ((BorrowingRequest, (), borrowing_actions.expire),
                                   (LendingRequest, (LStatus.NON_EXPIRING,), lending_jobs.expire)):
        statuses = [s for s in _sources(model, "expire") if s not in exclude]
        pks = list(model.objects.filter(is_active=True, status__in=statuses, last_interest_date__lt=today)
                   .order_by("last_interest_date", "pk").values_list("pk", flat=True))

        def handle(req, statuses=statuses, expire=expire) -> tuple[str, str]:
            if req.status not in statuses or req.last_interest_date is None or req.last_interest_date >= today:
                return "skipped", _("No longer due to expire.")
            if not can_proceed(req.expire):
                return "skipped", _("The request cannot expire in its status.")
            date_text = req.last_interest_date.isoformat()
            expire(req, by=None)
            return "updated", _("Expired (last interest date %(date)s).") % {"date": date_text}

        _each(report, model, pks, handle)


# --- lapse conditional answers past their reply-by date ------------------------------------------


def lapse_conditionals(report: Report, *, today: date | str | None = None) -> None:
    """Conditions nobody answered by the reply-by date count as declined.

    Borrowing (a lender's condition we did not answer): declined through the conditional-reply action,
    so the lender is told and the rota moves on. Lending (our condition the borrower did not answer):
    the borrower's "no" → Rejected, and the borrower is told the request is unfilled."""
    today = _today(today)
    pks = list(BorrowingRequest.objects.filter(status=BStatus.CONDITIONAL, reply_by__lt=today)
               .order_by("reply_by", "pk").values_list("pk", flat=True))

    def handle_borrowing(req: BorrowingRequest) -> tuple[str, str]:
        if req.status != BStatus.CONDITIONAL or req.reply_by is None or req.reply_by >= today:
            return "skipped", _("No longer waiting for our answer.")
        date_text = req.reply_by.isoformat()
        req = borrowing_actions.conditional_reply(req, by=None, accept=False,
                                note=_("No answer by the reply-by date %(date)s.") % {"date": date_text})
        return "updated", _("Condition declined: no answer by %(date)s (now “%(status)s”).") % {
            "date": date_text, "status": req.get_status_display()}

    _each(report, BorrowingRequest, pks, handle_borrowing)

    pks = list(LendingRequest.objects.filter(status=LStatus.CONDITIONAL, reply_by__lt=today)
               .order_by("reply_by", "pk").values_list("pk", flat=True))

    def handle_lending(req: LendingRequest) -> tuple[str, str]:
        if req.status != LStatus.CONDITIONAL or req.reply_by is None or req.reply_by >= today:
            return "skipped", _("No longer waiting for the borrower's answer.")
        date_text = req.reply_by.isoformat()
        req = lending_jobs.lapse_condition(req)
        return "updated", _("Condition lapsed: no answer by %(date)s (now “%(status)s”).") % {
            "date": date_text, "status": req.get_status_display()}

    _each(report, LendingRequest, pks, handle_lending)


# --- pending auto reject ---------------------------------------------------------------------------


def auto_reject(report: Report, *, after_hours: int | None = None) -> None:
    """Lending requests left in "Pending auto reject" longer than the delay → Rejected, and the borrower
    is told (ISO Unfilled / Lender Reject letter) so it moves on to its next lender."""
    hours = after_hours if after_hours is not None else getattr(settings, "ILLDESK_AUTO_REJECT_HOURS",
                                                                DEFAULT_AUTO_REJECT_HOURS)
    cutoff = timezone.now() - timedelta(hours=int(hours))
    pks = list(LendingRequest.objects.filter(status=LStatus.PENDING_AUTO_REJECT, updated_at__lte=cutoff)
               .order_by("updated_at", "pk").values_list("pk", flat=True))

    def handle(req: LendingRequest) -> tuple[str, str]:
        if req.status != LStatus.PENDING_AUTO_REJECT or req.updated_at > cutoff:
            return "skipped", _("No longer pending auto reject.")
        req = lending_jobs.auto_reject(req, hours=int(hours))
        return "updated", _("Rejected automatically (reason %(reason)s).") % {"reason": req.reject_reason}

    _each(report, LendingRequest, pks, handle)


# --- the registry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    code: str
    label: Any  # lazy string
    task: str  # the Celery task (and PeriodicTask.task) that runs it
    work: Callable[..., None]


JOBS: dict[str, Job] = {
    job.code: job
    for job in (
        Job("overdue_notices", gettext_lazy("Send overdue messages to resource-sharing borrowing partners"),
            "integrations.tasks.send_overdue_notices", send_overdue_notices),
        Job("expire_requests", gettext_lazy("Expire requests past their last interest date"),
            "integrations.tasks.expire_requests", expire_requests),
        Job("lapse_conditionals", gettext_lazy("Lapse conditional answers past their reply-by date"),
            "integrations.tasks.lapse_conditionals", lapse_conditionals),
        Job("auto_reject", gettext_lazy("Reject lending requests pending auto reject"),
            "integrations.tasks.auto_reject", auto_reject),
    )
}


def job_label(code: str) -> str:
    if code in JOBS:
        return str(JOBS[code].label)
    return {IMPORT_JOB: _("Import resource sharing requests"), PARTNER_IMPORT_JOB: _("Import partners")}.get(
        code, code)


def run_job(code: str, *, trigger: str = JobRun.Trigger.SCHEDULE, by=None, **options: Any) -> JobRun:
    """Run one of JOBS now, in this process, recorded as a JobRun."""
    job = JOBS[code]
    return execute(code, str(job.label), lambda report: job.work(report, **options), trigger=trigger, by=by)
