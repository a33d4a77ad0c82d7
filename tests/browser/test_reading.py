"""The built site in a real browser, served under /arkiv/: what readers do with it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from generator import search
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.support import (
    REPO,
    SECOND_ARTICLE,
    SECOND_TITLE,
    SEED_ARTICLE,
    demo_project,
    serve,
)
from tests.sitekit import build

SCREENSHOTS = REPO / "tests/artifacts/screenshots"
KURSK = "entities/kursk-oblast/"


def expect_ok(response: Any, url: str) -> None:
    assert response is not None, f"no response for {url}"
    assert response.status == 200, f"{url}: HTTP {response.status}"


def open_page(page: Any, site_url: str, url: str) -> None:
    address = site_url + url
    expect_ok(page.goto(address), address)


def test_a_reader_goes_from_a_mention_to_the_entity_and_on_to_another_article(
    page: Any, site_url: str
) -> None:
    open_page(page, site_url, SEED_ARTICLE)
    page.locator('.story-body a.mention[data-entity="kursk-oblast"]').first.click()
    page.wait_for_url(site_url + KURSK + "index.html")
    assert page.locator("h1").inner_text() == "Kursk oblast"
    page.get_by_role("link", name=SECOND_TITLE, exact=True).first.click()
    page.wait_for_url(site_url + SECOND_ARTICLE + "index.html")
    assert page.locator("h1").inner_text() == SECOND_TITLE


def test_a_hover_card_opens_on_keyboard_focus_and_closes_with_escape(
    page: Any, site_url: str
) -> None:
    open_page(page, site_url, SEED_ARTICLE)
    card = page.locator('[role="tooltip"]')
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('a.mention')"):
            break
    else:
        pytest.fail("Tab never reached an entity mention (a.mention)")
    name = page.evaluate("document.activeElement.textContent")
    card.wait_for(state="visible")
    assert card.is_visible()
    assert page.evaluate(
        "document.activeElement.getAttribute('aria-describedby')"
    ) == card.get_attribute("id")
    assert card.inner_text().strip(), f"the card for {name} is empty"
    page.keyboard.press("Escape")
    card.wait_for(state="hidden")
    assert not card.is_visible()
    assert page.evaluate("document.activeElement.matches('a.mention')"), "Esc moved the focus"


def test_a_side_note_sits_beside_the_text_on_a_wide_screen(page: Any, site_url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    open_page(page, site_url, SEED_ARTICLE)
    note = page.locator("[data-note]").first
    assert note.is_visible()
    text = page.locator(".story-body > p").first.bounding_box()
    box = note.bounding_box()
    assert box is not None and text is not None
    assert box["x"] >= text["x"] + text["width"], (
        f"side note at x={box['x']:.0f} overlaps the text column ending at "
        f"x={text['x'] + text['width']:.0f}"
    )


def test_a_side_note_starts_level_with_its_marker_unless_the_note_before_is_in_the_way(
    page: Any, site_url: str
) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    open_page(page, site_url, SEED_ARTICLE)
    page.wait_for_load_state("load")
    places = page.evaluate(
        """() => {
            const body = document.querySelector('.story-body').getBoundingClientRect();
            return [...document.querySelectorAll('.story-body > .sidenote')].map((note) => {
                const marker = document.getElementById(note.id.replace('note-', 'note-ref-'));
                const box = note.getBoundingClientRect();
                return {
                    id: note.id, top: box.top, bottom: box.bottom,
                    marker: marker ? marker.getBoundingClientRect().top : null,
                    body: body.top,
                };
            });
        }"""
    )
    assert len(places) >= 3, places
    below = places[0]["body"]
    level = 0
    for place in places:
        assert place["marker"] is not None, place
        wanted = max(place["marker"], below)
        assert abs(place["top"] - wanted) < 2, (place, wanted)
        level += abs(place["top"] - place["marker"]) < 2
        assert place["top"] >= below - 1, f"{place['id']} overlaps the note before it"
        below = place["bottom"] + 16
    assert level >= 1, f"no note starts at its marker's line: {places}"


def test_the_404_skip_link_moves_to_the_content_at_any_address(
    browser: Any, demo_site: Path
) -> None:
    # Served as GitHub Pages serves it: at any missing address under base_url's path, where the
    # page's <base href> would send a plain "#main" link to the front page.
    context = browser.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()

        def serve_like_pages(route: Any) -> None:
            path = route.request.url.split("/forklaret/", 1)[-1].split("?", 1)[0]
            file = demo_site / path
            if path and file.is_file():
                route.fulfill(path=str(file))
            else:
                route.fulfill(status=404, path=str(demo_site / "404.html"))

        page.route("http://pages.test/**", serve_like_pages)
        address = "http://pages.test/forklaret/no/such/page/"
        page.goto(address)
        assert page.locator("h1").inner_text() == "Siden findes ikke"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        page.wait_for_timeout(200)
        assert page.url == address
        assert page.evaluate("document.activeElement.id") == "main"
    finally:
        context.close()


def test_a_side_note_is_reached_from_its_number_on_a_phone(phone_page: Any, site_url: str) -> None:
    open_page(phone_page, site_url, SEED_ARTICLE)
    reference = phone_page.locator(".note-ref a").first
    target = reference.get_attribute("href")
    assert target and target.startswith("#"), target
    reference.click()
    note = phone_page.locator(f"[id='{target[1:]}']")
    note.wait_for(state="visible")
    assert note.get_attribute("data-note")
    assert phone_page.evaluate(
        """(element) => {
            const box = element.getBoundingClientRect();
            return box.bottom > 0 && box.top > -2 && box.top < window.innerHeight;
        }""",
        note.element_handle(),
    ), "the side note is not scrolled into view"


def search_results(page: Any) -> Any:
    results = page.locator(".pagefind-ui__result-link")
    results.first.wait_for(state="visible", timeout=15_000)
    return results


def test_searching_kursk_finds_pages_under_the_subpath_and_opens_one(
    page: Any, site_url: str
) -> None:
    open_page(page, site_url, "search/")
    page.locator(".pagefind-ui__search-input").fill("Kursk")
    results = search_results(page)
    titles = results.all_inner_texts()
    assert "Kursk oblast" in titles
    assert SECOND_TITLE in titles
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    pages = [h.split("#", 1)[0] for h in hrefs]
    assert all(h.startswith("/arkiv/") and h.endswith("/index.html") for h in pages), hrefs
    assert "q=Kursk" in page.url
    first_title = titles[0]
    results.first.click()
    page.wait_for_load_state()
    assert page.url.startswith(site_url)
    assert page.locator("h1").inner_text() == first_title


@pytest.fixture(scope="module")
def sharded_site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo site with its search index in parts of at most 4 pages."""
    root = tmp_path_factory.mktemp("sharded")
    project = demo_project(root)
    with (project / "content/site.yaml").open("a", encoding="utf-8") as config:
        config.write("\nsearch_shard_size: 4\n")
    code, out, err = build(project, root / "site")
    assert code == 0, err + out
    with serve(root / "site") as url:
        yield url


