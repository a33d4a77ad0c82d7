"""The theme: asset budget, no request leaving the site, colour contrast in light and dark mode,
print styles, and the page furniture (skip link, language, navigation, pagination, 404)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.views import NOT_FOUND_LATEST
from tests.sitekit import build, write_project

ASSETS = Path(__file__).resolve().parent.parent / "templates" / "assets"
STYLE = (ASSETS / "style.css").read_text(encoding="utf-8")
ASSET_BUDGET = 60_000
"""Bytes of our own CSS and JavaScript, uncompressed (Pagefind's files are not ours)."""

TEXT_COLOURS = ("fg", "muted", "accent", "kicker")
BACKGROUNDS = ("bg", "surface")


# -- Reading the stylesheet ------------------------------------------------------------------


def without_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def at_rule_bodies(css: str, prelude: str) -> list[str]:
    """The text inside every ``@media <prelude> { … }`` block, braces balanced."""
    css = without_comments(css)
    bodies = []
    for match in re.finditer(r"@media\s*" + re.escape(prelude) + r"\s*\{", css):
        depth, start = 1, match.end()
        position = start
        while depth:
            depth += {"{": 1, "}": -1}.get(css[position], 0)
            position += 1
        bodies.append(css[start : position - 1])
    return bodies


def outside_media(css: str) -> str:
    """The stylesheet with every ``@media`` block removed: the rules that always apply."""
    css = without_comments(css)
    kept, position = [], 0
    for match in re.finditer(r"@media[^{]*\{", css):
        if match.start() < position:
            continue
        kept.append(css[position : match.start()])
        depth, position = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[position], 0)
            position += 1
    kept.append(css[position:])
    return "".join(kept)


