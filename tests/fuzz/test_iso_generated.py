"""Schema-shaped ISO 18626 messages with random values, from a known partner, through POST /iso18626:
never a 500, always a valid confirmation of the right type (an errorType when refused), the raw
message logged, and a refused message changes nothing."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from partners.iso18626.messages import Action, MessageKind, ReasonForMessage, Status
from tests.partners import iso_helpers

from .iso_checks import CONFIRMATION_OF, build_world, check_answer, post, snapshot
from .iso_messages import Ids, message
from .strategies import fuzz_settings
from .support import rolled_back

pytestmark = pytest.mark.django_db

KINDS = [MessageKind.REQUEST, MessageKind.SUPPLYING_AGENCY_MESSAGE, MessageKind.REQUESTING_AGENCY_MESSAGE]


@pytest.fixture
def world(library, iso_partner, full_profile):
    return build_world(library, iso_partner, full_profile)


def _set(body: bytes, name: str, value: str) -> bytes:
    return re.sub(rf"(<ill:{name}>)[^<]*(<)".encode(), rb"\g<1>" + value.encode() + rb"\g<2>", body, count=1)


def seeds(kind: MessageKind, world: Ids) -> list[bytes]:
    """Messages that once crashed the endpoint: run first, every time, whatever the strategies draw."""
    if kind is MessageKind.REQUEST:  # a need-before date that is year 0 in local time
        body = iso_helpers.request("NEW-SEED").replace(
            b"</ill:serviceType>", b"</ill:serviceType><ill:needBeforeDate>0001-01-01T00:00:00+14:00"
                                   b"</ill:needBeforeDate>")
        return [body]
    if kind is MessageKind.SUPPLYING_AGENCY_MESSAGE:  # a due date in year 10000 in local time
        body = iso_helpers.sam(world.borrowing_pks[0], Status.LOANED, ReasonForMessage.REQUEST_RESPONSE)
        body = body.replace(b"</ill:status>", b"</ill:status><ill:dueDate>9999-12-31T23:59:59-12:00</ill:dueDate>")
        return [body, _set(body, "requestingAgencyRequestId", "²"), _set(body, "requestingAgencyRequestId", "9" * 5000)]
    body = iso_helpers.ram(world.lending_ids[0], Action.STATUS_REQUEST, supplier_id="²")  # "²".isdigit()
    return [body, _set(body, "supplyingAgencyRequestId", "9" * 30)]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.value)
def test_it_answers_every_generated_message_with_a_confirmation(kind, world, django_capture_on_commit_callbacks):
    outcomes = set()

    def run(drawn, twice, secret):
        body, kind_ = drawn
        headers = {"HTTP_AUTHORIZATION": "Bearer s3cret"} if secret else {}
        with rolled_back():
            before = snapshot()
            with django_capture_on_commit_callbacks(execute=True):
                response = post(body, **headers)
            status = check_answer(body, response, CONFIRMATION_OF[kind_], before)
            outcomes.add(status)
            if twice == 4:  # a peer re-delivers: the same answer, and nothing happens twice
                after_first = snapshot()
                with django_capture_on_commit_callbacks(execute=True):
                    again = post(body, **headers)
                if status == "OK":
                    assert again.content == response.content
                    assert snapshot() == after_first
                check_answer(body, again, CONFIRMATION_OF[kind_], after_first)

    test = given(drawn=message(kind, world), twice=st.integers(0, 4), secret=st.booleans())(run)
    for seed in seeds(kind, world):
        test = example(drawn=(seed, kind), twice=4, secret=False)(test)
    fuzz_settings(max_examples=70)(test)()
    assert outcomes == {"OK", "ERROR"}, f"the run never reached {({'OK', 'ERROR'} - outcomes)}: widen the strategy"
