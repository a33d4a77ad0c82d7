"""Atom feeds (RFC 4287) for the site, each section and each entity, parsed with feedparser,
and the <link rel="alternate"> elements that lead readers' feed software to them."""

from __future__ import annotations

import posixpath
from pathlib import Path

import feedparser
import pytest

from tests.sitekit import build, write_project
from tests.test_metadata import HeadTags

BASE_URL = "https://example.org/arkiv/"
SITE_YAML = f"""\
title: "Testarkiv"
description: "Et lille arkiv til test"
language: da
base_url: "{BASE_URL}"
feed_size: 2
"""
PUTIN = """\
---
name: Vladimir Putin
type: person
wikidata: Q7747
---
Ruslands præsident.
"""


def story(title: str, date: str, section: str, body: str, lead: str = "") -> str:
    lines = ["---", f'title: "{title}"', f"date: {date}", f"section: {section}"]
    if lead:
        lines.append(f'lead: "{lead}"')
    return "\n".join([*lines, "---", body, ""])


ARTICLES = {
    "content/articles/2024/sommer.md": story(
        "Sommer i Pyongyang", "2024-06-19T10:30:00+02:00", "Udland", "Vladimir Putin rejste."
    ),
    "content/articles/2024/efteraar.md": story(
        "Efterår & <valg>", "2024-10-01T08:00:00+02:00", "Indland", "Ingen nævnt.", "Kort & godt."
    ),
    "content/articles/2024/vinter.md": story(
        "Vinter i Moskva",
        "2024-11-12T00:54:00+01:00",
        "Udland",
        "Vladimir Putin talte. Putins tale.",
        "Putin talte.",
    ),
    "content/entities/vladimir-putin.md": PUTIN,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feeds")
    project = write_project(root / "p", ARTICLES, site_yaml=SITE_YAML)
    code, _, err = build(project, root / "site", "--no-search")
    assert code == 0, err
    return root / "site"


def parse(site: Path, path: str) -> feedparser.FeedParserDict:
    feed = feedparser.parse((site / path).read_bytes())
    assert not feed.bozo, f"{path}: {feed.get('bozo_exception')}"
    assert feed.version == "atom10"
    return feed


def test_the_site_feed_holds_the_newest_articles_up_to_feed_size(site: Path) -> None:
    feed = parse(site, "feed.xml")
    assert feed.feed.title == "Testarkiv"
    assert feed.feed.id == BASE_URL + "feed.xml"
    assert feed.feed.language == "da"
    assert [e.title for e in feed.entries] == ["Vinter i Moskva", "Efterår & <valg>"]
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": BASE_URL + "feed.xml", "alternate": BASE_URL}


def test_feed_entries_have_absolute_links_ids_dates_authors_and_content(site: Path) -> None:
    entry = parse(site, "feed.xml").entries[0]
    assert entry.link == BASE_URL + "2024/11/vinter-i-moskva/"
    assert entry.id == BASE_URL + "2024/11/vinter-i-moskva/"
    assert entry.published == "2024-11-12T00:54:00+01:00"
    assert tuple(entry.published_parsed)[:5] == (2024, 11, 11, 23, 54)
    assert entry.updated == entry.published
    assert entry.author == "Testarkiv"
    assert entry.summary == "Putin talte."
    assert [t.term for t in entry.tags] == ["Udland"]
    content = entry.content[0]
    assert content.type == "text/html"
    assert "Putin" in content.value and 'class="mention"' in content.value


def test_the_feed_updated_time_is_the_newest_entry_so_the_feed_is_deterministic(
    site: Path,
) -> None:
    assert parse(site, "feed.xml").feed.updated == "2024-11-12T00:54:00+01:00"


def test_each_section_has_a_feed_of_its_own_articles(site: Path) -> None:
    udland = parse(site, "sections/udland/feed.xml")
    assert udland.feed.title == "Testarkiv: Udland"
    assert [e.title for e in udland.entries] == ["Vinter i Moskva", "Sommer i Pyongyang"]
    indland = parse(site, "sections/indland/feed.xml")
    assert [e.title for e in indland.entries] == ["Efterår & <valg>"]


def test_each_entity_has_a_feed_of_the_articles_that_name_it(site: Path) -> None:
    feed = parse(site, "entities/vladimir-putin/feed.xml")
    assert feed.feed.title == "Testarkiv: Vladimir Putin"
    assert [e.title for e in feed.entries] == ["Vinter i Moskva", "Sommer i Pyongyang"]
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["alternate"] == BASE_URL + "entities/vladimir-putin/"


def test_entity_feeds_carry_leads_and_links_while_site_and_section_feeds_carry_the_text(
    site: Path,
) -> None:
    entity = parse(site, "entities/vladimir-putin/feed.xml").entries[0]
    assert entity.link == BASE_URL + "2024/11/vinter-i-moskva/"
    assert entity.summary == "Putin talte."
    assert "content" not in entity
    for path in ("feed.xml", "sections/udland/feed.xml"):
        entry = parse(site, path).entries[0]
        assert entry.title == "Vinter i Moskva"
        assert 'class="mention"' in entry.content[0].value


def feed_links(site: Path, page: str) -> dict[str, str]:
    """The page's Atom feed links: title -> feed path in the site, resolved from the page."""
    tags = HeadTags((site / page).read_text(encoding="utf-8"))
    found = {}
    for link in tags.rel("alternate"):
        assert link["type"] == "application/atom+xml", link
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page), link["href"]))
        found[link["title"]] = path
    return found


