"""Join PDFs into one: all pages in order, the bookmarks of each one after another (pypdf).

A bulk print renders its slips in parts (one per process) and joins them here. A part pypdf cannot read
(strictly: a damaged part is refused, not repaired) raises CannotJoin, and so does a PDF/A part (its XMP
metadata and output intent would not survive the join, and the result would no longer be what was asked
for); the caller then renders the whole document in one piece instead.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

# Catalog entries that make a document more than pages and bookmarks (PDF/A, tagged PDF, forms): joining
# would silently drop them.
_NOT_JOINED = ("/Metadata", "/OutputIntents", "/StructTreeRoot", "/AcroForm")


class CannotJoin(ValueError):
    """A part this module does not join."""


def join(parts: list[bytes]) -> bytes:
    """One PDF of the pages of `parts`, in order, with the first part's document information (title)."""
    if len(parts) == 1:
        return parts[0]
    try:
        return _join(parts)
    except CannotJoin:
        raise
    except (PyPdfError, KeyError, IndexError, AttributeError, ValueError, TypeError) as exc:  # not as expected
        raise CannotJoin(f"{type(exc).__name__}: {exc}") from exc


def _join(parts: list[bytes]) -> bytes:
    readers = [PdfReader(io.BytesIO(data), strict=True) for data in parts]
    writer = PdfWriter()
    for reader in readers:
        extra = [key for key in _NOT_JOINED if key in reader.trailer["/Root"]]
        if extra:
            raise CannotJoin(f"the catalog has more than pages and bookmarks: {', '.join(extra)}")
        writer.append(reader)  # the pages, and the bookmarks after the ones before
    if readers[0].metadata:
        writer.add_metadata(readers[0].metadata)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
