"""The SRU client (borrowing.sru) against a real SRU server — Debian's yaz-ztest on loopback — and against
a fake one for the answers yaz-ztest never gives (malformed XML, entities, HTTP errors, slow answers)."""

import shutil
import time

import pytest

from borrowing import sru
from tests.borrowing.fixtures.sru_servers import (
    YAZ_MISSING,
    YAZ_ZTEST,
    FakeSRU,
    fixture_bytes,
    free_port,
    marc_record,
    running_yaz_ztest,
    sru_response,
)


@pytest.fixture(scope="session")
def ztest(tmp_path_factory):
    """Base URL of a yaz-ztest running for the whole session (this worker's)."""
    if shutil.which(YAZ_ZTEST) is None:
        pytest.skip(YAZ_MISSING)
    with running_yaz_ztest(tmp_path_factory.mktemp("ztest")) as url:
        yield url


@pytest.fixture(scope="module")
def fake():
    with FakeSRU() as server:
        yield server


# --- a real SRU server: yaz-ztest ----------------------------------------------------------------------


class TestAgainstYazZtest:
    def test_it_reads_the_hit_count_and_the_marc_records(self, ztest):
        response = sru.search_retrieve(f"{ztest}/Default", 'dc.title all "3 kittens"', maximum_records=2)
        assert response.number_of_records == 3
        assert [r.position for r in response.records] == [1, 2]
        first = response.records[0]
        assert (first.record_id, first.title, first.author) == ("11224466", "How to program a computer", "Jack Collins")
        assert first.marc is not None and first.marc["245"]["a"] == "How to program a computer"
        assert response.diagnostics == []

    def test_it_asks_for_at_most_maximum_records(self, ztest):
        response = sru.search_retrieve(f"{ztest}/Default", 'dc.title all "7 kittens"', maximum_records=5)
        assert (response.number_of_records, len(response.records)) == (7, 5)

    def test_it_reads_zero_hits(self, ztest):
        response = sru.search_retrieve(f"{ztest}/Default", 'dc.title all "0 kittens"')
        assert (response.number_of_records, response.records) == (0, [])

    def test_it_speaks_sru_1_2_too(self, ztest):
        response = sru.search_retrieve(f"{ztest}/Default", 'dc.title all "1 kittens"', version="1.2")
        assert response.number_of_records == 1 and response.records[0].title == "How to program a computer"

    def test_it_reads_holdings_of_opac_records(self, ztest):
        response = sru.search_retrieve(f"{ztest}/Default", 'dc.title all "1 kittens"', record_schema="OP")
        [holding] = response.records[0].holdings
        assert "MLCM 89/00602 (N)" in holding and holding.endswith("available")

    def test_the_citation_queries_are_cql_the_server_accepts(self, ztest):
        queries = sru.citation_queries(title="2 cities : a tale", author="Dickens, Charles", isbns=["9780226458083"])
        assert [q.by for q in queries] == ["ISBN", "title"]
        by_title = sru.search_retrieve(f"{ztest}/Default", queries[1].cql)
        assert queries[1].cql == 'dc.title all "2 cities" and dc.creator all "Dickens"'
        assert by_title.number_of_records == 2
        by_isbn = sru.search_citation(f"{ztest}/Default", queries[:1])
        assert by_isbn.query == 'bath.isbn="9780226458083"'
        assert by_isbn.number_of_records == 9780226458083  # yaz-ztest: a numeric term is the hit count

    def test_an_unsupported_index_falls_back_to_a_plain_term_query(self, ztest):
        # The server's CQL mapping has no bath.issn (diagnostic 16): the same term as a plain query works.
        [query] = sru.citation_queries(issn="0264-1615")
        with pytest.raises(sru.SRUDiagnosticError) as raised:
            sru.search_retrieve(f"{ztest}/Default", query.cql)
        assert raised.value.diagnostics[0].code == "16" and raised.value.unsupported_query
        assert "Unsupported index" in raised.value.message
        response = sru.search_citation(f"{ztest}/Default", [query])
        assert (response.query, response.number_of_records) == ('"0264-1615"', 264)

    def test_it_tries_the_title_when_the_identifier_finds_nothing(self, ztest):
        queries = sru.citation_queries(title="4 quartets", isbns=["0000000000"])
        response = sru.search_citation(f"{ztest}/Default", queries)
        assert (response.query, response.number_of_records) == ('dc.title all "4 quartets"', 4)

    def test_a_query_syntax_error_is_a_diagnostic(self, ztest):
        with pytest.raises(sru.SRUDiagnosticError) as raised:
            sru.search_retrieve(f"{ztest}/Default", "dc.title=(")
        assert raised.value.diagnostics[0].code == "10" and not raised.value.unsupported_query

    def test_an_unknown_database_is_an_http_error(self, ztest):
        with pytest.raises(sru.SRUHTTPError) as raised:
            sru.search_retrieve(f"{ztest}/NoSuchDatabase", 'dc.title all "1 x"')
        assert raised.value.status == 404 and raised.value.message == "HTTP 404 Not Found"

    def test_a_slow_server_times_out(self, ztest):
        started = time.monotonic()
        with pytest.raises(sru.SRUTimeout, match="no answer within 1 s"):
            sru.search_retrieve(f"{ztest}/Slow3", 'dc.title all "1 x"', timeout=1)
        assert time.monotonic() - started < 2.5

    def test_a_closed_port_is_a_connection_error(self):
        with pytest.raises(sru.SRUError, match="cannot connect"):
            sru.search_retrieve(f"http://127.0.0.1:{free_port()}/Default", '"x"', timeout=2)


