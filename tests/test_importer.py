"""The wire importer: Ritzau copy as scraped from a news site -> Markdown with front matter."""

from __future__ import annotations

import dataclasses
import html
import io
import re
import shutil
from pathlib import Path

import pytest
import yaml

from generator import markdown
from generator.importer import (
    ImportedArticle,
    front_matter,
    markdown_paragraph,
    parse_wire,
    run_import,
    target_path,
    to_markdown,
)
from generator.slugs import slugify
from tests.sitekit import build, write_project

FIXTURES = Path(__file__).parent / "fixtures" / "wire"
INVALID = FIXTURES / "invalid"
SEED = FIXTURES / "ritzau-2024-11-12-nordkorea-rusland.txt"
SEED_TARGET = (
    "content/articles/2024/"
    "nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-invasion.md"
)


def parse_fixture(name: str) -> ImportedArticle:
    article, diagnostics = parse_wire((FIXTURES / name).read_text(encoding="utf-8"), name)
    assert article is not None, [str(d) for d in diagnostics]
    return article


def split_markdown(text: str) -> tuple[str, str]:
    """Front matter (without the fences) and body of an article file."""
    match = re.fullmatch(r"---\n(.*?\n)---\n\n(.*)", text, re.DOTALL)
    assert match, text
    return match[1], match[2]


def front_matter_of(article: ImportedArticle) -> dict[str, object]:
    return yaml.safe_load(split_markdown(to_markdown(article))[0])


def rendered_body(article: ImportedArticle) -> str:
    body = split_markdown(to_markdown(article))[1]
    return markdown.render(markdown.parse(body))


def paragraph_texts(rendered: str) -> list[str]:
    """The plain text of each rendered ``<p>``."""
    return [
        html.unescape(re.sub(r"<[^>]+>", "", p)) for p in re.findall(r"<p[^>]*>(.*?)</p>", rendered)
    ]


