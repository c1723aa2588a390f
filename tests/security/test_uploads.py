"""Uploads: files shipped digitally from a lending request and attachments added in the admin get the same
size limit and type checks (name, declared type, content), hostile file names never leave the media
directory, and the partner CSV import refuses oversized and non-text files with a clear message.

The plain cases of the ship-digitally form (an .exe, an HTML file named .pdf, a wrong declared type, an
empty or too large file) are in tests/lending/test_shipping.py; these are the disguises and names."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from illdesk.models import Attachment
from lending.models import LendingRequest
from tests.factories import make_lending

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
BOUNDARY = "illdesk-test-boundary"


@pytest.fixture
def media(settings):
    return settings.MEDIA_ROOT  # a directory of this test's own (conftest)


@pytest.fixture
def copy_request(library, iso_partner):
    return make_lending(library, "created", partner=iso_partner, requested_format="digital", request_type="article")


def multipart(filename: str, data: bytes, content_type: str, **fields: str) -> bytes:
    """A form body exactly as a hostile browser could send it (the test client would tidy the name)."""
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
             f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n"]
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def ship(client, req, filename: str, data: bytes, content_type: str = "application/pdf"):
    url = reverse("lending:dialog", args=[req.pk, "ship_digitally"])
    return client.post(url, data=multipart(filename, data, content_type, note="here"),
                       content_type=f"multipart/form-data; boundary={BOUNDARY}")


def file_errors(response) -> str:
    return " ".join(response.context["form"].errors.get("file", []))


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("name", [
    "../../../../../tmp/evil.pdf",
    "..\\..\\..\\evil.pdf",
    "/etc/cron.d/evil.pdf",
    "....//....//evil.pdf",
    "%2e%2e%2fevil.pdf",
    "&#x2e;&#x2e;&#x2f;evil.pdf",
])
def test_a_path_in_the_file_name_stays_inside_the_media_directory(client, operator, copy_request, media, name,
                                                                   tmp_path):
    client.force_login(operator)
    response = ship(client, copy_request, name, PDF)
    assert response.status_code == 302, file_errors(response)
    attachment = Attachment.objects.get()
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(media.resolve() / "attachments")
    assert stored.read_bytes() == PDF
    assert "/" not in attachment.name and "\\" not in attachment.name and ".." not in attachment.file.name
    assert files_under(media) == [stored]
    assert not (tmp_path / "evil.pdf").exists() and not Path("/tmp/evil.pdf").exists()  # noqa: S108


def test_a_very_long_file_name_is_shortened_to_fit(client, operator, copy_request, media):
    client.force_login(operator)
    name = "a" * 240 + ".pdf"
    response = ship(client, copy_request, name, PDF)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert len(attachment.file.name) <= Attachment._meta.get_field("file").max_length
    assert attachment.file.name.endswith(".pdf") and attachment.name == name[:255]


@pytest.mark.parametrize(("name", "data", "content_type", "message"), [
    ("scan.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/png",
     "The file's content is not png."),
    ("scan.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg", "The file's content is not jpg."),
    ("scan.pdf", b"<!doctype html><html><body onload=alert(1)>%PDF-1.4</body></html>", "application/pdf",
     "The file's content is not pdf."),
    ("scan.pdf.html", PDF, "application/pdf", "Files of type “.html” cannot be shipped"),
    ("scan.svg", b"<svg/>", "image/svg+xml", "Files of type “.svg” cannot be shipped"),
    ("scan", PDF, "application/pdf", "Files of type “?” cannot be shipped"),
    ("scan.pdf", PDF, "text/html; charset=utf-8", "which does not fit “.pdf”"),
    ("scan.zip", PNG, "application/zip", "The file's content is not zip."),
])
def test_disguised_files_are_refused_with_a_clear_form_error(client, operator, copy_request, media, name, data,
                                                             content_type, message):
    client.force_login(operator)
    response = ship(client, copy_request, name, data, content_type)
    assert response.status_code == 400
    assert message in file_errors(response)
    assert message in response.content.decode().replace("&#x27;", "'").replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert LendingRequest.objects.get(pk=copy_request.pk).status == "created"
    assert not Attachment.objects.exists() and files_under(media) == []


def test_the_same_file_with_an_upper_case_extension_and_no_declared_type_is_taken(client, operator, copy_request,
                                                                                   media):
    client.force_login(operator)
    response = ship(client, copy_request, "SCAN.PDF", PDF, "application/octet-stream")
    assert response.status_code == 302
    assert Attachment.objects.get().name == "SCAN.PDF"


def test_the_size_limit_counts_bytes_exactly(client, operator, library, iso_partner, media, settings):
    settings.ILLDESK_MAX_UPLOAD_MB = 1
    client.force_login(operator)
    too_big = make_lending(library, "created", partner=iso_partner, requested_format="digital")
    response = ship(client, too_big, "big.pdf", PDF + b"x" * (1024 * 1024 - len(PDF) + 1))
    assert response.status_code == 400 and "The file is larger than 1 MB." in file_errors(response)
    assert files_under(media) == []
    just_fits = make_lending(library, "created", partner=iso_partner, requested_format="digital")
    response = ship(client, just_fits, "fits.pdf", PDF + b"x" * (1024 * 1024 - len(PDF)))
    assert response.status_code == 302
    assert Attachment.objects.get().size == 1024 * 1024


# --- attachments added in the admin --------------------------------------------------------------------


def admin_add(client, req, upload):
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(LendingRequest)
    data = {"content_type": ct.pk, "object_id": req.pk, "file": upload, "name": upload.name, "size": 0,
            "content_type_label": "", "created_at_0": "2025-01-01", "created_at_1": "12:00:00"}
    return client.post(reverse("admin:illdesk_attachment_add"), data)


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("page.html", b"<script>alert(1)</script>", "text/html"), "Files of type “.html” cannot be"),
    (SimpleUploadedFile("page.pdf", b"<script>alert(1)</script>", "application/pdf"), "The file's content is not pdf"),
    (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "The submitted file is empty."),
])
def test_the_attachment_admin_refuses_what_shipping_refuses(client, admin_user, copy_request, media, upload,
                                                            message):
    client.force_login(admin_user)
    response = admin_add(client, copy_request, upload)
    assert response.status_code == 200  # the admin shows the form again with the error
    errors = " ".join(response.context["adminform"].form.errors.get("file", []))
    assert message in errors
    assert not Attachment.objects.exists() and files_under(media) == []


def test_the_attachment_admin_refuses_files_over_the_limit(client, admin_user, copy_request, media, settings):
    settings.ILLDESK_MAX_UPLOAD_MB = 1
    client.force_login(admin_user)
    response = admin_add(client, copy_request, SimpleUploadedFile("big.pdf", PDF + b"x" * 1024 * 1024))
    assert "The file is larger than 1 MB." in " ".join(response.context["adminform"].form.errors["file"])
    assert not Attachment.objects.exists()


def test_the_attachment_admin_stores_an_allowed_file(client, admin_user, copy_request, media):
    client.force_login(admin_user)
    response = admin_add(client, copy_request, SimpleUploadedFile("letter.pdf", PDF, "application/pdf"))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert Path(attachment.file.path).resolve().is_relative_to(media.resolve())
    # an existing attachment can be edited without uploading its file again
    change = reverse("admin:illdesk_attachment_change", args=[attachment.pk])
    form = client.get(change).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "file"}
    data.update({"content_type": attachment.content_type_id, "name": "renamed.pdf", "created_at_0": "2025-01-01",
                 "created_at_1": "12:00:00", "uploaded_by": ""})
    assert client.post(change, data).status_code == 302
    assert Attachment.objects.get().name == "renamed.pdf"


# --- the partner CSV import ----------------------------------------------------------------------------


def test_the_partner_import_refuses_an_oversized_file(client, admin_user):
    client.force_login(admin_user)
    big = SimpleUploadedFile("partners.csv", b"code,name\n" + b"X,Y\n" * (5 * 1024 * 1024 // 4 + 1), "text/csv")
    response = client.post(reverse("integrations:import_partners"), {"file": big, "dry_run": "1"})
    assert response.status_code == 400 and "The file may be at most 5 MB." in response.content.decode()


def test_the_partner_import_refuses_a_binary_file_with_a_clear_message(client, admin_user):
    from partners.models import Partner

    client.force_login(admin_user)
    before = Partner.objects.count()
    upload = SimpleUploadedFile("partners.csv", PNG + b"\xff\xfe\x00\x81" * 100, "text/csv")
    response = client.post(reverse("integrations:import_partners"), {"file": upload})
    assert response.status_code in (200, 400)
    result = response.context["result"]
    assert result is not None and result.file_error
    assert Partner.objects.count() == before
