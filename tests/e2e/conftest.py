"""Browser end-to-end tests: headless Chromium driven by Playwright against the live server.

The browser is Debian's Chromium at /usr/bin/chromium (CI installs it; Playwright's own browser
download is not used). Without it every test here fails with a message saying so: they never
skip. Mail is sent in-process (`tasks_in_process`) by the live server, a thread of this process,
so it lands in `django.core.mail.outbox`; SITE_URL points at the live server, so the links in
it open in the browser as they are.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import REPO_DIR

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS_DIR = REPO_DIR / "test-artifacts" / "screenshots"
# Playwright's auto-waiting and `expect` give up after this many milliseconds.
TIMEOUT_MS = 10_000
E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(session, config, items):
    """The browser tests run after all others (see `browser`), in their own order."""
    others = [item for item in items if E2E_DIR not in item.path.parents]
    browser_tests = [item for item in items if E2E_DIR in item.path.parents]
    items[:] = others + browser_tests


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session.

    The sync Playwright API marks an asyncio loop as running in this thread from its start to
    its end, and Django's ORM refuses to run in a thread with a running loop ("You cannot call
    this from an async context"). The tests' ORM calls, and the database flush after each
    test, are plain synchronous code between browser steps, so the check is lifted while
    Playwright runs; the browser tests run last, so no other test runs with it lifted.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Chromium at {CHROMIUM} (Debian: apt-get install chromium); "
            "it is missing.",
            pytrace=False,
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _site_on_live_server(live_server, settings):
    """Links in emails and calendars point at the live server; rate limits start from zero."""
    from django.core.cache import cache

    settings.SITE_URL = live_server.url
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page_in_zone(browser, live_server):
    """`page_in_zone("Asia/Shanghai")`: a new page in a fresh browser context (no cookies)
    whose clock is in that zone; relative URLs go to the live server."""
    contexts = []

    def open_page(zone: str):
        context = browser.new_context(
            timezone_id=zone, locale="en-GB", base_url=live_server.url, accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def save_screenshot(page, name: str, *, element=None, full_page: bool = True) -> Path:
    """The whole page (or only what the window shows, or one element) as
    test-artifacts/screenshots/<name>.png; the folder is git-ignored."""
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{name}.png"
    if element is None:
        page.screenshot(path=str(path), full_page=full_page)
    else:
        element.screenshot(path=str(path))
    return path
