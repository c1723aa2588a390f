"""A big bulk print renders its second half in a child process and joins the two PDFs: the same pages, in
the same order, with the same bookmarks, as one process makes, whichever way the child is started. Where
no child may be had (a daemonic process: a Celery prefork worker, a pool worker), or the child dies or
hangs, or the halves cannot be joined, this process renders the rest itself."""

import gc
import multiprocessing
import os
import signal

import billiard
import pytest

from borrowing.models import BorrowingRequest
from borrowing.slips import slip_for as borrowing_slip_for
from letters import pdf, pdfjoin, pdfworkers
from letters.api import bulk_print
from tests.factories import make_borrowing

from .conftest import barcodes, pdf_info, pdf_outline, pdf_pages
from .pdf_child import render_in_daemon

HTML = "<title>Part</title><h1>Slip 1</h1><p>Åbo 東京</p><h1 style='break-before: page'>Slip 2</h1>"


@pytest.fixture
def slips(library, email_partner, patron):
    return [make_borrowing(library, ("received_physically", "returned_to_partner")[i % 2], partner=email_partner,
                           requester=patron, title=f"Nide {i} – Åbo", temp_barcode=f"ILL-{i:06d}")
            for i in range(9)]


@pytest.fixture
def children(monkeypatch):
    """Bulk prints of 4 slips and more go parallel; each child's class (how it was started) is recorded."""
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 4)
    started = []
    start = pdfworkers.start

    def recording(html, base_url=None):
        part = start(html, base_url)
        started.append(type(part.child).__name__ if part.parallel else None)
        return part

    monkeypatch.setattr(pdfworkers, "start", recording)
    return started


def _in_one_process(monkeypatch, requests):
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 10**6)
    return bulk_print(borrowing_slip_for, requests)


def _same_document(data: bytes, alone: bytes, tmp_path) -> list[str]:
    pages = pdf_pages(data, tmp_path)
    assert pages == pdf_pages(alone, tmp_path, "alone.pdf")
    assert pdf_outline(data, tmp_path) == pdf_outline(alone, tmp_path, "alone.pdf")
    assert pdf_info(data, tmp_path)["Title"] == pdf_info(alone, tmp_path)["Title"]
    return pages


def test_inside_a_transaction_the_second_half_goes_to_a_forkserver_child(slips, children, monkeypatch, tmp_path):
    data, printed, skipped = bulk_print(borrowing_slip_for, slips)
    assert children == ["ForkServerProcess"]  # a fork would share the open transaction's connection
    assert printed == slips and skipped == []
    alone, *_rest = _in_one_process(monkeypatch, slips)
    assert children == ["ForkServerProcess"]
    pages = _same_document(data, alone, tmp_path)
    assert len(pages) == 9
    assert [page.split("Nide ")[1].split(" ")[0] for page in pages] == [str(i) for i in range(9)]
    assert set(barcodes(data, tmp_path, first=9, last=9)) == {str(slips[-1].pk), "ILL-000008"}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_child_is_forked_after_closing_connections(slips, children, monkeypatch,
                                                                             tmp_path):
    # a whole-suite run leaves other tests' threads behind (live servers, the browser's driver); a print
    # server's process has only its own, which is what the start method is chosen on
    monkeypatch.setattr("letters.pdfworkers.threading.active_count", lambda: 1)
    data, printed, _skipped = bulk_print(borrowing_slip_for, slips)
    assert children == ["ForkProcess"]
    assert printed == slips
    assert BorrowingRequest.objects.filter(pk__in=[r.pk for r in slips]).count() == 9  # reconnected
    _same_document(data, _in_one_process(monkeypatch, slips)[0], tmp_path)


def test_slips_that_cannot_be_made_are_skipped_in_either_half(slips, children, monkeypatch, tmp_path):
    for bad in (slips[1], slips[7]):  # one in the half rendered here, one in the child's
        BorrowingRequest.objects.filter(pk=bad.pk).update(temp_barcode="ILL-Ä")
        bad.refresh_from_db()
    data, printed, skipped = bulk_print(borrowing_slip_for, slips)
    assert children == ["ForkServerProcess"]
    assert printed == [r for r in slips if r not in (slips[1], slips[7])]
    assert [(req, reason.split(":")[0]) for req, reason in skipped] == [
        (slips[1], "the slip could not be made"), (slips[7], "the slip could not be made")]
    assert "Code 128" in skipped[0][1]
    pages = _same_document(data, _in_one_process(monkeypatch, slips)[0], tmp_path)
    assert len(pages) == 7


def test_when_the_halves_cannot_be_joined_it_is_rendered_in_one_piece(slips, children, monkeypatch, tmp_path):
    def cannot(parts):
        raise pdfjoin.CannotJoin("a PDF this module does not read")

    monkeypatch.setattr(pdfjoin, "join", cannot)
    data, printed, _skipped = bulk_print(borrowing_slip_for, slips)
    assert children == ["ForkServerProcess"] and printed == slips
    assert len(_same_document(data, _in_one_process(monkeypatch, slips)[0], tmp_path)) == 9


def test_a_child_that_dies_or_hangs_is_replaced_by_this_process(monkeypatch, tmp_path):
    expected = pdf_pages(pdfworkers.write_pdf(HTML), tmp_path, "expected.pdf")

    part = pdfworkers.start(HTML)
    assert part.parallel
    part.child.kill()
    assert pdf_pages(part.result(), tmp_path) == expected

    monkeypatch.setattr(pdfworkers, "GRACE_SECONDS", 1)
    part = pdfworkers.start(HTML)
    child = part.child
    os.kill(child.pid, signal.SIGSTOP)
    assert pdf_pages(part.result(), tmp_path) == expected
    assert not child.is_alive() and child.exitcode == -signal.SIGKILL


def test_a_child_is_used_where_it_may_be(tmp_path):
    part = pdfworkers.start(HTML)
    assert part.parallel and pdfworkers.context() is not None
    assert pdf_pages(part.result(), tmp_path) == pdf_pages(pdfworkers.write_pdf(HTML), tmp_path, "here.pdf")


@pytest.mark.parametrize("pool", [multiprocessing.get_context("spawn").Pool,  # stdlib pool workers: daemonic
                                  billiard.get_context("spawn").Pool])  # Celery's prefork pool
def test_a_daemonic_process_renders_the_part_itself(pool, tmp_path):
    with pool(1) as workers:
        refused, parallel, data = workers.apply(render_in_daemon, (HTML,))
    assert refused and not parallel
    assert pdf_pages(data, tmp_path) == pdf_pages(pdfworkers.write_pdf(HTML), tmp_path, "here.pdf")


@pytest.mark.parametrize("enabled", [True, False])
def test_rendering_leaves_the_garbage_collector_as_it_found_it(enabled, tmp_path):
    (gc.enable if enabled else gc.disable)()
    try:
        data = pdfworkers.write_pdf(HTML)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert pdf_info(data, tmp_path)["Pages"] == "2"
