"""Every real message in tests/partners/samples (see its README for where each came from), posted to
/iso18626 with the peers and requests it
refers to set up: each is applied, or refused with the right errorType, and always logged."""

from pathlib import Path

import pytest
from lxml import etree

from borrowing.models import BorrowingRequest
from illdesk.models import GeneralMessage
from lending.models import LendingRequest
from partners.iso18626 import Iso18626Error, parse
from partners.iso18626.messages import SupplyingAgencyMessage
from partners.models import InboundMessage, Partner
from tests.factories import make_borrowing, make_lending

from .iso_helpers import error_of, post, status_of

SAMPLES = Path(__file__).resolve().parent / "samples"  # provenance: samples/README.md

# sample -> (borrowing/lending status the request starts in, "OK" + status afterwards, or "ERROR" + errorType)
EXPECTED = {
    "01-oclc-request-full-transfer.xml": (None, "OK", "lending created"),
    "02-oclc-requestConfirmation-ok.xml": (None, "ERROR", "UnrecognisedDataElement"),
    "03-oclc-requestConfirmation-error-badlyformed.xml": (None, "ERROR", "UnrecognisedDataElement"),
    "04-oclc-sam-requestresponse-unfilled-notheld.xml": ("sent", "OK", "completed"),
    "05-oclc-sam-loaned-returninfo.xml": ("sent", "OK", "shipped_physically"),
    "06-oclc-sam-statuschange-overdue.xml": ("loaned_to_patron", "OK", "overdue"),
    "07-oclc-sam-statuschange-recalled.xml": ("loaned_to_patron", "OK", "recalled_by_partner"),
    "08-oclc-sam-renewresponse-no.xml": ("renew_requested", "OK", "renew_not_accepted"),
    "09-oclc-sam-cancelresponse-yes.xml": ("waiting_cancel_response", "OK", "cancelled"),
    "10-oclc-sam-requestresponse-loancompleted.xml": ("returned_to_partner", "OK", "lender_checked_in"),
    "11-oclc-sam-allfields-renewresponse.xml": ("renew_requested", "OK", "renewed_by_partner"),
    "12-oclc-samConfirmation-ok-with-errordata.xml": (None, "ERROR", "UnrecognisedDataElement"),
    "13-oclc-ram-renew.xml": ("received_by_partner", "OK", "renew_requested"),
    "14-oclc-ram-shippedreturn.xml": ("received_by_partner", "OK", "returned_by_partner"),
    "15-oclc-ramConfirmation.xml": (None, "ERROR", "UnrecognisedDataElement"),
    "16-crosslink-request-patronrequest-tag0-prefix.xml": (None, "OK", "lending created"),
    "17-crosslink-request-delivery-addresses-defaultns.xml": (None, "ERROR", "UnrecognisedDataValue"),
    "18-crosslink-sam-statuschange-loaned-defaultns.xml": ("accepted", "OK", "shipped_physically"),
    "19-crosslink-ram-cancel.xml": ("created", "OK", "cancel_reply"),
    "20-crosslink-INVALID-sam-unknown-status.xml": (None, "ERROR", "UnrecognisedDataValue"),
    "21-modrs-request-v1_0-reshare.xml": (None, "OK", "lending created"),
    "22-modrs-sam-notification-unfilled-template.xml": (None, "ERROR", "UnrecognisedDataValue"),
}


def test_every_sample_has_an_expectation():
    assert sorted(p.name for p in SAMPLES.glob("*.xml")) == sorted(EXPECTED)


def _set(root, name: str, text: str) -> None:
    for el in root.iter(f"{{*}}{name}", name):
        el.text = text


def sample_parties(body: bytes):
    """(message, is a supplying-agency message, sender's agency id, our agency id), or None for a sample
    that does not parse into a message with a header."""
    try:
        msg = parse(body)
    except Iso18626Error:
        return None
    if not hasattr(msg, "header"):
        return None
    header = msg.header
    is_sam = isinstance(msg, SupplyingAgencyMessage)
    sender, us = ((header.supplying_agency_id, header.requesting_agency_id) if is_sam
                  else (header.requesting_agency_id, header.supplying_agency_id))
    return msg, is_sam, sender, us


def sample_partner(agency, full_profile) -> Partner:
    return Partner.objects.get_or_create(
        agency_id_type=agency.type, agency_id_value=agency.value,
        defaults={"code": agency.value[:40], "name": agency.value, "profile_type": "iso18626",
                  "allowed_networks": "127.0.0.1", "workflow_profile": full_profile})[0]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample(name, settings, library, full_profile, fake_create_incoming):
    start, answer, expected = EXPECTED[name]
    body = (SAMPLES / name).read_bytes()
    req = None
    parties = sample_parties(body)
    msg = parties[0] if parties else None
    if parties:
        _, is_sam, sender, us = parties
        header = msg.header
        settings.ILLDESK_ISO_SYMBOL = f"{us.type}:{us.value}"
        partner = sample_partner(sender, full_profile)
        if start and is_sam:
            req = make_borrowing(library, start, partner=partner)
            root = etree.fromstring(body)
            _set(root, "requestingAgencyRequestId", str(req.pk))
            body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        elif start:
            req = make_lending(library, start, partner=partner,
                               borrower_request_id=header.requesting_agency_request_id)
    _, confirmation = post(body)
    assert status_of(confirmation) == answer, error_of(confirmation)
    log = InboundMessage.objects.get()
    assert log.raw and log.confirmation_xml and log.message_status == answer
    if answer == "ERROR":
        assert error_of(confirmation)[0] == expected
        assert log.error_type == expected and log.error_value
    elif expected == "lending created":
        created = LendingRequest.objects.get()
        assert created.title and created.borrower_request_id == msg.header.requesting_agency_request_id
        assert log.request == created
    else:
        assert type(req).objects.get(pk=req.pk).status == expected


@pytest.mark.django_db
def test_the_reshare_notification_template_once_filled_in_is_a_general_message(settings, library, full_profile):
    text = (SAMPLES / "22-modrs-sam-notification-unfilled-template.xml").read_text()
    settings.ILLDESK_ISO_SYMBOL = "ISIL:REQUESTER"
    partner = sample_partner(type("A", (), {"type": "ISIL", "value": "SUPPLIER"}), full_profile)
    req = make_borrowing(library, "sent", partner=partner)
    text = (text.replace("supplierSymbol_holder", "SUPPLIER").replace("requesterSymbol_holder", "REQUESTER")
            .replace("timestamp_holder", "2025-09-16T10:00:00Z").replace("requestId_holder", str(req.pk)))
    _, confirmation = post(text.encode())
    assert status_of(confirmation) == "OK"
    # A Notification's status is not acted on: Unfilled comes as its own RequestResponse.
    assert BorrowingRequest.objects.get(pk=req.pk).status == "sent"
    assert GeneralMessage.objects.get().text == "can't find it after all"