def test_a_search_over_an_index_in_parts_finds_pages_in_several_of_them(
    page: Any, sharded_site_url: str
) -> None:
    open_page(page, sharded_site_url, "search/?q=Kursk")
    results = search_results(page)
    page.wait_for_timeout(500)
    titles = results.all_inner_texts()
    assert "Kursk oblast" in titles
    assert SECOND_TITLE in titles
    shards = page.evaluate(
        'async () => (await fetch(new URL("../pagefind/shards.json", location.href))).json()'
    )["shards"]
    hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    found = {search.shard_of(h.split("#", 1)[0].removeprefix("/arkiv/"), shards) for h in hrefs}
    assert len(found) > 1, f"all results came from one part of {shards}: {hrefs}"


def test_the_search_field_is_labelled_for_a_screen_reader(page: Any, site_url: str) -> None:
    open_page(page, site_url, "search/")
    field = page.locator(".pagefind-ui__search-input")
    field.wait_for(state="visible")
    assert field.get_attribute("aria-label") == "Søg i arkivet"
    assert page.get_by_role("textbox", name="Søg i arkivet").count() == 1


def test_search_opened_from_disk_says_it_needs_a_web_server(page: Any, demo_site: Path) -> None:
    page.goto((demo_site / "search/index.html").as_uri())
    message = page.locator("#search-offline")
    message.wait_for(state="visible")
    assert "webserver" in message.inner_text()
    assert message.get_by_role("link", name="Arkiv").count() == 1
    assert not page.locator("#search").is_visible()