def import_files(paths: list[Path], project: Path, force: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_import(paths, project, force, out, err)
    return code, out.getvalue(), err.getvalue()


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- the seed


def test_seed_fixture_is_the_shared_seed_unchanged() -> None:
    shared = Path("/work/shared/seed/ritzau-2024-11-12-nordkorea-rusland.txt")
    if not shared.exists():
        pytest.skip("shared seed not available")
    assert SEED.read_bytes() == shared.read_bytes()


def test_seed_gets_exact_front_matter() -> None:
    front, _ = split_markdown(to_markdown(parse_fixture(SEED.name)))
    assert front == (
        "title: Nordkorea og Rusland godkender aftale om gensidig støtte ved invasion\n"
        "slug: nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-invasion\n"
        "date: 2024-11-12T00:54:00+01:00\n"
        "section: Udland\n"
        "source: Ritzau\n"
        "lead: Forsvarsaftale mellem Nordkorea og Rusland forpligter landene til militær"
        " bistand, hvis et af dem invaderes.\n"
    )


def test_seed_goes_to_its_slug_in_the_year_folder() -> None:
    assert target_path(parse_fixture(SEED.name)) == SEED_TARGET


def test_seed_body_keeps_no_chrome_and_no_source_marker() -> None:
    text = to_markdown(parse_fixture(SEED.name))
    for chrome in ("MESTE LÆST UDLAND (48 T)", "SENESTE RITZAU", "FÅ ABONNEMENT", "/ritzau/"):
        assert chrome not in text
    assert text.endswith("flere ukrainske regioner.\n")


def test_seed_body_keeps_the_text_byte_faithful() -> None:
    _, body = split_markdown(to_markdown(parse_fixture(SEED.name)))
    assert 'forpligtede til "øjeblikkeligt" at yde' in body
    assert "flere end 10.000 soldater" in body
    assert "24. februar 2022." in body
    assert body.count("\n\n") == 14


def test_seed_speech_quotes_render_as_speech_paragraphs_not_a_list() -> None:
    rendered = rendered_body(parse_fixture(SEED.name))
    assert "<ul>" not in rendered
    assert '<p class="speech">– Aftalen er blevet ratificeret' in rendered
    assert '<p class="speech">– Aftalen vil træde i kraft' in rendered


# --------------------------------------------------------------------------- dates


def test_summer_dateline_gets_summer_time_offset() -> None:
    article = parse_fixture("summer-2024-06-19.txt")
    assert article.date.isoformat() == "2024-06-19T10:30:00+02:00"
    assert "date: 2024-06-19T10:30:00+02:00\n" in to_markdown(article)


def test_dateline_after_the_autumn_change_gets_winter_time_and_tolerates_a_middle_dot() -> None:
    article = parse_fixture("dst-2024-10-27-after-fallback.txt")
    assert article.date.isoformat() == "2024-10-27T03:15:00+01:00"
    assert article.section == "Indland"


@pytest.mark.parametrize(
    ("dateline", "expected"),
    [
        ("31. MAR 2024 • 01:59UDLAND", "2024-03-31T01:59:00+01:00"),
        ("31. MAR 2024 • 03:00UDLAND", "2024-03-31T03:00:00+02:00"),
        ("31. MAR 2024 • 02:30UDLAND", "2024-03-31T03:30:00+02:00"),
        ("27. OKT 2024 • 01:59UDLAND", "2024-10-27T01:59:00+02:00"),
        ("27. OKT 2024 • 02:30UDLAND", "2024-10-27T02:30:00+02:00"),
        ("27. OKT 2024 • 03:00UDLAND", "2024-10-27T03:00:00+01:00"),
        ("1. MAJ 2024·7:05 UDLAND", "2024-05-01T07:05:00+02:00"),
        ("24. dec 2024 •  23:59   UDLAND", "2024-12-24T23:59:00+01:00"),
    ],
)
def test_datelines_around_daylight_saving_changes_get_the_offset_in_force(
    dateline: str, expected: str
) -> None:
    article, _ = parse_wire(f"Overskrift\n\n{dateline}\n\nIndledning.\n\nBrødtekst.\n", "x.txt")
    assert article is not None
    assert article.date.isoformat() == expected


def test_multi_word_section_gets_sentence_capitalisation() -> None:
    text = "Overskrift\n\n2. SEP 2024 • 08:00SPORT OG KULTUR\n\nIndledning.\n\nBrødtekst.\n"
    article, _ = parse_wire(text, "x.txt")
    assert article is not None
    assert article.section == "Sport og kultur"


# --------------------------------------------------------------------------- titles and YAML


def test_title_with_quotes_colon_and_ampersand_round_trips_through_yaml() -> None:
    article = parse_fixture("title-quotes-colon-ampersand.txt")
    assert article.title == '"Ingen kommentarer": H&M og #MeToo-sagen deler vandene'
    meta = front_matter_of(article)
    assert meta["title"] == article.title
    assert meta["section"] == "Erhverv"
    assert target_path(article) == (
        "content/articles/2024/ingen-kommentarer-h-m-og-metoo-sagen-deler-vandene.md"
    )


def test_danish_letters_in_the_title_are_kept_and_transliterated_in_the_slug() -> None:
    article = parse_fixture("title-aeroe.txt")
    assert front_matter_of(article)["title"] == "Ærø får ny elfærge til Søby-Fåborg-ruten"
    assert (
        target_path(article)
        == "content/articles/2024/aeroe-faar-ny-elfaerge-til-soeby-faaborg-ruten.md"
    )


@pytest.mark.parametrize(
    "title",
    [
        'Han sagde: "Nej" & gik',
        "'Enkelte' anførselstegn",
        "#1 på listen",
        "Kl. 10: # ikke en kommentar",
        "- ligner en liste",
        "? spørgsmål: svar",
        "yes",
        "null",
        "2024",
        "1.5",
        "[ikke] en liste {eller} et kort",
        "Stjerne *og* snabel-a @ og ` backtick",
        "% procent | pipe > større",
        "Ærø, Øster Åby & Næstved",
        "Tab\ti titlen",
        "Slutter med kolon:",
    ],
)
def test_front_matter_strings_round_trip_exactly_through_safe_load(title: str) -> None:
    article = ImportedArticle(
        path="x.txt",
        title=title,
        date=parse_fixture(SEED.name).date,
        lead=f"Indledning: {title}",
        paragraphs=("Brødtekst.",),
        section=title,
        source="Ritzau",
    )
    front = split_markdown(to_markdown(article))[0]
    assert len(front.splitlines()) == 6
    assert yaml.safe_load(front) == {
        "title": title,
        "slug": slugify(title),
        "date": article.date,
        "section": title,
        "source": "Ritzau",
        "lead": f"Indledning: {title}",
    }


def test_line_breaking_characters_in_the_text_become_spaces() -> None:
    text = "Over\u2028skrift\x85nu\n\n12. NOV 2024 • 00:54UDLAND\n\nIndled\u2029ning.\n\nBrød.\n"
    article, _ = parse_wire(text, "x.txt")
    assert article is not None
    assert (article.title, article.lead) == ("Over skrift nu", "Indled ning.")


# --------------------------------------------------------------------------- body


def test_several_speech_lines_in_a_row_each_become_a_speech_paragraph() -> None:
    article = parse_fixture("speech-lines-in-a-row.txt")
    _, body = split_markdown(to_markdown(article))
    assert body == (
        "Det siger hun på et pressemøde tirsdag.\n\n"
        "– Vi mangler hænder.\n\n"
        "– Det er den største udfordring for sundhedsvæsenet.\n\n"
        "– Og den skal løses nu, siger hun.\n"
    )
    rendered = rendered_body(article)
    assert "<ul>" not in rendered
    assert rendered.count('<p class="speech">– ') == 3


def test_text_that_looks_like_markdown_renders_as_the_same_text() -> None:
    article = parse_fixture("markdown-lookalikes.txt")
    rendered = rendered_body(article)
    for tag in ("<h1", "<ol", "<ul", "<blockquote", "<hr", "<pre", "<code", "<em", "<a "):
        assert tag not in rendered
    assert paragraph_texts(rendered) == list(article.paragraphs)


def test_markdown_escapes_use_backslashes_rather_than_dropping_characters() -> None:
    assert markdown_paragraph("# nr. 1") == "\\# nr. 1"
    assert markdown_paragraph("1. plads") == "1\\. plads"
    assert markdown_paragraph("> citat") == "\\> citat"
    assert markdown_paragraph("* punkt") == "\\* punkt"
    assert markdown_paragraph("- Ja, siger han.") == "– Ja, siger han."
    assert markdown_paragraph('10.000 "soldater" – 5 %') == '10.000 "soldater" – 5 %'


def test_other_agencies_in_the_source_marker_are_credited() -> None:
    assert parse_fixture("markdown-lookalikes.txt").source == "Ritzau/AFP"
    text = "Overskrift\n\n12. NOV 2024 • 00:54UDLAND\n\nIndledning.\n\nBrød.\n\n/AFP/\n"
    article, _ = parse_wire(text, "x.txt")
    assert article is not None
    assert article.source == "AFP"


def test_without_a_source_marker_trailing_capitals_lines_are_dropped_with_a_warning() -> None:
    text = (FIXTURES / "no-source-marker.txt").read_text(encoding="utf-8")
    article, diagnostics = parse_wire(text, "no-source-marker.txt")
    assert article is not None
    assert article.paragraphs == ("Det oplyser banken i en meddelelse.",)
    assert "source" not in front_matter_of(article)
    assert [str(d) for d in diagnostics] == [
        'no-source-marker.txt: warning: no source marker like "/ritzau/" found; source left empty'
    ]


def test_hard_wrapped_lines_join_into_one_paragraph() -> None:
    text = "Overskrift\n\n12. NOV 2024 • 00:54UDLAND\n\nIndled-\nning over\nlinjer.\n\nEn\nto\n"
    article, _ = parse_wire(text, "x.txt")
    assert article is not None
    assert (article.lead, article.paragraphs) == ("Indled- ning over linjer.", ("En to",))


def test_parsing_the_same_text_twice_gives_the_same_markdown() -> None:
    text = SEED.read_text(encoding="utf-8")
    first, _ = parse_wire(text, "a.txt")
    second, _ = parse_wire(text.replace("\n", "\r\n"), "b.txt")
    assert first is not None and second is not None
    assert to_markdown(first) == to_markdown(second)


# --------------------------------------------------------------------------- invalid input


def test_text_without_a_dateline_is_an_error_naming_the_file() -> None:
    text = (INVALID / "no-dateline.txt").read_text(encoding="utf-8")
    article, diagnostics = parse_wire(text, "../x.txt")
    assert article is None
    assert [str(d) for d in diagnostics] == [
        '../x.txt:1: error: no dateline like "12. NOV 2024 • 00:54UDLAND" found'
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "x.txt: error: empty file: expected a headline, a dateline and a story"),
        ("\n  \n", "x.txt: error: empty file: expected a headline, a dateline and a story"),
        (
            "12. NOV 2024 • 00:54UDLAND\n\nIndledning.\n\nBrød.\n",
            "x.txt:1: error: no headline before the dateline",
        ),
        (
            "Overskrift\nUndertitel\n12. NOV 2024 • 00:54UDLAND\n\nIndledning.\n\nBrød.\n",
            "x.txt:2: error: unexpected text between the headline and the dateline",
        ),
        (
            "Overskrift\n\n12. MAY 2024 • 00:54UDLAND\n\nIndledning.\n\nBrød.\n",
            'x.txt:3: error: unknown month "MAY" in the dateline'
            " (expected one of JAN FEB MAR APR MAJ JUN JUL AUG SEP OKT NOV DEC)",
        ),
        (
            "Overskrift\n\n31. FEB 2024 • 00:54UDLAND\n\nIndledning.\n\nBrød.\n",
            'x.txt:3: error: no such date and time: "31. FEB 2024 • 00:54UDLAND"',
        ),
        (
            "Overskrift\n\n12. NOV 2024 • 00:54UDLAND\n\n/ritzau/\n",
            "x.txt:3: error: no story after the dateline",
        ),
        (
            "!!!\n\n12. NOV 2024 • 00:54UDLAND\n\nIndledning.\n\nBrød.\n",
            "x.txt:1: error: the headline '!!!' gives an empty slug",
        ),
    ],
)
def test_text_of_the_wrong_shape_is_an_error_with_the_reason(text: str, message: str) -> None:
    article, diagnostics = parse_wire(text, "x.txt")
    assert article is None
    assert message in [str(d) for d in diagnostics]


