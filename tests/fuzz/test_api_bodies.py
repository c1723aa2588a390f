"""POST /api/lending-requests gets the bodies an outside probe sent (issue 17 item 7) and a stream of
hypothesis-made JSON of random shape, from a partner with a valid token: deep nesting, lone surrogates,
NUL, huge numbers, wrong types, duplicate keys, bytes that are not UTF-8, overlong text. Never a 500:
a 400 whose JSON says which field and why, and no lending request made; the rare valid body a 201.
GET /api/lending-requests/<id> gets hostile ids and query strings."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from integrations import api
from integrations.models import ApiToken
from lending.models import LendingRequest

from .strategies import DATES, FORM_TEXT, NUMBERS, fuzz_settings, query_string
from .support import assert_no_server_error, rolled_back

pytestmark = pytest.mark.django_db

URL = "/api/lending-requests"
VALID = {"borrower_request_id": "FZ-1", "title": "Seitsemän veljestä"}
FIELDS = sorted(api.LendingRequestForm.base_fields)
ALL = "__all__"


@pytest.fixture
def token(iso_partner, library) -> str:
    token = ApiToken(partner=iso_partner, name="Fuzzed form")
    raw = api.issue_token(token)
    token.save()
    return raw


def body(**fields) -> bytes:
    """VALID with `fields` put in (json.dumps writes a lone surrogate as the escape "\\ud800")."""
    return json.dumps({**VALID, **fields}).encode()


def raw(text: str) -> bytes:
    return text.encode()


DEEP = 40_000  # under the 64 KB limit, far over Python's recursion limit

# (id, body, the field the answer must name: ALL for the body as a whole)
HOSTILE = [
    # nesting
    ("deep-lists", b"[" * DEEP, ALL),
    ("deep-lists-closed", b"[" * (DEEP // 2) + b"]" * (DEEP // 2), ALL),
    ("deep-objects", b'{"a":' * (DEEP // 5), ALL),
    ("deep-in-a-field", b'{"title": ' + b"[" * DEEP, ALL),
    ("nested-in-a-field", body(title=json.loads("[" * 200 + "]" * 200)), "title"),
    # lone surrogates
    ("surrogate-title", body(title="\ud800"), "title"),
    ("surrogate-in-text", body(title="Seitsemän \udfff veljestä"), "title"),
    ("surrogate-id", body(borrower_request_id="\udc00"), "borrower_request_id"),
    ("surrogate-author", body(author="Kivi\ud83d"), "author"),
    ("surrogate-note", body(request_note="\ud800" * 10), "request_note"),
    ("surrogate-level", body(level_of_service="\ud800"), "level_of_service"),
    ("surrogate-format", body(requested_format="\ud800"), "requested_format"),
    ("surrogate-date", body(needed_by="2027-01-31\ud800"), "needed_by"),
    ("surrogate-partner", body(partner="\ud800"), "partner"),
    ("surrogate-key", body(**{"\ud800": "x"}), ALL),
    ("surrogate-utf8-encoded", b'{"borrower_request_id": "X", "title": "\xed\xa0\x80"}', ALL),
    # huge numbers
    ("huge-float-title", raw('{"borrower_request_id": "X", "title": 1e999999}'), "title"),
    ("huge-negative-float", raw('{"borrower_request_id": "X", "title": -1e999999}'), "title"),
    ("huge-float-date", raw('{"borrower_request_id": "X", "title": "T", "needed_by": 1e999999}'), "needed_by"),
    ("huge-int-date", raw('{"borrower_request_id": "X", "title": "T", "last_interest_date": '
                          '123456789012345678901234567890}'), "last_interest_date"),
    ("huge-int-year", raw('{"borrower_request_id": "X", "title": "T", "year": 123456789012345678901234567890}'),
     "year"),
    ("int-past-python-limit", raw('{"borrower_request_id": "X", "title": ' + "9" * 5000 + "}"), "title"),
    ("tiny-float", raw('{"borrower_request_id": "X", "title": "T", "volume": 1e-999999}'), "volume"),
    ("nan", raw('{"borrower_request_id": "X", "title": NaN}'), ALL),
    ("infinity", raw('{"borrower_request_id": "X", "title": "T", "pages": -Infinity}'), ALL),
    # wrong types
    ("list-body", json.dumps([VALID]).encode(), ALL),
    ("number-title", body(title=42), "title"),
    ("number-id", body(borrower_request_id=7), "borrower_request_id"),
    ("float-year", body(year=2024.5), "year"),
    ("null-title", body(title=None), "title"),
    ("null-id", body(borrower_request_id=None), "borrower_request_id"),
    ("true-title", body(title=True), "title"),
    ("false-note", body(request_note=False), "request_note"),
    ("object-title", body(title={"text": "x"}), "title"),
    ("list-author", body(author=["a", "b"]), "author"),
    ("empty-list-isbn", body(isbn=[]), "isbn"),
    ("number-date", body(needed_by=20270131), "needed_by"),
    ("bool-date", body(last_interest_date=True), "last_interest_date"),
    ("list-date", body(needed_by=["2027-01-31"]), "needed_by"),
    ("object-date", body(needed_by={"year": 2027}), "needed_by"),
    ("number-format", body(requested_format=1), "requested_format"),
    ("bool-type", body(request_type=False), "request_type"),
    ("number-level", body(level_of_service=1), "level_of_service"),
    ("object-level", body(level_of_service={}), "level_of_service"),
    ("object-partner", body(partner={"code": "PEER"}), "partner"),
    ("number-partner", body(partner=0), "partner"),
    # bytes and syntax
    ("not-utf8", b'{"borrower_request_id": "X", "title": "\xff\xfe"}', ALL),
    ("latin-1", '{"borrower_request_id": "X", "title": "Seitsemän veljestä"}'.encode("latin-1"), ALL),
    ("utf-16", json.dumps(VALID).encode("utf-16"), ALL),
    ("cut-utf8", json.dumps({**VALID, "title": "Ω"}, ensure_ascii=False).encode()[:-3], ALL),
    ("whitespace", b" \n\t ", ALL),
    ("not-json", b"borrower_request_id=X&title=T", ALL),
    ("half-json", b'{"borrower_request_id": "X", "title": ', ALL),
    ("single-quotes", b"{'borrower_request_id': 'X', 'title': 'T'}", ALL),
    ("trailing-garbage", body() + b" {}", ALL),
    ("two-objects", body() + body(), ALL),
    ("scalar-number", b"1", ALL),
    ("scalar-string", b'"title"', ALL),
    ("scalar-null", b"null", ALL),
    ("scalar-true", b"true", ALL),
    ("empty-object", b"{}", "title"),
    # duplicate keys
    ("duplicate-title", b'{"borrower_request_id": "X", "title": "T", "title": "U"}', "title"),
    ("duplicate-unknown", b'{"borrower_request_id": "X", "title": "T", "x": 1, "x": 2}', "x"),
    # too long (the model's max_length)
    ("long-title", body(title="x" * 501), "title"),
    ("long-id", body(borrower_request_id="9" * 101), "borrower_request_id"),
    ("long-note", body(request_note="é" * 2001), "request_note"),
    ("long-level", body(level_of_service="L" * 31), "level_of_service"),
    ("long-astral", body(author="𝕳" * 301), "author"),
    # NUL
    ("nul-title", body(title="a\x00b"), "title"),
    ("nul-id", body(borrower_request_id="\x00"), "borrower_request_id"),
    ("nul-note", body(request_note="\x00" * 100), "request_note"),
    ("nul-date", body(needed_by="2027-01-31\x00"), "needed_by"),
    ("nul-level", body(level_of_service="\x00"), "level_of_service"),
    ("nul-format", body(requested_format="physical\x00"), "requested_format"),
    ("nul-partner", body(partner="PEER\x00"), "partner"),
    ("nul-key", body(**{"\x00": "x"}), ALL),
    # not what the fields allow
    ("bad-date", body(needed_by="2027-02-30"), "needed_by"),
    ("year-10000", body(needed_by="10000-01-01"), "needed_by"),
    ("bad-format", body(requested_format="vinyl"), "requested_format"),
    ("unknown-level", body(level_of_service="NOPE"), "level_of_service"),
    ("blank-title", body(title="   "), "title"),
]


def post(client, data: bytes, token: str, **extra):
    return client.post(URL, data=data, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}",
                       **extra)


def check_refused(response, field: str | None = None) -> dict:
    """A 400 whose JSON names the field(s) and the reason, and nothing created."""
    assert_no_server_error(response, URL)
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"] == "application/json"
    errors = response.json()["errors"]
    assert errors and all(isinstance(name, str) for name in errors)
    assert all(isinstance(msgs, list) and msgs and all(isinstance(m, str) and m for m in msgs)
               for msgs in errors.values()), errors
    if field is not None:
        assert field in errors, errors
    assert not LendingRequest.objects.exists()
    return errors


def check_created(response, sent: dict) -> None:
    """A 201 (200: a body sent again); what was stored reads back as sent."""
    assert response.status_code in (200, 201), response.content[:500]
    req = LendingRequest.objects.get(pk=response.json()["id"])
    for name in ("borrower_request_id", "title", "author", "requester_name", "request_note"):
        if isinstance(sent.get(name), str):
            assert getattr(req, name) == sent[name].strip(), name


@pytest.mark.parametrize("data, field", [(b, f) for _id, b, f in HOSTILE], ids=[i for i, _b, _f in HOSTILE])
def test_a_hostile_body_gets_a_400_that_says_why(client, token, data, field):
    check_refused(post(client, data, token), field)


def test_the_valid_neighbours_of_the_hostile_bodies_go_through(client, token):
    """The cases above are refused for what they are, not because the API refuses everything."""
    sent = {**VALID, "author": "Kivi 😀 Aleksis", "request_note": "x" * 2000, "needed_by": "2027-01-31",
            "title": "x" * 500}
    response = post(client, json.dumps(sent).encode(), token)
    assert response.status_code == 201, response.content
    check_created(response, sent)
    sent2 = {"borrower_request_id": "FZ-2", "title": "T", "author": None}  # null: the optional field not given
    response = post(client, ("\ufeff" + json.dumps(sent2, ensure_ascii=False)).encode(), token)
    assert response.status_code == 201, response.content


def test_an_empty_body_gets_a_400(client, token):
    response = client.post(URL, HTTP_AUTHORIZATION=f"Token {token}", CONTENT_TYPE="application/json",
                           CONTENT_LENGTH="0")
    check_refused(response)


@pytest.mark.parametrize("length", ["²", "٣", "-1", "1e3", " 12", ""])
def test_a_content_length_that_is_no_number_gets_a_411(client, token, length):
    response = post(client, body(), token, CONTENT_LENGTH=length)
    assert_no_server_error(response, URL)
    assert response.status_code == 411 and response.json()["errors"][ALL]
    assert not LendingRequest.objects.exists()


# --- hypothesis: JSON of random shape ------------------------------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 80), max_value=2 ** 80),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), FORM_TEXT, NUMBERS, DATES)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                        max_leaves=12)
CHOICES = {"request_type": ["book", "article", "chapter"], "requested_format": ["physical", "digital"],
           "partner": ["PEER", "peer", ""], "needed_by": ["2027-01-31"], "last_interest_date": ["2027-01-31"]}


@st.composite
def lending_objects(draw):
    """Mostly objects with the form's fields (the required ones often valid) and hostile values."""
    obj = {}
    if draw(st.booleans()):
        obj.update(VALID)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        valid = CHOICES.get(name, ["Kivi, Aleksis", "x"])
        obj[name] = draw(st.one_of(st.sampled_from(valid), FORM_TEXT, ANY_JSON))
    obj.update(draw(st.dictionaries(st.text(max_size=8), ANY_JSON, max_size=2)))
    return obj


