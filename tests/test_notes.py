"""Background notes, inline annotations and the timeline: which notes attach, how they are shown,
note pages, the timeline page and entity timelines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.annotate import AnnotatedArticle, Registry, annotate_article
from generator.config import parse_config
from generator.content import parse_content
from generator.model import SourceFile
from generator.sources import read_sources
from tests.sitekit import build

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "notes"
SITE = FIXTURES / "site"
CASES = yaml.safe_load((FIXTURES / "attachment.yaml").read_text(encoding="utf-8"))
ARTICLE_PATH = "content/articles/2024/test.md"
SEED = "2024/11/nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-invasion/index.html"


def annotate(
    body: str,
    *,
    date: str = "2024-11-12T10:00:00",
    language: str = "da",
    lead: str = "",
    front: dict[str, Any] | None = None,
) -> AnnotatedArticle:
    """Annotate one article against the notes and entities of the fixture site."""
    matter = {"title": "Test", "date": date, "language": language, **(front or {})}
    if lead:
        matter["lead"] = lead
    text = f"---\n{yaml.safe_dump(matter, allow_unicode=True, sort_keys=False)}---\n{body}\n"
    config_text, sources, _problems = read_sources(SITE)
    assert config_text is not None
    config, _ = parse_config(config_text)
    assert config is not None
    kept = [s for s in sources if not s.path.startswith("content/articles/")]
    content, problems = parse_content([*kept, SourceFile(ARTICLE_PATH, text)], config)
    assert problems == []
    return annotate_article(content.articles[0], Registry.build(content, config))


def carried(item: AnnotatedArticle) -> list[str]:
    return [f"{n.key} by {n.rule}" for n in item.notes]


# --- Which notes attach ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_notes_attach_by_date_trigger_and_front_matter_and_never_anachronistically(
    case: dict[str, Any],
) -> None:
    item = annotate(
        case["body"],
        date=str(case.get("date", "2024-11-12T10:00:00")),
        language=case.get("language", "da"),
        lead=case.get("lead", ""),
        front=case.get("front"),
    )
    assert carried(item) == case["notes"]
    assert [n.number for n in item.notes] == list(range(1, len(item.notes) + 1))


def test_a_note_listed_in_both_notes_and_no_notes_is_off_with_a_warning() -> None:
    item = annotate(
        "Aftalen er godkendt.",
        front={"notes": ["ikrafttraedelse"], "no_notes": ["ikrafttraedelse"]},
    )
    assert [str(d) for d in item.diagnostics] == [
        f'{ARTICLE_PATH}:7: warning: note "ikrafttraedelse" is in both "notes" and "no_notes"; '
        "it is off"
    ]


# --- How an attached note is shown -----------------------------------------------------------


def test_the_marker_follows_the_passage_and_links_to_the_side_note_after_the_paragraph() -> None:
    html = annotate(
        "Fuldskalainvasionen begyndte 24. februar 2022. Siden kom sanktioner."
    ).body_html
    assert html.startswith(
        "<p>Fuldskalainvasionen begyndte "
        '<a class="date" href="../../../timeline/index.html#d-2022-02-24">24. februar 2022</a>'
        '<sup class="note-ref" data-pagefind-ignore><a href="#note-1" id="note-ref-1" '
        'aria-label="Baggrund 1: Ruslands fuldskalainvasion af Ukraine">1</a></sup>'
        ". Siden kom sanktioner.</p>\n"
        '<aside class="sidenote" id="note-1" data-note="invasion" '
        'aria-label="Baggrund 1: Ruslands fuldskalainvasion af Ukraine" data-pagefind-ignore>\n'
        '<p class="sidenote-head"><a class="sidenote-number" href="#note-ref-1" '
        'title="Tilbage til teksten">1</a> <span class="sidenote-kind">Baggrund</span> '
        '<span class="sidenote-date"><time datetime="2022-02-24T00:00:00+01:00">24. februar 2022</time></span></p>\n'
    )


def test_a_trigger_marker_goes_right_after_the_matched_words() -> None:
    html = annotate("Efter fuldskalainvasionens første dag kom sanktioner.").body_html
    assert html.startswith(
        '<p>Efter fuldskalainvasionens<sup class="note-ref" data-pagefind-ignore><a href="#note-1" id="note-ref-1" '
    )
    assert "</sup> første dag kom sanktioner.</p>\n<aside" in html


def test_the_side_note_links_to_the_note_page_and_shows_its_first_paragraph() -> None:
    html = annotate("Fuldskalainvasionen ændrede Europa.").body_html
    aside = html[html.index("<aside") : html.index("</aside>")]
    assert (
        '<p class="sidenote-title"><a href="../../../notes/invasion/index.html">'
        "Ruslands fuldskalainvasion af Ukraine</a></p>\n"
        "<p>Rusland indledte 24. februar 2022 en fuldskalainvasion af Ukraine.</p>\n"
        '<p class="sidenote-more"><a href="../../../notes/invasion/index.html">'
        "Læs hele baggrunden</a></p>\n"
    ) in aside
    assert "Belarus" not in aside


def test_a_note_with_a_period_shows_both_ends() -> None:
    html = annotate("Dumaen ratificerede aftalen.").body_html
    assert (
        '<span class="sidenote-date"><time datetime="2024-10-24T00:00:00+02:00">24. oktober 2024</time> til '
        '<time datetime="2024-11-11T00:00:00+01:00">11. november 2024</time></span>'
    ) in html


def test_note_titles_are_escaped_in_markers_and_side_notes() -> None:
    html = annotate("Landene indgik et strategisk partnerskab.").body_html
    title = "Rusland &amp; Nordkorea underskriver &quot;omfattende strategisk partnerskab&quot;"
    assert f'aria-label="Baggrund 1: {title}">1</a></sup>' in html
    assert f'<a href="../../../notes/partnerskab/index.html">{title}</a>' in html
    assert '"omfattende' not in html


def test_a_note_the_lead_refers_to_stands_first_in_the_body() -> None:
    item = annotate("Krigen fortsætter.", lead="Fuldskalainvasionen begyndte 24. februar 2022.")
    assert item.lead_html.endswith(
        'id="note-ref-1" aria-label="Baggrund 1: '
        'Ruslands fuldskalainvasion af Ukraine">1</a></sup>.'
    )
    assert item.body_html.startswith('<aside class="sidenote" id="note-1" data-note="invasion"')
    assert item.body_html.index("</aside>") < item.body_html.index("<p>Krigen fortsætter.</p>")


def test_a_listed_note_the_text_never_refers_to_stands_under_background_at_the_end() -> None:
    item = annotate(
        "Aftalen er godkendt.\n\nDumaen ratificerede den.", front={"notes": ["ikrafttraedelse"]}
    )
    html = item.body_html
    section = html[html.index('<section class="background-notes"') :]
    assert section.startswith(
        '<section class="background-notes" aria-labelledby="background-notes-heading">\n'
        '<h2 id="background-notes-heading">Baggrund</h2>\n'
        '<aside class="sidenote" id="note-2" data-note="ikrafttraedelse" '
    )
    assert '<span class="sidenote-number">2</span>' in section
    assert 'id="note-ref-2"' not in html
    assert section.endswith("</aside>\n</section>\n")


def test_a_side_note_goes_after_the_whole_list_that_refers_to_it() -> None:
    html = annotate("- Fuldskalainvasionen\n- Sanktioner\n\nMere tekst.").body_html
    assert "</ul>\n<aside" in html
    assert html.index("</aside>") < html.index("<p>Mere tekst.</p>")


def test_entity_mentions_are_still_linked_around_notes_and_dates() -> None:
    html = annotate("Rusland og Ukraine: fuldskalainvasionen begyndte 24. februar 2022.").body_html
    assert '<a class="mention" data-entity="rusland"' in html
    assert '<a class="mention" data-entity="ukraine"' in html
    assert 'data-note="invasion"' in html


# --- Dates linked to the timeline --------------------------------------------------------------


def test_a_date_is_linked_to_its_day_on_the_timeline_only_when_the_day_has_an_entry() -> None:
    html = annotate("Aftalen blev underskrevet 19. juni 2024, ikke 3. marts 2024.").body_html
    assert (
        '<a class="date" href="../../../timeline/index.html#d-2024-06-19">19. juni 2024</a>' in html
    )
    assert "ikke 3. marts 2024." in html


def test_a_date_link_covers_only_the_date_not_the_word_before_it() -> None:
    html = annotate("Krigen begyndte den 24. feb. 2022 om morgenen.").body_html
    assert (
        'den <a class="date" href="../../../timeline/index.html#d-2022-02-24">24. feb. 2022</a>'
        in html
    )


def test_an_english_date_is_linked_to_the_timeline() -> None:
    html = annotate("The treaty was signed on June 19, 2024.", language="en").body_html
    assert (
        '<a class="date" href="../../../timeline/index.html#d-2024-06-19">June 19, 2024</a>' in html
    )


def test_the_article_s_own_day_is_a_timeline_day() -> None:
    html = annotate("Som skrevet 12. november 2024.", date="2024-11-12T10:00:00").body_html
    assert (
        '<a class="date" href="../../../timeline/index.html#d-2024-11-12">12. november 2024</a>'
        in html
    )


# --- Inline annotations --------------------------------------------------------------------------

ANNOTATION = {"quote": "tusindvis af soldater", "note": "NIS meldte det i *oktober* 2024."}


def test_an_annotation_is_anchored_after_its_quote_and_shown_as_a_side_note() -> None:
    item = annotate(
        "Nordkorea har sendt tusindvis af soldater til Rusland.",
        front={"annotations": [ANNOTATION]},
    )
    assert carried(item) == ["annotation-1 by annotation"]
    assert item.body_html == (
        "<p>Nordkorea har sendt tusindvis af soldater"
        '<sup class="note-ref" data-pagefind-ignore><a href="#note-1" id="note-ref-1" '
        'aria-label="Redaktionens note 1">1</a></sup> til '
        '<a class="mention" data-entity="rusland" href="../../../entities/rusland/index.html" '
        'title="Rusland – Verdens største land målt på areal.">Rusland</a>.</p>\n'
        '<aside class="sidenote annotation" id="note-1" data-note="annotation-1" '
        'aria-label="Redaktionens note 1" data-pagefind-ignore>\n'
        '<p class="sidenote-head"><a class="sidenote-number" href="#note-ref-1" '
        'title="Tilbage til teksten">1</a> <span class="sidenote-kind">Redaktionens note</span></p>\n'
        '<div class="sidenote-body">\n<p>NIS meldte det i <em>oktober</em> 2024.</p>\n</div>\n'
        "</aside>\n"
    )


def test_an_annotation_quote_is_found_across_emphasis_and_line_breaks() -> None:
    item = annotate(
        "Nordkorea har sendt tusindvis\naf *soldater* til Rusland.",
        front={"annotations": [ANNOTATION]},
    )
    assert (
        '<em>soldater<sup class="note-ref" data-pagefind-ignore><a href="#note-1"' in item.body_html
    )


def test_an_annotation_quote_that_ends_in_a_link_is_marked_after_the_link() -> None:
    item = annotate(
        "Nordkorea har sendt tusindvis af [soldater](https://example.org/) til Rusland.",
        front={"annotations": [ANNOTATION]},
    )
    assert (
        'soldater</a><sup class="note-ref" data-pagefind-ignore><a href="#note-1"' in item.body_html
    )


def test_annotations_and_notes_are_numbered_together_in_text_order() -> None:
    item = annotate(
        "Fuldskalainvasionen fortsætter.\n\nNordkorea har sendt tusindvis af soldater.",
        front={"annotations": [ANNOTATION]},
    )
    assert carried(item) == ["invasion by trigger", "annotation-1 by annotation"]


def test_an_annotation_quote_that_does_not_occur_is_an_error_at_the_line_of_its_quote() -> None:
    item = annotate(
        "Nordkorea har sendt soldater til Rusland.",
        front={"annotations": [{"quote": "soldater", "note": "Flere end 10.000."}, ANNOTATION]},
    )
    # Lines 5-7 are "annotations:" and the first entry; the second entry's quote is on line 8.
    assert [str(d) for d in item.diagnostics] == [
        f'{ARTICLE_PATH}:8: error: annotation quote "tusindvis af soldater" does not occur '
        "in the text"
    ]
    assert carried(item) == ["annotation-1 by annotation"]


def test_an_annotation_quote_must_match_whole_words() -> None:
    item = annotate(
        "De sendte specialsoldater.", front={"annotations": [{"quote": "soldater", "note": "X"}]}
    )
    assert [d.message for d in item.diagnostics] == [
        'annotation quote "soldater" does not occur in the text'
    ]


def test_a_build_with_a_missing_annotation_quote_fails_and_names_the_line(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "content/articles/2024").mkdir(parents=True)
    (project / "content/site.yaml").write_text('title: "T"\nlanguage: da\n', encoding="utf-8")
    (project / "content/articles/2024/x.md").write_text(
        "---\ntitle: X\ndate: 2024-11-12\n"
        'annotations:\n  - quote: "findes ikke"\n    note: "En note."\n---\nTekst.\n',
        encoding="utf-8",
    )
    code, _out, err = build(project, tmp_path / "site")
    assert code == 1
    assert (
        'content/articles/2024/x.md:5: error: annotation quote "findes ikke" does not occur '
        "in the text"
    ) in err
    assert not (tmp_path / "site").exists()


# --- Note pages, the timeline and entity timelines ---------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy: a build keeps its cache in the project, which must not be the
    # repository's fixture (a cache left there by an earlier run would make this build an
    # incremental one).
    root = tmp_path_factory.mktemp("notes")
    shutil.copytree(SITE / "content", root / "project/content")
    code, _out, err = build(root / "project", root / "site")
    assert code == 0, err
    return root / "site"


def page(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def test_a_note_page_shows_title_period_body_and_sources(site: Path) -> None:
    html = page(site, "notes/ratificering/index.html")
    assert "<h1>Rusland og Nordkorea ratificerer aftalen</h1>" in html
    assert (
        '<time datetime="2024-10-24T00:00:00+02:00">24. oktober 2024</time> til '
        '<time datetime="2024-11-11T00:00:00+01:00">11. november 2024</time>'
    ) in html
    assert (
        '<a href="https://www.dailymail.co.uk/wires/reuters/article-13995869/'
        'Russian-parliament-votes-ratify-North-Korea-partnership-treaty.html">'
    ) in html
    assert '<a href="../../timeline/index.html#d-2024-10-24">Se dagen på tidslinjen</a>' in html


def test_a_note_page_links_the_entities_its_body_mentions(site: Path) -> None:
    html = page(site, "notes/invasion/index.html")
    assert (
        '<a class="mention" data-entity="ukraine" href="../../entities/ukraine/index.html"' in html
    )


def test_a_note_page_lists_the_articles_it_is_attached_to_newest_first(site: Path) -> None:
    html = page(site, "notes/invasion/index.html")
    attached = html[html.index('<section class="note-articles"') :]
    titles = re.findall(r'<a href="[^"]+">([^<]+)</a></h3>', attached)
    assert titles == ["Aftalen er godkendt i begge lande", "Rusland invaderer Ukraine"]


def test_the_timeline_lists_every_note_and_article_by_year_and_day_in_date_order(
    site: Path,
) -> None:
    html = page(site, "timeline/index.html")
    assert re.findall(r'<h2 id="(y-\d{4})">', html) == ["y-2022", "y-2024"]
    assert '<li><a href="#y-2022">2022</a></li>' in html
    assert re.findall(r'<li class="timeline-day" id="([^"]+)">', html) == [
        "d-2022-02-24",
        "d-2024-06-19",
        "d-2024-10-24",
        "d-2024-11-12",
        "d-2024-12-04",
    ]
    entries = re.findall(
        r'<span class="timeline-kind">(\w+)</span> <span class="timeline-title">'
        r'<a href="([^"]+)">',
        html,
    )
    assert entries == [
        ("Baggrund", "../notes/invasion/index.html"),
        ("Artikel", "../2022/02/rusland-invaderer-ukraine/index.html"),
        ("Baggrund", "../notes/partnerskab/index.html"),
        ("Artikel", "../2024/06/rusland-og-nordkorea-indgaar-partnerskab/index.html"),
        ("Baggrund", "../notes/ratificering/index.html"),
        ("Artikel", "../2024/11/aftalen-er-godkendt-i-begge-lande/index.html"),
        ("Baggrund", "../notes/ikrafttraedelse/index.html"),
    ]


def test_every_timeline_link_in_the_site_points_at_a_day_the_timeline_has(site: Path) -> None:
    days = set(re.findall(r'id="(d-[0-9-]+)"', page(site, "timeline/index.html")))
    targets = {
        target
        for path in site.rglob("*.html")
        for target in re.findall(r'timeline/index\.html#(d-[0-9-]+)"', path.read_text())
    }
    assert targets
    assert targets <= days


def test_an_entity_page_lists_the_notes_that_concern_it_oldest_first(site: Path) -> None:
    html = page(site, "entities/rusland/index.html")
    section = html[html.index('<section class="entity-notes"') :]
    section = section[: section.index("</section>")]
    assert '<h2 id="notes-h">Baggrund og tidslinje</h2>' in section
    assert re.findall(r'<a href="\.\./\.\./notes/([^/]+)/index\.html">', section) == [
        "invasion",
        "partnerskab",
        "ratificering",
        "ikrafttraedelse",
    ]


def test_an_entity_page_lists_a_note_that_names_it_in_entities(site: Path) -> None:
    html = page(site, "entities/ukraine/index.html")
    assert (
        '<a href="../../notes/invasion/index.html">Ruslands fuldskalainvasion af Ukraine</a>'
        in html
    )


def test_an_article_page_lists_its_background_notes_by_number(site: Path) -> None:
    html = page(site, "2024/11/aftalen-er-godkendt-i-begge-lande/index.html")
    assert re.findall(r'<li value="(\d+)"><a href="\.\./\.\./\.\./notes/([^/]+)/', html) == [
        ("2", "invasion"),
        ("3", "partnerskab"),
        ("4", "ratificering"),
        ("5", "ikrafttraedelse"),
    ]
    assert 'data-note="annotation-1"' in html


# --- The seed ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed-notes") / "site"
    code, _out, err = build(ROOT, out)
    assert code == 0, err
    return out


def test_the_seed_carries_the_invasion_note_by_its_date(seed_site: Path) -> None:
    html = page(seed_site, SEED)
    assert 'data-note="ruslands-fuldskalainvasion-af-ukraine"' in html
    number = re.search(
        r'<a class="date" href="\.\./\.\./\.\./timeline/index\.html#d-2022-02-24">24\. februar 2022'
        r'</a><sup class="note-ref" data-pagefind-ignore><a href="#note-(\d+)"',
        html,
    )
    assert number is not None
    assert f'id="note-{number.group(1)}" data-note="ruslands-fuldskalainvasion-af-ukraine"' in html
    assert 'id="d-2022-02-24"' in page(seed_site, "timeline/index.html")


def test_the_seed_does_not_carry_the_entry_into_force_note_from_after_its_date(
    seed_site: Path,
) -> None:
    assert 'data-note="aftalen-traeder-i-kraft"' not in page(seed_site, SEED)
    assert "notes/aftalen-traeder-i-kraft/" not in page(seed_site, SEED)
