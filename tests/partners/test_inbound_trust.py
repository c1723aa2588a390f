"""Who may speak at /iso18626: only a partner that authenticates, and only about its own requests.

The outside probe moved a borrowing request `sent → will_supply` knowing nothing but a demo partner's agency
id, and posted notes into other partners' requests by sequential id. Each case here reproduces one."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from borrowing.models import BorrowingRequest, RotaEntry
from illdesk.models import GeneralMessage, Note
from partners.checks import iso_partners_can_authenticate
from partners.iso18626.messages import AgencyId, ReasonForMessage, Status
from partners.models import Partner
from tests.factories import make_borrowing

from .iso_helpers import error_of, post, sam, status_of

pytestmark = pytest.mark.django_db

NOTE = ReasonForMessage.NOTIFICATION


@pytest.fixture
def sent(peer, library):
    return make_borrowing(library, "sent", partner=peer)


def _status(req) -> str:
    return BorrowingRequest.objects.get(pk=req.pk).status


def _open(peer, **fields):
    Partner.objects.filter(pk=peer.pk).update(**{"shared_secret": "", "allowed_networks": "", **fields})


def test_a_partner_without_secret_or_address_list_is_not_believed(sent, peer):
    _open(peer)
    _, confirmation = post(sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE))
    kind, text = error_of(confirmation)
    assert kind == "UnrecognisedDataValue"
    assert "no way to check that messages from you are yours" in text and "shared secret" in text
    assert _status(sent) == "sent"


def test_an_address_list_admits_its_addresses_only(sent, peer):
    _open(peer, allowed_networks="192.0.2.0/24\n2001:db8::/32")
    body = sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)
    assert "not allowed to speak for you" in error_of(post(body)[1])[1]  # the test client is 127.0.0.1
    assert _status(sent) == "sent"
    assert status_of(post(body, REMOTE_ADDR="192.0.2.77")[1]) == "OK"
    assert _status(sent) == "will_supply"


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(sent, peer, settings):
    _open(peer, allowed_networks="192.0.2.10")
    spoofed = sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)
    # anyone can write the header: from an untrusted connection it is ignored
    assert "not allowed" in error_of(post(spoofed, HTTP_X_FORWARDED_FOR="192.0.2.10")[1])[1]
    settings.ILLDESK_TRUSTED_PROXIES = ["127.0.0.1"]
    # the proxy appends the real client last; what the client wrote before it is not believed
    refused = sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)
    assert "not allowed" in error_of(post(refused, HTTP_X_FORWARDED_FOR="192.0.2.10, 203.0.113.5")[1])[1]
    ok = sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)
    assert status_of(post(ok, HTTP_X_FORWARDED_FOR="203.0.113.5, 192.0.2.10")[1]) == "OK"


def test_with_secret_and_addresses_a_message_needs_both(sent, peer):
    _open(peer, shared_secret="s3cret", allowed_networks="192.0.2.10")
    body = sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)
    assert "shared secret" in error_of(post(body, REMOTE_ADDR="192.0.2.10")[1])[1]
    assert "not allowed" in error_of(post(body, HTTP_AUTHORIZATION="Bearer s3cret")[1])[1]
    assert status_of(post(body, REMOTE_ADDR="192.0.2.10", HTTP_AUTHORIZATION="Bearer s3cret")[1]) == "OK"


def test_a_partner_cannot_write_into_another_partners_request(sent, peer, full_profile):
    """Notes and status reports name a request by our sequential id: guessing one must get nothing, and the
    answer must read exactly like the one for an id we do not have."""
    Partner.objects.create(code="NOSY", name="Nosy", profile_type="iso18626", agency_id_type="ISIL",
                           agency_id_value="ZZ-NOSY", workflow_profile=full_profile, allowed_networks="127.0.0.1")
    nosy = AgencyId("ISIL", "ZZ-NOSY")
    answers = [error_of(post(sam(pk, None, NOTE, note="psst", sender=nosy))[1])[1] for pk in (sent.pk, 999999)]
    assert answers == [f"header/requestingAgencyRequestId: we have no request {pk} with you"
                       for pk in (sent.pk, 999999)]
    assert not Note.objects.exists() and not GeneralMessage.objects.exists()
    report = sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.STATUS_REQUEST_RESPONSE, sender=nosy)
    assert "with you" in error_of(post(report)[1])[1]
    assert _status(sent) == "sent"


def test_a_former_lender_may_still_send_a_note(library, peer, full_profile):
    """The standard lets a lender the rota moved on from still write (e.g. "sent it back today")."""
    former = Partner.objects.create(code="FORMER", name="Former", profile_type="iso18626", agency_id_type="ISIL",
                                    agency_id_value="ZZ-FORMER", workflow_profile=full_profile,
                                    allowed_networks="127.0.0.1")
    req = make_borrowing(library, "sent", partner=peer)
    RotaEntry.objects.create(request=req, partner=former, position=1, state=RotaEntry.State.REJECTED,
                             sent_at=req.created_at)
    sender = AgencyId("ISIL", "ZZ-FORMER")
    assert status_of(post(sam(req.pk, None, NOTE, note="returned it today", sender=sender))[1]) == "OK"
    # but it cannot move the request any more
    assert "with you" in error_of(post(sam(req.pk, Status.LOANED, sender=sender))[1])[1]
    assert _status(req) == "sent"


def test_deploy_check_and_admin_name_partners_that_cannot_authenticate(peer, client, settings):
    _open(peer)
    with pytest.raises(SystemCheckError, match="partners.W001"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
    client.force_login(User.objects.create_superuser("root", "root@example.org", "root"))
    page = client.get(reverse("admin:partners_partner_changelist")).content.decode()
    assert "can authenticate" in page.lower() and 'alt="False"' in page
    [warning] = iso_partners_can_authenticate()
    assert "PEER (ISIL:ZZ-PEER)" in warning.msg
    _open(peer, shared_secret="now-one")
    assert iso_partners_can_authenticate() == []


def test_the_admin_refuses_an_address_that_is_not_one(peer, client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "root"))
    change = reverse("admin:partners_partner_change", args=[peer.pk])
    form = client.get(change).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(allowed_networks="192.0.2.0/24\nnot-an-address", workflow_profile=peer.workflow_profile_id)
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    response = client.post(change, data)
    assert response.status_code == 200
    assert "“not-an-address” is not an IP address or network" in response.content.decode()
    assert Partner.objects.get(pk=peer.pk).allowed_networks == "127.0.0.1"
