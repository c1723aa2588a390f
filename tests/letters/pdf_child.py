"""Run in a daemonic process by test_parallel_print (what a Celery prefork worker or a pool worker is):
it may not start children, so a PDF part must be rendered right there."""

from __future__ import annotations


def render_in_daemon(html: str) -> tuple[bool, bool, bytes]:
    """(the start method was refused, the part went to a child, its PDF)."""
    from letters import pdfworkers

    part = pdfworkers.start(html)
    return pdfworkers.context() is None, part.parallel, part.result()
