"""A logged-in operator talking to the live server over real HTTP (urllib: no extra dependency), and the
pieces of a page the race tests read: the messages shown, the refusal, the status, the row actions."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar

from partners.iso18626 import parse

TIMEOUT = 60  # a request waiting on a row lock stays blocked until the other transaction ends

_ALERT = re.compile(r'role="alert">(.*?)</p>', re.S)
_MESSAGE = re.compile(r'<li class="msg-(\w+)">(.*?)</li>', re.S)
_STATUS = re.compile(r'<span class="status status-(\w+)">')
_ACTION = re.compile(r'id="action-([\w-]+)"')


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


@dataclass
class Page:
    status: int
    url: str
    text: str

    @property
    def refusal(self) -> str:
        """The message of the "That could not be done" page (or an error shown in a form)."""
        found = _ALERT.search(self.text)
        return _text(found.group(1)) if found else ""

    @property
    def messages(self) -> list[tuple[str, str]]:
        """(level, text) of the messages at the top of the page."""
        return [(level, _text(text)) for level, text in _MESSAGE.findall(self.text)]

    @property
    def request_status(self) -> str:
        found = _STATUS.search(self.text)
        return found.group(1) if found else ""

    @property
    def actions(self) -> list[str]:
        return _ACTION.findall(self.text)


class Operator:
    """One member of staff with a browser of their own: a cookie jar, a session, a CSRF token."""

    def __init__(self, base_url: str, username: str, password: str | None = None) -> None:
        self.base_url = base_url
        self.username = username
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        login = self.get("/login/")
        assert login.status == 200, login.text[:300]
        home = self.post("/login/", {"username": username, "password": password or username})
        assert home.status == 200 and "/login/" not in home.url, f"{username} could not log in"

    def _cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return Page(response.status, response.geturl(), response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:  # 4xx/5xx pages are answers too: the test reads them
            with exc:
                return Page(exc.code, exc.geturl(), exc.read().decode("utf-8", errors="replace"))

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base_url + path))

    def post(self, path: str, data: dict | list) -> Page:
        """POST a form the way the page's own form does (CSRF token included); redirects are followed,
        so the page returned is the one the operator sees next."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        body = urllib.parse.urlencode([*pairs, ("csrfmiddlewaretoken", self._cookie("csrftoken"))]).encode()
        request = urllib.request.Request(self.base_url + path, data=body, method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        return self._open(request)


def post_iso(base_url: str, body: bytes):
    """POST an ISO 18626 message as the partner's system does; returns (HTTP status, confirmation)."""
    request = urllib.request.Request(base_url + "/iso18626", data=body, method="POST",
                                     headers={"Content-Type": "application/xml"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - the live server
            status, content, kind = response.status, response.read(), response.headers["Content-Type"]
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()
    assert kind.startswith("application/xml"), kind
    return status, parse(content)