def test_a_lead_without_body_is_an_error_at_the_lead() -> None:
    text = (INVALID / "no-body.txt").read_text(encoding="utf-8")
    article, diagnostics = parse_wire(text, "no-body.txt")
    assert article is None
    assert [str(d) for d in diagnostics] == ["no-body.txt:5: error: no body text after the lead"]


# --------------------------------------------------------------------------- run_import


def test_importing_the_seed_writes_the_article_and_prints_its_path(tmp_path: Path) -> None:
    code, out, err = import_files([SEED], tmp_path)
    assert (code, out, err) == (0, f"wrote: {SEED_TARGET}\n", "")
    written = (tmp_path / SEED_TARGET).read_text(encoding="utf-8")
    assert written == to_markdown(parse_fixture(SEED.name))
    assert files_under(tmp_path) == [SEED_TARGET]


def test_importing_the_same_text_again_leaves_the_file_unchanged(tmp_path: Path) -> None:
    import_files([SEED], tmp_path)
    first = (tmp_path / SEED_TARGET).read_bytes()
    code, out, err = import_files([SEED], tmp_path)
    assert (code, out, err) == (0, f"unchanged: {SEED_TARGET}\n", "")
    assert (tmp_path / SEED_TARGET).read_bytes() == first
    assert files_under(tmp_path) == [SEED_TARGET]


