"""Letter templates (admin overrides of the shipped files) and the outbox of sent letters."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _letter_choices() -> list[tuple[str, str]]:
    from .catalog import LETTERS

    return [(code, str(spec.name)) for code, spec in LETTERS.items()]


class LetterTemplate(models.Model):
    """An override of one letter in one language, for one library or (library empty) for all.

    A blank part (subject, text or HTML) falls back to the shipped default file for that part.
    """

    code = models.CharField(_("letter"), max_length=40, choices=_letter_choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    library = models.ForeignKey(
        "illdesk.ResourceSharingLibrary", on_delete=models.CASCADE, null=True, blank=True,
        verbose_name=_("library"), help_text=_("Empty: used by every library without its own version."),
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("plain-text body"), blank=True)
    html = models.TextField(_("HTML body"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code", "language", "library"]
        verbose_name = _("letter template")
        constraints = [
            models.UniqueConstraint(fields=["code", "language", "library"], name="letter_template_unique"),
            models.UniqueConstraint(fields=["code", "language"], condition=models.Q(library__isnull=True),
                                    name="letter_template_unique_all_libraries"),
        ]

    def __str__(self) -> str:
        where = self.library.code if self.library_id else _("all libraries")
        return f"{self.code}.{self.language} ({where})"

    def clean(self) -> None:
        from .rendering import compile_errors

        errors = compile_errors(subject=self.subject, text=self.text, html=self.html)
        if errors:
            raise ValidationError(errors)


class SentLetter(models.Model):
    """One letter to one set of recipients: the outbox row a Celery task delivers (with retries)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    request = GenericForeignKey("content_type", "object_id")
    code = models.CharField(_("letter"), max_length=40)
    language = models.CharField(_("language"), max_length=8)
    to = models.JSONField(_("to"), default=list)
    from_email = models.CharField(_("from"), max_length=254, blank=True)
    reply_to = models.CharField(_("reply to"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=500)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # A worker that took the row owns it until then; a crashed worker's row is picked up again after.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("operator"),
    )
    resent_from = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sent letter")
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["state", "next_attempt_at"], name="letter_outbox",
                         condition=models.Q(state__in=["queued", "retrying"])),
        ]

    def __str__(self) -> str:
        return f"{self.code} → {', '.join(self.to)} ({self.state})"

    @property
    def name(self) -> str:
        from .catalog import LETTERS

        spec = LETTERS.get(self.code)
        return str(spec.name) if spec else self.code

    @property
    def pending(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RETRYING)


class SentLetterAttachment(models.Model):
    letter = models.ForeignKey(SentLetter, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    mimetype = models.CharField(_("media type"), max_length=100)

    class Meta:
        ordering = ["id"]
        verbose_name = _("letter attachment")

    def __str__(self) -> str:
        return self.filename
