"""Locate resource (SPEC §1, §3; seed 000 查找资源) and View local / network resources: each outcome,
what is recorded on the rota and in the history, source failures, refusals, and the resources page."""

import shutil
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import path

from borrowing import actions, locate_views
from borrowing.locate import SRUSource, locate, run_dialog
from borrowing.models import BorrowingRequest, CatalogSource, RotaEntry
from illdesk.models import HistoryEvent
from illdesk.urls import urlpatterns as project_urlpatterns
from illdesk.workflow import ActionRefused
from lending.models import BibRecord, Item
from partners.models import Partner, RotaAssignmentRule, RotaTemplate, RotaTemplateMember
from tests.borrowing.fixtures.sru_servers import (
    YAZ_MISSING,
    YAZ_ZTEST,
    FakeSRU,
    fixture_bytes,
    marc_record,
    running_yaz_ztest,
    sru_response,
)
from tests.factories import make_borrowing

# The resources page at a test URL until borrowing/urls.py wires it (see borrowing/locate_views.py).
urlpatterns = [path("test-resources/<int:pk>/", locate_views.resources_view, name="test-resources"),
               *project_urlpatterns]

KUHN_TITLE_QUERY = 'dc.title all "The structure of scientific revolutions" and dc.creator all "Kuhn"'


@pytest.fixture(scope="module")
def fake():
    with FakeSRU() as server:
        holding = marc_record("P-1", "The structure of scientific revolutions", "Kuhn, Thomas S.",
                              holdings=("Partner stacks 501 KUH",))
        server.serve("holds", sru_response([holding]))
        server.serve("lacks", sru_response([]))
        server.serve("many", sru_response([holding, holding, holding]))
        server.serve("broken", b"<searchRetrieveResponse><numberOf")
        server.serve("down", b"<html>Service Unavailable</html>", status=503, content_type="text/html")
        server.serve("slow", sru_response([holding]), delay=2)
        server.serve("koha", fixture_bytes("sru_koha_two_records.xml"))
        yield server


@pytest.fixture(scope="module")
def ztest(tmp_path_factory):
    if shutil.which(YAZ_ZTEST) is None:
        pytest.skip(YAZ_MISSING)
    with running_yaz_ztest(tmp_path_factory.mktemp("ztest-locate")) as url:
        yield url


@pytest.fixture
def second_lender(full_profile):
    return Partner.objects.create(code="SECOND", name="Second Library", profile_type="iso18626",
                                  agency_id_type="ISIL", agency_id_value="ZZ-SECOND", workflow_profile=full_profile)


@pytest.fixture
def third_lender(full_profile):
    return Partner.objects.create(code="THIRD", name="Third Library", profile_type="iso18626",
                                  agency_id_type="ISIL", agency_id_value="ZZ-THIRD", workflow_profile=full_profile)


def catalogue(partner, url, **fields) -> CatalogSource:
    fields = {"timeout_seconds": 1, "max_records": 5, **fields}
    return CatalogSource.objects.create(name=f"{partner.name} catalogue", kind=CatalogSource.Kind.SRU,
                                        partner=partner, base_url=url, **fields)


def with_rota(library, *partners, **fields) -> BorrowingRequest:
    """A created request whose rota is `partners`, the first one active."""
    req = make_borrowing(library, "created", partners[0] if partners else None, **fields)
    for position, partner in enumerate(partners, start=1):
        RotaEntry.objects.create(request=req, partner=partner, position=position,
                                 state=RotaEntry.State.ACTIVE if position == 1 else RotaEntry.State.PENDING)
    return req


def own(library, record_id="LOC-1", title="The structure of scientific revolutions", **fields) -> BibRecord:
    record = BibRecord.objects.create(record_id=record_id, title=title, author="Kuhn, Thomas S.", **fields)
    Item.objects.create(record=record, barcode=f"B-{record_id}", library=library, location="Stacks",
                        call_number="501 KUH")
    return record


