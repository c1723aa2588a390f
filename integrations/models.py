"""Scheduled jobs and their reports, external-system import profiles (seed 001), and the tokens
partners use for the lending request API (seed 004)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IntegrationProfile(models.Model):
    """A resource-sharing integration with an external system (Alma: Integration Profile, seed 001)."""

    class IntegrationType(models.TextChoices):
        RESOURCE_SHARING = "resource_sharing", _("Resource sharing integration")

    class System(models.TextChoices):
        LIBRIS = "libris", _("Libris")

    class Schedule(models.TextChoices):
        NONE = "none", _("Not scheduled")
        DAILY = "daily", _("Daily at a time")
        WEEKLY = "weekly", _("Weekly on a day at a time")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    integration_type = models.CharField(_("integration type"), max_length=30, choices=IntegrationType.choices,
                                        default=IntegrationType.RESOURCE_SHARING)
    description = models.TextField(_("description"), blank=True)
    system = models.CharField(_("system"), max_length=20, choices=System.choices, default=System.LIBRIS)
    base_url = models.URLField(_("system base URL"), help_text=_("e.g. https://iller.libris.kb.se/librisfjarrlan/api"))
    library_code = models.CharField(
        _("library code"), max_length=40,
        help_text=_("Our library's code (sigil) in the external system."),
    )
    resource_sharing_library = models.ForeignKey(
        "illdesk.ResourceSharingLibrary", on_delete=models.PROTECT, verbose_name=_("resource sharing library"),
        help_text=_("The resource-sharing library the imported requests go to."),
    )
    api_key = models.CharField(_("API key"), max_length=200, blank=True,
                               help_text=_("The key the external system gave you; sent as the api-key header."))
    require_authentication = models.BooleanField(
        _("require authentication"), default=False,
        help_text=_("Import a request only when the external system identified its end user by a library card "
                    "that belongs to one of our patrons; other requests are skipped (and imported once the "
                    "patron exists). Off: unknown end users come in as unauthenticated requesters."),
    )
    active = models.BooleanField(_("active"), default=True)
    harvest_start_date = models.DateField(
        _("harvest start date"),
        help_text=_("Requests from this date up to today are imported on every run."),
    )
    schedule = models.CharField(_("schedule"), max_length=10, choices=Schedule.choices, default=Schedule.NONE)
    schedule_time = models.TimeField(_("time"), null=True, blank=True,
                                     help_text=_("Local time for daily and weekly runs."))
    schedule_weekday = models.PositiveSmallIntegerField(_("day of week"), choices=Weekday.choices, null=True,
                                                        blank=True)
    timeout_seconds = models.PositiveIntegerField(_("timeout (seconds)"), default=30)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+",
    )
    running_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("integration profile")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        errors = {}
        if self.schedule in (self.Schedule.DAILY, self.Schedule.WEEKLY) and self.schedule_time is None:
            errors["schedule_time"] = _("Choose the time the import runs at.")
        if self.schedule == self.Schedule.WEEKLY and self.schedule_weekday is None:
            errors["schedule_weekday"] = _("Choose the day of the week the import runs on.")
        if self.active and not self.api_key:
            errors["api_key"] = _("An active Libris profile needs the API key Libris gave you.")
        if errors:
            raise ValidationError(errors)

    @property
    def job_name(self) -> str:
        """Alma's name for the job: "Import Resource Sharing Requests using profile <name>"."""
        return str(_("Import resource sharing requests using profile %(name)s")) % {"name": self.name}

    @property
    def schedule_label(self) -> str:
        if self.schedule == self.Schedule.DAILY and self.schedule_time:
            return str(_("Daily at %(time)s")) % {"time": self.schedule_time.strftime("%H:%M")}
        if self.schedule == self.Schedule.WEEKLY and self.schedule_time and self.schedule_weekday is not None:
            return str(_("Every %(day)s at %(time)s")) % {
                "day": self.get_schedule_weekday_display(), "time": self.schedule_time.strftime("%H:%M")}
        return str(_("Not scheduled"))


