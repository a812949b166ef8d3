"""Browser tests: the dashboard in headless Chromium (Debian's `chromium`, driven by Python
playwright through `executable_path`; playwright's own browser download is never used).

They need `/usr/bin/chromium` (or CHROMIUM); without it every test here is skipped and the run
says so loudly (`make test` also prints a banner). They start a local runtime of their own so
that the data on screen is exactly what they created."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, SKIP_REASON, chromium_available
from tests.support.runtime import TEST_TOKEN, LocalRuntime, local_runtime


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_available():
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not chromium_available():
        terminalreporter.write_sep("!", SKIP_REASON, red=True, bold=True)


@pytest.fixture(scope="module")
def site() -> Iterator[LocalRuntime]:
    """A local runtime of the browser tests' own: fresh D1, the dashboard served from public/."""
    with local_runtime(vars={"API_TOKEN": TEST_TOKEN}) as runtime:
        yield runtime


@pytest.fixture(scope="module")
def api(site: LocalRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, headers={"authorization": f"Bearer {TEST_TOKEN}"}, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