def test_every_html_page_links_the_site_feed_and_every_linked_feed_exists(site: Path) -> None:
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")]
    assert len(pages) > 10
    for page in pages:
        if page == "404.html":
            continue
        links = feed_links(site, page)
        assert links.get("Testarkiv") == "feed.xml", page
        for path in links.values():
            assert (site / path).is_file(), f"{page} links a missing feed {path}"
            parse(site, path)


def test_an_article_links_its_section_feed(site: Path) -> None:
    assert feed_links(site, "2024/11/vinter-i-moskva/index.html") == {
        "Testarkiv": "feed.xml",
        "Testarkiv: Udland": "sections/udland/feed.xml",
    }


def test_a_section_page_links_its_own_feed(site: Path) -> None:
    assert feed_links(site, "sections/indland/index.html") == {
        "Testarkiv": "feed.xml",
        "Testarkiv: Indland": "sections/indland/feed.xml",
    }


def test_an_entity_page_links_its_own_feed(site: Path) -> None:
    assert feed_links(site, "entities/vladimir-putin/index.html") == {
        "Testarkiv": "feed.xml",
        "Atom-feed: Vladimir Putin": "entities/vladimir-putin/feed.xml",
    }


def test_without_a_base_url_feeds_still_parse_with_stable_urn_ids(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {"content/articles/2024/vinter.md": ARTICLES["content/articles/2024/vinter.md"]},
    )
    assert build(project, tmp_path / "a", "--no-search")[0] == 0
    assert build(project, tmp_path / "b", "--no-search")[0] == 0
    feed = parse(tmp_path / "a", "feed.xml")
    assert feed.feed.id.startswith("urn:uuid:")
    assert feed.entries[0].id.startswith("urn:uuid:")
    assert feed.entries[0].link == "2024/11/vinter-i-moskva/index.html"
    assert (tmp_path / "a/feed.xml").read_bytes() == (tmp_path / "b/feed.xml").read_bytes()


ENGLISH_STORY = """\
---
title: "Putin speaks in Moscow"
date: 2024-11-20T10:00:00+01:00
section: Udland
language: en
lead: "Vladimir Putin spoke."
---
Vladimir Putin spoke on Wednesday.
"""


@pytest.mark.parametrize("path", ["feed.xml", "sections/udland/feed.xml"])
def test_an_entry_in_another_language_than_the_feed_is_marked_with_its_own(
    tmp_path: Path, path: str
) -> None:
    files = {**ARTICLES, "content/articles/2024/english.md": ENGLISH_STORY}
    project = write_project(tmp_path / "p", files, site_yaml=SITE_YAML)
    code, _, err = build(project, tmp_path / "site", "--no-search")
    assert code == 0, err
    feed = parse(tmp_path / "site", path)
    assert feed.feed.language == "da"
    english, danish = feed.entries
    assert english.title == "Putin speaks in Moscow"
    for detail in (english.title_detail, english.summary_detail, english.content[0]):
        assert detail.language == "en"
    for detail in (danish.title_detail, danish.summary_detail, danish.content[0]):
        assert detail.language == "da"
    text = (tmp_path / "site" / path).read_text(encoding="utf-8")
    assert text.count("<entry>") == 1
    assert text.count('<entry xml:lang="en">') == 1


def test_an_entity_feed_marks_an_entry_in_another_language_too(tmp_path: Path) -> None:
    files = {**ARTICLES, "content/articles/2024/english.md": ENGLISH_STORY}
    project = write_project(tmp_path / "p", files, site_yaml=SITE_YAML)
    assert build(project, tmp_path / "site", "--no-search")[0] == 0
    feed = parse(tmp_path / "site", "entities/vladimir-putin/feed.xml")
    languages = [
        (e.title, e.title_detail.language, e.summary_detail.language) for e in feed.entries
    ]
    assert languages == [("Putin speaks in Moscow", "en", "en"), ("Vinter i Moskva", "da", "da")]