def history(req) -> list[tuple[str, str, str]]:
    ct = ContentType.objects.get_for_model(BorrowingRequest)
    return list(HistoryEvent.objects.filter(content_type=ct, object_id=req.pk).order_by("id")
                .values_list("field", "old_value", "new_value"))


def messages(req) -> dict[str, str]:
    ct = ContentType.objects.get_for_model(BorrowingRequest)
    return dict(HistoryEvent.objects.filter(content_type=ct, object_id=req.pk).order_by("id")
                .values_list("field", "message"))


def rota_of(req) -> list[tuple[str, str, str]]:
    return list(req.rota_entries.order_by("position").values_list("partner__code", "state", "locate_result"))


# --- outcomes --------------------------------------------------------------------------------------


def test_it_is_a_local_holding_when_we_own_it(library, operator, iso_partner, fake):
    own(library, isbn="9780226458083")
    catalogue(iso_partner, fake.url("holds"))
    req = with_rota(library, iso_partner, isbn="0-226-45808-3")
    req = locate(req, by=operator)
    assert req.status == "local_holding"
    assert history(req) == [
        ("Status", "Created borrowing request", "Locate in process"),
        ("Locate: Local inventory", "", "Resource located"),
        ("Locate: Peer University catalogue", "", "Resource located"),
        ("Locate status", "Locate not run", "Local holding"),
        ("Status", "Locate in process", "Local holding"),
    ]
    assert messages(req)["Locate: Local inventory"] == "Searched by ISBN"
    assert rota_of(req) == [("PEER", "active", "located")]


def test_it_is_ready_to_send_when_the_active_partner_holds_it(library, operator, iso_partner, second_lender, fake):
    catalogue(iso_partner, fake.url("holds"))
    catalogue(second_lender, fake.url("lacks"))
    req = locate(with_rota(library, iso_partner, second_lender), by=operator)
    assert (req.status, req.partner) == ("ready_to_send", iso_partner)
    assert rota_of(req) == [("PEER", "active", "located"), ("SECOND", "pending", "not_located")]
    assert history(req)[-2:] == [("Locate status", "Locate not run", "Resource located"),
                                 ("Status", "Locate in process", "Ready to be sent")]
    assert fake.queries("holds")[-1] == KUHN_TITLE_QUERY
    assert messages(req)["Locate: Peer University catalogue"] == f"Searched by {KUHN_TITLE_QUERY}"


def test_a_partner_whose_catalogue_lacks_it_is_skipped_for_one_that_holds_it(
        library, operator, iso_partner, second_lender, third_lender, fake):
    catalogue(iso_partner, fake.url("lacks"))
    catalogue(second_lender, fake.url("holds"))
    catalogue(third_lender, fake.url("holds"))
    req = locate(with_rota(library, iso_partner, second_lender, third_lender), by=operator)
    assert (req.status, req.partner) == ("ready_to_send", second_lender)
    assert BorrowingRequest.objects.get(pk=req.pk).partner == second_lender
    assert rota_of(req) == [("PEER", "skipped", "not_located"), ("SECOND", "active", "located"),
                            ("THIRD", "pending", "located")]
    assert ("Rota", "Peer University", "Second Library") in history(req)
    assert ("Active partner", "Peer University", "Second Library") in history(req)


def test_it_fails_when_nothing_holds_it(library, operator, iso_partner, second_lender, fake):
    catalogue(iso_partner, fake.url("lacks"))
    catalogue(second_lender, fake.url("lacks"))
    req = locate(with_rota(library, iso_partner, second_lender), by=operator)
    assert (req.status, req.partner) == ("locate_failed", iso_partner)
    assert rota_of(req) == [("PEER", "active", "not_located"), ("SECOND", "pending", "not_located")]
    assert history(req)[-2:] == [("Locate status", "Locate not run", "No resources located"),
                                 ("Status", "Locate in process", "Locate failed")]
    assert messages(req)["Status"] == ("Local inventory: No resources located; Peer University catalogue: "
                                       "No resources located; Second Library catalogue: No resources located")


@pytest.mark.parametrize("fields", [{"title": "", "isbn": ""}, {"title": " ", "isbn": "n/a", "author": "Kuhn"},
                                    {"title": "—", "issn": "12"}])
