"""ISO 18626 messages under authentication: whatever a stranger writes into the credential headers, the
source address or the message's own securityCode, a message for a partner it cannot prove to be is
answered with an ERROR confirmation (never a 500) and changes nothing."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from borrowing.models import BorrowingRequest
from partners.iso18626 import parse, serialize
from partners.iso18626.messages import ReasonForMessage, RequestingAgencyAuthentication, Status
from partners.models import Partner
from tests.factories import make_borrowing
from tests.partners.iso_helpers import error_of, post, sam, status_of

from .strategies import fuzz_settings
from .support import rolled_back

pytestmark = pytest.mark.django_db

HEADER_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"), max_size=80)
ADDRESSES = st.one_of(st.ip_addresses().map(str), st.text(max_size=20), st.just("192.0.2.10"))


@pytest.fixture
def guarded(iso_partner, library):
    Partner.objects.filter(pk=iso_partner.pk).update(shared_secret="the-real-one", allowed_networks="192.0.2.10")
    return make_borrowing(library, "sent", partner=iso_partner)


@fuzz_settings(max_examples=60)
@given(bearer=HEADER_TEXT, shared=HEADER_TEXT, forwarded=st.lists(ADDRESSES, max_size=3), source=ADDRESSES,
       code=st.one_of(st.none(), HEADER_TEXT))
@example(bearer="the-real-one", shared="", forwarded=["192.0.2.10"], source="127.0.0.1", code=None)
@example(bearer="", shared="the-real-one", forwarded=[], source="192.0.2.11", code="the-real-one")
@example(bearer="", shared="", forwarded=[], source="192.0.2.10", code="the-real-one")
def test_credentials_a_stranger_makes_up_never_move_a_request(guarded, bearer, shared, forwarded, source, code):
    body = sam(guarded.pk, Status.WILL_SUPPLY, ReasonForMessage.REQUEST_RESPONSE)
    if code is not None:
        msg = parse(body)
        msg.header.requesting_agency_authentication = RequestingAgencyAuthentication(security_code=code or None)
        body = serialize(msg)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {bearer}", "HTTP_X_ISO18626_SHARED_SECRET": shared,
               "REMOTE_ADDR": source}
    if forwarded:
        headers["HTTP_X_FORWARDED_FOR"] = ", ".join(forwarded)
    with rolled_back():
        _, confirmation = post(body, **headers)
        knows_secret = "the-real-one" in (bearer.strip(), shared.strip(), code)
        from_allowed = source.strip() == "192.0.2.10"  # no trusted proxy: X-Forwarded-For never counts
        moved = BorrowingRequest.objects.get(pk=guarded.pk).status == "will_supply"
        if knows_secret and from_allowed:
            assert status_of(confirmation) == "OK" and moved
        else:
            assert error_of(confirmation)[0] == "UnrecognisedDataValue" and not moved
