"""Staff tools: local display names for statuses (Koha's ILL_STATUS_ALIAS) and request batches."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def status_choices(side: str) -> list[tuple[str, str]]:
    if side == "borrowing":
        from borrowing.statuses import Status
    else:
        from lending.statuses import Status
    return list(Status.choices)


class StatusAlias(models.Model):
    """A library's own name for a status. Only the label shown changes: the state machine, the
    history and the ISO messages keep the real status. An alias without a library applies to every
    library that has none of its own."""

    class Side(models.TextChoices):
        BORROWING = "borrowing", _("Borrowing")
        LENDING = "lending", _("Lending")

    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    status = models.CharField(_("status"), max_length=40,
                              help_text=_("The status code, e.g. “received_physically”."))
    library = models.ForeignKey(
        "illdesk.ResourceSharingLibrary", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("library"), help_text=_("Empty: every library without an alias of its own."),
    )
    label = models.CharField(_("shown as"), max_length=100)

    class Meta:
        ordering = ["side", "status", "library__name"]
        verbose_name = _("status alias")
        verbose_name_plural = _("status aliases")
        constraints = [
            models.UniqueConstraint(fields=["side", "status", "library"], name="status_alias_per_library"),
            models.UniqueConstraint(fields=["side", "status"], condition=models.Q(library__isnull=True),
                                    name="status_alias_default"),
        ]

    def __str__(self) -> str:
        return f"{self.side}: {self.status} → {self.label}"

    def clean(self) -> None:
        if self.side and self.status and self.status not in dict(status_choices(self.side)):
            raise ValidationError({"status": _("“%(status)s” is not a %(side)s status.")
                                   % {"status": self.status, "side": self.get_side_display().lower()}})
        self.label = (self.label or "").strip()
        if not self.label:
            raise ValidationError({"label": _("Give the name to show.")})


class Batch(models.Model):
    """A group of borrowing requests (Koha ILL batches: a reading list, a course, one patron's
    project) that staff follow and act on together."""

    name = models.CharField(_("name"), max_length=120)
    library = models.ForeignKey("illdesk.ResourceSharingLibrary", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("library"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    requests = models.ManyToManyField("borrowing.BorrowingRequest", blank=True, related_name="batches",
                                      verbose_name=_("requests"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("request batch")
        verbose_name_plural = _("request batches")
        constraints = [models.UniqueConstraint(fields=["library", "name"], name="batch_name_per_library")]

    def __str__(self) -> str:
        return self.name