def test_a_citation_with_nothing_to_search_by_is_a_bad_citation(library, operator, iso_partner, fake, fields):
    catalogue(iso_partner, fake.url("holds"))
    asked = len(fake.requests)
    req = locate(with_rota(library, iso_partner, **fields), by=operator)
    assert req.status == "bad_citation"
    assert len(fake.requests) == asked  # no source was asked
    assert history(req) == [("Status", "Created borrowing request", "Locate in process"),
                            ("Locate status", "Locate not run", "Bad citation"),
                            ("Status", "Locate in process", "Bad citation")]


def test_several_records_at_a_partner_count_as_held(library, operator, iso_partner, fake):
    catalogue(iso_partner, fake.url("many"))
    req = locate(with_rota(library, iso_partner), by=operator)
    assert req.status == "ready_to_send"
    assert rota_of(req) == [("PEER", "active", "several")]
    assert ("Locate: Peer University catalogue", "", "Several resources found (3)") in history(req)
    assert ("Locate status", "Locate not run", "Several resources found") in history(req)


def test_several_local_records_are_a_local_holding(library, operator, iso_partner, fake):
    own(library, "LOC-1")
    own(library, "LOC-2")
    catalogue(iso_partner, fake.url("lacks"))
    req = locate(with_rota(library, iso_partner), by=operator)
    assert req.status == "local_holding"
    assert ("Locate: Local inventory", "", "Several resources found (2)") in history(req)


def test_a_partner_without_a_catalogue_may_supply(library, operator, iso_partner, second_lender, fake):
    catalogue(second_lender, fake.url("lacks"))
    req = locate(with_rota(library, iso_partner, second_lender), by=operator)
    assert (req.status, req.partner) == ("ready_to_send", iso_partner)
    assert rota_of(req) == [("PEER", "active", ""), ("SECOND", "pending", "not_located")]
    assert ("Locate status", "Locate not run", "Not checked (no catalogue)") in history(req)


def test_a_manually_chosen_partner_off_the_rota_is_searched_too(library, operator, iso_partner, fake):
    catalogue(iso_partner, fake.url("holds"))
    req = locate(make_borrowing(library, "created", iso_partner), by=operator)
    assert req.status == "ready_to_send"


# --- failures --------------------------------------------------------------------------------------


def test_a_failing_source_is_recorded_and_the_others_still_run(library, operator, iso_partner, second_lender,
                                                               third_lender, email_partner, fake):
    own(library, "LOC-9", title="Something else entirely")
    catalogue(iso_partner, fake.url("broken"))
    catalogue(second_lender, fake.url("down"))
    catalogue(third_lender, fake.url("slow"))
    catalogue(email_partner, fake.url("holds"))
    started = time.monotonic()
    req = locate(with_rota(library, iso_partner, second_lender, third_lender, email_partner), by=operator)
    assert time.monotonic() - started < 3  # the catalogues are asked in parallel
    assert req.status == "ready_to_send"
    # An error is not a "not held": the active partner stays.
    assert rota_of(req) == [("PEER", "active", "error"), ("SECOND", "pending", "error"),
                            ("THIRD", "pending", "error"), ("MAILLIB", "pending", "located")]
    rows = dict((field, new) for field, _old, new in history(req))
    assert rows["Locate: Peer University catalogue"] == "Error"
    notes = messages(req)
    assert notes["Locate: Peer University catalogue"].startswith("not well-formed XML")
    assert notes["Locate: Second Library catalogue"] == "HTTP 503 Service Unavailable"
    assert notes["Locate: Third Library catalogue"] == "no answer within 1 s"
    assert rows["Locate: Mail Library catalogue"] == "Resource located"
    assert rows["Locate: Local inventory"] == "No resources located"


def test_only_errors_is_a_failed_locate(library, operator, iso_partner, fake):
    catalogue(iso_partner, fake.url("down"))
    req = locate(with_rota(library, iso_partner), by=operator)
    assert req.status == "locate_failed"
    assert rota_of(req) == [("PEER", "active", "error")]