def test_a_hand_edited_target_is_refused_without_force_while_other_files_import(
    tmp_path: Path,
) -> None:
    import_files([SEED], tmp_path)
    target = tmp_path / SEED_TARGET
    edited = target.read_text(encoding="utf-8").replace("section: Udland", "section: Politik")
    target.write_text(edited, encoding="utf-8")
    summer = FIXTURES / "summer-2024-06-19.txt"

    code, out, err = import_files([SEED, summer], tmp_path)

    assert code == 1
    assert out == "wrote: content/articles/2024/hedeboelge-rammer-sydeuropa.md\n"
    assert err == (
        f"{SEED_TARGET}: error: exists and differs from the import (edited by hand?);"
        " use --force to overwrite\n"
    )
    assert target.read_text(encoding="utf-8") == edited


def test_force_overwrites_a_hand_edited_target(tmp_path: Path) -> None:
    import_files([SEED], tmp_path)
    target = tmp_path / SEED_TARGET
    original = target.read_bytes()
    target.write_text("edited by hand\n", encoding="utf-8")
    code, out, err = import_files([SEED], tmp_path, force=True)
    assert (code, out, err) == (0, f"wrote: {SEED_TARGET}\n", "")
    assert target.read_bytes() == original
    assert files_under(tmp_path) == [SEED_TARGET]


