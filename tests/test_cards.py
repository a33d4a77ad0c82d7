"""Hover cards: the data an article page carries for its mentions, and cards.js in a real browser
(focus, Esc, Tab, hover, touch and placement), opened from disk so that nothing is fetched."""

from __future__ import annotations

import functools
import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.sitekit import build, write_project

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

PUTIN = (
    "---\nname: Vladimir Putin\ntype: person\naliases: [Putin]\n"
    'summary: "Ruslands præsident siden 2012 og tidligere premierminister."\n---\nPræsident.\n'
)
KURSK = (
    "---\nname: Kursk oblast\ntype: place\naliases: [Kursk]\n"
    'summary: "Russisk region ved grænsen til Ukraine."\n---\nRegion.\n'
)
SCRIPTY = (
    "---\nname: Scriptnavn\ntype: other\n"
    'summary: "Et navn med </script> i resuméet."\n---\nTekst.\n'
)
NIS = (
    "---\nname: NIS\ntype: organisation\n"
    'summary: "Sydkoreas efterretningstjeneste."\n---\nTjenesten følger Kursk oblast tæt.\n'
)
INVASION_NOTE = (
    "---\ntitle: The invasion\ndate: 2022-02-24\nlanguage: en\n---\n"
    "Vladimir Putin ordered the full-scale invasion of Ukraine.\n"
)
FILLER = ["Dette afsnit er fyld, så siden kan rulle."] * 15
LONG_BODY = "\n\n".join(
    [
        *FILLER,
        "Vladimir Putin er Ruslands præsident.",
        "Regionen Kursk grænser op til Ukraine.",
        *FILLER,
    ]
)


def article(title: str, body: str, language: str = "") -> str:
    lang = f"language: {language}\n" if language else ""
    return f'---\ntitle: "{title}"\ndate: 2024-11-12T00:54:00\n{lang}---\n{body}\n'


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cards")
    files = {
        "content/entities/vladimir-putin.md": PUTIN,
        "content/entities/kursk-oblast.md": KURSK,
        "content/entities/scriptnavn.md": SCRIPTY,
        "content/entities/nis.md": NIS,
        "content/notes/invasion.md": INVASION_NOTE,
        "content/articles/2024/putin.md": article("Putin og Kursk", LONG_BODY),
        "content/articles/2024/script.md": article("Et navn", "Scriptnavn står her."),
        "content/articles/2024/english.md": article(
            "Putin in English", "Vladimir Putin is mentioned here.", language="en"
        ),
    }
    write_project(root, files)
    code, _out, err = build(root, root / "site", "--no-search")
    assert code == 0, err
    return root / "site"


def page_of(site: Path, slug: str) -> str:
    return (site / f"2024/11/{slug}/index.html").read_text(encoding="utf-8")


