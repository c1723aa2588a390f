"""Partners (other libraries), their workflow profiles, and rota templates and rules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from illdesk.models import Format, LevelOfService, PatronCategory, RequestType, ResourceSharingLibrary


class WorkflowProfile(models.Model):
    """Which optional workflow steps a partner supports. Row actions and transitions consult it."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    conditional = models.BooleanField(_("conditional"), default=True)
    will_supply = models.BooleanField(_("will supply"), default=True)
    reject = models.BooleanField(_("reject"), default=True)
    damaged_communicated = models.BooleanField(_("damaged communicated"), default=False)
    lost_communicated = models.BooleanField(_("lost communicated"), default=False)
    staff_renewal = models.BooleanField(_("staff renewal"), default=True)
    renew_response = models.BooleanField(_("renew response"), default=True)
    recall = models.BooleanField(_("recall"), default=True)
    cancel_recall = models.BooleanField(_("cancel recall"), default=False)
    supports_cancel = models.BooleanField(_("partner supports cancel"), default=True)
    checked_in_message = models.BooleanField(_("checked-in message"), default=True)
    lender_check_in = models.BooleanField(_("lender check in"), default=False)
    waiting_for_digital_receipt = models.BooleanField(_("waiting for digital receipt"), default=False)
    reactivate = models.BooleanField(_("reactivate"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("workflow profile")

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    class ProfileType(models.TextChoices):
        ISO18626 = "iso18626", _("ISO 18626")
        EMAIL = "email", _("Email")
        NCIP_P2P = "ncip_p2p", _("NCIP peer-to-peer")
        EXTERNAL = "external", _("External / third party")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    profile_type = models.CharField(_("profile type"), max_length=20, choices=ProfileType.choices)
    agency_id_type = models.CharField(_("agency id type"), max_length=20, blank=True, help_text="e.g. ISIL, OCLC")
    agency_id_value = models.CharField(_("agency id value"), max_length=60, blank=True)
    iso_endpoint = models.URLField(_("ISO 18626 endpoint"), blank=True)
    shared_secret = models.CharField(_("shared secret"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    workflow_profile = models.ForeignKey(
        WorkflowProfile, on_delete=models.PROTECT, related_name="partners", verbose_name=_("workflow profile")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        constraints = [
            models.UniqueConstraint(
                fields=["agency_id_type", "agency_id_value"],
                condition=~models.Q(agency_id_value=""),
                name="partner_unique_agency_id",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_iso(self) -> bool:
        return self.profile_type == self.ProfileType.ISO18626

    @property
    def is_email(self) -> bool:
        return self.profile_type == self.ProfileType.EMAIL

    @property
    def is_peer(self) -> bool:
        """Partners we exchange messages with (ISO, email or NCIP peer)."""
        return self.profile_type in {self.ProfileType.ISO18626, self.ProfileType.EMAIL, self.ProfileType.NCIP_P2P}

    @property
    def agency_symbol(self) -> str:
        return f"{self.agency_id_type}:{self.agency_id_value}" if self.agency_id_value else ""


class RotaTemplate(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    partners = models.ManyToManyField(Partner, through="RotaTemplateMember", related_name="+")

    class Meta:
        ordering = ["name"]
        verbose_name = _("rota template")

    def __str__(self) -> str:
        return self.name


class RotaTemplateMember(models.Model):
    template = models.ForeignKey(RotaTemplate, on_delete=models.CASCADE, related_name="members")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        ordering = ["template", "position"]
        unique_together = [("template", "partner")]
        verbose_name = _("rota template member")

    def __str__(self) -> str:
        return f"{self.template} #{self.position}: {self.partner}"


class RotaAssignmentRule(models.Model):
    """When a request matches every set condition, it gets the template's partners as its rota."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.PositiveIntegerField(_("priority"), default=100, help_text=_("Lower runs first."))
    template = models.ForeignKey(RotaTemplate, on_delete=models.CASCADE, verbose_name=_("rota template"))
    active = models.BooleanField(_("active"), default=True)
    requested_format = models.CharField(_("requested format"), max_length=30, choices=Format.choices, blank=True)
    request_type = models.CharField(_("request type"), max_length=20, choices=RequestType.choices, blank=True)
    level_of_service = models.ForeignKey(LevelOfService, on_delete=models.CASCADE, null=True, blank=True)
    owner = models.ForeignKey(ResourceSharingLibrary, on_delete=models.CASCADE, null=True, blank=True)
    patron_category = models.ForeignKey(PatronCategory, on_delete=models.CASCADE, null=True, blank=True)
    send_automatically = models.BooleanField(
        _("send to the next partner automatically"),
        default=False,
        help_text=_("Sending rule: when a partner rejects, send to the next one without staff action."),
    )

    class Meta:
        ordering = ["priority", "name"]
        verbose_name = _("rota assignment rule")

    def __str__(self) -> str:
        return self.name