def test_an_unexpected_error_in_a_source_is_recorded_too(library, operator, iso_partner, second_lender, fake,
                                                          monkeypatch):
    catalogue(iso_partner, fake.url("holds"))
    catalogue(second_lender, fake.url("holds"))
    original = SRUSource.search

    def search(self, citation):
        if self.partner == iso_partner:
            raise RuntimeError("boom")
        return original(self, citation)

    monkeypatch.setattr(SRUSource, "search", search)
    req = locate(with_rota(library, iso_partner, second_lender), by=operator)
    assert req.status == "ready_to_send"
    assert messages(req)["Locate: Peer University catalogue"] == "Unexpected error: RuntimeError: boom"
    assert rota_of(req) == [("PEER", "active", "error"), ("SECOND", "pending", "located")]


# --- refusals and what is searched ---------------------------------------------------------------


def test_it_is_refused_without_a_partner_or_rota(library, operator):
    req = make_borrowing(library, "created")
    with pytest.raises(ActionRefused) as refused:
        locate(req, by=operator)
    assert refused.value.status == 409
    assert BorrowingRequest.objects.get(pk=req.pk).status == "created"
    assert history(req) == []


def test_it_is_refused_once_sent_and_for_non_operators(library, operator, outsider, iso_partner):
    sent = make_borrowing(library, "sent", iso_partner)
    with pytest.raises(ActionRefused) as refused:
        locate(sent, by=operator)
    assert refused.value.status == 409
    with pytest.raises(ActionRefused) as refused:
        locate(with_rota(library, iso_partner), by=outsider)
    assert refused.value.status == 403


def test_partners_that_already_rejected_are_not_searched(library, operator, iso_partner, second_lender, fake):
    rejected = catalogue(iso_partner, fake.url("holds") + "?rejected=1")
    catalogue(second_lender, fake.url("lacks"))
    req = with_rota(library, iso_partner, second_lender)
    req.rota_entries.filter(partner=iso_partner).update(state=RotaEntry.State.REJECTED)
    req.rota_entries.filter(partner=second_lender).update(state=RotaEntry.State.ACTIVE)
    BorrowingRequest.objects.filter(pk=req.pk).update(partner=second_lender)  # as rota.advance leaves it
    asked = len(fake.requests)
    req = locate(req, by=operator)
    assert req.status == "locate_failed"
    assert all(params.get("rejected") is None for _name, params in fake.requests[asked:]), rejected.base_url


def test_inactive_catalogues_are_not_searched_and_an_inactive_local_source_skips_the_inventory(
        library, operator, iso_partner, fake):
    own(library)
    CatalogSource.objects.create(name="Our catalogue", kind=CatalogSource.Kind.LOCAL, active=False)
    catalogue(iso_partner, fake.url("holds"), active=False)
    req = locate(with_rota(library, iso_partner), by=operator)
    assert req.status == "ready_to_send"  # nothing searched; the partner has no usable catalogue
    assert ("Locate status", "Locate not run", "Not checked (no catalogue)") in history(req)


def test_locating_again_shows_the_previous_locate_status(library, operator, iso_partner, fake):
    source = catalogue(iso_partner, fake.url("lacks"))
    req = locate(with_rota(library, iso_partner), by=operator)
    source.base_url = fake.url("holds")
    source.save()
    req = locate(req, by=operator)
    assert req.status == "ready_to_send"
    assert history(req)[-2:] == [("Locate status", "No resources located", "Resource located"),
                                 ("Status", "Locate in process", "Ready to be sent")]


def test_the_dialog_runs_locate_and_says_where_it_ended(library, operator, iso_partner, fake):
    catalogue(iso_partner, fake.url("holds"))
    assert run_dialog(with_rota(library, iso_partner), None, operator) == "Locate finished: Ready to be sent."