def test_a_directory_imports_its_txt_files_in_sorted_order_without_recursing(
    tmp_path: Path,
) -> None:
    code, out, err = import_files([FIXTURES], tmp_path)
    assert (code, err) == (
        0,
        f"{FIXTURES.as_posix()}/no-source-marker.txt: warning:"
        ' no source marker like "/ritzau/" found; source left empty\n',
    )
    assert out.splitlines() == [
        "wrote: content/articles/2024/natlig-brand-i-lagerhal-slukket.md",
        "wrote: content/articles/2024/tal-og-tegn-i-teksten.md",
        "wrote: content/articles/2024/rente-uaendret-hos-nationalbanken.md",
        f"wrote: {SEED_TARGET}",
        "wrote: content/articles/2024/minister-vi-skal-have-flere-sygeplejersker.md",
        "wrote: content/articles/2024/hedeboelge-rammer-sydeuropa.md",
        "wrote: content/articles/2024/aeroe-faar-ny-elfaerge-til-soeby-faaborg-ruten.md",
        "wrote: content/articles/2024/ingen-kommentarer-h-m-og-metoo-sagen-deler-vandene.md",
    ]
    assert all(name.startswith("content/articles/2024/") for name in files_under(tmp_path))


def test_every_bad_input_is_reported_in_one_run_and_nothing_is_written_for_it(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "missing.txt"
    code, out, err = import_files([INVALID, SEED, missing], tmp_path / "site")
    assert code == 1
    assert out == f"wrote: {SEED_TARGET}\n"
    assert err.splitlines() == sorted(
        [
            f"{INVALID.as_posix()}/empty.txt: error: empty file:"
            " expected a headline, a dateline and a story",
            f"{INVALID.as_posix()}/no-body.txt:5: error: no body text after the lead",
            f"{INVALID.as_posix()}/no-dateline.txt:1: error:"
            ' no dateline like "12. NOV 2024 • 00:54UDLAND" found',
            f"{missing.as_posix()}: error: no such file or directory",
        ]
    )
    assert files_under(tmp_path / "site") == [SEED_TARGET]


def test_a_file_named_twice_is_imported_once(tmp_path: Path) -> None:
    code, out, _ = import_files([SEED, FIXTURES / ".." / "wire" / SEED.name], tmp_path)
    assert (code, out) == (0, f"wrote: {SEED_TARGET}\n")


def test_two_inputs_with_the_same_headline_are_an_error_for_the_second(tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text(SEED.read_text(encoding="utf-8").replace("00:54", "01:00"), encoding="utf-8")
    code, out, err = import_files([SEED, copy], tmp_path / "site")
    assert code == 1
    assert out == f"wrote: {SEED_TARGET}\n"
    assert err == (
        f"{copy.as_posix()}: error: imports to {SEED_TARGET},"
        f" as {SEED.as_posix()} does; not written\n"
    )


def test_a_story_with_the_same_headline_from_another_day_never_replaces_the_file(
    tmp_path: Path,
) -> None:
    # The file name has the year and the headline only; the URL has the month too. Another
    # day's story is not "edited by hand", and not even --force may replace it.
    may = tmp_path / "may.txt"
    may.write_text(SEED.read_text(encoding="utf-8").replace("12. NOV", "15. MAJ"), encoding="utf-8")
    assert import_files([may], tmp_path / "site")[0] == 0
    kept = (tmp_path / "site" / SEED_TARGET).read_bytes()
    for force in (False, True):
        code, out, err = import_files([SEED], tmp_path / "site", force=force)
        assert (code, out) == (1, "")
        assert err.startswith(
            f"{SEED_TARGET}: error: holds another story with this headline, dated "
            "2024-05-15T00:54:00+02:00; "
        )
        assert "use --force" not in err
        assert (tmp_path / "site" / SEED_TARGET).read_bytes() == kept


def test_a_source_marker_at_the_end_of_the_last_paragraph_ends_the_story(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8").replace("regioner.\n\n/ritzau/", "regioner. /ritzau/")
    assert "regioner. /ritzau/" in text
    article, diagnostics = parse_wire(text, "x.txt")
    assert diagnostics == []
    assert article is not None
    assert article.source == "Ritzau"
    assert article.paragraphs[-1].endswith("regioner.")


def test_a_directory_imports_txt_files_whatever_the_case_of_their_suffix(tmp_path: Path) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "STORY.TXT").write_bytes(SEED.read_bytes())
    code, out, _err = import_files([folder], tmp_path / "site")
    assert (code, out) == (0, f"wrote: {SEED_TARGET}\n")


def test_a_section_on_a_line_of_its_own_under_the_dateline_is_the_section_not_the_lead() -> None:
    seed = parse_fixture(SEED.name)
    text = SEED.read_text(encoding="utf-8").replace("00:54UDLAND", "00:54\nUDLAND")
    assert "00:54\nUDLAND" in text
    article, diagnostics = parse_wire(text, "x.txt")
    assert diagnostics == []
    assert article == dataclasses.replace(seed, path="x.txt")


# --------------------------------------------------------------------------- the site's language


def site_yaml(language: str, extra: str = "") -> str:
    return f'title: "Testarkiv"\nlanguage: {language}\n{extra}'


def project_with_site(root: Path, language: str, extra: str = "") -> Path:
    (root / "content").mkdir(parents=True)
    (root / "content/site.yaml").write_text(site_yaml(language, extra), encoding="utf-8")
    return root


def test_an_import_on_a_site_in_another_language_says_the_article_is_danish(
    tmp_path: Path,
) -> None:
    project = project_with_site(tmp_path, "en")
    code, out, err = import_files([SEED], project)
    assert (code, out, err) == (0, f"wrote: {SEED_TARGET}\n", "")
    front, _ = split_markdown((project / SEED_TARGET).read_text(encoding="utf-8"))
    assert front.splitlines()[2:5] == [
        "date: 2024-11-12T00:54:00+01:00",
        "section: Udland",
        "language: da",
    ]
    assert yaml.safe_load(front)["language"] == "da"


@pytest.mark.parametrize("language", ["da", "da-DK"])
def test_an_import_on_a_danish_site_writes_no_language(tmp_path: Path, language: str) -> None:
    project = project_with_site(tmp_path, language)
    assert import_files([SEED], project)[0] == 0
    assert (project / SEED_TARGET).read_text(encoding="utf-8") == to_markdown(
        parse_fixture(SEED.name)
    )
    assert "language" not in front_matter(parse_fixture(SEED.name), language)


def test_a_danish_import_on_an_english_site_is_rendered_and_linked_as_danish(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "p",
        {"content/entities/rusland.md": "---\nname: Rusland\ntype: country\n---\nLand.\n"},
        site_yaml=site_yaml("en", "link: all\n"),
    )
    assert import_files([SEED], project)[0] == 0
    code, _, err = build(project, tmp_path / "site", "--no-search")
    assert code == 0, err
    page = (
        tmp_path / "site/2024/11/nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-"
        "invasion/index.html"
    ).read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert '<div class="story-body" lang="da"' in page
    assert re.search(r'<a class="mention" data-entity="rusland" [^>]*>Ruslands</a>', page)


def test_a_site_yaml_with_errors_stops_the_import_before_anything_is_written(
    tmp_path: Path,
) -> None:
    project = project_with_site(tmp_path, '"engelsk"')
    code, out, err = import_files([SEED], project)
    assert (code, out) == (1, "")
    assert err == (
        'content/site.yaml:2: error: "language" is not a language code like "da" or "en":'
        ' "engelsk"\n'
    )
    assert files_under(project) == ["content/site.yaml"]


# --------------------------------------------------------------------------- the slug


def test_an_imported_article_names_its_slug_so_an_edited_headline_keeps_its_url(
    tmp_path: Path,
) -> None:
    project = project_with_site(tmp_path / "p", "da")
    assert import_files([SEED], project)[0] == 0
    target = project / SEED_TARGET
    front, _ = split_markdown(target.read_text(encoding="utf-8"))
    assert front.splitlines()[:2] == [
        "title: Nordkorea og Rusland godkender aftale om gensidig støtte ved invasion",
        "slug: nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-invasion",
    ]
    edited = target.read_text(encoding="utf-8").replace(
        "title: Nordkorea og Rusland godkender", "title: Nordkorea og Rusland vedtager", 1
    )
    target.write_text(edited, encoding="utf-8")
    code, _, err = build(project, tmp_path / "site", "--no-search")
    assert code == 0, err
    assert [p.name for p in (tmp_path / "site/2024/11").iterdir() if p.is_dir()] == [
        "nordkorea-og-rusland-godkender-aftale-om-gensidig-stoette-ved-invasion"
    ]


def test_an_article_imported_before_the_slug_was_written_is_unchanged(tmp_path: Path) -> None:
    # What the importer wrote before it wrote "slug": the same article at the same URL, so
    # importing it again changes nothing, as it did before.
    target = tmp_path / SEED_TARGET
    target.parent.mkdir(parents=True)
    text = to_markdown(parse_fixture(SEED.name))
    earlier = text.replace(f"\nslug: {parse_fixture(SEED.name).slug}\n", "\n", 1)
    assert earlier != text
    target.write_text(earlier, encoding="utf-8")
    code, out, err = import_files([SEED], tmp_path)
    assert (code, out, err) == (0, f"unchanged: {SEED_TARGET}\n", "")
    assert target.read_text(encoding="utf-8") == earlier


def test_importing_the_seed_into_the_shipped_project_again_changes_nothing(
    tmp_path: Path,
) -> None:
    project = tmp_path / "p"
    shutil.copytree(Path(__file__).parent.parent / "content", project / "content")
    before = (project / SEED_TARGET).read_bytes()
    code, out, err = import_files([SEED], project)
    assert (code, out, err) == (0, f"unchanged: {SEED_TARGET}\n", "")
    assert (project / SEED_TARGET).read_bytes() == before


def test_an_article_imported_without_its_language_on_an_english_site_is_replaced(
    tmp_path: Path,
) -> None:
    # Not an edit by hand but what the importer wrote before it marked the language: the site
    # took the Danish article for an English one.
    project = project_with_site(tmp_path, "en")
    target = project / SEED_TARGET
    target.parent.mkdir(parents=True)
    seed = parse_fixture(SEED.name)
    earlier = to_markdown(seed).replace(f"\nslug: {seed.slug}\n", "\n", 1)
    target.write_text(earlier, encoding="utf-8")
    code, out, err = import_files([SEED], project)
    assert (code, out, err) == (0, f"wrote: {SEED_TARGET}\n", "")
    assert target.read_text(encoding="utf-8") == to_markdown(seed, "en")
    assert "\nlanguage: da\n" in to_markdown(seed, "en")
