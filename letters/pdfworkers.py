"""Render HTML to PDF with WeasyPrint, part of the work in a second process, so a bulk print uses two cores.

`start(html)` hands a document to a child process and returns at once; `Part.result()` gives its PDF.
The caller renders another part meanwhile and joins the two (letters.pdfjoin).

The child is started by fork when that is safe and cheap (WeasyPrint already loaded): this process runs
one thread (a fork copies only the calling thread, so a lock another thread holds, in fontconfig say,
would never be released in the child) and no database connection is inside a transaction, so all of
them can be closed first and the child inherits no socket to disturb. Otherwise (a threaded server, a
test inside a transaction) by forkserver: a clean single-threaded process, started once, forks the
children. A daemonic process may not have children (a Celery prefork worker, a multiprocessing pool
worker): there, with fewer than two CPUs, and whenever the child fails or takes far too long, the part is
rendered in this process, so the result is the same PDF either way.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import threading
from contextlib import contextmanager
from multiprocessing.connection import Connection

logger = logging.getLogger(__name__)

GRACE_SECONDS = 30  # on top of twice the time this process took for its own part


@contextmanager
def _collector_paused():
    """WeasyPrint makes millions of objects for a few hundred pages, and the cyclic garbage collector
    would walk the whole heap (Django's too) again and again meanwhile: ~20% of a bulk print's time,
    measured, against ~3% more memory at the peak. What became garbage is collected afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def write_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Letter templates are edited in the admin: a PDF may load inline data (our barcodes) only, never a
    # server file (file:///…, which WeasyPrint would embed) nor an internal address (server-side requests).
    with _collector_paused():
        return HTML(string=html, base_url=base_url, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def _child(conn: Connection, html: str, base_url: str | None) -> None:
    data = b""
    try:
        data = write_pdf(html, base_url)
    except BaseException:  # noqa: BLE001 - the parent renders the part itself
        logger.exception("rendering a PDF part in a child process failed")
    finally:
        conn.send_bytes(data)
        conn.close()


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _closed_connections() -> bool:
    """Close every database connection, unless one is inside a transaction (then close none)."""
    from django.db import connections

    opened = connections.all(initialized_only=True)
    if any(conn.in_atomic_block for conn in opened):
        return False
    for conn in opened:
        conn.close()
    return True


def context() -> multiprocessing.context.BaseContext | None:
    """How to start the child, or None when this process should render everything itself."""
    if _cpus() < 2 or multiprocessing.current_process().daemon:
        return None
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() \
            and _closed_connections():
        return multiprocessing.get_context("fork")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["weasyprint", __name__])  # when the server starts: WeasyPrint loaded once
    return ctx


class Part:
    """A document rendering in a child process, or (child=None) to be rendered here when asked for."""

    def __init__(self, html: str, base_url: str | None, child=None, conn: Connection | None = None) -> None:
        self.html, self.base_url, self.child, self.conn = html, base_url, child, conn

    @property
    def parallel(self) -> bool:
        return self.child is not None

    def result(self, *, waited_for: float = 0.0) -> bytes:
        """The PDF. `waited_for`: how long the caller's own part took (the child gets twice that and more)."""
        data = b""
        if self.child is not None:
            try:
                if self.conn.poll(GRACE_SECONDS + 2 * waited_for):
                    data = self.conn.recv_bytes()
                else:
                    logger.warning("a PDF part took too long in its child process; rendering it here")
            except (EOFError, OSError):
                logger.warning("the child process rendering a PDF part died; rendering it here")
            finally:
                self.conn.close()
                self.child.join(5)  # it exits right after sending
                if self.child.is_alive():
                    self.child.kill()
                    self.child.join()
                self.child = None
        return data or write_pdf(self.html, self.base_url)

    def cancel(self) -> None:
        """Stop the child (the caller failed and will not ask for the result)."""
        if self.child is not None:
            self.conn.close()
            self.child.kill()
            self.child.join()
            self.child = None


def start(html: str, base_url: str | None = None) -> Part:
    """Start rendering `html` in a child process when one can be had."""
    ctx = context()
    if ctx is None:
        return Part(html, base_url)
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, html, base_url), name="illdesk-pdf", daemon=True)
    try:
        child.start()
    except Exception:  # noqa: BLE001 - e.g. out of processes or memory: render here instead
        logger.warning("could not start a process to render a PDF part", exc_info=True)
        receive.close()
        return Part(html, base_url)
    finally:
        send.close()
    return Part(html, base_url, child, receive)
