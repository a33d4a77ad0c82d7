"""The built demo site as validators see it: the Nu Html Checker, axe-core and the link check.

vnu (npm ``vnu-jar``) and axe-core (npm ``axe-core``) are installed by ``.ci/run`` into
``.ci/node/node_modules``; without them (or without Java or Chromium) these tests skip, and
under CI they fail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.support import (
    AXE_SCRIPT,
    SEED_ARTICLE,
    VNU_JAR,
    build_demo_site,
    chromium,
    serve,
    unavailable,
)
from tests.sitekit import article, build, tree, write_project

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = {
    "front page": "",
    "article": SEED_ARTICLE,
    "entity page": "entities/kursk-oblast/",
    "note page": "notes/ukraines-indtraengen-i-kursk/",
    "timeline": "timeline/",
    "search page": "search/?q=Kursk",
}


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_site(tmp_path_factory.mktemp("validators"))


def vnu_errors(site: Path) -> list[str]:
    """Every error the Nu Html Checker finds in the site's HTML, as ``page:line: message``."""
    if shutil.which("java") is None:
        unavailable("Java is missing (apt-get install default-jre-headless)")
    if not VNU_JAR.exists():
        unavailable(f"{VNU_JAR} is missing (npm ci --prefix .ci/node)")
    done = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU_JAR),
            "--errors-only",
            "--format",
            "json",
            "--skip-non-html",
            str(site),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    report = json.loads(done.stderr or done.stdout)
    return [
        f"{m.get('url', '').removeprefix('file:' + str(site) + '/')}:{m.get('lastLine', '?')}: "
        f"{m['message']}"
        for m in report["messages"]
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def test_every_page_of_the_demo_site_passes_the_nu_html_checker(demo_site: Path) -> None:
    pages = sorted(demo_site.rglob("*.html"))
    assert len(pages) > 20
    errors = vnu_errors(demo_site)
    assert errors == [], f"{len(errors)} error(s):\n" + "\n".join(errors)


def test_the_checker_reports_an_invalid_page(tmp_path: Path) -> None:
    """The validator run can fail: a page with a stray end tag is reported."""
    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html lang="da"><head><title>x</title></head><body></div></body></html>',
        encoding="utf-8",
    )
    assert vnu_errors(tmp_path) == ["bad.html:1: Stray end tag “div”."]


@pytest.fixture(scope="module")
def served(demo_site: Path) -> Iterator[str]:
    with serve(demo_site) as root:
        yield root


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for this module only: Playwright's sync API allows one running instance."""
    with chromium() as launched:
        yield launched


def axe_violations(browser: Any, address: str, color_scheme: str) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page at ``address``, one line per element."""
    if not AXE_SCRIPT.exists():
        unavailable(f"{AXE_SCRIPT} is missing (npm ci --prefix .ci/node)")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.emulate_media(color_scheme=color_scheme)
        response = page.goto(address)
        assert response is not None and response.status == 200, address
        if "search/" in address:
            page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15_000)
        page.add_script_tag(path=str(AXE_SCRIPT))
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
            WCAG_22_AA,
        )
    finally:
        context.close()
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}: "
        f"{node.get('failureSummary', '').strip()}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_wcag_2_2_aa_violations(
    browser: Any, served: str, demo_site: Path, name: str, color_scheme: str
) -> None:
    url = PAGES[name]
    if not (demo_site / url.split("?", 1)[0] / "index.html").exists():
        pytest.skip(f"the demo site has no {name} ({url}) yet")
    violations = axe_violations(browser, served + url, color_scheme)
    assert violations == [], f"{name} in {color_scheme} mode:\n" + "\n".join(violations)


def test_axe_reports_a_page_that_breaks_the_rules(browser: Any, tmp_path: Path) -> None:
    """The accessibility run can fail: an image without alt text is a violation."""
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="da"><head><title>x</title></head>'
        '<body><main><img src="x.png"></main></body></html>',
        encoding="utf-8",
    )
    with serve(tmp_path) as root:
        violations = axe_violations(browser, root, "light")
    assert [v.split(" ", 1)[0] for v in violations] == ["image-alt"]


BROKEN_LISTING = """\
{% extends "base.html" %}
{% block main %}
<h1>{{ heading }}</h1>
<p><a href="{{ link('arkivet/') }}">Arkivet</a></p>
{% endblock %}
"""


def test_a_template_with_a_broken_link_fails_the_build_naming_the_page_and_the_link(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "content/articles/2024/vinter.md": article("Vinter i Moskva"),
            "templates/listing.html": BROKEN_LISTING,
        },
    )
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("the last good site", encoding="utf-8")
    code, _, err = build(project, out, "--no-search")
    assert code == 1
    assert "site/index.html: error: broken internal link: arkivet/index.html" in err.splitlines()
    assert "site/2024/index.html: error: broken internal link: ../arkivet/index.html" in (
        err.splitlines()
    )
    assert tree(out) == {"index.html": b"the last good site"}
