"""Printing loads nothing from outside the document: a letter template edited in the admin cannot pull a
server file into a slip (WeasyPrint embeds file:// attachments) or make the server call an address of
its choosing. The barcodes (inline data: images) still print."""

from __future__ import annotations

import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from letters.models import LetterTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture
def probe():
    """A local web server that counts the requests it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"p { color: red; }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def test_an_edited_slip_template_cannot_reach_files_or_addresses(operator, world, probe, tmp_path, caplog):
    base, seen = probe
    secret = tmp_path / f"secret-{uuid.uuid4().hex}.txt"
    secret.write_text("database password: hunter2")
    LetterTemplate.objects.create(code="incoming_slip", language="en", active=True, html=(
        f'<link rel="stylesheet" href="{base}/style.css"><link rel="attachment" href="file://{secret}">'
        f'<img src="{base}/pixel.png"><img src="file:///etc/hostname"><p>{{{{ request.title }}}}</p>'
        "{{ barcodes.request }}"))
    client = Client()
    client.force_login(operator)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        response = client.get(f"/letters/request/lending/{world.ids['lending']}/slip/incoming_slip/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert seen == []  # the server was never asked
    refused = caplog.text
    assert f"file://{secret}" in refused and "disallowed protocol" in refused
    assert "file:///etc/hostname" in refused
    assert "data:image/svg+xml" not in refused  # the barcode loaded
    assert b"hunter2" not in response.content
