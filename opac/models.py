"""OPAC configuration: one row of settings an administrator edits in the admin (SPEC §7, seed 003)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OpacSettings(models.Model):
    """The patron request page's switches (Koha system preferences, Alma's configuration parameters).

    A singleton: `OpacSettings.load()` returns the one row, created with the defaults on first use.
    """

    class DuplicateCheck(models.TextChoices):
        OFF = "off", _("Do not check")
        WARN = "warn", _("Warn the patron, who may still send it")
        BLOCK = "block", _("Refuse the request")

    allow_unauthenticated = models.BooleanField(
        _("allow requests without logging in"), default=False,
        help_text=_("Koha ILLOpacUnauthenticatedRequest: visitors give a name and email; the request waits "
                    "as “Pending approval” until staff link it to a patron."),
    )
    min_fill_seconds = models.PositiveIntegerField(
        _("minimum seconds to fill the form (anti-bot)"), default=4,
        help_text=_("Requests without login that are sent faster than this are refused as automated."),
    )
    duplicate_check = models.CharField(
        _("duplicate check against the patron's open requests"), max_length=5, choices=DuplicateCheck.choices,
        default=DuplicateCheck.WARN,
        help_text=_("Alma check_patron_duplicate_borrowing_requests: same ISBN/ISSN/DOI/PMID or the same title."),
    )
    confirm_to_patron = models.BooleanField(
        _("email the patron a confirmation of each request"), default=True,
    )
    staff_notices = models.BooleanField(
        _("email staff when a patron changes or cancels a request"), default=True,
        help_text=_("Koha ILLSendStaffNotices (to the owning library's email, else ILLDESK_STAFF_EMAIL)."),
    )
    instructions = models.TextField(
        _("instructions shown above the request form"), blank=True, max_length=2000,
    )

    class Meta:
        verbose_name = _("OPAC settings")
        verbose_name_plural = _("OPAC settings")

    def __str__(self) -> str:
        return str(_("OPAC settings"))

    def save(self, *args, **kwargs) -> None:
        # A singleton: whatever the admin does, there is exactly the row with pk 1.
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> OpacSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
