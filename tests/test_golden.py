"""A small golden site: the annotated HTML of each article is compared with files written down
in tests/fixtures/golden/expected. Run with GOLDEN_UPDATE=1 to rewrite them after a deliberate
change, and read the diff before committing it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.annotate import Registry, annotate_article
from generator.build import load

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"


def annotated_pages() -> dict[str, str]:
    loaded, problems = load(GOLDEN)
    assert loaded is not None
    assert [str(p) for p in problems] == []
    registry = Registry.build(loaded.content, loaded.config)
    pages = {}
    for article in loaded.content.articles:
        item = annotate_article(article, registry)
        assert item.diagnostics == ()
        pages[f"{article.slug}.html"] = (
            f"<!-- lead -->\n{item.lead_html}\n<!-- body -->\n{item.body_html}"
        )
    return pages


PAGES = annotated_pages()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_annotated_article_matches_its_golden_file(name: str) -> None:
    expected = GOLDEN / "expected" / name
    if UPDATE:
        expected.write_text(PAGES[name], encoding="utf-8")
    assert PAGES[name] == expected.read_text(encoding="utf-8")


def test_every_golden_file_belongs_to_an_article() -> None:
    assert sorted(p.name for p in (GOLDEN / "expected").glob("*.html")) == sorted(PAGES)
