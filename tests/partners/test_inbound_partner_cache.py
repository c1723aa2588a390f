"""/iso18626 looks partners up afresh for every message: whatever changes a partner (the admin's form and
bulk actions, a save anywhere, an UPDATE in another process, its workflow profile) counts for the very
next message."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from borrowing.models import BorrowingRequest
from partners.iso18626.messages import AgencyId, ReasonForMessage, Status
from partners.messaging import peers
from partners.models import Partner
from tests.factories import make_borrowing

from .iso_helpers import error_of, post, sam, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(peer, library):
    return make_borrowing(library, "sent", partner=peer)


def will_supply(req, **kwargs):
    return post(sam(req.pk, Status.WILL_SUPPLY, ReasonForMessage.NOTIFICATION, note="hello"), **kwargs)[1]


@pytest.fixture
def su_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "root"))
    return client


def test_the_admins_bulk_deactivate_and_activate_count_at_once(sent, peer, su_client):
    assert status_of(will_supply(sent)) == "OK"  # the partner is cached now
    url = reverse("admin:partners_partner_changelist")
    response = su_client.post(url, {"action": "deactivate", "_selected_action": [peer.pk]})
    assert response.status_code == 302
    assert "not active" in error_of(will_supply(sent))[1]
    su_client.post(url, {"action": "activate", "_selected_action": [peer.pk]})
    assert status_of(will_supply(sent)) == "OK"


def test_a_new_shared_secret_counts_at_once(sent, peer):
    assert status_of(will_supply(sent)) == "OK"
    peer.shared_secret = "n3w"
    peer.save()
    assert "shared secret" in error_of(will_supply(sent))[1]
    assert status_of(will_supply(sent, HTTP_AUTHORIZATION="Bearer n3w")) == "OK"


def test_a_changed_agency_id_drops_the_old_one(sent, peer, su_client):
    assert status_of(will_supply(sent)) == "OK"
    change = reverse("admin:partners_partner_change", args=[peer.pk])
    form = su_client.get(change).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(agency_id_value="ZZ-MOVED", workflow_profile=peer.workflow_profile_id)
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    response = su_client.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Partner.objects.get(pk=peer.pk).agency_id_value == "ZZ-MOVED"
    assert "is not a partner of this library" in error_of(will_supply(sent))[1]
    moved = sam(sent.pk, Status.WILL_SUPPLY, ReasonForMessage.NOTIFICATION, note="again",
                sender=AgencyId("ISIL", "ZZ-MOVED"))
    assert status_of(post(moved)[1]) == "OK"


def test_a_changed_workflow_profile_is_seen_with_the_partner(sent, peer):
    assert peers.find_partner(AgencyId("isil", "zz-peer")).workflow_profile.will_supply is True
    profile = peer.workflow_profile
    profile.will_supply = False
    profile.save()
    assert peers.find_partner(AgencyId("ISIL", "ZZ-PEER")).workflow_profile.will_supply is False


def test_unknown_agency_ids_are_not_cached(sent, peer):
    stranger = AgencyId("ISIL", "ZZ-LATER")
    assert peers.find_partner(stranger) is None
    Partner.objects.filter(pk=peer.pk).update(agency_id_value="ZZ-LATER")  # no signal: nothing to drop
    assert peers.find_partner(stranger).pk == peer.pk
    assert BorrowingRequest.objects.get(pk=sent.pk).status == "sent"


def test_a_change_no_signal_announces_counts_for_the_next_message_even_with_a_shared_cache(sent, peer, settings,
                                                                                          tmp_path):
    """Another server process, a raw UPDATE, a restore: nothing tells this process, and still the next
    message sees the partner as it is now (the lookup is not cached)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                                   "LOCATION": str(tmp_path)}}
    assert status_of(will_supply(sent)) == "OK"
    Partner.objects.filter(pk=peer.pk).update(active=False)
    assert "not active" in error_of(will_supply(sent))[1]
    Partner.objects.filter(pk=peer.pk).update(active=True, shared_secret="rotated", allowed_networks="")
    assert "shared secret" in error_of(will_supply(sent))[1]
    assert status_of(will_supply(sent, HTTP_AUTHORIZATION="Bearer rotated")) == "OK"
    Partner.objects.filter(pk=peer.pk).update(shared_secret="", allowed_networks="")
    assert "no way to check" in error_of(will_supply(sent, HTTP_AUTHORIZATION="Bearer rotated"))[1]
