"""Fixtures of the letters tests: demo requests on both sides, a real SMTP server, strict templates,
in-process Celery, and helpers that read PDFs back with poppler and zbar."""

from __future__ import annotations

import datetime
import html
import re
import shutil
import socket
import subprocess
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from lending.models import BibRecord, Item
from letters import rendering
from tests.celery_eager import tasks_in_process
from tests.factories import make_borrowing, make_lending

MISSING = "<<MISSING:%s>>"


@pytest.fixture(autouse=True)
def eager_celery():
    """Deliver in-process even when REDIS_URL points at a broker (CI runs the suite both ways)."""
    with tasks_in_process(propagate=True):
        yield


@pytest.fixture
def strict_templates(monkeypatch):
    """Any variable a template uses that the context lacks shows up as <<MISSING:name>>."""
    monkeypatch.setattr(rendering.ENGINE, "string_if_invalid", MISSING)
    return "MISSING:"  # the HTML part shows it escaped (&lt;&lt;MISSING:…)


@pytest.fixture
def borrowing_request(library, email_partner, patron, pickup):
    library.address = "Yliopistonkatu 1\n00100 Helsinki"
    library.save()
    return make_borrowing(
        library, "received_physically", partner=email_partner, requester=patron, pickup_location=pickup,
        title="Äidinkielen opetus ja kääntäminen", author="Järvinen, Åsa", chapter_title="Luku 3",
        isbn="9789510000001", year="2021", temp_barcode="ILL-000123", external_id="MAIL-77",
        due_date=datetime.date(2025, 3, 14), requested_format="physical", request_note="Käsittele varoen",
    )


@pytest.fixture
def lending_request(library, email_partner):
    record = BibRecord.objects.create(record_id="991", title="Suomen historia", author="Meinander, Henrik")
    item = Item.objects.create(record=record, barcode="3900012345", library=library, location="Pääkirjasto",
                               call_number="92.7 MEI")
    return make_lending(library, "created", partner=email_partner, record=record, item=item,
                        title="Suomen historia", author="Meinander, Henrik", borrower_request_id="BRW-4242",
                        requester_name="Ökenäs, Pär", due_date=datetime.date(2025, 4, 1))


# --- a real SMTP server ------------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.arrived = threading.Event()
        self.refuse: set[str] = set()  # recipients answered with a permanent 550

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        self.arrived.set()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    inbox.controller = controller
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "illdesk@example.org"
    return settings


@pytest.fixture
def dead_smtp(settings):
    """SMTP settings pointing at a port nobody listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2
    return settings


# --- reading PDFs back ---------------------------------------------------------------------------------


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian: poppler-utils / zbar-tools)")
    return path


def pdf_text(data: bytes, tmp_path: Path, name: str = "out.pdf") -> str:
    need("pdftotext")
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run([need("pdftotext"), "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdf_info(data: bytes, tmp_path: Path) -> dict[str, str]:
    need("pdfinfo")
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    out = subprocess.run([need("pdfinfo"), str(path)], check=True, capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, _sep, v in (line.partition(":") for line in out.splitlines())}


def barcodes(data: bytes, tmp_path: Path, *, first: int = 1, last: int = 1) -> list[str]:
    """Code 128 values zbarimg finds on pages first..last rendered at 200 dpi."""
    need("pdftoppm")
    need("zbarimg")
    path = tmp_path / "codes.pdf"
    path.write_bytes(data)
    prefix = tmp_path / "page"
    subprocess.run([need("pdftoppm"), "-r", "200", "-png", "-f", str(first), "-l", str(last), str(path),
                    str(prefix)], check=True, capture_output=True)
    found = []
    for png in sorted(tmp_path.glob("page*.png")):
        result = subprocess.run([need("zbarimg"), "-q", "--raw", "-Sdisable", "-Scode128.enable", str(png)],
                                capture_output=True, text=True)
        found.extend(line for line in result.stdout.splitlines() if line)
    return found


def pdf_pages(data: bytes, tmp_path: Path, name: str = "pages.pdf") -> list[str]:
    """The text of each page (poppler), in order."""
    return pdf_text(data, tmp_path, name).split("\f")[:-1]


def pdf_outline(data: bytes, tmp_path: Path, name: str = "outline.pdf") -> list[tuple[int, str, str]]:
    """The bookmarks (poppler's pdftohtml): (depth, title, page) in document order."""
    need("pdftohtml")
    path = tmp_path / name
    path.write_bytes(data)
    xml = subprocess.run([need("pdftohtml"), "-xml", "-stdout", "-i", "-q", str(path)], check=True,
                         capture_output=True, text=True).stdout
    found, depth = [], 0
    for tag in re.finditer(r'<outline>|</outline>|<item page="(\d+)">([^<]*)</item>', xml):
        if tag.group(0) == "<outline>":
            depth += 1
        elif tag.group(0) == "</outline>":
            depth -= 1
        else:
            found.append((depth, html.unescape(tag.group(2)), tag.group(1)))
    return found
