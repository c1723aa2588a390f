"""The one browser every browser test shares: pytest-playwright's session-scoped `browser` (function-scoped
`context` / `page` / `new_context`), launched from Debian's chromium because `playwright install` cannot
download here. Conftests and browser test modules import the fixtures below; when no chromium is installed
every test that asks for a page is skipped, not failed.

Also: logging in through the login page, and the full-page screenshot (plus HTML) of every open page
when a browser test fails, into test-artifacts/screenshots/ (CI keeps that folder).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

# The ORM runs beside Playwright's event loop, which its sync API leaves marked as running in this thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path("test-artifacts") / "screenshots"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("ILLDESK_CHROMIUM", ""), "/usr/lib/chromium/chromium", "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = chromium_path()
    if path is None:
        pytest.skip("chromium is not installed")
    return {**browser_type_launch_args, "executable_path": path, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(live_server):
    """Relative URLs (page.goto("/borrowing/")) go to the live server; a test module can change the
    screen with @pytest.mark.browser_context_args(viewport=...)."""
    return {"base_url": live_server.url, "viewport": DESKTOP, "locale": "en-GB"}


@pytest.fixture
def new_context(new_context):
    """Every context (the `page` one and the extra ones a test opens for a second user) fails fast: a
    selector that has not appeared in 10 s will not appear."""

    def make(**kwargs):
        context = new_context(**kwargs)
        context.set_default_timeout(10_000)
        return context

    return make


def log_in(page, username: str, password: str | None = None, *, next_url: str = "/") -> None:
    """Through the login page, as a person does: type, press Enter, land on `next_url`."""
    page.goto(f"/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or username)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(lambda url: url.endswith(next_url))


def _artifact_name(item) -> str:
    params = {k: v for k, v in getattr(getattr(item, "callspec", None), "params", {}).items() if k != "browser_name"}
    name = item.originalname + "".join(f"-{v}" for v in params.values())
    return re.sub(r"[^\w.-]+", "_", name)


def save_pages(item) -> list[Path]:
    """A full-page PNG and the HTML of each page the test has open: <test name>.png, then -2, -3 …"""
    page = item.funcargs.get("page")
    if page is None or page.is_closed():
        return []
    pages = [page] + [p for c in page.context.browser.contexts for p in c.pages if p is not page]
    folder = item.config.rootpath / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for n, each in enumerate(pages, start=1):
        stem = _artifact_name(item) + (f"-{n}" if n > 1 else "")
        try:
            each.screenshot(path=folder / f"{stem}.png", full_page=True, timeout=5_000)
            (folder / f"{stem}.html").write_text(each.content(), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - a page that cannot be captured must not hide the failure
            (folder / f"{stem}.txt").write_text(f"could not capture {each.url}: {exc}\n", encoding="utf-8")
        saved.append(folder / f"{stem}.png")
    return saved


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Imported by the conftests of browser tests: a failed test leaves its pages in test-artifacts/."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call"):
        for path in save_pages(item):
            report.sections.append(("screenshot", str(path)))
