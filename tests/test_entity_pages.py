"""Entity pages gather what the archive says: backlinks split by about/mentions, related entities
with counts, an entity index with article counts, and an Atom feed per entity."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from generator.annotate import Registry, annotate_article
from generator.build import load
from tests.sitekit import build, write_project


def entity(name: str, kind: str, aliases: str = "[]") -> str:
    return (
        f"---\nname: {name}\ntype: {kind}\naliases: {aliases}\nsummary: Om {name}.\n---\nTekst.\n"
    )


def art(title: str, date: str, body: str, about: str = "[]") -> str:
    return f"---\ntitle: {title}\ndate: {date}\nabout: {about}\n---\n{body}\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("entities")
    project = write_project(
        root / "p",
        {
            "content/entities/kursk.md": entity("Kursk", "place"),
            "content/entities/nis.md": entity("NIS", "organisation"),
            "content/entities/vladimir-putin.md": entity("Vladimir Putin", "person", "[Putin]"),
            "content/articles/2024/a.md": art(
                "Kampe i Kursk", "2024-11-01", "Kursk og NIS. Putin.", "[kursk]"
            ),
            "content/articles/2024/b.md": art(
                "NIS om soldater", "2024-11-05", "NIS' rapport om Kursk."
            ),
            "content/articles/2024/c.md": art(
                "Putin taler", "2024-11-09", "Putins tale om Kursk-regionen."
            ),
            "content/articles/2024/d.md": art(
                "Dennis i nissehuen", "2024-11-10", "Dennis og nisserne."
            ),
            "content/articles/2024/e.md": art(
                "Om NIS uden at nævne det", "2024-11-11", "Ingen navne her.", "[nis]"
            ),
        },
    )
    out = root / "site"
    code, _out, err = build(project, out)
    assert code == 0, err
    return out


def section(html: str, heading_id: str) -> str:
    match = re.search(rf'id="{heading_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def titles(fragment: str) -> list[str]:
    return re.findall(r"<h3><a [^>]*>([^<]+)</a></h3>", fragment)


def test_articles_about_and_articles_that_mention_are_listed_apart_newest_first(site: Path) -> None:
    html = (site / "entities/kursk/index.html").read_text()
    assert titles(section(html, "about-h")) == ["Kampe i Kursk"]
    assert titles(section(html, "mentioned-h")) == ["Putin taler", "NIS om soldater"]


def test_an_entity_that_no_article_is_about_lists_the_articles_that_name_it_without_also(
    site: Path,
) -> None:
    html = (site / "entities/nis/index.html").read_text()
    assert 'id="about-h"' not in html
    assert '<h2 id="mentioned-h">Artikler, der nævner NIS</h2>' in html
    kursk = (site / "entities/kursk/index.html").read_text()
    assert '<h2 id="mentioned-h">Også nævnt i</h2>' in kursk


def test_an_article_that_never_names_the_entity_is_never_listed(site: Path) -> None:
    html = (site / "entities/nis/index.html").read_text()
    listed = titles(re.search(r'<div class="backlinks">(.*?)</div>', html, re.S).group(1))
    assert "Om NIS uden at nævne det" not in listed
    assert "Dennis i nissehuen" not in listed
    assert sorted(listed) == ["Kampe i Kursk", "NIS om soldater"]


def test_each_backlink_shows_an_excerpt_around_the_first_mention(site: Path) -> None:
    html = (site / "entities/nis/index.html").read_text()
    assert "NIS&#39; rapport om Kursk." in html or "NIS' rapport om Kursk." in html


def test_every_backlink_excerpt_is_the_context_of_the_first_mention(site: Path) -> None:
    # The built pages read each excerpt from the cache; annotating again in memory must agree.
    loaded, _problems = load(site.parent / "p")
    assert loaded is not None
    registry = Registry.build(loaded.content, loaded.config)
    excerpts = {}
    for article in loaded.content.articles:
        annotated = annotate_article(article, registry)
        for entity in loaded.content.entities:
            mention = annotated.first_mention(entity.slug)
            assert annotated.first_context(entity.slug) == (mention.context if mention else "")
            if mention is not None:
                excerpts[article.title, entity.slug] = mention.context
    assert ("NIS om soldater", "nis") in excerpts
    shown = {}
    for entity in loaded.content.entities:
        html = (site / f"entities/{entity.slug}/index.html").read_text()
        for title, excerpt in re.findall(
            r'<h3><a [^>]*>([^<]+)</a></h3>\s*<p class="excerpt">([^<]*)</p>', html
        ):
            shown[title, entity.slug] = unescape(excerpt)
    assert shown == excerpts


def test_related_entities_are_counted_by_shared_articles(site: Path) -> None:
    html = (site / "entities/kursk/index.html").read_text()
    related = section(html, "related-h")
    pairs = re.findall(r'>([^<]+)</a> <span class="count">\(([^)]+)\)', related)
    assert pairs == [("NIS", "2 fælles artikler"), ("Vladimir Putin", "2 fælles artikler")]


def test_the_entity_index_groups_by_type_with_article_counts(site: Path) -> None:
    html = (site / "entities/index.html").read_text()
    order = re.findall(r'<h2 id="(\w+)"', html)
    assert order == ["person", "organisation", "place"]
    assert re.search(r">Kursk</a> <span class=\"count\">3 artikler</span>", html)
    assert re.search(r">NIS</a> <span class=\"count\">2 artikler</span>", html)


def test_each_entity_has_an_atom_feed_of_the_articles_that_name_it(site: Path) -> None:
    feed = (site / "entities/vladimir-putin/feed.xml").read_text()
    assert feed.count("<entry>") == 2
    assert "<title>Putin taler</title>" in feed


PAGED_YAML = (
    'title: "Testarkiv"\nlanguage: da\nentity_page_size: 2\nbase_url: "https://arkiv.example/"\n'
)


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Kursk named in five articles (two of them about it), two to a page."""
    root = tmp_path_factory.mktemp("paged")
    files = {
        "content/entities/kursk.md": entity("Kursk", "place"),
        "content/entities/nis.md": entity("NIS", "organisation"),
    }
    for day, about in ((1, "[kursk]"), (2, "[]"), (3, "[kursk]"), (4, "[]"), (5, "[]")):
        files[f"content/articles/2024/k{day}.md"] = art(
            f"Kursk dag {day}", f"2024-11-0{day}", f"Nyt fra Kursk, dag {day}. NIS.", about
        )
    project = write_project(root / "p", files, site_yaml=PAGED_YAML)
    code, _out, err = build(project, root / "site")
    assert code == 0, err
    return root / "site"