def card_data(html: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    match = re.search(
        r'<script type="application/json" id="entity-cards"([^>]*)>(.*?)</script>', html
    )
    assert match, "no entity-cards script"
    attributes = dict(re.findall(r' ([\w-]+)="([^"]*)"', match.group(1)))
    return attributes, json.loads(match.group(2))


# -- The data in the page ---------------------------------------------------------------------


def test_an_article_carries_a_card_for_every_entity_it_mentions(site):
    html = page_of(site, "putin-og-kursk")
    attributes, cards = card_data(html)
    assert attributes == {"data-read-more": "Læs mere"}
    assert cards == {
        "kursk-oblast": {
            "name": "Kursk oblast",
            "type": "Sted",
            "summary": "Russisk region ved grænsen til Ukraine.",
        },
        "vladimir-putin": {
            "name": "Vladimir Putin",
            "type": "Person",
            "summary": "Ruslands præsident siden 2012 og tidligere premierminister.",
        },
    }
    linked = set(re.findall(r'<a class="mention" data-entity="([^"]+)"', html))
    assert linked == set(cards)


def test_without_javascript_a_mention_is_a_plain_link_with_a_title(site):
    html = page_of(site, "putin-og-kursk")
    assert (
        '<a class="mention" data-entity="vladimir-putin" href="../../../entities/vladimir-putin/'
        'index.html" title="Vladimir Putin – Ruslands præsident siden 2012 og tidligere '
        'premierminister.">Vladimir Putin</a>' in html
    )


def test_a_card_in_an_english_article_speaks_the_language_of_the_site_it_describes(site):
    # The card shows the entity's own (Danish) summary: its labels are Danish too, and
    # cards.js gives the card the page's lang rather than the article's.
    attributes, cards = card_data(page_of(site, "putin-in-english"))
    assert attributes == {"data-read-more": "Læs mere"}
    assert cards["vladimir-putin"]["summary"].startswith("Ruslands præsident")


def test_card_text_cannot_close_the_script_element_that_holds_it(site):
    html = page_of(site, "et-navn")
    _attributes, cards = card_data(html)
    assert cards["scriptnavn"]["summary"] == "Et navn med </script> i resuméet."
    assert "\\u003c/script\\u003e" in html


def test_an_entity_page_carries_cards_for_the_entities_its_description_names(site):
    html = (site / "entities/nis/index.html").read_text(encoding="utf-8")
    attributes, cards = card_data(html)
    assert attributes == {"data-read-more": "Læs mere"}
    assert cards == {
        "kursk-oblast": {
            "name": "Kursk oblast",
            "type": "Sted",
            "summary": "Russisk region ved grænsen til Ukraine.",
        }
    }
    assert 'src="../../assets/cards.js"' in html


def test_a_note_page_in_another_language_carries_cards_in_the_sites_language(site):
    # Like the page's other labels; the cards show the entities' Danish summaries.
    attributes, cards = card_data((site / "notes/invasion/index.html").read_text(encoding="utf-8"))
    assert attributes == {"data-read-more": "Læs mere"}
    assert list(cards) == ["vladimir-putin"]


def test_a_page_that_names_no_entity_loads_no_card_script(site):
    html = (site / "entities/vladimir-putin/index.html").read_text(encoding="utf-8")
    assert 'id="entity-cards"' not in html and "cards.js" not in html


# -- cards.js in a browser --------------------------------------------------------------------


class ChromiumThread:
    """Chromium driven from a thread of its own.

    Playwright's sync API refuses to start on a thread where another test module's instance is
    still running, so these tests keep theirs on a worker thread and run each test body there.
    """

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self.playwright, self.browser = self.pool.submit(self._start).result()

    @staticmethod
    def _start():
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        return playwright, playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"]
        )

    def close(self) -> None:
        self.pool.submit(self.browser.close).result()
        self.pool.submit(self.playwright.stop).result()
        self.pool.shutdown()


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed")
    chromium = ChromiumThread()
    yield chromium
    chromium.close()


def in_browser_thread(test):
    """Run the test body on the browser's thread, with the launched browser as ``browser``."""

    @functools.wraps(test)
    def run(browser: ChromiumThread, **fixtures):
        return browser.pool.submit(test, browser.browser, **fixtures).result()

    return run


def open_article(browser, site: Path, width: int = 1280, touch: bool = False):
    context = browser.new_context(
        viewport={"width": width, "height": 700}, has_touch=touch, is_mobile=touch
    )
    page = context.new_page()
    page.goto((site / "2024/11/putin-og-kursk/index.html").as_uri())
    return page


CARD = ".entity-card[role=tooltip]"
PUTIN_LINK = 'a.mention[data-entity="vladimir-putin"]'
KURSK_LINK = 'a.mention[data-entity="kursk-oblast"]'


@in_browser_thread
def test_keyboard_focus_shows_the_card_and_describes_the_link_by_it(browser, site):
    page = open_article(browser, site)
    assert page.locator(CARD).is_hidden()
    page.focus(PUTIN_LINK)
    card = page.locator(CARD)
    assert card.is_visible()
    assert card.locator(".card-type").inner_text().casefold() == "person"
    assert card.locator(".card-name").inner_text() == "Vladimir Putin"
    assert card.locator(".card-summary").inner_text() == (
        "Ruslands præsident siden 2012 og tidligere premierminister."
    )
    assert card.locator("a").count() == 0
    assert page.get_attribute(PUTIN_LINK, "aria-describedby") == card.get_attribute("id")
    page.context.close()


@in_browser_thread
def test_a_mention_on_an_entity_page_shows_its_card_on_focus(browser, site):
    page = browser.new_context(viewport={"width": 1280, "height": 700}).new_page()
    page.goto((site / "entities/nis/index.html").as_uri())
    page.focus(KURSK_LINK)
    card = page.locator(CARD)
    assert card.is_visible()
    assert card.locator(".card-name").inner_text() == "Kursk oblast"
    assert page.get_attribute(KURSK_LINK, "aria-describedby") == card.get_attribute("id")
    page.context.close()


@in_browser_thread
def test_escape_closes_the_card_and_gives_the_link_its_title_back(browser, site):
    page = open_article(browser, site)
    page.focus(PUTIN_LINK)
    assert page.get_attribute(PUTIN_LINK, "title") is None
    page.keyboard.press("Escape")
    assert page.locator(CARD).is_hidden()
    assert page.get_attribute(PUTIN_LINK, "aria-describedby") is None
    assert page.get_attribute(PUTIN_LINK, "title").startswith("Vladimir Putin – ")
    assert page.evaluate("document.activeElement.dataset.entity") == "vladimir-putin"
    page.context.close()