def rule_body(css: str, selector: str) -> str:
    """The declarations of the first rule whose selector list is exactly ``selector``."""
    match = re.search(r"(?:^|[}\s])" + re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert match, f"no rule for {selector!r}"
    return match.group(1)


def custom_properties(declarations: str) -> dict[str, str]:
    return {
        name: value.strip()
        for name, value in re.findall(r"--([\w-]+)\s*:\s*([^;]+);", declarations)
    }


def light_colours() -> dict[str, str]:
    return custom_properties(rule_body(outside_media(STYLE), ":root"))


def dark_colours() -> dict[str, str]:
    dark = "\n".join(at_rule_bodies(STYLE, "(prefers-color-scheme: dark)"))
    return {**light_colours(), **custom_properties(rule_body(dark, ":root"))}


def relative_luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# -- The stylesheet ---------------------------------------------------------------------------


def test_contrast_is_computed_as_wcag_defines_it():
    assert round(contrast("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48
    assert contrast("#123456", "#123456") == 1.0


def test_our_css_and_javascript_stay_under_the_budget_together():
    files = sorted(p for p in ASSETS.rglob("*") if p.suffix in {".css", ".js"})
    sizes = {p.name: p.stat().st_size for p in files}
    assert "style.css" in sizes and "cards.js" in sizes
    assert sum(sizes.values()) < ASSET_BUDGET, f"{sum(sizes.values())} bytes: {sizes}"


def test_the_stylesheet_loads_no_fonts_imports_or_outside_urls():
    css = without_comments(STYLE)
    assert "@font-face" not in css
    assert "@import" not in css
    for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
        assert target.startswith("data:"), f"url({target}) would be a request"


def test_font_stacks_are_system_fonts_ending_in_a_generic_family():
    fonts = light_colours()
    assert fonts["serif"].endswith(", serif")
    assert fonts["sans"].startswith("system-ui") and fonts["sans"].endswith(", sans-serif")


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_every_text_colour_has_aa_contrast_on_every_background(mode):
    colours = light_colours() if mode == "light" else dark_colours()
    for text in TEXT_COLOURS:
        for background in BACKGROUNDS:
            ratio = contrast(colours[text], colours[background])
            assert ratio >= 4.5, f"{mode}: --{text} on --{background} is {ratio:.2f}:1"


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_the_focus_ring_stands_out_from_the_page(mode):
    colours = light_colours() if mode == "light" else dark_colours()
    assert contrast(colours["focus"], colours["bg"]) >= 3
    assert "outline: 3px solid var(--focus)" in rule_body(outside_media(STYLE), ":focus-visible")


def test_dark_mode_redefines_every_colour_of_the_light_theme():
    light = {k for k, v in light_colours().items() if v.startswith("#")}
    dark = "\n".join(at_rule_bodies(STYLE, "(prefers-color-scheme: dark)"))
    assert light - set(custom_properties(rule_body(dark, ":root"))) == set()
    assert "color-scheme: light dark" in rule_body(outside_media(STYLE), ":root")


def test_print_hides_navigation_and_prints_black_on_white():
    printed = "\n".join(at_rule_bodies(STYLE, "print"))
    colours = custom_properties(rule_body(printed, ":root"))
    assert (colours["fg"], colours["bg"]) == ("#000", "#fff")
    hidden = re.search(r"([^{}]*)\{\s*display:\s*none !important;\s*\}", printed)
    assert hidden
    selectors = {s.strip() for s in hidden.group(1).split(",")}
    assert {".masthead nav", ".breadcrumbs", ".pagination", ".entity-card"} <= selectors
    sidenotes = rule_body(printed, ".story .sidenote, .story-body aside")
    assert "float: none !important" in sidenotes


def test_mentions_are_told_apart_by_an_underline_not_by_colour_alone():
    mention = rule_body(outside_media(STYLE), "a.mention")
    assert "color: inherit" in mention
    assert "text-decoration-line: underline" in mention


def test_motion_only_plays_for_readers_who_have_not_asked_for_less():
    calm = "".join(at_rule_bodies(STYLE, "(prefers-reduced-motion: no-preference)"))
    assert "animation:" in calm
    assert "animation:" not in outside_media(STYLE)


def test_on_phones_the_timeline_kind_is_one_line_above_the_title():
    # The phone rule must come after the base rule it overrides: with the same specificity,
    # the later rule wins, and a base "flex: 0 0 6.5rem" would make the label 6.5rem tall.
    base = STYLE.index(".timeline-kind { flex: 0 0 6.5rem;")
    (phone,) = [b for b in at_rule_bodies(STYLE, "(max-width: 40rem)") if ".timeline-kind" in b]
    assert "flex-direction: column" in rule_body(phone, ".timeline-entry")
    assert "flex: 0 0 auto" in rule_body(phone, ".timeline-kind")
    assert STYLE.index(phone) > base


def test_wide_screens_leave_a_margin_column_beside_the_article_text():
    (wide,) = [b for b in at_rule_bodies(STYLE, "(min-width: 1100px)") if ".story {" in b]
    story = rule_body(wide, ".story")
    assert "var(--measure) + var(--gutter) + var(--margin-col)" in story
    tokens = light_colours()
    assert (tokens["measure"], tokens["margin-col"]) == ("38rem", "16rem")


# -- Built pages ------------------------------------------------------------------------------


class Elements(HTMLParser):
    """Every start tag of a page, in order, with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def elements(path: Path) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def entity(name: str, kind: str, summary: str) -> str:
    return f'---\nname: {name}\ntype: {kind}\nsummary: "{summary}"\n---\n{summary}\n'


def story(title: str, date: str, body: str, language: str = "") -> str:
    lang = f"language: {language}\n" if language else ""
    return f'---\ntitle: "{title}"\ndate: {date}\nsection: Indland\n{lang}---\n{body}\n'


SITE = 'title: "Testarkiv"\ndescription: "Et lille arkiv til test"\nlanguage: da\npage_size: 2\n'


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A small Danish site: three articles (one in English), two entities, two listing pages."""
    root = tmp_path_factory.mktemp("design")
    files = {
        "content/entities/folketinget.md": entity(
            "Folketinget", "organisation", "Danmarks parlament med 179 medlemmer."
        ),
        "content/entities/koebenhavn.md": entity("København", "place", "Danmarks hovedstad."),
        "content/articles/2024/folketinget.md": story(
            "Folketinget har 179 medlemmer",
            "2024-10-01T10:00:00",
            "Folketinget har 179 medlemmer og mødes på Christiansborg i København.",
        ),
        "content/articles/2024/hovedstaden.md": story(
            "København er Danmarks hovedstad", "2024-10-02T10:00:00", "København er hovedstad."
        ),
        "content/articles/2024/parliament.md": story(
            "The Folketing has 179 members",
            "2024-10-03T10:00:00",
            "Folketinget, the Danish parliament, has 179 members.",
            language="en",
        ),
    }
    write_project(root, files, site_yaml=SITE)
    code, _out, err = build(root, root / "site", "--no-search")
    assert code == 0, err
    return root / "site"


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_no_built_page_loads_anything_from_outside_the_site(site):
    loading = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src"}
    for page in html_pages(site):
        for tag, attrs in elements(page):
            if tag == "link" and attrs.get("rel") in {
                "stylesheet",
                "preload",
                "icon",
                "modulepreload",
            }:
                target = attrs["href"]
            elif tag in loading and loading[tag] in attrs:
                target = attrs[loading[tag]]
            else:
                continue
            assert not re.match(r"(https?:)?//", target), f"{page}: <{tag}> loads {target}"
    for sheet in site.rglob("*.css"):
        if "pagefind" not in sheet.relative_to(site).parts:
            text = sheet.read_text(encoding="utf-8")
            assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", text), sheet


def test_every_page_declares_its_language_and_starts_with_a_skip_link(site):
    for page in html_pages(site):
        tags = elements(page)
        assert tags[0] == ("html", {"lang": "da"}), page
        body = [t for t in tags if t[0] == "body"]
        first_link = next(attrs for tag, attrs in tags[tags.index(body[0]) :] if tag == "a")
        assert first_link == {"class": "skip", "href": "#main"}, page
        assert ("main", {"id": "main", "tabindex": "-1"}) in tags, page


def test_an_article_in_another_language_marks_its_own_text_and_not_the_page_furniture(site):
    page = site / "2024/10/the-folketing-has-179-members/index.html"
    tags = elements(page)
    stories = [attrs for tag, attrs in tags if tag == "article"]
    assert stories[0] == {"class": "story"}
    assert ("h1", {"lang": "en"}) in tags
    assert ("div", {"class": "story-body", "lang": "en", "data-pagefind-body": ""}) in tags
    html = page.read_text(encoding="utf-8")
    # The labels around the text are in the site's language, and so are the dates they give.
    meta = html.split('<p class="meta" data-pagefind-ignore>', 1)[1].split("</p>", 1)[0]
    assert "Publiceret" in meta
    assert re.search(r">\d+\. oktober 2024 kl\. \d\d\.\d\d</time>", meta), meta


def test_the_header_marks_the_current_page_for_assistive_technology(site):
    archive = (site / "archive/index.html").read_text(encoding="utf-8")
    masthead = archive.split('<nav aria-label="Hovedmenu">', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r"<a [^>]*aria-current[^>]*>[^<]+</a>", masthead) == [
        '<a href="../archive/index.html" aria-current="page">Arkiv</a>'
    ]
    home = [a for tag, a in elements(site / "index.html") if a.get("aria-current") == "page"]
    assert {"class": "brand", "href": "index.html", "aria-current": "page"} in home


def test_listings_are_paginated_with_labelled_previous_and_next_links(site):
    first = (site / "index.html").read_text(encoding="utf-8")
    second = (site / "page/2/index.html").read_text(encoding="utf-8")
    assert '<nav class="pagination" aria-label="Sidenavigation">' in first
    assert (
        '<a rel="next" href="page/2/index.html">Ældre<span aria-hidden="true">&nbsp;→</span></a>'
        in first
    )
    assert (
        '<a rel="prev" href="../../index.html"><span aria-hidden="true">←&nbsp;</span>Nyere</a>'
        in second
    )
    assert "<span>Side 2 af 2</span>" in second


def test_the_front_page_leads_with_the_newest_article_and_lists_topics_by_mentions(site):
    page = (site / "index.html").read_text(encoding="utf-8")
    assert '<h1 class="visually-hidden">Testarkiv</h1>' in page
    assert '<ol class="article-list featured">' in page
    headlines = re.findall(r'<h3(?: lang="\w+")?><a href="[^"]+">([^<]+)</a></h3>', page)
    assert headlines == ["The Folketing has 179 members", "København er Danmarks hovedstad"]
    topics = re.findall(
        r'<li><a href="entities/[^"]+">([^<]+)</a> <span class="count">([^<]+)</span></li>', page
    )
    assert topics == [
        ("Folketinget", "Organisation · 2 artikler"),
        ("København", "Sted · 2 artikler"),
    ]


def test_articles_link_to_their_neighbours_in_date_order(site):
    page = (site / "2024/10/koebenhavn-er-danmarks-hovedstad/index.html").read_text(
        encoding="utf-8"
    )
    assert '<nav class="neighbours" aria-label="Flere artikler">' in page
    assert (
        '<a rel="prev" href="../../../2024/10/folketinget-har-179-medlemmer/index.html">'
        "<span>Forrige artikel</span> "
        "Folketinget har 179 medlemmer</a>" in page
    )
    assert (
        '<a rel="next" href="../../../2024/10/the-folketing-has-179-members/index.html">'
        "<span>Næste artikel</span> "
        '<span lang="en">The Folketing has 179 members</span></a>' in page
    )


def test_the_404_page_offers_the_navigation_and_the_latest_articles(site):
    page = (site / "404.html").read_text(encoding="utf-8")
    assert "<h1>Siden findes ikke</h1>" in page
    assert '<li><a href="archive/index.html">Arkiv</a></li>' in page
    assert '<li><a href="entities/index.html">Emner</a></li>' in page
    latest = re.findall(r'<h3(?: lang="\w+")?><a href="([^"]+)">', page)
    assert (
        latest
        == [
            "2024/10/the-folketing-has-179-members/index.html",
            "2024/10/koebenhavn-er-danmarks-hovedstad/index.html",
            "2024/10/folketinget-har-179-medlemmer/index.html",
        ][:NOT_FOUND_LATEST]
    )


def test_the_entity_index_groups_topics_by_type_with_article_counts(site):
    page = (site / "entities/index.html").read_text(encoding="utf-8")
    assert '<nav class="toc" aria-label="Emnetyper">' in page
    assert re.findall(r'<h2 id="(\w+)">([^<]+)</h2>', page) == [
        ("organisation", "Organisationer"),
        ("place", "Steder"),
    ]
    assert (
        '<a class="entity-name" href="../entities/folketinget/index.html">Folketinget</a> '
        '<span class="count">2 artikler</span>' in page
    )


def test_a_later_page_of_a_listing_is_the_current_last_step_of_its_breadcrumbs(site):
    second = (site / "sections/indland/page/2/index.html").read_text(encoding="utf-8")
    trail = second.split('<nav class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r"<a [^>]*>[^<]+</a>", trail)[-2:] == [
        '<a href="../../../../sections/indland/index.html">Indland</a>',
        '<a href="../../../../sections/indland/page/2/index.html" aria-current="page">'
        "Side 2 af 2</a>",
    ]
    first = (site / "sections/indland/index.html").read_text(encoding="utf-8")
    assert 'aria-current="page">Indland</a>' in first