# --- crafted answers ------------------------------------------------------------------------------


class TestCraftedAnswers:
    def test_it_sends_a_searchretrieve_get_and_keeps_the_base_urls_own_parameters(self, fake):
        url = fake.serve("params", sru_response([]))
        sru.search_retrieve(url + "?x-username=ill&maximumRecords=99", 'dc.title all "a b"', maximum_records=3)
        name, params = fake.requests[-1]
        assert params == {"x-username": "ill", "operation": "searchRetrieve", "version": "1.1",
                          "query": 'dc.title all "a b"', "startRecord": "1", "maximumRecords": "3",
                          "recordSchema": "marcxml"}

    @pytest.mark.parametrize("count", [0, 1, 5])
    def test_it_reads_zero_one_or_several_records(self, fake, count):
        records = [marc_record(f"R{i}", f"Title {i}", "Author, Ann", holdings=(f"Shelf {i}",)) for i in range(count)]
        url = fake.serve(f"count{count}", sru_response(records[:3], total=count))
        response = sru.search_retrieve(url, '"x"')
        assert response.number_of_records == count
        assert [(r.record_id, r.title, r.author, r.holdings) for r in response.records] == [
            (f"R{i}", f"Title {i}", "Author, Ann", [f"Shelf {i}"]) for i in range(min(count, 3))]

    def test_it_reads_koha_records_with_prefixes_items_and_identifiers(self, fake):
        response = sru.search_retrieve(fake.serve("koha", fixture_bytes("sru_koha_two_records.xml")), '"x"')
        kuhn, chinese = response.records
        assert kuhn.title == "The structure of scientific revolutions"
        assert (kuhn.author, kuhn.isbns, kuhn.oclc_numbers, kuhn.year) == ("Kuhn, Thomas S.", ["9780226458083"],
                                                                           ["12345"], "2012")
        assert kuhn.holdings == ["Peer Main Library — Stacks — 501 KUH", "Peer Science Library — 501 KUH c.2"]
        assert chinese.title == "科学革命的结构 : 第四版" and chinese.issns == ["0264-1615"]
        assert chinese.holdings == ["Peer University — East Asia Library — N09 .K8 2012"]

    def test_it_reads_string_packing_and_keeps_non_fatal_and_surrogate_diagnostics(self, fake):
        response = sru.search_retrieve(fake.serve("string", fixture_bytes("sru12_string_packing.xml")), '"x"')
        assert response.number_of_records == 12
        assert [(r.record_id, r.title, r.author) for r in response.records] == [("STR-1", "The hobbit",
                                                                                 "Tolkien, J. R. R.")]
        assert [d.code for d in response.diagnostics] == ["59", "64"]

    def test_a_fatal_diagnostic_is_an_error_with_its_message_and_details(self, fake):
        with pytest.raises(sru.SRUDiagnosticError) as raised:
            sru.search_retrieve(fake.serve("diag", fixture_bytes("sru_fatal_diagnostic.xml")), '"x"')
        assert raised.value.message == "Unsupported index (bath.isbn) [diagnostic 16]"

    def test_diagnostics_sent_with_an_http_error_status_win_over_the_status(self, fake):
        url = fake.serve("diag500", sru_response([], diagnostics=(("1", "General system error"),)), status=500)
        with pytest.raises(sru.SRUDiagnosticError, match="General system error"):
            sru.search_retrieve(url, '"x"')

    def test_an_http_error_without_diagnostics_is_an_http_error(self, fake):
        url = fake.serve("down", "<html><body>Service Unavailable</body></html>", status=503,
                         content_type="text/html")
        with pytest.raises(sru.SRUHTTPError) as raised:
            sru.search_retrieve(url, '"x"')
        assert raised.value.status == 503

    @pytest.mark.parametrize(("body", "message"), [
        (b"<zs:searchRetrieveResponse xmlns:zs='http://www.loc.gov/zing/srw/'><zs:numberOf",
         "not well-formed XML"),
        (b"", "empty response"),
        (b"<html><body>Welcome to our OPAC</body></html>", "not an SRU searchRetrieveResponse"),
        (b"<searchRetrieveResponse xmlns='http://www.loc.gov/zing/srw/'><numberOfRecords>many</numberOfRecords>"
         b"</searchRetrieveResponse>", "numberOfRecords is not a number"),
        (b"<searchRetrieveResponse xmlns='http://www.loc.gov/zing/srw/'/>", "numberOfRecords missing"),
    ])
    def test_an_answer_that_is_not_sru_is_a_response_error(self, fake, body, message):
        with pytest.raises(sru.SRUResponseError, match=message):
            sru.search_retrieve(fake.serve("bad", body), '"x"')

    @pytest.mark.parametrize("body", [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<searchRetrieveResponse xmlns='http://www.loc.gov/zing/srw/'><numberOfRecords>&b;</numberOfRecords>"
        b"</searchRetrieveResponse>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<searchRetrieveResponse xmlns='http://www.loc.gov/zing/srw/'><numberOfRecords>1</numberOfRecords>"
        b"<diagnostics><diagnostic><uri>&x;</uri></diagnostic></diagnostics></searchRetrieveResponse>",
    ])
    def test_entities_and_doctypes_are_refused(self, fake, body):
        with pytest.raises(sru.SRUResponseError, match="DOCTYPE"):
            sru.search_retrieve(fake.serve("entities", body), '"x"')

    def test_a_slow_answer_times_out(self, fake):
        url = fake.serve("slow", sru_response([]), delay=3)
        started = time.monotonic()
        with pytest.raises(sru.SRUTimeout):
            sru.search_retrieve(url, '"x"', timeout=1)
        assert time.monotonic() - started < 2.5

    def test_an_oversized_answer_is_refused(self, fake):
        records = [marc_record(f"R{i}", "x" * 1000) for i in range(20)]
        with pytest.raises(sru.SRUResponseError, match="larger than"):
            sru.search_retrieve(fake.serve("huge", sru_response(records)), '"x"', max_bytes=10_000)

    def test_only_http_base_urls_are_used(self):
        for url in ("file:///etc/passwd", "ftp://example.org/sru", "localhost:210/Default"):
            with pytest.raises(sru.SRUError, match="not an http"):
                sru.search_retrieve(url, '"x"')

    def test_the_fallback_reuses_the_plain_form_of_the_same_terms(self, fake):
        def answer(params):
            if "bath." in params["query"]:
                return sru_response([], diagnostics=(("16", "Unsupported index"),))
            return sru_response([marc_record("P1", "Plain")])

        url = fake.serve("fallback", answer)
        queries = sru.citation_queries(isbns=["9780226458083", "0226458083"])
        response = sru.search_citation(url, queries)
        assert fake.queries("fallback") == ['bath.isbn="9780226458083" or bath.isbn="0226458083"',
                                            '"9780226458083" or "0226458083"']
        assert response.records[0].record_id == "P1"


