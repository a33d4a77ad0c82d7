"""What the browser and validator tests share: the demo site, a server under a subpath, Chromium.

Debian's Chromium is driven by Playwright for Python; Playwright cannot download a browser of
its own here. Outside CI a missing browser, Java or validator skips the tests that need it,
with the reason; under CI (``CI=true``) it fails them, since ``.ci/run`` installs all of them.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.sitekit import build

REPO = Path(__file__).resolve().parents[2]
EXTRA_CONTENT = REPO / "tests/fixtures/browser"
NODE_MODULES = REPO / ".ci/node/node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core/axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar/build/dist/vnu.jar"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PREFIX = "/arkiv/"
"""The subpath the site is served under, as it would be on a newsroom's domain."""

SEED_ARTICLE = "2024/11/nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-invasion/"
SECOND_ARTICLE = "2024/08/ukrainske-styrker-holder-byen-sudzja-i-den-russiske-kursk-oblast/"
SECOND_TITLE = "Ukrainske styrker holder byen Sudzja i den russiske Kursk oblast"


def unavailable(reason: str) -> NoReturn:
    """Skip, or under CI fail: CI installs everything these tests need."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs it: see .ci/run)")
    pytest.skip(reason)


def demo_project(root: Path) -> Path:
    """A copy of the repository's content plus one more article that names Kursk, so that
    readers can go from one article to another through an entity."""
    project = root / "project"
    shutil.copytree(REPO / "content", project / "content")
    shutil.copytree(EXTRA_CONTENT / "content", project / "content", dirs_exist_ok=True)
    return project


def build_demo_site(root: Path, *extra: str) -> Path:
    """Build the demo project into ``root/site``; fails the test with the diagnostics if the
    build does."""
    project = demo_project(root)
    out = root / "site"
    code, stdout, stderr = build(project, out, *extra)
    assert code == 0, stderr + stdout
    return out


class _SubpathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site folder under PREFIX only, as a web server with the site in a subfolder
    would; anything outside PREFIX is 404."""

    def translate_path(self, path: str) -> str:
        bare = path.split("?", 1)[0].split("#", 1)[0]
        if not bare.startswith(PREFIX):
            return str(Path(self.directory) / "__outside_the_site__")
        return super().translate_path("/" + path[len(PREFIX) :])

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests report what matters."""


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 under PREFIX in a thread; yields the site's root URL."""
    handler = functools.partial(_SubpathHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, or a skip (a failure under CI) saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (pip install playwright)")
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def page_url(root: str, url: str) -> str:
    """The served address of a site URL such as ``entities/kursk-oblast/``."""
    return root + url
