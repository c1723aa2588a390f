"""Fixtures of the integrations tests: in-process Celery, a recorder standing in for the partner
notifications, a local HTTP server that plays Libris, and a Libris profile with its code mapping."""

from __future__ import annotations

import datetime
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from integrations.models import IntegrationProfile, LibraryCodeMapping
from tests.celery_eager import tasks_in_process


@pytest.fixture(autouse=True)
def eager_celery():
    """Tasks run in-process even when REDIS_URL points at a broker (CI runs the suite both ways)."""
    with tasks_in_process(propagate=False):
        yield


@dataclass
class Notified:
    calls: list[tuple[Any, str, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0
    fail_for: set[int] = field(default_factory=set)

    def __call__(self, req, event: str, *, by=None, note: str = "", **details) -> None:
        if req.pk in self.fail_for:
            raise RuntimeError("partner unreachable")
        if self.delay:
            time.sleep(self.delay)  # keep the transaction open so a second worker meets the lock
        with self.lock:
            self.calls.append((req.pk, event, {"note": note, **details}))

    def events(self, event: str | None = None) -> list[int]:
        return [pk for pk, e, _d in self.calls if event is None or e == event]


@pytest.fixture
def notified(monkeypatch) -> Notified:
    """Records every partner notification the jobs' actions send (instead of ISO messages / letters): the
    sides' actions reach partners.notify.notify_partner, which decides between a message and a letter."""
    recorder = Notified()
    monkeypatch.setattr("partners.notify.notify_partner", recorder)
    return recorder


# --- a local Libris ---------------------------------------------------------------------------------


@dataclass
class FakeLibris:
    url: str
    status: int = 200
    body: Any = field(default_factory=lambda: {"count": 0, "ill_requests": []})
    delay: float = 0.0
    api_key: str = "secret-key"
    requests: list[dict] = field(default_factory=list)

    def serve(self, records: list[Any], **extra: Any) -> None:
        self.status, self.body = 200, {"count": len(records), "ill_requests": records, **extra}


def _handler(fake: FakeLibris):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            fake.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
            if fake.delay:
                time.sleep(fake.delay)
            if self.headers.get("api-key") != fake.api_key:
                self._send(401, b'{"error": "Unauthorized"}')
                return
            body = fake.body if isinstance(fake.body, bytes) else json.dumps(fake.body).encode()
            self._send(fake.status, body)

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def libris():
    fake = FakeLibris(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/librisfjarrlan/api"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def profile(library, libris) -> IntegrationProfile:
    profile = IntegrationProfile.objects.create(
        code="LIBRIS", name="Libris", base_url=libris.url, library_code="Hig", resource_sharing_library=library,
        api_key="secret-key", harvest_start_date=datetime.date(2026, 11, 1), timeout_seconds=5,
    )
    LibraryCodeMapping.objects.create(profile=profile, external_code="Hig", library=library)
    return profile


def libris_record(lf_number: str, **fields: Any) -> dict[str, Any]:
    """A Libris ILL request as the API sends it (fields as public Libris integrations read them)."""
    record = {
        "request_id": f"REQ-{lf_number}", "lf_number": lf_number, "status": "Läst", "xstatus": "",
        "media_type": "Lån", "title": "Röda rummet", "author": "Strindberg, August", "isbn_issn": "9789100000000",
        "year": "1879", "imprint": "Bonnier", "place_of_publication": "Stockholm", "volume_designation": "",
        "pages": "", "title_of_article": "", "author_of_article": "", "message": "",
        "end_user": {"first_name": "Greta", "last_name": "Garbo", "email": "greta@example.org",
                     "library_card": "L123"},
        "receiving_library": {"name": "Högskolan i Gävle", "library_code": "Hig"},
        "recipients": [
            {"library_code": "PEER", "library_id": 1, "location": "", "response": "", "is_active_library": True},
        ],
        "last_modified": "2026-11-20 10:00:00",
    }
    record.update(fields)
    return record