def test_an_entity_named_in_many_articles_has_its_list_on_pages_of_page_size(paged: Path) -> None:
    """As Wikipedia's "What links here" and Hugo's term pages do: the first page has the
    entity and the first articles, the others the rest, each article once, about it first."""
    pages = [
        (paged / path).read_text(encoding="utf-8")
        for path in (
            "entities/kursk/index.html",
            "entities/kursk/page/2/index.html",
            "entities/kursk/page/3/index.html",
        )
    ]
    assert not (paged / "entities/kursk/page/4").exists()
    titles = [re.findall(r"<h3><a [^>]*>(Kursk dag \d)</a>", page) for page in pages]
    assert titles == [
        ["Kursk dag 3", "Kursk dag 1"],
        ["Kursk dag 5", "Kursk dag 4"],
        ["Kursk dag 2"],
    ]
    assert 'id="about-h"' in pages[0] and 'id="mentioned-h"' not in pages[0]
    assert 'id="about-h"' not in pages[1] and 'id="mentioned-h"' in pages[1]
    # Page 2 goes on from the articles about Kursk on page 1: "also".
    assert '<h2 id="mentioned-h">Også nævnt i</h2>' in pages[1]
    first, second, last = pages
    assert "Om Kursk." in first and 'class="related"' in first and "data-pagefind-body" in first
    assert 'class="related"' not in second and "data-pagefind-body" not in second
    assert "<title>Kursk – Side 2 af 3 · Testarkiv</title>" in second
    assert '<a rel="next" href="../../entities/kursk/page/2/index.html">Næste side' in first
    assert '<a rel="prev" href="../../../../entities/kursk/index.html">' in second
    assert "Forrige side</a><span>Side 2 af 3</span>" in second
    assert '<a rel="next" href="../../../../entities/kursk/page/3/index.html">' in second
    assert 'rel="next"' not in last
    assert '<li><a href="../../../../entities/kursk/index.html">Kursk</a></li>' in last
    assert 'index.html" aria-current="page">Side 3 af 3</a>' in last
    sitemap = (paged / "sitemap.xml").read_text(encoding="utf-8")
    assert "entities/kursk/page/3/" in sitemap
    nis = (paged / "entities/nis/index.html").read_text(encoding="utf-8")
    assert 'class="pagination"' in nis and (paged / "entities/nis/page/3/index.html").is_file()
