"""Hostile values for the fuzz tests: text, numbers, dates and query strings as clients really send them.

Every strategy mixes a few hand-picked troublemakers (found in real crashes: NUL, "²" which
str.isdigit() accepts but int() refuses, integers past 64 bits, year 0 after a time-zone shift) with
generated text, so a short deterministic run still meets each of them.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def fuzz_settings(max_examples: int):
    """Deterministic, no deadline (the first example of a page pays for template compilation).
    FUZZ_SCALE=20 in the environment runs twenty times as many examples, for a deeper hunt."""
    scale = int(os.environ.get("FUZZ_SCALE", "1") or 1)
    return settings(max_examples=max_examples * scale, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much,
                                           HealthCheck.large_base_example])


# Characters XML 1.0 allows (so lxml can write them into a message).
XML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",),
                                 exclude_characters="".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32),
                                                                      0xFFFE, 0xFFFF]))),
                   max_size=40)

NASTY_WORDS = [
    "", " ", "\t\n", "²", "٣", "0", "-1", "00", "9" * 30, "1e400", "NaN", "inf", "-0", "1.5", "1,5",
    "None", "null", "undefined", "true", "[]", "{}", "<b>x</b>", "&amp;", "' OR 1=1 --", "%", "%00", "_",
    "\\", "..", "../../etc/passwd", "javascript:alert(1)", "Ω≈ç√∫", "𝕳𝖊𝖑𝖑𝖔", "👩‍👩‍👧", "\u202etxet",
    "\ufeff", "\u00a0", "Zürich", "İstanbul", "ß", "\x1f", "\x7f", "\u2028",
]

# Text a browser or a script may put in any form field (control characters and NUL included).
FORM_TEXT = st.one_of(
    st.sampled_from(NASTY_WORDS),
    st.sampled_from(["\x00", "a\x00b", "\x00" * 3, "\x01\x02\x03", "\x1b[31mred", "line\r\nbreak"]),
    st.text(max_size=30),
    st.text(st.characters(max_codepoint=0x20), max_size=8),
    st.builds(lambda c, n: c * n, st.sampled_from(["x", "é", "\x00", "9", " ", "Ω"]),
              st.sampled_from([255, 256, 1001, 5000, 70_000])),
)

NUMBERS = st.one_of(
    st.sampled_from(["0", "-1", "1", "²", "٣", "9" * 20, "9" * 40, "1e10", "1E-5", "-0.00", "0.005", "1.123",
                     "NaN", "Infinity", "-Infinity", "12,50", " 3 ", "0x1f", "1_000", "99999999.99",
                     "100000000000", "-5", ""]),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)

DATES = st.one_of(
    st.sampled_from(["2024-02-30", "2025-13-01", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01",
                     "2024-1-1", "01/02/2024", "2.3.2024", "tomorrow", "2024-02-29", "1900-01-01",
                     "2025-06-01T12:00", "-2024-01-01", "२०२४-०१-०१", "20240101", ""]),
    st.dates().map(str),
)

ANY_VALUE = st.one_of(FORM_TEXT, NUMBERS, DATES)

# Names the views read straight from request.GET / request.POST (not only through a form): every
# fuzzed form may get some of them too.
VIEW_PARAMS = ["ids", "op", "status", "tag", "next", "note", "kind", "cancel", "record", "download", "send",
               "language", "size", "fmt", "mode", "code", "batch", "batch_name", "page", "q", "sort", "format",
               "pair", "previous_type", "lookup", "change_type", "shown_code", "fingerprint", "dry_run"]


def form_data(fields: list[str], *, choices: dict[str, list[str]] | None = None, max_extra: int = 2):
    """POST bodies for a form with `fields`: each field missing, once, or repeated, with hostile or
    (for choice fields) valid values, plus unexpected keys."""
    choices = choices or {}

    def value_for(name: str):
        valid = choices.get(name)
        return st.one_of(st.sampled_from(valid), ANY_VALUE) if valid else ANY_VALUE

    def entries(name: str):
        return st.lists(value_for(name), min_size=0, max_size=2).map(lambda vs: [(name, v) for v in vs])

    odd_keys = st.sampled_from(["csrfmiddlewaretoken", "id", "__proto__", "", "\x00", "a" * 300])
    extra = st.lists(st.tuples(st.one_of(st.sampled_from(VIEW_PARAMS), odd_keys, st.text(max_size=10)), ANY_VALUE),
                     max_size=max_extra)
    return st.tuples(st.tuples(*[entries(f) for f in fields]) if fields else st.just(()), extra).map(
        lambda t: [pair for group in t[0] for pair in group] + list(t[1]))


def query_string(keys: list[str], *, values: dict[str, list[str]] | None = None):
    """Query strings over `keys`, percent-encoded as a browser would, sometimes with raw junk after them
    (bytes that are not UTF-8, bad escapes, keys without values)."""
    values = values or {}

    def pair(key: str):
        valid = values.get(key, [])
        val = st.one_of(st.sampled_from(valid), ANY_VALUE) if valid else ANY_VALUE
        return st.tuples(st.just(key), val)

    text_pairs = st.lists(st.one_of(*[pair(k) for k in keys], st.tuples(FORM_TEXT, FORM_TEXT)), max_size=6).map(
        lambda ps: "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in ps))
    raw_junk = st.sampled_from(["%ff%fe=%c3%28", "q=%e9t%e9", "%", "q=%zz", "&&&", "=", "page", "page=1&page=2",
                                "q=%00", "status=%00&sort=%00", "a=" + "%41" * 3000, "q[]=1&q[x]=2"])
    return st.tuples(text_pairs, raw_junk, st.booleans()).map(lambda t: t[0] + ("&" + t[1] if t[2] else ""))
