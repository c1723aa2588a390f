"""Find the forms a page really shows, and throw hypothesis-made input at each of them.

`forms_on(response)` reads the HTML the way a browser would: every <form>, where it posts, the names
of its fields and the values its selects, radios, checkboxes, hidden inputs and buttons offer. `Fuzzer`
then posts (or, for GET forms, requests) hostile values for exactly those names plus unexpected keys,
each example in a savepoint that is rolled back, and collects every crash instead of stopping at the
first, so one run reports all the forms that still break.
"""

from __future__ import annotations

import os
import re
import time
import traceback
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import html as lxml_html

from .strategies import form_data, fuzz_settings, query_string
from .support import assert_no_server_error, rolled_back

# Would end the session the rest of the run needs (a rolled-back password change logs out too); the
# language switch is Django's own view.
SKIPPED_ACTIONS = ("/logout/", "/password_change/", "/i18n/setlang/")


@dataclass(frozen=True)
class Form:
    action: str  # path and query string
    method: str  # "get" or "post"
    fields: tuple[str, ...]
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    multipart: bool = False
    files: tuple[str, ...] = ()  # <input type="file"> names: sent as uploads

    @property
    def pattern(self) -> str:
        """Action (ids replaced), method and field names: one form of each kind is fuzzed, not one per row."""
        path = re.sub(r"/\d+(?=/|$)", "/<id>", urlsplit(self.action).path)
        return f"{path} {self.method} {','.join(sorted(self.fields))}"


def forms_on(response, page: str) -> list[Form]:
    """The forms of an HTML response (none for other content)."""
    if not response.get("Content-Type", "").startswith("text/html") or not response.content.strip():
        return []
    tree = lxml_html.fromstring(response.content)
    found = []
    for form in tree.iter("form"):
        action = urljoin(page, form.get("action") or page)
        parts = urlsplit(action)
        if parts.netloc not in ("", "testserver") or parts.path.endswith(SKIPPED_ACTIONS):
            continue
        names: list[str] = []
        choices: dict[str, list[str]] = {}
        for el in form.iter("input", "select", "textarea", "button"):
            name = el.get("name")
            if not name:
                continue
            if name not in names:
                names.append(name)
            values = choices.setdefault(name, [])
            if el.tag == "select":
                values += [o.get("value", o.text_content()) for o in el.iter("option")]
            elif el.get("value") is not None and (el.tag == "button" or el.get("type") in (
                    "hidden", "radio", "checkbox", "submit")):
                values.append(el.get("value"))
        names = [n for n in names if n != "csrfmiddlewaretoken"]
        # A submit button may post the same fields elsewhere (formaction): each target is a form of its own.
        targets = [action] + [urljoin(page, b.get("formaction")) for b in form.iter("button", "input")
                              if b.get("formaction")]
        for target in dict.fromkeys(targets):
            parts = urlsplit(target)
            found.append(Form(
                action=parts.path + (f"?{parts.query}" if parts.query else ""),
                method=(form.get("method") or "get").lower(), fields=tuple(names),
                choices=tuple((k, tuple(dict.fromkeys(v))) for k, v in choices.items() if v and k in names),
                multipart=form.get("enctype", "") == "multipart/form-data",
                files=tuple(el.get("name") for el in form.iter("input")
                            if el.get("type") == "file" and el.get("name"))))
    return found


def links_on(response, page: str) -> list[str]:
    """The site paths (with query) an HTML response links to."""
    if not response.get("Content-Type", "").startswith("text/html") or not response.content.strip():
        return []
    found = []
    for a in lxml_html.fromstring(response.content).iter("a"):
        parts = urlsplit(urljoin(page, a.get("href") or ""))
        if parts.netloc in ("", "testserver") and parts.path:
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return list(dict.fromkeys(found))


# The same value in every field: each of these once broke a page somewhere.
SEED_VALUES = ["nul\x00here", "9" * 25, "²", "x" * 5000, "", "\x01\x1f\x7f"]


# Read by views straight from the request whatever the form shows: a note, where to go back, the ids.
SEED_EXTRA = ("note", "next", "ids")


def seeds(form: Form) -> list[list[tuple[str, str]]]:
    """Deterministic examples run before the random ones, so a short run still meets every classic:
    NUL (PostgreSQL refuses it), digits past 64 bits, "²" (str.isdigit() says yes, int() says no),
    a huge string, nothing at all, control characters — in every field and in SEED_EXTRA."""
    names = [*form.fields, *(n for n in SEED_EXTRA if n not in form.fields)]
    return [[(name, value) for name in names] for value in SEED_VALUES]


UPLOAD_NAMES = ["scan.pdf", "../../etc/passwd", "x\x00.csv", "", "Ω.txt", "a" * 300 + ".png", "run.exe"]