def test_the_search_page_runs_the_query_in_its_address(page: Any, site_url: str) -> None:
    open_page(page, site_url, "search/?q=Sudzja")
    titles = search_results(page).all_inner_texts()
    assert SECOND_TITLE in titles
    assert page.locator(".pagefind-ui__search-input").input_value() == "Sudzja"


def test_danish_stemming_finds_an_inflected_form(page: Any, site_url: str) -> None:
    """ "soldaterne" is not in the seed article, "soldater" is: the Danish stemmer joins them."""
    open_page(page, site_url, "search/?q=soldaterne")
    titles = search_results(page).all_inner_texts()
    assert "Nordkorea og Rusland godkender aftale om gensidig støtte ved invasion" in titles


def test_search_filters_by_section_and_by_entity_type(page: Any, site_url: str) -> None:
    open_page(page, site_url, "search/")
    filters = page.evaluate(
        """async () => {
            const bundle = new URL("../pagefind/", location.href).pathname;
            const pagefind = await import(bundle + "pagefind.js");
            await pagefind.options({ baseUrl: new URL("../", location.href).pathname });
            return await pagefind.filters();
        }"""
    )
    assert filters["Sektion"] == {"Udland": 2}
    assert filters["Type"]["Sted"] >= 1
    assert filters["Type"]["Person"] == 2
    open_page(page, site_url, "search/")
    page.locator(".pagefind-ui__search-input").fill("Kursk")
    search_results(page)
    page.locator(".pagefind-ui__filter-name", has_text="Type").click()
    page.locator("label", has_text=re.compile(r"^Sted")).click()
    page.wait_for_timeout(500)
    titles = search_results(page).all_inner_texts()
    assert "Kursk oblast" in titles
    assert SECOND_TITLE not in titles


def test_a_feed_linked_from_a_page_resolves_and_parses(page: Any, site_url: str) -> None:
    open_page(page, site_url, KURSK)
    links = page.locator('link[rel="alternate"][type="application/atom+xml"]')
    hrefs = [links.nth(i).evaluate("link => link.href") for i in range(links.count())]
    assert site_url + "feed.xml" in hrefs
    assert site_url + KURSK + "feed.xml" in hrefs
    for href in hrefs:
        response = page.request.get(href)
        assert response.status == 200, f"{href}: HTTP {response.status}"
        feed = feedparser.parse(response.body())
        assert not feed.bozo, f"{href}: {feed.get('bozo_exception')}"
        assert feed.entries, f"{href} has no entries"


SCREENS = {
    "front": "",
    "article": SEED_ARTICLE,
    "entity": KURSK,
    "note": "notes/ukraines-indtraengen-i-kursk/",
    "timeline": "timeline/",
    "search": "search/?q=Kursk",
}


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_full_page_screenshots_are_saved_for_people_to_look_at(
    browser: Any, site_url: str, demo_site: Path, name: str, width: str
) -> None:
    url = SCREENS[name]
    if not (demo_site / url.split("?")[0] / "index.html").exists():
        pytest.skip(f"the demo site has no {url} page yet")
    viewport = DESKTOP if width == "desktop" else PHONE
    context = browser.new_context(viewport=viewport, is_mobile=width == "phone")
    try:
        page = context.new_page()
        open_page(page, site_url, url)
        if name == "search":
            search_results(page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
    finally:
        context.close()