class LibraryCodeMapping(models.Model):
    """An external system's library code ⇄ one of our libraries or a partner (seed 001: the mapping
    must exist before the first import)."""

    profile = models.ForeignKey(IntegrationProfile, on_delete=models.CASCADE, related_name="mappings",
                                verbose_name=_("integration profile"))
    external_code = models.CharField(_("external library code"), max_length=40)
    library = models.ForeignKey("illdesk.ResourceSharingLibrary", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", verbose_name=_("our library"))
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+", verbose_name=_("partner"))

    class Meta:
        ordering = ["profile", "external_code"]
        verbose_name = _("library code mapping")
        constraints = [
            models.UniqueConstraint(Lower("external_code"), "profile", name="mapping_unique_code"),
            models.CheckConstraint(
                condition=models.Q(library__isnull=False, partner__isnull=True)
                | models.Q(library__isnull=True, partner__isnull=False),
                name="mapping_library_xor_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.external_code} → {self.library or self.partner}"

    def clean(self) -> None:
        if (self.library_id is None) == (self.partner_id is None):
            raise ValidationError(_("Map the code to one of our libraries or to a partner (exactly one)."))


# --- job runs ----------------------------------------------------------------------------------------


class JobRun(models.Model):
    """One run of a scheduled job or an import, with its counts and a line per record."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Completed")
        PARTIAL = "partial", _("Completed with errors")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Run now")
        COMMAND = "command", _("Command line")

    job = models.CharField(_("job"), max_length=40, db_index=True)
    name = models.CharField(_("name"), max_length=250)
    profile = models.ForeignKey(IntegrationProfile, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="runs", verbose_name=_("integration profile"))
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("operator"))
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    errors = models.TextField(_("errors"), blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("job run")
        indexes = [models.Index(fields=["job", "-started_at"], name="jobrun_job_started")]

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None

    @property
    def total(self) -> int:
        return self.created + self.updated + self.skipped + self.failed


class JobRunLine(models.Model):
    """What a run did with one record: created, updated, skipped or failed, and why."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="lines")
    key = models.CharField(_("record"), max_length=120, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    message = models.TextField(_("details"), blank=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.SET_NULL, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("job run line")
        indexes = [models.Index(fields=["run", "outcome"], name="jobline_run_outcome")]

    def __str__(self) -> str:
        return f"{self.key}: {self.outcome}"

    @property
    def target_url(self) -> str:
        if self.content_type_id is None or self.object_id is None:
            return ""
        try:
            return reverse(f"{self.content_type.app_label}:detail", args=[self.object_id])
        except NoReverseMatch:
            return ""


# --- what the jobs remember -----------------------------------------------------------------------


class ImportedRecord(models.Model):
    """A record of an external system (keyed by its own key, Libris: lf_number) and the borrowing
    request it became, so a re-run updates instead of duplicating."""

    profile = models.ForeignKey(IntegrationProfile, on_delete=models.CASCADE, related_name="records")
    external_key = models.CharField(_("external key"), max_length=100)
    external_request_id = models.CharField(_("external request id"), max_length=100, blank=True)
    borrowing_request = models.ForeignKey("borrowing.BorrowingRequest", on_delete=models.SET_NULL, null=True,
                                          blank=True, related_name="+")
    fields_hash = models.CharField(max_length=64, blank=True)
    last_modified = models.CharField(_("last modified there"), max_length=40, blank=True)
    first_imported_at = models.DateTimeField(_("first imported"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        ordering = ["profile", "external_key"]
        verbose_name = _("imported record")
        constraints = [models.UniqueConstraint(fields=["profile", "external_key"], name="imported_unique_key")]

    def __str__(self) -> str:
        return f"{self.profile.code}:{self.external_key}"


class OverdueNotice(models.Model):
    """The overdue message last sent for a lending request, and the due date it was sent for: one
    message per overdue period (a renewal gives a new due date, hence a new period)."""

    lending_request = models.OneToOneField("lending.LendingRequest", on_delete=models.CASCADE,
                                           related_name="overdue_notice")
    due_date = models.DateField(_("due date it was sent for"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    notices_sent = models.PositiveIntegerField(_("messages sent"), default=1)

    class Meta:
        verbose_name = _("overdue notice")

    def __str__(self) -> str:
        return f"{self.lending_request_id} due {self.due_date}"


# --- the lending request API -------------------------------------------------------------------------


class ApiToken(models.Model):
    """A partner's key to the lending request API. Only a SHA-256 of the token is stored; the token
    itself is shown once, when the token is created."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="api_tokens",
                                verbose_name=_("partner"))
    name = models.CharField(_("used for"), max_length=100, blank=True, help_text=_("e.g. the partner's web form"))
    library = models.ForeignKey(
        "illdesk.ResourceSharingLibrary", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("lending library"),
        help_text=_("Our library the requests go to; empty: the default the lending workflow picks."),
    )
    prefix = models.CharField(_("token starts with"), max_length=8, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["partner", "-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.partner} · {self.prefix}…"
