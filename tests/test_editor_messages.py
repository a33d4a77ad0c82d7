"""What an editor is told about the mistakes editors make: each at its line, with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.frontmatter import split
from tests.sitekit import article, run_cli, write_project

ENTITY = """\
---
name: Vladimir Putin
type: person
aliases: [Putin]
---
Ruslands præsident.
"""

NOTE = """\
---
title: Aftalen træder i kraft
date: 2024-12-04
---
Aftalen gælder.
"""


def check(tmp_path: Path, files: dict[str, str]) -> tuple[int, list[str]]:
    project = write_project(
        tmp_path / "p",
        {
            "content/entities/vladimir-putin.md": ENTITY,
            "content/notes/aftalen-traeder-i-kraft.md": NOTE,
            **files,
        },
    )
    code, _out, err = run_cli("check", "-C", str(project))
    return code, err.splitlines()


def front(matter: str, body: str = "Tekst.") -> str:
    return f"---\ntitle: X\ndate: 2024-11-12\n{matter}---\n{body}\n"


@pytest.mark.parametrize(
    ("yaml", "line", "message"),
    [
        (
            "tags:\n\t- Rusland\n",
            5,
            "invalid YAML: found character that cannot start any token; the line has a tab: "
            "YAML indents with spaces only",
        ),
        (
            "source:\u00a0Ritzau\nlead: Noget.\n",
            4,
            "invalid YAML: the line has a non-breaking space (U+00A0), as pasted from a web page "
            "or a word processor, where YAML needs a normal space; retype the space",
        ),
        (
            'lead: Putin: "Vi står sammen"\n',
            4,
            'invalid YAML: mapping values are not allowed in this context; a value with ": " in '
            'it needs quotes, as in title: "Putin: …"',
        ),
    ],
    ids=["tab", "non-breaking space", "colon"],
)
def test_a_yaml_mistake_is_named_at_its_line(yaml: str, line: int, message: str) -> None:
    _fm, problems = split(front(yaml), "content/articles/2024/x.md")
    assert [str(p) for p in problems] == [f"content/articles/2024/x.md:{line}: error: {message}"]


def test_a_danish_date_says_how_to_write_it(tmp_path: Path) -> None:
    text = "---\ntitle: X\ndate: 12-11-2024\n---\nTekst.\n"
    code, lines = check(tmp_path, {"content/articles/2024/x.md": text})
    assert code == 1
    assert lines == [
        "content/articles/2024/x.md:3: error: \"date\": not an ISO 8601 date: '12-11-2024'; "
        "write it as 2024-11-12 or 2024-11-12T00:54"
    ]


def test_tags_written_as_one_text_with_commas_are_an_error_with_the_list_to_write(
    tmp_path: Path,
) -> None:
    text = front("tags: Nordkorea, Rusland\n")
    code, lines = check(tmp_path, {"content/articles/2024/x.md": text})
    assert code == 1
    assert lines == [
        'content/articles/2024/x.md:4: error: "tags" is one text with commas in it; write a '
        "list: [Nordkorea, Rusland]"
    ]


def test_a_single_tag_may_still_be_written_without_brackets(tmp_path: Path) -> None:
    code, lines = check(tmp_path, {"content/articles/2024/x.md": front("tags: Rusland\n")})
    assert (code, lines) == (0, [])


def test_a_misspelt_entity_link_suggests_the_name(tmp_path: Path) -> None:
    body = "Det sagde [[Putn]] i går."
    code, lines = check(tmp_path, {"content/articles/2024/x.md": front("", body)})
    assert code == 1
    assert lines == [
        'content/articles/2024/x.md:5: error: unknown entity "Putn" in [[Putn]] '
        '(did you mean "[[Putin]]"?)'
    ]


def test_a_name_like_no_other_gets_no_suggestion(tmp_path: Path) -> None:
    body = "Det sagde [[Zelenskyj]] i går."
    _code, lines = check(tmp_path, {"content/articles/2024/x.md": front("", body)})
    assert lines == [
        'content/articles/2024/x.md:5: error: unknown entity "Zelenskyj" in [[Zelenskyj]]'
    ]


def test_a_misspelt_slug_suggests_the_slug_and_adds_no_second_warning(tmp_path: Path) -> None:
    text = front("about: [vladimir-putn]\nnotes: [aftalen-traeder-ikraft]\n", "Putin talte.")
    code, lines = check(tmp_path, {"content/articles/2024/x.md": text})
    assert code == 1
    assert lines == [
        'content/articles/2024/x.md:4: error: "about": unknown entity "vladimir-putn" '
        '(did you mean "vladimir-putin"?)',
        'content/articles/2024/x.md:5: error: "notes": unknown note "aftalen-traeder-ikraft" '
        '(did you mean "aftalen-traeder-i-kraft"?)',
    ]


def test_an_article_without_text_is_a_warning_unless_it_is_a_draft(tmp_path: Path) -> None:
    files = {
        "content/articles/2024/tom.md": front("", ""),
        "content/articles/2024/kladde.md": front("draft: true\n", "").replace("X", "Kladde"),
        "content/articles/2024/fuld.md": article("Fuld"),
    }
    code, lines = check(tmp_path, files)
    assert code == 0
    assert lines == [
        "content/articles/2024/tom.md:4: warning: the article has no text below its front matter"
    ]


def test_errors_in_the_front_matter_do_not_hide_the_errors_in_the_text(tmp_path: Path) -> None:
    text = (
        "---\ntitle: X\ndate: 12-11-2024\ntag: Rusland\nsection: ???\n---\n"
        "Det sagde [[Putn]].\n\nSe [den](../2023/findes-ikke.md).\n"
    )
    code, lines = check(tmp_path, {"content/articles/2024/x.md": text})
    assert code == 1
    assert lines == [
        "content/articles/2024/x.md:3: error: \"date\": not an ISO 8601 date: '12-11-2024'; "
        "write it as 2024-11-12 or 2024-11-12T00:54",
        'content/articles/2024/x.md:4: error: unknown front-matter key "tag" (did you mean '
        '"tags"?)',
        'content/articles/2024/x.md:5: error: "section": "???" has no letter or digit that a URL '
        "can hold (a-z, 0-9, æ, ø, å and other Latin letters); write it with some",
        'content/articles/2024/x.md:7: error: unknown entity "Putn" in [[Putn]] (did you mean '
        '"[[Putin]]"?)',
        'content/articles/2024/x.md:9: error: link to "../2023/findes-ikke.md": '
        "content/articles/2023/findes-ikke.md is no published article, entity or note (a link to "
        "another document names its file, relative to this one)",
    ]
    project = tmp_path / "p"
    code, _out, err = run_cli("build", "-C", str(project), "--no-search", "-j", "1")
    assert (code, err.splitlines()) == (1, lines)
    assert not (project / "site").exists()
