"""Reading rendered HTML the way a browser would: the forms on a page, and any markup a payload managed
to turn into live elements (script, event handlers, javascript: URLs). The payloads all call
`alert(1)`: that marks them apart from the application's own scripts and handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser

MARK = "alert(1)"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcset"}


@dataclass
class Form:
    method: str
    action: str | None
    has_token: bool = False
    line: int = 0


class Page(HTMLParser):
    """One parse of a document: its forms, the text a reader sees, and what would run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.live: list[str] = []  # markup that would execute
        self.text: list[str] = []
        self.hx_posts = 0
        self.hx_csrf_header = False
        self._open_forms: list[Form] = []
        self._script: list[str] | None = None
        self._script_attrs: dict = {}

    # --- parsing -------------------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        line = self.getpos()[0]
        for name, value in values.items():
            if name.startswith("on") and MARK in value:
                self.live.append(f"line {line}: <{tag} {name}={value!r}>")
            if name in URL_ATTRIBUTES and "".join(value.split()).lower().startswith(("javascript:", "vbscript:")):
                self.live.append(f"line {line}: <{tag} {name}={value!r}>")
            if name == "srcdoc":  # a document of its own: sandboxed or not, nothing in it may run either
                if "sandbox" not in values or "allow-scripts" in values["sandbox"]:
                    self.live.append(f"line {line}: <{tag} srcdoc> without a script-free sandbox")
                inner = parse(value)
                self.live += [f"line {line} (inside srcdoc): {what}" for what in inner.live]
                self.text += inner.text
            if name in ("hx-post", "hx-put", "hx-patch", "hx-delete"):
                self.hx_posts += 1
            if name == "hx-headers":
                try:
                    self.hx_csrf_header |= bool(json.loads(value).get("X-CSRFToken"))
                except (ValueError, AttributeError):
                    pass
        if tag == "img" and values.get("src") == "x":
            self.live.append(f"line {line}: <img src=x …>")
        if tag == "form":
            form = Form(values.get("method", "get").lower(), values.get("action"), line=line)
            self.forms.append(form)
            self._open_forms.append(form)
        if tag == "input" and values.get("name") == "csrfmiddlewaretoken" and values.get("value") and self._open_forms:
            self._open_forms[-1].has_token = True
        if tag == "script":
            self._script, self._script_attrs = [], values

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._open_forms:
            self._open_forms.pop()
        if tag == "script" and self._script is not None:
            code = "".join(self._script)
            if MARK in code and self._script_attrs.get("type") != "application/json":  # json_script never runs
                self.live.append(f"<script>: {code[:80]!r}")
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)
        else:
            self.text.append(data)

    # --- questions -----------------------------------------------------------------------------------

    @property
    def post_forms(self) -> list[Form]:
        return [f for f in self.forms if f.method == "post"]

    def shows(self, payload: str) -> bool:
        """The payload is on the page as text a reader sees (escaped, so not markup)."""
        return payload in "".join(self.text)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def csrf_problems(document: str) -> list[str]:
    """POST forms without the token, and htmx POSTs on a page that does not send the token header."""
    page = parse(document)
    problems = [f"<form method=post action={f.action!r}> without the token (line {f.line})"
                for f in page.post_forms if not f.has_token]
    if page.hx_posts and not page.hx_csrf_header and "<html" in document[:500].lower():
        problems.append("hx-post on a page without the X-CSRFToken header")
    return problems
