"""YAML input that the YAML library would take quietly or report badly: repeated keys,
characters YAML refuses or reads as line breaks, and a base_url that makes broken addresses.
Each is one diagnostic line at the file line of the problem, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.config import parse_config
from generator.frontmatter import load_yaml, split
from tests.sitekit import article, build, write_project

DIAGNOSTIC = re.compile(r"^content/\S+:\d+: error: [^\n]+$")


def messages(diagnostics: list) -> list[str]:
    return [str(d) for d in diagnostics]


# Repeated keys


def test_a_repeated_front_matter_key_is_an_error_at_the_second_occurrence() -> None:
    text = "---\ntitle: Først\ndate: 2024-11-12\ntitle: Siden\n---\nTekst.\n"
    fm, problems = split(text, "content/articles/2024/x.md")
    assert fm is None
    assert messages(problems) == [
        'content/articles/2024/x.md:4: error: duplicate key "title" (first on line 2); keep one'
    ]


def test_repeated_keys_in_nested_mappings_are_all_reported() -> None:
    text = (
        "name: Putin\n"
        "facts:\n"
        "  Født: 1952\n"
        "  Født: 7. oktober 1952\n"
        "links:\n"
        "  - {title: a, url: 'https://x.example/', title: b}\n"
        "name: Vladimir Putin\n"
    )
    _data, problems = load_yaml(text, "e.md", first_line=2)
    assert messages(problems) == [
        'e.md:5: error: duplicate key "Født" (first on line 4); keep one',
        'e.md:7: error: duplicate key "title" (first earlier on this line); keep one',
        'e.md:8: error: duplicate key "name" (first on line 2); keep one',
    ]


def test_keys_equal_as_values_are_repeats_though_written_differently() -> None:
    _data, problems = load_yaml("1: a\n0x1: b\n", "f.yaml")
    assert messages(problems) == [
        'f.yaml:2: error: duplicate key "0x1" (first on line 1); keep one'
    ]


def test_merge_keys_still_work_and_may_be_overridden() -> None:
    text = (
        "base: &base\n"
        "  Født: 1952\n"
        "  Parti: Forenet Rusland\n"
        "facts:\n"
        "  <<: *base\n"
        "  Parti: Uden for partierne\n"
        "more:\n"
        "  <<: [*base, {Parti: x}]\n"
    )
    data, problems = load_yaml(text, "f.yaml")
    assert problems == []
    assert data["facts"] == {"Født": 1952, "Parti": "Uden for partierne"}
    assert set(data["more"]) == {"Født", "Parti"}


def test_an_impossible_date_still_stays_text() -> None:
    data, problems = load_yaml("date: 2024-13-45\n", "f.yaml")
    assert (data, problems) == ({"date": "2024-13-45"}, [])


def test_a_repeated_site_yaml_key_is_reported_with_the_bad_value_at_its_own_line() -> None:
    config, problems = parse_config("title: T\npage_size: 10\nlanguage: da\npage_size: 0\n")
    # The settings stand in for finding the content's problems: the bad value is the default.
    assert config is not None and config.page_size == 20
    assert messages(problems) == [
        'content/site.yaml:4: error: duplicate key "page_size" (first on line 2); keep one',
        'content/site.yaml:4: error: "page_size" must be a whole number of at least 1',
    ]


def test_a_repeated_title_fails_the_build_instead_of_changing_the_url(tmp_path: Path) -> None:
    text = article("Den rigtige titel").replace("section:", "title: En anden titel\nsection:")
    write_project(tmp_path, {"content/articles/2024/x.md": text})
    code, _out, err = build(tmp_path)
    assert code == 1
    assert 'content/articles/2024/x.md:4: error: duplicate key "title" (first on line 2)' in err


# Characters YAML refuses or reads as line breaks


@pytest.mark.parametrize(
    ("char", "shown"), [("\x00", "'\\x00'"), ("\x0c", "'\\x0c'"), ("\x1b", "'\\x1b'")]
)
def test_a_control_character_is_one_diagnostic_line_at_its_line(char: str, shown: str) -> None:
    # Non-ASCII text before it: libyaml counts its position in bytes.
    text = f"---\ntitle: Søndag på Østerbro\ndate: 2024-11-12\nlead: før{char}efter\n---\nTekst.\n"
    fm, problems = split(text, "content/articles/2024/x.md")
    assert fm is None
    assert messages(problems) == [
        f"content/articles/2024/x.md:4: error: invalid YAML: control character {shown} "
        "is not allowed; remove it"
    ]


@pytest.mark.parametrize(
    ("char", "name"),
    [("\x85", "U+0085 (NEL)"), ("\u2028", "U+2028 (LINE SEPARATOR)"), ("\u2029", "U+2029")],
)
def test_a_unicode_line_break_is_reported_at_its_own_line_and_shifts_no_later_line(
    char: str, name: str
) -> None:
    text = f"---\ntitle: Vent{char} hvad\ndate: 2024-11-12\ntags: [a, b\nsection: Udland\n---\n"
    fm, problems = split(text, "content/articles/2024/x.md")
    assert fm is None
    assert len(problems) == 2
    assert problems[0].line == 2
    assert f"character {name}" in problems[0].message
    assert "is a line break in YAML" in problems[0].message
    assert problems[1].line == 5
    assert problems[1].message.startswith("invalid YAML: did not find expected ',' or ']'")


def test_nel_is_named_as_a_mis_encoded_ellipsis() -> None:
    _data, problems = load_yaml("title: Vent\x85\n", "f.yaml")
    assert 'mis-encoded "…"' in problems[0].message


def test_bad_characters_fail_a_build_with_one_line_diagnostics_only(tmp_path: Path) -> None:
    files = {
        "content/articles/2024/nul.md": article("Nul").replace(
            "section:", "lead: a\x00b\nsection:"
        ),
        "content/articles/2024/ff.md": article("Sideskift\x0c"),
        "content/articles/2024/nel.md": article("Vent\x85 hvad"),
    }
    write_project(tmp_path, files)
    code, out, err = build(tmp_path, None, "--quiet")
    assert code == 1
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 3
    assert all(DIAGNOSTIC.match(line) for line in lines), lines
    assert lines[0].startswith("content/articles/2024/ff.md:2: error: invalid YAML: control")
    assert lines[1].startswith("content/articles/2024/nel.md:2: error: character U+0085 (NEL)")
    assert lines[2].startswith("content/articles/2024/nul.md:4: error: invalid YAML: control")


# base_url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.org/#arkiv", 'must not have a fragment ("#arkiv")'),
        ("https://example.org/arkiv/?x=1", 'must not have a query ("?x=1")'),
        ("https://ex ample.org/", 'must not contain a space: "https://ex ample.org/"'),
        ("https://example.org:http/", "has a port that is not a number"),
        ("ftp://example.org/", "must be an absolute http(s) URL"),
        ("https:///arkiv/", "must be an absolute http(s) URL"),
    ],
)
def test_a_base_url_that_makes_broken_addresses_is_an_error_at_its_line(
    url: str, problem: str
) -> None:
    config, problems = parse_config(f'title: T\nlanguage: da\nbase_url: "{url}"\n')
    assert config is not None and config.base_url == ""
    assert len(problems) == 1
    assert str(problems[0]).startswith(f'content/site.yaml:3: error: "base_url" {problem}')


def test_the_base_url_scheme_and_host_are_case_insensitive() -> None:
    config, problems = parse_config("title: T\nbase_url: HTTPS://Example.ORG/Arkiv\n")
    assert problems == []
    assert config is not None
    assert config.base_url == "https://example.org/Arkiv/"