def encode(value, ascii_only: bool, cut: int) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    data = text.encode("utf-8", "surrogatepass")  # a lone surrogate unescaped: bytes that are not UTF-8
    return data[:cut] if cut else data


def test_json_of_random_shape_never_gets_a_500(client, token):
    outcomes = set()

    @fuzz_settings(max_examples=60)
    @given(value=st.one_of(lending_objects(), lending_objects(), ANY_JSON), ascii_only=st.booleans(),
           cut=st.one_of(st.just(0), st.just(0), st.just(0), st.integers(1, 50)))
    @example(value={**VALID, "author": "\ud800"}, ascii_only=False, cut=0)
    @example(value={**VALID, "title": "\x00"}, ascii_only=True, cut=0)
    @example(value={**VALID, "year": float("inf")}, ascii_only=True, cut=0)
    @example(value=VALID, ascii_only=False, cut=0)
    def run(value, ascii_only, cut):
        data = encode(value, ascii_only, cut)
        with rolled_back():
            response = post(client, data, token)
            assert_no_server_error(response, f"{URL} {data[:200]!r}")
            assert response["Content-Type"] == "application/json"
            if len(data) > api.MAX_BODY_BYTES:
                assert response.status_code == 413 and not LendingRequest.objects.exists()
            elif response.status_code == 400:
                check_refused(response)
            else:
                check_created(response, value)
            outcomes.add(response.status_code)

    run()
    assert {400, 201} <= outcomes, f"only {outcomes}: widen the strategy"


