"""Slip barcodes: python-barcode's Code 128 drawn as one SVG path, the value in text under it, and both
read back from the PDF (zbar for the bars, poppler for the text)."""

import base64
import re

from letters.api import render_pdf
from letters.barcodes import BAR_HEIGHT, QUIET, bar_runs, barcode_img, barcode_svg, modules

from .conftest import barcodes, pdf_text


def _drawn_modules(svg: str) -> str:
    """The module string the path draws: a "1" under every bar, "0" elsewhere."""
    width = int(re.search(r'viewBox="0 0 (\d+) ', svg).group(1))
    drawn = ["0"] * width
    d = re.search(r'<path d="([^"]+)"/>', svg).group(1)
    for x, w, h, back in re.findall(r"M(\d+) 0h(\d+)v(\d+)h-(\d+)z", d):
        assert int(h) == BAR_HEIGHT and back == w
        drawn[int(x): int(x) + int(w)] = "1" * int(w)
    assert re.sub(r"M(\d+) 0h(\d+)v(\d+)h-(\d+)z", "", d) == ""  # nothing but bars
    return "".join(drawn)


def test_the_bars_are_one_path_of_python_barcodes_encoding():
    for value in ("ILL-000123", "42", "3900012345", "BULK-B-00099836"):
        svg = barcode_svg(value)
        assert svg.count("<path") == 1 and "<rect" not in svg and "<text" not in svg
        code = modules(value)
        assert _drawn_modules(svg) == "0" * QUIET + code + "0" * QUIET
        assert len(bar_runs(code)) == code.count("01") + code.startswith("1")


def test_the_image_carries_the_svg_and_the_escaped_text():
    html = str(barcode_img("A<&>1"))
    data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(data).decode() == barcode_svg("A<&>1")
    assert 'alt="A&lt;&amp;&gt;1"' in html and '<span class="human">A&lt;&amp;&gt;1</span>' in html
    assert str(barcode_img(None)) == "" and str(barcode_img("  ")) == ""


def test_a_slip_shows_both_barcodes_scannable_with_their_text(borrowing_request, tmp_path):
    for size in ("A4", "A5", "label"):
        data = render_pdf("receive_slip", [borrowing_request], language="en", page_size=size)
        assert set(barcodes(data, tmp_path)) == {str(borrowing_request.pk), "ILL-000123"}, size
        lines = [line.strip() for line in pdf_text(data, tmp_path).splitlines()]
        assert str(borrowing_request.pk) in lines and "ILL-000123" in lines, size
        for png in tmp_path.glob("page*.png"):
            png.unlink()
