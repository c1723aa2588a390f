"""Staff tools: request batches. (Status aliases are the core's: illdesk.models.StatusAlias.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