# --- GET ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["0", "1", "99999999999999999999999999", "9" * 400, str(2 ** 63), str(2 ** 31),
                                  "-1", "%00", "abc", "1.0", "１", "²", "1%2F2", "1/", "%ff", "1?x=%00"])
def test_a_hostile_id_is_never_a_500(client, token, path):
    response = client.get(f"{URL}/{path}", HTTP_AUTHORIZATION=f"Token {token}")
    assert_no_server_error(response, path)
    assert response.status_code in (200, 404)


def test_hostile_query_strings_and_tokens_are_never_a_500(client, token, iso_partner):
    mine = post(client, body(), token).json()["id"]

    @fuzz_settings(max_examples=40)
    @given(query=query_string(["id", "pk", "format", "partner"]),
           header=st.one_of(st.just(f"Token {token}"), st.sampled_from(
               ["Token \x00", "Token " + "é" * 50, "token  " + token, "Token " + "x" * 201, "Token", ""]),
               st.text(max_size=30).map(lambda t: "Token " + t.encode("latin-1", "replace").decode("latin-1"))))
    def run(query, header):
        for url in (f"{URL}/{mine}?{query}", f"{URL}?{query}"):
            response = client.get(url, HTTP_AUTHORIZATION=header)
            assert_no_server_error(response, url)
            assert response["Content-Type"] == "application/json"
            assert response.status_code in (200, 401, 405), (url, response.status_code)

    run()
