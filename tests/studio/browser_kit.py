"""What the browser tests share: Debian's Chromium through Playwright (skipping the importing module when either is
missing), a logged-in page with its JavaScript errors collected, and reads through the page's own cookie.

    from tests.studio.browser_kit import api, browser, page, when  # noqa: F401  (pytest fixtures)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

sync_api = pytest.importorskip("playwright.sync_api")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, studio_server):
    """A page logged in with the launch token (it becomes a cookie), with page errors collected (``page.errors``);
    a test that ends with any fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.goto(studio_server.url, wait_until="load")
    p.base = studio_server.base_url  # type: ignore[attr-defined]
    p.errors = errors  # type: ignore[attr-defined]
    yield p
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def api(page, path: str):
    """GET ``path`` with the page's cookie; the JSON body."""
    res = page.request.get(page.base + path)
    assert res.ok, f"GET {path}: {res.status} {res.text()}"
    return res.json()


def when(method: str, suffix: str):
    """A predicate for ``page.expect_response``: the request with this method whose path ends with ``suffix``."""
    return lambda r: r.request.method == method and r.url.split("?")[0].endswith(suffix)
