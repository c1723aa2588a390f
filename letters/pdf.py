"""PDF slips and the lending report slip, through WeasyPrint; barcodes are Code 128 SVG images.

One page per request (A4, A5 or a 4×6" label); `bulk_print` makes one PDF of many requests, each
with the slip its status calls for, and says which requests were skipped and why. From PARALLEL_FROM
slips on, the second half is rendered in another process meanwhile (letters.pdfworkers) and the two
PDFs are joined (letters.pdfjoin): the same pages in the same order, on two cores.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from illdesk import sides

from . import catalog, pdfjoin, pdfworkers, rendering
from .barcodes import barcode_img

logger = logging.getLogger(__name__)

PAGE_SIZES = {"A4": "A4", "A5": "A5", "label": "102mm 152mm"}
FONTS = '"DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans", sans-serif'
REPORT = "lending_report_slip"
# Below this many slips a second process saves too little: measured, 20 slips take 0.45 s instead of
# 0.7 s with a forked child, but 15% more CPU (fonts subset twice), and a forkserver child starts slower.
PARALLEL_FROM = 30

# Labels and values side by side as floats, a row starting below the taller of the row before:
# WeasyPrint lays a grid's items out twice (to size the rows), a third of a slip's layout.
CSS = """
@page { size: %(size)s; margin: %(margin)s; }
@page report { size: A4 landscape; margin: 12mm; }
html { font-family: %(fonts)s; font-size: %(font)s; color: #000; }
body { margin: 0; }
.slip { page-break-after: always; break-after: page; }
.slip:last-child { page-break-after: auto; break-after: auto; }
.report { page: report; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.15em; margin: .8em 0 .2em; border-bottom: 1px solid #000; }
.big { font-size: 1.5em; font-weight: bold; }
.muted { color: #444; font-size: .85em; }
dl { margin: .2em 0; }
dl::after { content: ""; display: block; clear: left; }
dt { float: left; clear: left; width: 11em; font-weight: bold; margin-bottom: .15em; }
dd { float: left; width: calc(100%% - 12em); margin: 0 0 .15em 1em; }
table { width: 100%%; border-collapse: collapse; font-size: .85em; }
th, td { border: 1px solid #777; padding: 2px 4px; text-align: left; vertical-align: top; }
thead { display: table-header-group; }
.barcode { margin: .4em 0; }
.code { display: inline-block; text-align: center; }
.code img { display: block; height: %(barcode_height)s; }
.code .human { display: block; font-size: .85em; }
.address { white-space: pre-line; }
"""

_SIZE_STYLE = {
    "A4": {"margin": "15mm", "font": "11pt", "barcode_height": "14.7mm"},  # bars 0.41 mm a module
    "A5": {"margin": "10mm", "font": "9.5pt", "barcode_height": "11mm"},
    "label": {"margin": "5mm", "font": "8pt", "barcode_height": "8.6mm"},
}


# --- which slip for which request ----------------------------------------------------------------


def slip_for(req) -> str | None:
    """The slip a request gets now (its side's rule), or None."""
    return sides.of(req).slip_for(req)


def skip_reason(req) -> str:
    return sides.of(req).slip_skip_reason(req)


# --- rendering -----------------------------------------------------------------------------------


def _slip_language(code: str, req, language: str | None) -> str | None:
    return rendering.normalize_language(language) or rendering.recipient_language(code, req) or \
        rendering.normalize_language(settings.LANGUAGE_CODE)


class _SourceCache:
    """One override lookup per (letter, language, library) in a print run, not one per page."""

    def __init__(self) -> None:
        self._found: dict[tuple, rendering.Sources] = {}

    def get(self, code: str, language: str | None, library_id: int | None) -> rendering.Sources:
        key = (code, language, library_id)
        if key not in self._found:
            self._found[key] = rendering.find_sources(code, language, library_id)
        return self._found[key]


def slip_context(code: str, req, language: str) -> dict:
    """The letter context plus `barcodes.request` and `barcodes.item` (inline Code 128 images)."""
    ctx = rendering.letter_context(code, req, language=language)
    ctx["barcodes"] = {"request": barcode_img(req.pk), "item": barcode_img(ctx["request"]["barcode"])}
    return ctx


def _slip_fragment(code: str, req, language: str | None, cache: _SourceCache) -> tuple[str, str]:
    src = cache.get(code, _slip_language(code, req, language), req.owner_id)
    out = rendering.render_sources(src, slip_context(code, req, src.language), wrap=False)
    return out.subject, f'<section class="slip" lang="{src.language}">{out.html}</section>'


def _report_fragment(requests: list, language: str | None, cache: _SourceCache) -> tuple[str, str]:
    first = requests[0] if requests else None
    wanted = rendering.normalize_language(language) or (
        rendering.recipient_language(REPORT, first) if first is not None else None)
    src = cache.get(REPORT, wanted, first.owner_id if first is not None else None)
    with translation.override(src.language):
        rows = [rendering.request_context(req) for req in requests]
    ctx = rendering.letter_context(REPORT, first, language=src.language) if first is not None else \
        {**catalog.get(REPORT).defaults, **rendering.empty_context()}
    ctx.update(rows=rows, generated_at=timezone.localtime(), count=len(rows))
    out = rendering.render_sources(src, ctx, wrap=False)
    return out.subject, f'<section class="slip report" lang="{src.language}">{out.html}</section>'


def _html(title: str, sections: Iterable[str], page_size: str) -> str:
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {', '.join(PAGE_SIZES)}")
    css = CSS % {"size": PAGE_SIZES[page_size], "fonts": FONTS, **_SIZE_STYLE[page_size]}
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{css}</style></head><body>{''.join(sections)}</body></html>")


def _document(title: str, sections: Iterable[str], page_size: str) -> bytes:
    return pdfworkers.write_pdf(_html(title, sections, page_size), str(rendering.DEFAULTS_DIR))


def _slips(jobs: list[tuple[str, Any]], language: str | None, page_size: str, *,
           strict: bool = False) -> tuple[bytes | None, dict[int, Exception]]:
    """One PDF of the slips `jobs` [(code, request)] in order, and {index: error} of those not made
    (`strict`: the first error is raised instead).

    From PARALLEL_FROM slips on, the second half's HTML is made first and handed to a child process,
    which renders it while this one makes and renders the first half; the two PDFs are joined.
    """
    cache = _SourceCache()
    errors: dict[int, Exception] = {}

    def fragments(indexes: range) -> list[tuple[str, str]]:
        made = []
        for i in indexes:
            try:
                made.append(_slip_fragment(*jobs[i], language, cache))
            except Exception as exc:  # one bad template or record must not stop the others
                if strict:
                    raise
                errors[i] = exc
        return made

    def document(*halves: list[tuple[str, str]]) -> str:
        slips = [slip for half in halves for slip in half]
        return _html(slips[0][0] if slips else _("Slips"), [html for _title, html in slips], page_size)

    base_url = str(rendering.DEFAULTS_DIR)
    split = len(jobs) // 2 if len(jobs) >= PARALLEL_FROM else len(jobs)
    tail = fragments(range(split, len(jobs)))
    part = pdfworkers.start(document(tail), base_url) if tail else None
    try:
        head = fragments(range(split))
        if not head:
            return (part.result() if part else None), errors
        started = time.monotonic()
        first = pdfworkers.write_pdf(document(head), base_url)
    except BaseException:
        if part is not None:
            part.cancel()
        raise
    if part is None:
        return first, errors
    second = part.result(waited_for=time.monotonic() - started)
    try:
        return pdfjoin.join([first, second]), errors
    except pdfjoin.CannotJoin:
        logger.warning("could not join the two halves of a bulk print; rendering it in one piece", exc_info=True)
        return pdfworkers.write_pdf(document(head, tail), base_url), errors


def render_pdf(code: str, requests: Iterable[Any], *, language: str | None = None, page_size: str = "A4") -> bytes:
    """`code` for `requests` as one PDF: a page per request, or (lending_report_slip) one table."""
    spec = catalog.get(code)
    if spec.kind != catalog.SLIP:
        raise ValueError(f"{code!r} is not a slip")
    requests = list(requests)
    if code == REPORT:
        title, section = _report_fragment(requests, language, _SourceCache())
        return _document(title, [section], page_size)
    if not requests:
        raise ValueError("nothing to print")
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {', '.join(PAGE_SIZES)}")
    return _slips([(code, req) for req in requests], language, page_size, strict=True)[0]


def bulk_print(code_for: Callable[[Any], str | None], requests: Iterable[Any], *, language: str | None = None,
               page_size: str = "A4") -> tuple[bytes | None, list[Any], list[tuple[Any, str]]]:
    """The task lists' "Print slips": each request gets the slip `code_for` names, or is skipped."""
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page_size must be one of {', '.join(PAGE_SIZES)}")
    requests = list(requests)
    codes = [code_for(req) for req in requests]
    jobs = [(code, req) for req, code in zip(requests, codes, strict=True) if code is not None]
    pdf, errors = _slips(jobs, language, page_size) if jobs else (None, {})
    printed: list[Any] = []
    skipped: list[tuple[Any, str]] = []
    job = 0
    for req, code in zip(requests, codes, strict=True):
        if code is None:
            skipped.append((req, skip_reason(req)))
            continue
        if job in errors:
            skipped.append((req, _("the slip could not be made: %(error)s") % {"error": errors[job]}))
        else:
            printed.append(req)
        job += 1
    return pdf, printed, skipped


def mark(model, ids: Iterable[int], *, field: str) -> int:
    """Set the "request printed" / "request reported" flag the lending task list facets on."""
    return model.objects.filter(pk__in=list(ids)).update(**{field: True})
