"""What a file stored on a request (an Attachment) may be: one size limit and one list of allowed types,
checked by name, by the media type the browser sent, and by how the content starts — for the lending
"Ship item digitally" upload and the attachment admin alike."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

# Extension → (media types browsers send for it, how the file starts). One file only: several files go
# in a zip (seed 002).
ALLOWED_UPLOADS: dict[str, tuple[frozenset[str], tuple[bytes, ...]]] = {
    ".pdf": (frozenset({"application/pdf", "application/x-pdf"}), (b"%PDF-",)),
    ".zip": (frozenset({"application/zip", "application/x-zip-compressed"}), (b"PK\x03\x04", b"PK\x05\x06")),
    ".jpg": (frozenset({"image/jpeg"}), (b"\xff\xd8\xff",)),
    ".jpeg": (frozenset({"image/jpeg"}), (b"\xff\xd8\xff",)),
    ".png": (frozenset({"image/png"}), (b"\x89PNG\r\n\x1a\n",)),
    ".tif": (frozenset({"image/tiff"}), (b"II*\x00", b"MM\x00*")),
    ".tiff": (frozenset({"image/tiff"}), (b"II*\x00", b"MM\x00*")),
}
UNSPECIFIC = frozenset({"application/octet-stream", ""})


def max_upload_mb() -> int:
    return int(getattr(settings, "ILLDESK_MAX_UPLOAD_MB", 50))


def check_upload(upload):
    """The upload, or a ValidationError saying what is wrong with it."""
    limit = max_upload_mb() * 1024 * 1024
    if upload.size > limit:
        raise forms.ValidationError(_("The file is larger than %(mb)d MB.") % {"mb": max_upload_mb()})
    if upload.size == 0:
        raise forms.ValidationError(_("The file is empty."))
    extension = Path(upload.name).suffix.lower()
    if extension not in ALLOWED_UPLOADS:
        raise forms.ValidationError(_("Files of type “%(ext)s” cannot be shipped; allowed: %(allowed)s.")
                                    % {"ext": extension or "?", "allowed": ", ".join(sorted(ALLOWED_UPLOADS))})
    media_types, signatures = ALLOWED_UPLOADS[extension]
    media_type = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if media_type not in media_types | UNSPECIFIC:
        raise forms.ValidationError(_("The file says it is “%(type)s”, which does not fit “%(ext)s”.")
                                    % {"type": media_type, "ext": extension})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if not head.startswith(signatures):
        raise forms.ValidationError(_("The file's content is not %(ext)s.") % {"ext": extension.lstrip(".")})
    return upload
