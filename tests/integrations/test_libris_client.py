"""The Libris ILL API client against a local HTTP server that answers like Libris."""

from __future__ import annotations

import datetime

import pytest

from integrations.libris import LibrisClient, LibrisError, parse_envelope

from .conftest import libris_record

START, END = datetime.date(2026, 11, 1), datetime.date(2026, 11, 23)


def _client(libris, **kw) -> LibrisClient:
    return LibrisClient(base_url=libris.url, sigil=kw.pop("sigil", "Hig"), api_key=kw.pop("api_key", "secret-key"),
                        timeout=kw.pop("timeout", 5))


def test_it_asks_for_our_outgoing_requests_with_the_api_key(libris):
    libris.serve([libris_record("LF1"), libris_record("LF2")])
    batch = _client(libris).outgoing(START, END)
    assert [r["lf_number"] for r in batch.records] == ["LF1", "LF2"]
    assert batch.count == 2 and batch.notes == []
    sent = libris.requests[0]
    assert sent["path"] == "/librisfjarrlan/api/illrequests/Hig/outgoing?start_date=2026-11-01&end_date=2026-11-23"
    assert sent["headers"]["api-key"] == "secret-key"


def test_a_wrong_api_key_says_so(libris):
    with pytest.raises(LibrisError, match=r"HTTP 401.*API key"):
        _client(libris, api_key="wrong").outgoing(START, END)


def test_a_server_error_is_reported(libris):
    libris.status, libris.body = 500, {"error": "boom"}
    with pytest.raises(LibrisError, match="HTTP 500"):
        _client(libris).outgoing(START, END)


def test_a_slow_server_times_out(libris):
    libris.delay = 1.5
    with pytest.raises(LibrisError, match="did not answer within 0.5 seconds"):
        _client(libris, timeout=0.5).outgoing(START, END)


def test_nobody_listening_is_reported():
    client = LibrisClient(base_url="http://127.0.0.1:9/api", sigil="Hig", api_key="k", timeout=2)
    with pytest.raises(LibrisError, match="Could not reach Libris"):
        client.outgoing(START, END)


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>not json</html>", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"count": 3}', "no “ill_requests”"),
    (b'{"count": 1, "ill_requests": {"lf_number": "x"}}', "not a list"),
])
def test_a_malformed_envelope_is_reported(libris, body, message):
    libris.status, libris.body = 200, body
    with pytest.raises(LibrisError, match=message):
        _client(libris).outgoing(START, END)


def test_envelope_quirks_are_noted_not_fatal():
    assert parse_envelope(b'{"count": 0}').records == []
    batch = parse_envelope(b'\xef\xbb\xbf{"count": 5, "ill_requests": [{"lf_number": "1"}]}')
    assert len(batch.records) == 1 and "count=5" in batch.notes[0]
    assert parse_envelope(b'{"count": "many", "ill_requests": []}').notes
