"""The staff pages in a real browser: Debian's Chromium driven by Playwright, against `provisioner serve`.

Every test here is marked `browser`, and skips, saying why, only when /usr/bin/chromium or the playwright
package is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from staff_browser import CHROMIUM, Staff, missing_browser, staff_server

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_browser()
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    with staff_server(tmp_path_factory.mktemp("staff-pages")) as staff:
        yield staff


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Chromium for one test module. Between its calls Playwright's sync API marks its own event loop as the
    running one, which would stop every asyncio and Tornado test after it: so it lives no longer than its
    module, and the mark is cleared when it stops, whatever order the tests run in."""
    import asyncio

    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=["--no-sandbox", "--disable-background-networking"])
            yield browser
            browser.close()
    finally:
        asyncio.events._set_running_loop(None)


@pytest.fixture
def page(chromium: Any, staff: Staff) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the test server, tablet-sized."""
    context = chromium.new_context(base_url=staff.server.base, viewport={"width": 1024, "height": 768})
    page = context.new_page()
    yield page
    context.close()


