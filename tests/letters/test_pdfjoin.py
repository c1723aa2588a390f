"""Joining PDFs WeasyPrint wrote (letters.pdfjoin): the pages and bookmarks of one document, read back with
poppler; anything it cannot join faithfully is refused, so the caller renders in one piece."""

import pytest
from weasyprint import HTML

from letters import pdfjoin

from .conftest import pdf_info, pdf_outline, pdf_pages


def _document(first: int, last: int, **options) -> bytes:
    """Pages first..last-1, each with bookmarks (h1, h2), text that looks like PDF syntax, and CJK."""
    sections = "".join(
        f'<section style="break-after: page"><h1>Slip {i} (1 0 R) \\ ä</h1><h2>Part {i}</h2>'
        f"<p>Line {i}: 東京大学 <b>{i * 7}</b> 5 0 R</p></section>" for i in range(first, last))
    return HTML(string=f"<html><head><title>Slips</title></head><body>{sections}</body></html>").write_pdf(
        **options)


def test_the_joined_parts_are_the_pages_and_bookmarks_of_one_document(tmp_path):
    whole = _document(0, 7)
    joined = pdfjoin.join([_document(0, 3), _document(3, 6), _document(6, 7)])
    assert pdf_info(joined, tmp_path)["Pages"] == "7"
    assert pdf_info(joined, tmp_path)["Title"] == "Slips"
    assert pdf_pages(joined, tmp_path) == pdf_pages(whole, tmp_path)
    outline = pdf_outline(joined, tmp_path)
    assert outline == pdf_outline(whole, tmp_path)
    assert outline[:2] == [(1, "Slip 0 (1 0 R) \\ ä", "1"), (2, "Part 0", "1")]
    assert outline[-2:] == [(1, "Slip 6 (1 0 R) \\ ä", "7"), (2, "Part 6", "7")]


def test_one_part_is_returned_as_it_is():
    part = _document(0, 2)
    assert pdfjoin.join([part]) is part


def test_parts_without_bookmarks_join_too(tmp_path):
    plain = [HTML(string=f"<p>page {i}</p>").write_pdf() for i in range(3)]
    joined = pdfjoin.join(plain)
    assert [page.strip() for page in pdf_pages(joined, tmp_path)] == ["page 0", "page 1", "page 2"]
    assert pdf_outline(joined, tmp_path) == []


def test_a_plain_cross_reference_table_joins_too(tmp_path):
    joined = pdfjoin.join([_document(0, 1, uncompressed_pdf=True), _document(1, 2)])
    assert pdf_info(joined, tmp_path)["Pages"] == "2"


def test_what_it_cannot_join_is_refused():
    """A catalog with more than pages and bookmarks (PDF/A metadata), or what is not a PDF."""
    with pytest.raises(pdfjoin.CannotJoin):
        pdfjoin.join([_document(0, 1, pdf_variant="pdf/a-3b"), _document(1, 2)])
    with pytest.raises(pdfjoin.CannotJoin):
        pdfjoin.join([b"%PDF-1.7\nnot really", _document(1, 2)])


def test_a_damaged_part_is_refused():
    part = _document(0, 2)
    xref = part.rindex(b"/Type /XRef")
    data = part.index(b"stream\n", xref) + len(b"stream\n")
    damaged = part[:data] + bytes(b ^ 0x5A for b in part[data: data + 8]) + part[data + 8:]
    with pytest.raises(pdfjoin.CannotJoin):
        pdfjoin.join([_document(0, 1), damaged])