# --- building queries ------------------------------------------------------------------------------


def test_terms_are_quoted_and_masking_characters_escaped():
    assert sru.quote_term('say "hi" \\ *now?^') == '"say \\"hi\\" \\\\ \\*now\\?\\^"'


@pytest.mark.parametrize(("title", "words"), [
    ("The structure of scientific revolutions : 50th anniversary edition", ["The", "structure", "of",
                                                                           "scientific", "revolutions"]),
    ("Unthinking collaboration / A. Carly Buxton.", ["Unthinking", "collaboration"]),
    ("科学革命的结构", ["科学革命的结构"]),
    ("C++ & Java: a primer", ["C", "Java"]),
    ("", []),
])
def test_title_words_are_the_main_titles_words(title, words):
    assert sru.title_words(title) == words


@pytest.mark.parametrize(("author", "name"), [("Kuhn, Thomas S.", "Kuhn"), ("Thomas Kuhn", "Kuhn"),
                                              ("村上春树", "村上春树"), ("", ""), ("O'Brien, Flann", "O Brien")])
def test_the_author_is_searched_by_surname(author, name):
    assert sru.surname(author) == name


def test_citation_queries_go_from_identifiers_to_title():
    queries = sru.citation_queries(title="Flora", author="Linnaeus, Carl", isbns=["9780226458083"],
                                   issn="0264-1615")
    assert [(q.by, q.cql, q.plain) for q in queries] == [
        ("ISBN", 'bath.isbn="9780226458083"', '"9780226458083"'),
        ("ISSN", 'bath.issn="0264-1615"', '"0264-1615"'),
        ("title", 'dc.title all "Flora" and dc.creator all "Linnaeus"', '"Flora" and "Linnaeus"'),
    ]
    assert sru.citation_queries() == []
