"""The shipped content builds, and the seed article is explained: its entities are linked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.sitekit import build

ROOT = Path(__file__).resolve().parent.parent
SEED = "2024/11/nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-invasion/index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed") / "site"
    code, _out, err = build(ROOT, out)
    assert code == 0, err
    return out


def mention_links(html: str) -> dict[str, str]:
    """data-entity -> link text for every mention link."""
    return dict(re.findall(r'<a class="mention" data-entity="([^"]+)"[^>]*>([^<]+)</a>', html))


def test_the_seed_article_links_kim_jong_un_putin_kursk_and_nis(site: Path) -> None:
    links = mention_links((site / SEED).read_text(encoding="utf-8"))
    assert links["kim-jong-un"] == "Kim Jong-un"
    assert links["vladimir-putin"] == "Vladimir Putin"
    assert links["kursk-oblast"] == "Kursk"
    assert links["nis"] == "NIS"


def test_only_the_first_mention_of_each_entity_is_linked(site: Path) -> None:
    html = (site / SEED).read_text(encoding="utf-8")
    slugs = re.findall(r'<a class="mention" data-entity="([^"]+)"', html)
    assert len(slugs) == len(set(slugs))


def test_the_headline_is_never_linked(site: Path) -> None:
    html = (site / SEED).read_text(encoding="utf-8")
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert h1 is not None
    assert "<a" not in h1.group(1)


def test_an_entity_page_lists_the_articles_that_name_it(site: Path) -> None:
    html = (site / "entities/nis/index.html").read_text(encoding="utf-8")
    backlinks = re.search(r'<div class="backlinks">(.*?)</div>', html, re.S)
    assert backlinks is not None
    assert "nordkorea-og-rusland-godkender-aftale" in backlinks.group(1)
    assert "NIS" in backlinks.group(1)


def test_an_entity_that_no_article_names_has_no_backlinks(site: Path) -> None:
    html = (site / "entities/pyongyang/index.html").read_text(encoding="utf-8")
    backlinks = re.search(r'<div class="backlinks">(.*?)</div>', html, re.S)
    assert backlinks is not None
    assert "<li" not in backlinks.group(1)


def test_the_article_carries_news_article_json_ld_with_wikidata_same_as(site: Path) -> None:
    html = (site / SEED).read_text(encoding="utf-8")
    blocks = [
        json.loads(b)
        for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    ]
    article = next(b for b in blocks if b["@type"] == "NewsArticle")
    names = {m["name"]: m for m in article["mentions"]}
    assert names["Vladimir Putin"]["sameAs"] == "https://www.wikidata.org/wiki/Q7747"
    assert names["Vladimir Putin"]["@type"] == "Person"
    assert article["datePublished"] == "2024-11-12T00:54:00+01:00"
