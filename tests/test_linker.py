"""The phrase matcher, the entity registry checks, and mention linking on the token stream.

Most cases are fixtures in ``tests/fixtures/linker``: ``matching.yaml`` (text in, matches
out) and ``linking.yaml`` (Markdown in, HTML, mentions and diagnostics out).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.linker import (
    LinkContext,
    Mention,
    PhraseMatch,
    PhraseMatcher,
    alias_conflicts,
    build_entity_matcher,
    link_mentions,
    make_resolver,
)
from generator.markdown import parse, render, render_inline
from generator.model import Entity

FIXTURES = Path(__file__).parent / "fixtures" / "linker"
ARTICLE = "content/articles/2024/kursk.md"


def load(name: str) -> Any:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


def entity(slug: str, name: str, *aliases: str, lines: dict[str, int] | None = None) -> Entity:
    return Entity(
        path=f"content/entities/{slug}.md",
        slug=slug,
        name=name,
        type="other",
        body="",
        body_line=8,
        aliases=aliases,
        lines=lines or {"name": 2, "aliases": 4},
    )


ENTITIES = (
    entity("vladimir-putin", "Vladimir Putin", "Putin"),
    entity("kursk", "Kursk", "Kursk oblast"),
    entity("nis", "NIS", "sydkoreanske efterretningstjeneste"),
    entity("kim-jong-un", "Kim Jong-un", "Kim Jong Un", "Nordkoreas leder"),
    entity("nordkorea", "Nordkorea", "nordkoreanske"),
    entity("rusland", "Rusland"),
    entity("usa", "USA"),
)
NAMES = {e.slug: e.name for e in ENTITIES}
MATCHER = build_entity_matcher(ENTITIES)


def context(**options: Any) -> LinkContext:
    fields: dict[str, Any] = {
        "matcher": MATCHER,
        "language": "da",
        "path": ARTICLE,
        "line_offset": 10,
        "link_all": False,
        "disabled": frozenset(),
        "href": lambda slug: f"../../entities/{slug}/index.html",
        "title": NAMES.__getitem__,
        "resolve": make_resolver(ENTITIES),
    }
    return LinkContext(**(fields | options))


def link(markdown: str, **options: Any) -> tuple[str, list[Mention], list[str]]:
    """Link a Markdown text as an article body; the HTML, the mentions and the diagnostics."""
    allow_html = options.pop("allow_html", False)
    tokens = parse(markdown, allow_html)
    mentions, diagnostics = link_mentions(tokens, context(**options), set())
    return render(tokens, allow_html), mentions, [str(d) for d in diagnostics]


# --- The phrase matcher -------------------------------------------------------------------------

MATCHING = load("matching.yaml")
FIXTURE_MATCHER = PhraseMatcher((phrase, key) for phrase, key in MATCHING["phrases"])


@pytest.mark.parametrize("compiled", [False, True], ids=["own-phrases", "all-phrases"])
@pytest.mark.parametrize("case", MATCHING["cases"], ids=lambda case: case["name"])
def test_phrase_matcher_finds_what_the_fixture_expects(
    case: dict[str, Any], compiled: bool
) -> None:
    """Both ways of searching: with patterns of the phrases that occur in the text (as a build
    of a few articles does) and with the patterns of all phrases (as a whole build does)."""
    text, language = case["text"], case.get("language", "da")
    matcher = PhraseMatcher((phrase, key) for phrase, key in MATCHING["phrases"])
    if compiled:
        matcher.prepare(language)
    found = matcher.find(text, language)
    assert [[text[m.start : m.end], m.key] for m in found] == case["matches"]


def test_searching_with_the_phrases_of_the_text_finds_what_all_phrases_find() -> None:
    """Random phrases and texts from a few syllables, so that heads, genitives, hyphens,
    apostrophes, case and whitespace meet in every combination."""
    rng = random.Random(7)
    syllables = [
        "Kur",
        "sk",
        "kur",
        "NIS",
        "nis",
        "s",
        "Ruslan",
        "d",
        "Kim",
        "jong",
        "un",
        "a",
        "#a",
    ]
    joins = ["", "", " ", "-", "'", "’"]

    def phrase() -> str:
        parts = [rng.choice(syllables) for _ in range(rng.randint(1, 3))]
        return "".join(p + rng.choice(joins) for p in parts[:-1]) + parts[-1]

    for language in ("da", "en", "de"):
        phrases = [(phrase(), f"key{i}") for i in range(40)]
        few = PhraseMatcher(phrases, small_finds=10**9)
        every = PhraseMatcher(phrases)
        every.prepare(language)
        for _ in range(400):
            words = [phrase() for _ in range(rng.randint(1, 12))]
            text = "".join(
                w + rng.choice([" ", "  ", "\n", ", ", "s ", "'s ", "-", ". "]) for w in words
            )
            assert few.find(text, language) == every.find(text, language), (text, phrases)
        assert not few._patterns


def test_the_matcher_compiles_all_phrases_once_it_has_searched_many_texts() -> None:
    matcher = PhraseMatcher([("Kursk", "kursk"), ("Putin", "putin")])
    for _ in range(PhraseMatcher.SMALL_FINDS):
        assert [m.key for m in matcher.find("Putin i Kursk", "da")] == ["putin", "kursk"]
    assert "da" not in matcher._patterns
    assert [m.key for m in matcher.find("Kursks Putin", "da")] == ["kursk", "putin"]
    assert "da" in matcher._patterns


def test_a_match_gives_the_span_of_the_text_as_written_and_the_key() -> None:
    matcher = PhraseMatcher([("Vladimir Putin", "vp")])
    assert matcher.find("Da Vladimir\n Putins tale", "da") == [PhraseMatch(3, 19, "vp")]


def test_ignore_case_makes_capitalised_phrases_match_in_any_case() -> None:
    matcher = PhraseMatcher([("Zapad-2021", "zapad")], ignore_case=True)
    found = matcher.find("øvelsen zapad-2021 og ZAPAD-2021", "da")
    assert [(m.start, m.key) for m in found] == [(8, "zapad"), (22, "zapad")]


def test_a_phrase_claimed_twice_belongs_to_the_first_key() -> None:
    matcher = PhraseMatcher([("Putin", "first"), ("Putin", "second"), (" ", "blank")])
    assert [m.key for m in matcher.find("Putin", "da")] == ["first"]
    assert len(matcher) == 1


@pytest.mark.parametrize("compiled", [False, True])
def test_where_a_capitalised_and_a_lower_case_phrase_match_alike_the_capitalised_one_wins(
    compiled: bool,
) -> None:
    """The two phrases are found by different patterns, in the text and in its lower case; at
    the start of a text, and at one start with equal length, the exact match wins, and only a
    longer lower-case match beats it."""
    matcher = PhraseMatcher([("nord", "folded"), ("Nord", "exact"), ("nord stream", "ns")])
    if compiled:
        matcher.prepare("da")
    text = "Nord, nord, Nords og Nord Stream. nord"
    found = matcher.find(text, "da")
    assert [(text[m.start : m.end], m.key) for m in found] == [
        ("Nord", "exact"),
        ("nord", "folded"),
        ("Nords", "exact"),
        ("Nord Stream", "ns"),
        ("nord", "folded"),
    ]


def test_an_empty_matcher_finds_nothing() -> None:
    assert PhraseMatcher([]).find("Putin", "da") == []


def test_a_text_with_a_character_that_lengthens_in_lower_case_keeps_its_offsets() -> None:
    matcher = PhraseMatcher([("nordkoreanske", "nk"), ("Kursk", "kursk")])
    text = "İzmir: nordkoreanske tropper i Kursk"
    found = matcher.find(text, "da")
    assert [text[m.start : m.end] for m in found] == ["nordkoreanske", "Kursk"]


def test_the_matcher_survives_a_long_run_of_near_misses() -> None:
    matcher = PhraseMatcher([("a " * 50 + "b", "ab"), ("a a", "aa")])
    found = matcher.find("a " * 2000, "da")
    assert len(found) == 1000
    assert {m.key for m in found} == {"aa"}


# --- The entity registry ------------------------------------------------------------------------


def test_the_entity_matcher_is_keyed_by_slug() -> None:
    found = MATCHER.find("Putin og Kim Jong Un i Kursk oblast", "da")
    assert [m.key for m in found] == ["vladimir-putin", "kim-jong-un", "kursk"]


def test_an_alias_claimed_by_two_entities_is_reported_at_both_files() -> None:
    # Either file may hold the edit that made the clash.
    earlier = entity("other", "Vladimir Vladimirovitj", "Putin", lines={"name": 2, "aliases": 3})
    later = entity("vladimir-putin", "Vladimir Putin", "Putin", lines={"name": 2, "aliases": 5})
    assert [str(d) for d in alias_conflicts([later, earlier])] == [
        'content/entities/vladimir-putin.md:5: error: alias "Putin" is also claimed by '
        "content/entities/other.md",
        'content/entities/other.md:3: error: alias "Putin" is also claimed by '
        "content/entities/vladimir-putin.md",
    ]


def test_a_name_claimed_by_two_entities_is_reported_at_the_name_line() -> None:
    found = alias_conflicts([entity("a", "Kursk"), entity("b", "Kursk")])
    assert [str(d) for d in found] == [
        'content/entities/b.md:2: error: name "Kursk" is also claimed by content/entities/a.md',
        'content/entities/a.md:2: error: name "Kursk" is also claimed by content/entities/b.md',
    ]


def test_a_clash_is_quoted_in_each_files_own_spelling() -> None:
    found = alias_conflicts([entity("a", "Nord"), entity("b", "Nordstrøm", "nord")])
    assert [str(d) for d in found] == [
        'content/entities/b.md:4: error: alias "nord" is also claimed by content/entities/a.md',
        'content/entities/a.md:2: error: name "Nord" is also claimed by content/entities/b.md',
    ]


def test_capitalised_names_that_differ_in_case_do_not_clash() -> None:
    assert alias_conflicts([entity("a", "Nord"), entity("b", "NORD")]) == []


def test_an_entity_does_not_clash_with_itself() -> None:
    assert alias_conflicts([entity("a", "Nord", "Nord", "nord")]) == []
    assert alias_conflicts(ENTITIES) == []


def test_the_resolver_tries_name_alias_slug_then_any_case() -> None:
    entities = [entity("a", "Putin"), entity("b", "Vladimir Putin", "Putin", "vp")]
    resolve = make_resolver([*entities, entity("vp", "Vice President")])
    assert resolve("Putin") == "a"
    assert resolve("Vladimir\n Putin") == "b"
    assert resolve("vp") == "b"
    assert resolve("vice president") == "vp"
    assert resolve("b") == "b"
    assert resolve("nobody") is None


# --- Linking mentions ---------------------------------------------------------------------------

LINKING = load("linking.yaml")


def mention_fields(mention: Mention) -> dict[str, Any]:
    """A mention as the fixture states it: ``linked`` and ``explicit`` only when unusual."""
    fields: dict[str, Any] = {"slug": mention.slug, "text": mention.text, "line": mention.line}
    if not mention.linked:
        fields["linked"] = False
    if mention.explicit:
        fields["explicit"] = True
    return fields


@pytest.mark.parametrize("case", LINKING, ids=lambda case: case["name"])
def test_link_mentions_renders_what_the_fixture_expects(case: dict[str, Any]) -> None:
    options = {
        "language": case.get("language", "da"),
        "link_all": case.get("link_all", False),
        "disabled": frozenset(case.get("no_link", ())),
        "allow_html": case.get("allow_html", False),
    }
    html, mentions, diagnostics = link(case["markdown"], **options)
    assert html == case["html"]
    if "mentions" in case:
        assert [mention_fields(m) for m in mentions] == case["mentions"]
    assert diagnostics == case.get("diagnostics", [])


def test_a_mention_link_has_the_exact_markup() -> None:
    title = {"kursk": 'Kursk – "oblasten" & byen'}.__getitem__
    tokens = parse("Kursk")
    link_mentions(tokens, context(title=title), set())
    assert render(tokens) == (
        '<p><a class="mention" data-entity="kursk" href="../../entities/kursk/index.html" '
        'title="Kursk – &quot;oblasten&quot; &amp; byen">Kursk</a></p>\n'
    )
    link_open = tokens[1].children[0]
    assert list(link_open.attrs) == ["class", "data-entity", "href", "title"]


def test_the_first_mention_spans_the_lead_and_the_body() -> None:
    seen: set[str] = set()
    lead, body = parse("Putin i Kursk."), parse("Putin og NIS.")
    lead_mentions, _ = link_mentions(lead, context(line_offset=3), seen)
    body_mentions, _ = link_mentions(body, context(line_offset=7), seen)
    assert seen == {"vladimir-putin", "kursk", "nis"}
    assert [(m.slug, m.line, m.linked) for m in lead_mentions + body_mentions] == [
        ("vladimir-putin", 3, True),
        ("kursk", 3, True),
        ("vladimir-putin", 7, False),
        ("nis", 7, True),
    ]
    assert render_inline(body).startswith("Putin og <a class")


def test_an_explicit_link_arrives_in_one_text_token_even_in_emphasis() -> None:
    tokens = parse("Se *[[vladimir-putin|præsidenten]] i* [[Kursk]].")
    texts = [t.content for t in tokens[1].children or [] if t.type == "text"]
    assert texts == ["Se ", "[[vladimir-putin|præsidenten]] i", " [[Kursk]]."]


def test_the_first_mention_has_the_paragraph_around_it_as_context() -> None:
    words = " ".join(f"ord{i}" for i in range(60))
    _, mentions, _ = link(f"{words} Putin `mødte` [NIS](https://nis.go.kr) {words}.\n\nPutin.")
    assert [bool(m.context) for m in mentions] == [True, False]
    excerpt = mentions[0].context
    assert excerpt.startswith("…ord") and excerpt.endswith("…")
    assert " ord59 Putin mødte NIS ord0 " in excerpt
    assert 140 <= len(excerpt) <= 162
    assert set(excerpt.strip("…").split()) <= {*words.split(), "Putin", "mødte", "NIS"}


def test_the_context_of_a_short_paragraph_is_the_whole_paragraph() -> None:
    _, mentions, _ = link("I dag talte\n[[vladimir-putin|præsidenten]] om  Kursk.")
    assert [m.context for m in mentions] == ["I dag talte præsidenten om Kursk."] * 2


def test_a_mention_in_every_second_paragraph_gets_its_own_line() -> None:
    markdown = "\n\n".join(["Putin.", "Intet.", "Putin og\nKursk."])
    _, mentions, _ = link(markdown, link_all=True)
    assert [(m.slug, m.line) for m in mentions] == [
        ("vladimir-putin", 10),
        ("vladimir-putin", 14),
        ("kursk", 15),
    ]
