"""Metadata for machines: sitemap.xml against the sitemaps.org rules, robots.txt, canonical URLs,
Open Graph and Twitter tags, and JSON-LD that parses and cannot be broken out of."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from generator.views import og_locale
from tests.browser.support import SECOND_ARTICLE, SEED_ARTICLE, build_demo_site
from tests.sitekit import article, build, write_project

BASE_URL = "https://example.org/forklaret/"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
W3C_DATE = re.compile(r"^\d{4}(-\d\d(-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?)?)?$")


class HeadTags(HTMLParser):
    """The <link>, <meta> and JSON-LD <script> elements of a page, and its <html lang>."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[dict[str, str]] = []
        self.meta: dict[str, str] = {}
        self.jsonld: list[str] = []
        self.scripts = 0
        self.language = ""
        self._in_jsonld = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.language = attributes.get("lang", "")
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "meta" and ("property" in attributes or "name" in attributes):
            key = attributes.get("property") or attributes["name"]
            self.meta[key] = attributes.get("content", "")
        elif tag == "script":
            self.scripts += 1
            if attributes.get("type") == "application/ld+json":
                self._in_jsonld = True
                self.jsonld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_jsonld = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld[-1] += data

    def rel(self, rel: str) -> list[dict[str, str]]:
        return [link for link in self.links if link.get("rel") == rel]

    def nodes(self) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.jsonld]

    def node(self, kind: str) -> dict[str, Any]:
        found = [n for n in self.nodes() if n.get("@type") == kind]
        assert len(found) == 1, f"{len(found)} {kind} nodes"
        return found[0]


