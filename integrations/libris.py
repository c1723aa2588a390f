"""A small client for the Libris ILL API ("Libris fjärrlån").

    GET {base}/illrequests/{sigil}/outgoing?start_date=YYYY-MM-DD&end_date=YYYY-MM-DD
    header  api-key: <key>
    answer  {"count": N, "ill_requests": [{...}, ...]}

Each request is keyed by its `lf_number`. The client only fetches and checks the envelope; what a
record means is decided in integrations/importing.py.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

MAX_RESPONSE_BYTES = 50 * 1024 * 1024
USER_AGENT = "illdesk (Libris ILL import)"


class LibrisError(Exception):
    """The call failed as a whole: nothing could be imported. The message is for the run report."""


@dataclass
class LibrisBatch:
    count: int | None
    records: list[Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class LibrisClient:
    base_url: str
    sigil: str
    api_key: str = ""
    timeout: float = 30.0

    def outgoing_url(self, start: date, end: date) -> str:
        query = urlencode({"start_date": start.isoformat(), "end_date": end.isoformat()})
        return f"{self.base_url.rstrip('/')}/illrequests/{quote(self.sigil, safe='')}/outgoing?{query}"

    def outgoing(self, start: date, end: date) -> LibrisBatch:
        """Our outgoing (borrowing) requests made between `start` and `end`, both included."""
        return parse_envelope(self._get(self.outgoing_url(start, end)))

    def _get(self, url: str) -> bytes:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.api_key:
            headers["api-key"] = self.api_key
        request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 (admin-set URL)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise LibrisError(
                    f"Libris refused the request (HTTP {exc.code}): check the API key and the library code "
                    f"“{self.sigil}” in the integration profile."
                ) from exc
            raise LibrisError(f"Libris answered HTTP {exc.code} {exc.reason}; nothing was imported.") from exc
        except TimeoutError as exc:
            raise LibrisError(f"Libris did not answer within {self.timeout:g} seconds; nothing was imported.") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise LibrisError(
                    f"Libris did not answer within {self.timeout:g} seconds; nothing was imported.") from exc
            raise LibrisError(f"Could not reach Libris at {self.base_url}: {exc.reason}") from exc
        except (OSError, ValueError) as exc:
            raise LibrisError(f"Could not read Libris's answer: {exc}") from exc
        if len(body) > MAX_RESPONSE_BYTES:
            raise LibrisError(f"Libris's answer is larger than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB.")
        return body


def parse_envelope(body: bytes) -> LibrisBatch:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LibrisError(f"Libris's answer is not JSON ({exc}).") from exc
    if not isinstance(data, dict):
        raise LibrisError("Libris's answer is not a JSON object with “ill_requests”.")
    records = data.get("ill_requests")
    if records is None:
        if data.get("count") in (0, "0"):
            return LibrisBatch(count=0, records=[])
        raise LibrisError("Libris's answer has no “ill_requests” list.")
    if not isinstance(records, list):
        raise LibrisError("“ill_requests” in Libris's answer is not a list.")
    notes = []
    count = data.get("count")
    try:
        count = int(count) if count is not None else None
    except (TypeError, ValueError):
        notes.append(f"Libris sent a count that is not a number: {count!r}")
        count = None
    if count is not None and count != len(records):
        notes.append(f"Libris said count={count} but sent {len(records)} requests.")
    return LibrisBatch(count=count, records=records, notes=notes)
