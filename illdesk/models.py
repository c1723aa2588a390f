"""Shared core: libraries, patrons, the abstract request, and what hangs off every request
(history, notes, general messages, alerts, attachments, tags)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import sides


class ResourceSharingLibrary(models.Model):
    """A library of ours that runs resource sharing: the owner of requests."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    auto_locate = models.BooleanField(_("locate automatically when the rota is calculated"), default=False)
    generate_temp_barcode = models.BooleanField(_("generate temporary barcodes on receive"), default=True)
    keep_rejected_active = models.BooleanField(
        _("keep rejected requests active"),
        default=False,
        help_text=_("When the last partner rejects, keep the request in the active list instead of completing it."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("resource-sharing library")
        verbose_name_plural = _("resource-sharing libraries")

    def __str__(self) -> str:
        return self.name


class PickupLocation(models.Model):
    class Kind(models.TextChoices):
        LIBRARY = "library", _("Library")
        READING_ROOM = "reading_room", _("Reading room")
        PERSONAL_DELIVERY = "personal_delivery", _("Personal delivery")

    library = models.ForeignKey(ResourceSharingLibrary, on_delete=models.CASCADE, related_name="pickup_locations")
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LIBRARY)

    class Meta:
        ordering = ["name"]
        verbose_name = _("pickup location")

    def __str__(self) -> str:
        return self.name


class LevelOfService(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    ordering_position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["ordering_position", "name"]
        verbose_name = _("level of service")
        verbose_name_plural = _("levels of service")

    def __str__(self) -> str:
        return self.name


class PatronCategory(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    may_request = models.BooleanField(_("may place ILL requests"), default=True)
    request_limit = models.PositiveIntegerField(
        _("open request limit"), null=True, blank=True, help_text=_("Empty means no limit.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("patron category")
        verbose_name_plural = _("patron categories")

    def __str__(self) -> str:
        return self.name


class Patron(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="patron"
    )
    card_number = models.CharField(_("library card"), max_length=40, unique=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    category = models.ForeignKey(PatronCategory, on_delete=models.PROTECT, verbose_name=_("category"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    home_library = models.ForeignKey(
        ResourceSharingLibrary, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("home library")
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("patron")

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.card_number})"


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")

    def __str__(self) -> str:
        return self.name


def side_choices() -> list[tuple[str, str]]:
    # A callable (evaluated when asked): the sides register themselves after the models are imported.
    return [(info.name, info.label()) for info in sides.all()]


class StatusSetting(models.Model):
    """Admin overrides per status: whether it counts as inactive (completed) in the task lists."""

    side = models.CharField(_("side"), max_length=10, choices=side_choices)
    status = models.CharField(_("status"), max_length=40)
    inactive = models.BooleanField(_("inactive"), default=False)

    class Meta:
        unique_together = [("side", "status")]
        ordering = ["side", "status"]
        verbose_name = _("status setting")

    def __str__(self) -> str:
        return f"{self.side}: {self.status}"


def status_choices(side: str) -> list[tuple[str, str]]:
    return list(sides.get(side).statuses.choices)


class StatusAlias(models.Model):
    """A library's own name for a status (Koha's ILL_STATUS_ALIAS). Only the label shown changes: the state
    machine, the history and the ISO messages keep the real status. An alias without a library applies to
    every library that has none of its own."""

    side = models.CharField(_("side"), max_length=10, choices=side_choices)
    status = models.CharField(_("status"), max_length=40,
                              help_text=_("The status code, e.g. “received_physically”."))
    library = models.ForeignKey(
        ResourceSharingLibrary, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("library"), help_text=_("Empty: every library without an alias of its own."),
    )
    label = models.CharField(_("shown as"), max_length=100)

    class Meta:
        db_table = "tools_statusalias"  # the table the model had in tools/ (moved without moving data)
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
        if self.side in sides.names() and self.status and self.status not in dict(status_choices(self.side)):
            raise ValidationError({"status": _("“%(status)s” is not a %(side)s status.")
                                   % {"status": self.status, "side": self.get_side_display().lower()}})
        self.label = (self.label or "").strip()
        if not self.label:
            raise ValidationError({"label": _("Give the name to show.")})


# --- what hangs off every request ---------------------------------------------------------------


class RequestLinked(models.Model):
    """Generic link to a borrowing or lending request (content type + id, indexed together)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    request = GenericForeignKey("content_type", "object_id")

    class Meta:
        abstract = True
        indexes = [models.Index(fields=["content_type", "object_id"])]


class HistoryEvent(RequestLinked):
    class Kind(models.TextChoices):
        STATUS = "status", _("Status")
        FIELD = "field", _("Field")
        PARTNER_DATA = "partner_data", _("Partner related data")
        ASSIGNMENT = "assignment", _("Assignment")
        NOTE = "note", _("Note")
        ACTION = "action", _("Action")

    at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("operator")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    field = models.CharField(_("field name"), max_length=60)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta(RequestLinked.Meta):
        ordering = ["-at", "-id"]
        verbose_name = _("history event")
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.field}: {self.old_value} → {self.new_value}"


class Note(RequestLinked):
    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal note")
        TO_PARTNER = "to_partner", _("Note to partner")
        FROM_PARTNER = "from_partner", _("Note from partner")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INTERNAL)
    text = models.TextField(_("text"), max_length=4000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(_("active"), default=True)

    class Meta(RequestLinked.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("note")

    def __str__(self) -> str:
        return self.text[:60]


class GeneralMessage(RequestLinked):
    class Direction(models.TextChoices):
        SENT = "sent", _("Sent to partner")
        RECEIVED = "received", _("Received from partner")

    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    text = models.TextField(_("message"), max_length=1000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(_("active"), default=True)

    class Meta(RequestLinked.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("general message")

    def __str__(self) -> str:
        return self.text[:60]


class Alert(RequestLinked):
    text = models.CharField(_("alert"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(_("active"), default=True)

    class Meta(RequestLinked.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert")

    def __str__(self) -> str:
        return self.text


class Attachment(RequestLinked):
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    content_type_label = models.CharField(_("media type"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta(RequestLinked.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("attachment")

    def __str__(self) -> str:
        return self.name


# --- the abstract request ------------------------------------------------------------------------


class RequestType(models.TextChoices):
    BOOK = "book", _("Book")
    CHAPTER = "chapter", _("Book chapter")
    JOURNAL = "journal", _("Journal")
    ARTICLE = "article", _("Article")
    THESIS = "thesis", _("Thesis")
    CONFERENCE = "conference", _("Conference paper")
    OTHER = "other", _("Other")


class Format(models.TextChoices):
    DIGITAL = "digital", _("Digital")
    PHYSICAL = "physical", _("Physical")
    PHYSICAL_NON_RETURNABLE = "physical_non_returnable", _("Physical non-returnable")


class SuppliedFormat(models.TextChoices):
    UNDEFINED = "", _("Undefined")
    DIGITAL = "digital", _("Digital")
    PHYSICAL = "physical", _("Physical")
    PHYSICAL_NON_RETURNABLE = "physical_non_returnable", _("Physical non-returnable")


class AbstractRequest(models.Model):
    """Fields every resource-sharing request has, on either side.

    `status` lives on the concrete model (its own state machine); `is_active` mirrors whether the
    status counts as active so the default task list is served by a partial index.
    """

    external_id = models.CharField(_("external identifier"), max_length=100, blank=True, db_index=True)
    request_type = models.CharField(
        _("request type"), max_length=20, choices=RequestType.choices, default=RequestType.BOOK
    )
    # citation
    title = models.CharField(_("title"), max_length=500)
    author = models.CharField(_("author"), max_length=300, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=40, blank=True)
    issn = models.CharField(_("ISSN"), max_length=20, blank=True)
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    place_of_publication = models.CharField(_("place of publication"), max_length=200, blank=True)
    year = models.CharField(_("year"), max_length=20, blank=True)
    edition = models.CharField(_("edition"), max_length=100, blank=True)
    volume = models.CharField(_("volume"), max_length=50, blank=True)
    issue = models.CharField(_("issue"), max_length=50, blank=True)
    pages = models.CharField(_("pages"), max_length=50, blank=True)
    chapter_title = models.CharField(_("chapter / article title"), max_length=500, blank=True)
    chapter_author = models.CharField(_("chapter / article author"), max_length=300, blank=True)
    doi = models.CharField(_("DOI"), max_length=200, blank=True)
    pmid = models.CharField(_("PMID"), max_length=20, blank=True)
    oclc_number = models.CharField(_("OCLC number"), max_length=30, blank=True)
    bib_id = models.CharField(_("bibliographic record id"), max_length=60, blank=True)
    # service
    requested_format = models.CharField(
        _("requested format"), max_length=30, choices=Format.choices, default=Format.PHYSICAL
    )
    supplied_format = models.CharField(
        _("supplied format"), max_length=30, choices=SuppliedFormat.choices, blank=True, default=""
    )
    level_of_service = models.ForeignKey(
        LevelOfService, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("level of service")
    )
    owner = models.ForeignKey(ResourceSharingLibrary, on_delete=models.PROTECT, verbose_name=_("owner"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("active partner"),
    )
    request_note = models.TextField(_("request note"), blank=True, max_length=2000)
    # dates
    created_at = models.DateTimeField(_("request date"), default=timezone.now)
    updated_at = models.DateTimeField(_("update date"), default=timezone.now)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    last_interest_date = models.DateField(_("last interest date"), null=True, blank=True)
    needed_by = models.DateField(_("needed by"), null=True, blank=True)
    reply_by = models.DateField(_("reply by"), null=True, blank=True)
    # money
    cost = models.DecimalField(_("cost"), max_digits=10, decimal_places=2, null=True, blank=True)
    shipping_cost = models.DecimalField(_("shipping cost"), max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    # flags (kept in step by actions so facets are plain column counts)
    patron_info_required = models.BooleanField(_("patron information required"), default=False)
    printed = models.BooleanField(_("request printed"), default=False)
    reported = models.BooleanField(_("request reported"), default=False)
    has_active_message = models.BooleanField(_("active general message"), default=False)
    has_active_note = models.BooleanField(_("active note"), default=False)
    has_partner_note = models.BooleanField(_("note from partner"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    removed_at = models.DateTimeField(_("removed from task list"), null=True, blank=True)

    tags = models.ManyToManyField(Tag, blank=True, related_name="%(app_label)s_%(class)s_set")
    history = GenericRelation(HistoryEvent)
    notes = GenericRelation(Note)
    general_messages = GenericRelation(GeneralMessage)
    alerts = GenericRelation(Alert)
    attachments = GenericRelation(Attachment)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.pk}: {self.title[:60]}"

    @property
    def citation_line(self) -> str:
        parts = [self.title]
        if self.chapter_title:
            parts.insert(0, self.chapter_title + " —")
        if self.author:
            parts.append("/ " + self.author)
        if self.year:
            parts.append(f"({self.year})")
        return " ".join(parts)

    @property
    def identifier(self) -> str:
        return self.isbn or self.issn or self.doi or self.pmid or self.oclc_number