def head(site: Path, url: str) -> HeadTags:
    return HeadTags((site / url / "index.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_site(tmp_path_factory.mktemp("metadata"))


def html_pages(site: Path) -> list[str]:
    """Every HTML page's URL (``entities/x/``), the 404 page aside."""
    return sorted(
        p.relative_to(site).as_posix().removesuffix("index.html")
        for p in site.rglob("*.html")
        if p.name != "404.html"
    )


def sitemap_urls(site: Path) -> list[ET.Element]:
    root = ET.parse(site / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP_NS}urlset"
    urls = list(root)
    assert all(u.tag == f"{SITEMAP_NS}url" for u in urls)
    return urls


def test_the_sitemap_lists_every_html_page_exactly_once_with_absolute_locations(
    demo_site: Path,
) -> None:
    entries = sitemap_urls(demo_site)
    locations = [u.findtext(f"{SITEMAP_NS}loc") for u in entries]
    assert 0 < len(locations) <= 50_000
    assert len(locations) == len(set(locations))
    assert all(loc and loc.startswith(BASE_URL) for loc in locations)
    assert sorted(loc.removeprefix(BASE_URL) for loc in locations) == html_pages(demo_site)
    assert (demo_site / "sitemap.xml").stat().st_size <= 50 * 1024 * 1024


def test_sitemap_entries_hold_only_loc_and_a_w3c_lastmod(demo_site: Path) -> None:
    lastmods = {}
    for entry in sitemap_urls(demo_site):
        children = [child.tag.removeprefix(SITEMAP_NS) for child in entry]
        assert children[0] == "loc" and set(children) <= {"loc", "lastmod"}, children
        lastmod = entry.findtext(f"{SITEMAP_NS}lastmod")
        if lastmod is not None:
            assert W3C_DATE.match(lastmod), lastmod
            lastmods[entry.findtext(f"{SITEMAP_NS}loc")] = lastmod
    assert lastmods[BASE_URL + SEED_ARTICLE] == "2024-11-12"
    assert lastmods[BASE_URL + SECOND_ARTICLE] == "2024-08-20"


def test_the_sitemap_leaves_out_the_404_page_and_the_search_bundle(demo_site: Path) -> None:
    text = (demo_site / "sitemap.xml").read_text(encoding="utf-8")
    assert "404" not in text
    assert "pagefind" not in text
    assert (demo_site / "pagefind/pagefind-ui.js").exists()


def test_robots_txt_allows_everything_and_names_the_sitemap(demo_site: Path) -> None:
    assert (demo_site / "robots.txt").read_text(encoding="utf-8") == (
        f"User-agent: *\nAllow: /\nSitemap: {BASE_URL}sitemap.xml\n"
    )


def test_every_page_has_a_canonical_url_that_is_its_own_address(demo_site: Path) -> None:
    for url in html_pages(demo_site):
        canonical = head(demo_site, url).rel("canonical")
        assert [link["href"] for link in canonical] == [BASE_URL + url], url


def test_every_page_has_open_graph_and_twitter_card_tags(demo_site: Path) -> None:
    for url in html_pages(demo_site):
        tags = head(demo_site, url)
        assert tags.meta["og:url"] == BASE_URL + url
        assert tags.meta["og:site_name"] == "Forklaret"
        assert tags.meta["og:title"] and tags.meta["og:title"] == tags.meta["twitter:title"]
        assert tags.meta["og:locale"] == "da_DK"
        assert tags.meta["twitter:card"] == "summary"
        assert tags.meta["og:description"] == tags.meta["description"]


def test_an_article_is_an_open_graph_article_with_its_lead_as_description(
    demo_site: Path,
) -> None:
    tags = head(demo_site, SEED_ARTICLE)
    assert tags.meta["og:type"] == "article"
    assert tags.meta["og:title"] == (
        "Nordkorea og Rusland godkender aftale om gensidig støtte ved invasion"
    )
    assert tags.meta["og:description"] == (
        "Forsvarsaftale mellem Nordkorea og Rusland forpligter landene til militær bistand, "
        "hvis et af dem invaderes."
    )
    assert head(demo_site, "entities/vladimir-putin/").meta["og:type"] == "profile"


def test_every_json_ld_block_of_the_site_parses(demo_site: Path) -> None:
    for url in html_pages(demo_site):
        for node in head(demo_site, url).nodes():
            assert node["@context"] == "https://schema.org", url
            assert node["@type"], url


def test_the_seed_article_is_a_news_article_that_mentions_its_entities_with_wikidata(
    demo_site: Path,
) -> None:
    node = head(demo_site, SEED_ARTICLE).node("NewsArticle")
    assert node["headline"] == (
        "Nordkorea og Rusland godkender aftale om gensidig støtte ved invasion"
    )
    assert node["datePublished"] == "2024-11-12T00:54:00+01:00"
    assert node["inLanguage"] == "da"
    assert node["url"] == node["mainEntityOfPage"] == BASE_URL + SEED_ARTICLE
    assert node["author"] == {"@type": "Organization", "name": "Ritzau"}
    mentions = {m["name"]: m for m in node["mentions"]}
    assert mentions["Vladimir Putin"] == {
        "@type": "Person",
        "name": "Vladimir Putin",
        "sameAs": "https://www.wikidata.org/wiki/Q7747",
        "url": BASE_URL + "entities/vladimir-putin/",
    }
    assert mentions["Reuters"]["@type"] == "Organization"
    assert mentions["Reuters"]["sameAs"] == "https://www.wikidata.org/wiki/Q130879"
    assert mentions["Kursk oblast"]["@type"] == "Place"
    assert "sameAs" not in mentions["Kursk oblast"]


def test_entity_pages_are_person_organization_and_place_nodes(demo_site: Path) -> None:
    putin = head(demo_site, "entities/vladimir-putin/").node("Person")
    assert putin["name"] == "Vladimir Putin"
    assert putin["sameAs"] == "https://www.wikidata.org/wiki/Q7747"
    assert putin["url"] == BASE_URL + "entities/vladimir-putin/"
    assert putin["description"].startswith("Ruslands præsident")
    assert head(demo_site, "entities/afp/").node("Organization")["sameAs"] == (
        "https://www.wikidata.org/wiki/Q40464"
    )
    assert head(demo_site, "entities/pyongyang/").node("Place")["name"] == "Pyongyang"


def test_breadcrumbs_are_a_breadcrumb_list_of_absolute_urls_in_order(demo_site: Path) -> None:
    crumbs = head(demo_site, "entities/kursk-oblast/").node("BreadcrumbList")
    assert crumbs["itemListElement"] == [
        {"@type": "ListItem", "position": 1, "name": "Forside", "item": BASE_URL},
        {"@type": "ListItem", "position": 2, "name": "Emner", "item": BASE_URL + "entities/"},
        {
            "@type": "ListItem",
            "position": 3,
            "name": "Kursk oblast",
            "item": BASE_URL + "entities/kursk-oblast/",
        },
    ]


HOSTILE = "</script><script>alert(1)</script>"
HOSTILE_ENTITY = f"""\
---
name: Vladimir Putin
type: person
summary: "Præsident {HOSTILE} & <b>mere</b>"
---
Tekst.
"""


def test_content_cannot_close_a_json_script_element(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "content/entities/vladimir-putin.md": HOSTILE_ENTITY,
            "content/articles/2024/vinter.md": article(
                f"Putin {HOSTILE}", body="Vladimir Putin talte."
            ),
        },
        site_yaml=f'title: "Testarkiv"\nlanguage: da\nbase_url: "{BASE_URL}"\n',
    )
    code, _, err = build(project, tmp_path / "site", "--no-search")
    assert code == 0, err
    for page in ["entities/vladimir-putin/", "2024/11/putin-script-script-alert-1-script/"]:
        text = (tmp_path / "site" / page / "index.html").read_text(encoding="utf-8")
        assert "<script>alert(1)" not in text, page
        tags = HeadTags(text)
        assert tags.scripts == text.count("</script>"), page
    entity = head(tmp_path / "site", "entities/vladimir-putin/").node("Person")
    assert entity["description"] == f"Præsident {HOSTILE} & <b>mere</b>"
    news = head(tmp_path / "site", "2024/11/putin-script-script-alert-1-script/")
    assert news.node("NewsArticle")["headline"] == f"Putin {HOSTILE}"


def test_news_article_about_holds_the_entities_the_article_is_about(tmp_path: Path) -> None:
    text = article("Vinter i Moskva", body="Vladimir Putin talte i Moskva.").replace(
        "section: Udland", "section: Udland\nabout: [vladimir-putin]"
    )
    project = write_project(
        tmp_path / "p",
        {
            "content/entities/vladimir-putin.md": (
                "---\nname: Vladimir Putin\ntype: person\nwikidata: Q7747\n---\nPræsident.\n"
            ),
            "content/entities/moskva.md": "---\nname: Moskva\ntype: place\n---\nBy.\n",
            "content/articles/2024/vinter.md": text,
        },
        site_yaml=f'title: "Testarkiv"\nlanguage: da\nbase_url: "{BASE_URL}"\n',
    )
    assert build(project, tmp_path / "site", "--no-search")[0] == 0
    node = head(tmp_path / "site", "2024/11/vinter-i-moskva/").node("NewsArticle")
    assert [a["name"] for a in node["about"]] == ["Vladimir Putin"]
    assert node["about"][0]["sameAs"] == "https://www.wikidata.org/wiki/Q7747"
    assert [m["name"] for m in node["mentions"]] == ["Moskva"]
    assert node["articleSection"] == "Udland"


def test_without_a_base_url_there_is_no_sitemap_and_robots_txt_names_none(tmp_path: Path) -> None:
    """sitemaps.org requires absolute locations, which only the base_url gives."""
    project = write_project(tmp_path / "p", {"content/articles/2024/a.md": article("A")})
    code, _out, err = build(project, tmp_path / "site")
    assert code == 0, err
    assert not (tmp_path / "site/sitemap.xml").exists()
    assert (tmp_path / "site/robots.txt").read_text(encoding="utf-8") == "User-agent: *\nAllow: /\n"


ENGLISH_ARTICLE = """\
---
title: "Putin speaks in Moscow"
date: 2024-11-20T10:00:00
language: en
lead: "The president spoke on Wednesday."
---
Text.
"""
ENGLISH_NOTE = """\
---
title: "The full-scale invasion"
date: 2022-02-24
language: en
---
Russia invaded Ukraine.
"""


def test_an_article_in_another_language_has_its_own_open_graph_locale(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "content/articles/2024/english.md": ENGLISH_ARTICLE,
            "content/articles/2024/vinter.md": article("Vinter i Moskva"),
            "content/notes/invasion.md": ENGLISH_NOTE,
        },
    )
    assert build(project, tmp_path / "site", "--no-search")[0] == 0
    english = head(tmp_path / "site", "2024/11/putin-speaks-in-moscow/")
    assert english.meta["og:title"] == "Putin speaks in Moscow"
    assert english.meta["og:locale"] == "en_GB"
    assert english.language == "da"
    note = head(tmp_path / "site", "notes/invasion/")
    assert (note.meta["og:title"], note.meta["og:locale"]) == ("The full-scale invasion", "en_GB")
    for url in ("2024/11/vinter-i-moskva/", "", "timeline/"):
        assert head(tmp_path / "site", url).meta["og:locale"] == "da_DK", url


@pytest.mark.parametrize(
    ("language", "locale"),
    [("da", "da_DK"), ("en", "en_GB"), ("en-US", "en_US"), ("da-DK", "da_DK"), ("de", "de")],
)
def test_the_open_graph_locale_is_language_underscore_territory(
    tmp_path: Path, language: str, locale: str
) -> None:
    project = write_project(
        tmp_path / "p",
        {"content/articles/2024/a.md": article("A")},
        site_yaml=f'title: "Testarkiv"\nlanguage: {language}\n',
    )
    assert build(project, tmp_path / "site", "--no-search")[0] == 0
    for url in ("", "2024/11/a/"):
        tags = head(tmp_path / "site", url)
        assert (tags.language, tags.meta["og:locale"]) == (language, locale)


@pytest.mark.parametrize(
    ("language", "locale"),
    [("en-gb", "en_GB"), ("sr-Latn-RS", "sr_RS"), ("zh-Hant", "zh"), ("es-419", "es")],
)
def test_a_language_tag_with_a_script_or_a_numeric_region_gives_a_plain_locale(
    language: str, locale: str
) -> None:
    assert og_locale(language) == locale