@in_browser_thread
def test_tab_moves_focus_on_to_the_next_mention_and_its_card(browser, site):
    page = open_article(browser, site)
    page.focus(PUTIN_LINK)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.entity") == "kursk-oblast"
    assert page.locator(CARD + " .card-name").inner_text() == "Kursk oblast"
    assert page.get_attribute(PUTIN_LINK, "aria-describedby") is None
    assert page.get_attribute(KURSK_LINK, "aria-describedby") == "entity-card"
    page.keyboard.press("Tab")
    assert page.locator(CARD).is_hidden()
    page.context.close()


@in_browser_thread
def test_hovering_shows_the_card_and_the_card_itself_keeps_it_open(browser, site):
    page = open_article(browser, site)
    page.hover(PUTIN_LINK)
    page.locator(CARD).wait_for(state="visible")
    page.hover(CARD + " .card-summary")
    page.wait_for_timeout(600)
    assert page.locator(CARD).is_visible()
    page.mouse.move(1200, 650)
    page.locator(CARD).wait_for(state="hidden")
    page.context.close()


@in_browser_thread
def test_a_first_tap_shows_the_card_and_a_second_tap_follows_the_link(browser, site):
    page = open_article(browser, site, width=390, touch=True)
    url = page.url
    page.tap(PUTIN_LINK)
    card = page.locator(CARD)
    assert card.is_visible()
    assert page.url == url
    more = card.locator("a.card-more")
    assert more.inner_text() == "Læs mere"
    assert more.get_attribute("href").endswith("/entities/vladimir-putin/index.html")
    page.tap(PUTIN_LINK)
    page.wait_for_url("**/entities/vladimir-putin/index.html")
    page.context.close()


@in_browser_thread
def test_a_tap_elsewhere_closes_a_tapped_card(browser, site):
    page = open_article(browser, site, width=390, touch=True)
    page.tap(PUTIN_LINK)
    assert page.locator(CARD).is_visible()
    page.tap("h1")
    assert page.locator(CARD).is_hidden()
    page.context.close()


@pytest.mark.parametrize("width", [320, 390, 1280])
@pytest.mark.parametrize("link_top", [8, 660])
@in_browser_thread
def test_the_card_stays_inside_the_viewport(browser, site, width, link_top):
    page = open_article(browser, site, width=width)
    page.evaluate(
        """([selector, top]) => {
            const link = document.querySelector(selector);
            window.scrollTo(0, link.getBoundingClientRect().top + window.scrollY - top);
            link.focus({preventScroll: true});
        }""",
        [KURSK_LINK, link_top],
    )
    link = page.locator(KURSK_LINK).bounding_box()
    card = page.locator(CARD).bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= width
    assert card["y"] >= 0 and card["y"] + card["height"] <= 700
    below = card["y"] >= link["y"] + link["height"]
    above = card["y"] + card["height"] <= link["y"]
    assert below if link_top < 100 else above
    page.context.close()


def test_cards_json_is_the_json_of_all_cards_at_once() -> None:
    """The cards' JSON, joined from one member per entity, is what encoding every card in one
    object gives: sorted keys, each entity once, and nothing that can close the script."""
    from types import SimpleNamespace

    from generator.i18n import strings
    from generator.views import entity_cards, json_for_script

    def entity(name: str, kind: str, summary: str) -> SimpleNamespace:
        return SimpleNamespace(name=name, type=kind, summary=summary)

    entities = {
        "putin": entity("Vladimir Putin", "person", "Ruslands præsident"),
        "kursk": entity("Kursk oblast", "place", "Region ved\u2028grænsen"),
        "a-b": entity("A & B", "organisation", 'Med </script> og "citat"'),
        "zz": entity("Ø", "other", ""),
    }
    index = SimpleNamespace(entities=entities)
    named = ["zz", "putin", "a-b", "putin", "kursk"]
    for language in ("da", "en"):
        words = strings(language)
        expected = json_for_script(
            {
                slug: {"name": e.name, "type": words[f"type_{e.type}"], "summary": e.summary}
                for slug, e in entities.items()
            }
        )
        got = entity_cards(index, named, language)  # type: ignore[arg-type]
        assert got == expected
        assert "</script>" not in got and "\u2028" not in got
        assert list(json.loads(got)) == sorted(entities)
    assert entity_cards(index, [], "da") == ""  # type: ignore[arg-type]