def upload(value: str) -> SimpleUploadedFile:
    """A file for an upload field: the drawn text is its content, its name one of a few bad ones."""
    name = UPLOAD_NAMES[len(value) % len(UPLOAD_NAMES)] or "noname"
    return SimpleUploadedFile(name, value.encode("utf-8", "surrogatepass"), "application/octet-stream")


def urlencoded(pairs) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


@dataclass
class Fuzzer:
    """One logged-in client, the forms already fuzzed (by pattern) and the crashes found."""

    client: object
    capture: object  # django_capture_on_commit_callbacks: side effects run, as after a real commit
    examples: int = 8
    seen: set = field(default_factory=set)
    failures: list = field(default_factory=list)
    timings: list = field(default_factory=list)

    def send(self, method: str, path: str, body: str | None = None, *, htmx: bool = False, multipart=None):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        with self.capture(execute=True):
            if method == "get":
                return self.client.get(path, **headers)
            if multipart is not None:
                return self.client.post(path, multipart, **headers)
            return self.client.post(path, body or "", content_type="application/x-www-form-urlencoded",
                                    **headers)

    def page(self, path: str, *, htmx: bool = False) -> list[Form]:
        """GET a page (inside a rolled-back savepoint: opening Edit takes a lock) and return its forms."""
        return self.visit(path, htmx=htmx)[0]

    def visit(self, path: str, *, htmx: bool = False) -> tuple[list[Form], list[str]]:
        """GET a page: its forms and the paths it links to."""
        try:
            with rolled_back():
                response = self.send("get", path, htmx=htmx)
                assert_no_server_error(response, f"GET {path}")
                return forms_on(response, path), links_on(response, path)
        except Exception as exc:  # noqa: BLE001 - collected, reported together at the end
            self.failures.append(f"GET {path}{' (htmx)' if htmx else ''}:\n{_describe(exc)}")
            return [], []

    def fuzz_forms(self, forms: list[Form], check=None) -> None:
        for form in forms:
            if form.pattern in self.seen:
                continue
            self.seen.add(form.pattern)
            self.fuzz(form, check)

    def fuzz(self, form: Form, check=None) -> None:
        choices = {k: list(v) for k, v in form.choices}
        if form.method == "get":
            data = query_string(list(form.fields), values=choices)
        else:
            data = form_data(list(form.fields), choices=choices)
        path = form.action.split("?")[0] if form.method == "get" else form.action

        @fuzz_settings(self.examples)
        @given(data=data, htmx=st.booleans(), junk=st.sampled_from(["", "&%ff%fe=%c3%28", "&note=%00%01", "&=&&"]))
        def run(data, htmx, junk):
            with rolled_back():
                if form.method == "get":
                    response = self.send("get", f"{path}?{data}", htmx=htmx)
                elif form.multipart:
                    merged: dict[str, list] = {}
                    for k, v in data:
                        merged.setdefault(k.replace("\x00", ""), []).append(upload(v) if k in form.files else v)
                    response = self.send("post", path, htmx=htmx, multipart=merged)
                else:
                    response = self.send("post", path, urlencoded(data) + junk, htmx=htmx)
                assert_no_server_error(response, f"{form.method.upper()} {path}")
                if check is not None:
                    check(form, data, response)

        started = time.monotonic()
        for seed in seeds(form):
            run = example(data=seed if form.method == "post" else urlencoded(seed), htmx=False, junk="")(run)
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collected, reported together at the end
            self.failures.append(f"{form.method.upper()} {form.action} (fields {', '.join(form.fields)}):\n"
                                 f"{_describe(exc)}")
        self.timings.append((time.monotonic() - started, form.pattern[:100]))

    def assert_clean(self) -> None:
        if os.environ.get("FUZZ_TIMINGS"):  # where the time goes: FUZZ_TIMINGS=1 pytest -s …
            print("\n".join(f"{t:6.2f}s {p}" for t, p in sorted(self.timings, reverse=True)[:15]))
        assert not self.failures, f"{len(self.failures)} form(s) crashed:\n\n" + "\n\n".join(self.failures)


def _describe(exc: BaseException) -> str:
    """The traceback without the frames of installed packages, and hypothesis' failing example."""
    kept, keep = [], True
    for line in "".join(traceback.format_exception(exc)).splitlines():
        stripped = line.lstrip(" |")
        if stripped.startswith("File "):
            keep = "site-packages" not in stripped
        elif not line.startswith((" ", "|")) and not stripped.startswith(("^", "~")):
            keep = True
        if keep and not set(stripped) <= set("^~ "):
            kept.append(line)
    return "\n".join(kept[-60:])[-8000:]