def test_recalculating_the_rota_locates_when_the_library_says_so(library, operator, iso_partner, fake):
    library.auto_locate = True
    library.save()
    template = RotaTemplate.objects.create(code="ONE", name="One")
    RotaTemplateMember.objects.create(template=template, partner=iso_partner, position=1)
    RotaAssignmentRule.objects.create(name="Books", template=template)
    catalogue(iso_partner, fake.url("holds"))
    req = actions.recalculate_rota(make_borrowing(library, "created"), by=operator)
    assert (req.status, req.partner) == ("ready_to_send", iso_partner)
    assert rota_of(req) == [("PEER", "active", "located")]


# --- against a real SRU server -------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "status", "result"), [
    ("1 Corinthians", "ready_to_send", "located"),  # yaz-ztest: a leading number is the hit count
    ("0 kittens", "locate_failed", "not_located"),
    ("1984", "ready_to_send", "several"),
])
def test_it_locates_in_a_yaz_ztest_catalogue(library, operator, iso_partner, ztest, title, status, result):
    catalogue(iso_partner, f"{ztest}/Default")
    req = locate(with_rota(library, iso_partner, title=title, author="Nobody, A."), by=operator)
    assert (req.status, rota_of(req)) == (status, [("PEER", "active", result)])


# --- View local / network resources -----------------------------------------------------------------


@pytest.mark.urls(__name__)
class TestResourcesPage:
    def url(self, req, **params):
        from urllib.parse import urlencode

        return f"/test-resources/{req.pk}/" + (f"?{urlencode(params)}" if params else "")

    def test_it_lists_local_and_partner_hits_with_holdings(self, client, library, operator, iso_partner,
                                                           second_lender, fake):
        own(library)
        catalogue(iso_partner, fake.url("koha"))
        catalogue(second_lender, fake.url("down"))
        CatalogSource.objects.create(name="Union catalogue", kind="sru", base_url=fake.url("lacks"))
        req = with_rota(library, iso_partner, second_lender)
        client.force_login(operator)
        response = client.get(self.url(req))
        assert response.status_code == 200
        page = response.content.decode()
        assert "<html" in page
        for text in ("Local resources", "Main Library — Stacks — 501 KUH (On shelf)", "LOC-1",
                     "Partners&#x27; catalogues", "Peer University catalogue", "Several resources found (2)",
                     "Peer Main Library — Stacks — 501 KUH", "ISBN 9780226458083", "科学革命的结构 : 第四版",
                     "Second Library catalogue", "HTTP 503 Service Unavailable",
                     "Network catalogues", "Union catalogue"):
            assert text in page, text
        # Read-only: the request and its history are untouched.
        assert BorrowingRequest.objects.get(pk=req.pk).status == "created"
        assert history(req) == []

    def test_htmx_gets_the_panel_and_staff_can_change_the_query(self, client, library, operator, iso_partner, fake):
        catalogue(iso_partner, fake.url("lacks"))
        req = with_rota(library, iso_partner)
        client.force_login(operator)
        response = client.get(self.url(req, title="Paradigms lost", author="Smith, J.", isbn="", issn="",
                                       oclc_number=""), HTTP_HX_REQUEST="true")
        page = response.content.decode()
        assert response.status_code == 200 and "<html" not in page
        assert fake.queries("lacks")[-1] == 'dc.title all "Paradigms lost" and dc.creator all "Smith"'
        assert 'value="Paradigms lost"' in page

    def test_an_empty_query_searches_nothing(self, client, library, operator, iso_partner, fake):
        catalogue(iso_partner, fake.url("holds"))
        req = with_rota(library, iso_partner)
        client.force_login(operator)
        asked = len(fake.requests)
        page = client.get(self.url(req, title="", author="", isbn="", issn="", oclc_number="")).content.decode()
        assert "Nothing to search with" in page and len(fake.requests) == asked

    def test_only_staff_may_look(self, client, library, outsider, iso_partner):
        req = with_rota(library, iso_partner)
        assert client.get(self.url(req)).status_code == 302  # to the login page
        client.force_login(outsider)
        assert client.get(self.url(req)).status_code == 403

    def test_an_unknown_request_is_404(self, client, operator):
        client.force_login(operator)
        assert client.get("/test-resources/999999/").status_code == 404
