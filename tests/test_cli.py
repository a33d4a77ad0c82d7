"""The command line: --help and exit codes of every command, `check` and `new`."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from generator.scaffold import run_new
from tests.sitekit import article, run_cli, tree, write_project

FIXTURE = Path(__file__).parent / "fixtures" / "serve_site"
ARTICLE = "content/articles/1998/bilerne-kan-nu-koere-over-storebaelt.md"
COMMANDS = ("build", "import", "serve", "check", "new")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "project")
    return tmp_path / "project"


def edit(project: Path, path: str, old: str, new: str) -> None:
    file = project / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


def html_pages(project: Path, tmp_path: Path, *extra: str) -> int:
    """How many pages a plain build writes."""
    code, _out, err = run_cli("build", "-C", str(project), "--out", str(tmp_path / "b"), *extra)
    assert code == 0, err
    return sum(1 for name in tree(tmp_path / "b") if name.endswith(".html"))


# --------------------------------------------------------------------------- help, exit codes


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples_and_its_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(command, "--help")[0]
    out = capsys.readouterr().out
    assert code == 0
    assert f"usage: explainer {command}" in out
    assert f"\nexamples:\n  explainer {command}" in out
    assert "\nexit codes: 0 " in out
    assert "2 usage error" in out


def test_the_main_help_lists_every_command_and_the_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = run_cli("--help")[0]
    out = capsys.readouterr().out
    assert code == 0
    for command in COMMANDS:
        assert f"\n    {command} " in out
    assert out.rstrip().endswith("exit codes: 0 ok, 1 content errors, 2 usage error")


@pytest.mark.parametrize(
    "args",
    [
        ("publish",),
        (),
        ("check", "--frobnicate"),
        ("serve", "--port", "http"),
        ("serve", "--port", "70000"),
        ("new",),
        ("build", "-j", "-1"),
        ("build", "--jobs", "two"),
        # -q and -v are options of the commands that use them, not accepted and ignored.
        ("import", "-q", "x.txt"),
        ("new", "-v", "Titel"),
        ("serve", "-q"),
    ],
)
def test_a_usage_error_exits_with_code_2(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(*args)[0]
    assert code == 2
    assert "usage: explainer" in capsys.readouterr().err


def test_a_folder_without_content_is_a_usage_error(tmp_path: Path) -> None:
    code, _out, err = run_cli("check", "-C", str(tmp_path))
    assert code == 2
    assert err == f"{tmp_path}/content: error: not an explainer project (no content/ folder)\n"


# --------------------------------------------------------------------------- check


def test_check_passes_a_valid_project_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    before = tree(project)
    code, out, err = run_cli("check", "-C", str(project))
    assert tree(project) == before
    assert (code, err) == (0, "")
    assert out == f"checked {html_pages(project, tmp_path)} pages: 0 errors, 0 warnings\n"


def test_check_reports_a_content_error_and_exits_with_code_1(project: Path) -> None:
    edit(project, ARTICLE, "section: Indland", "section: Indland\nabout: [oeresundsbroen]")
    code, out, err = run_cli("check", "-C", str(project))
    assert code == 1
    assert err == (f'{ARTICLE}:5: error: "about": unknown entity "oeresundsbroen"\n')
    assert re.fullmatch(r"checked \d+ pages: 1 error, 0 warnings\n", out)


def test_check_reports_every_problem_build_reports_in_one_run(project: Path) -> None:
    edit(project, ARTICLE, "section: Indland", "section: Indland\nabout: [oeresundsbroen]")
    edit(project, ARTICLE, "Østbroen mellem", "[[Østbroen]] mellem")
    code, _out, err = run_cli("check", "-C", str(project))
    assert code == 1
    assert err == (
        f'{ARTICLE}:5: error: "about": unknown entity "oeresundsbroen"\n'
        f'{ARTICLE}:10: error: unknown entity "Østbroen" in [[Østbroen]]\n'
    )
    build_code, _build_out, build_err = run_cli("build", "-C", str(project))
    assert build_code == 1
    assert set(build_err.splitlines()) <= set(err.splitlines())
    assert not (project / "site").exists()


def test_check_renders_past_a_note_that_lists_an_entity_that_did_not_load(tmp_path: Path) -> None:
    # check renders the site despite content errors, to find every problem in one run: a note
    # that lists a misspelt entity, or one whose file has an error, must not stop it.
    project = tmp_path / "p"
    shutil.copytree(Path(__file__).parent.parent / "content", project / "content")
    note = "content/notes/aftale-om-strategisk-partnerskab-rusland-nordkorea.md"
    edit(project, note, "entities: [rusland,", "entities: [nosuch, rusland,")
    edit(project, "content/entities/nis.md", "\naliases:", "\nalias:")
    code, out, err = run_cli("check", "-C", str(project))
    assert code == 1
    assert err.splitlines() == [
        'content/entities/nis.md:4: error: unknown entity key "alias" (did you mean "aliases"?)',
        f'{note}:5: error: "entities": unknown entity "nosuch"',
        # Not "unknown": the entity is there, and its file has an error.
        'content/notes/nordkoreanske-soldater-i-rusland.md:5: error: "entities": entity "nis" is '
        "not loaded: content/entities/nis.md has errors",
    ]
    assert re.fullmatch(r"checked \d+ pages: 3 errors, 0 warnings\n", out)


def test_check_finds_a_broken_internal_link_in_the_rendered_pages(
    project: Path, tmp_path: Path
) -> None:
    edit(
        project,
        ARTICLE,
        "for biltrafik.",
        "for biltrafik. Se [en side der ikke findes](../../../2099/01/findes-ikke/index.html).",
    )
    code, out, err = run_cli("check", "-C", str(project))
    assert code == 1
    assert err == (
        f"{ARTICLE}:7: error: broken internal link: ../../../2099/01/findes-ikke/index.html (on "
        "site/1998/06/bilerne-kan-nu-koere-over-storebaelt/index.html; link to another article, "
        "entity or note by its file, as in [tekst](../2023/slug.md))\n"
    )
    assert out.endswith(" pages: 1 error, 0 warnings\n")
    assert not (project / "site").exists()


def test_strict_check_fails_on_a_warning_that_plain_check_lets_pass(
    project: Path, tmp_path: Path
) -> None:
    edit(
        project,
        "content/articles/1997/togene-koerer-nu-under-storebaelt.md",
        "section: Indland",
        "section: Indland\nabout: [storebaeltsforbindelsen]",
    )
    edit(
        project,
        "content/articles/1997/togene-koerer-nu-under-storebaelt.md",
        "over Storebæltsforbindelsen i stedet for med færge",
        "over Storebælt i stedet for med færge",
    )
    warning = (
        "content/articles/1997/togene-koerer-nu-under-storebaelt.md:5: warning: the article is "
        '"about" storebaeltsforbindelsen but never names it, so it is not listed\n'
    )
    pages = html_pages(project, tmp_path)

    code, out, err = run_cli("check", "-C", str(project))
    assert (code, err, out) == (0, warning, f"checked {pages} pages: 0 errors, 1 warning\n")

    code, out, err = run_cli("check", "--strict", "-q", "-C", str(project))
    assert (code, err) == (1, warning)
    assert out == ""

    code, out, err = run_cli("check", "--strict", "-C", str(project))
    assert code == 1
    assert out == (
        f"checked {pages} pages: 0 errors, 1 warning (--strict: warnings fail the check)\n"
    )


# --------------------------------------------------------------------------- new

NEW_ARTICLE = """\
---
title: "Øresundsbroen åbner"
slug: oeresundsbroen-aabner
date: 2000-07-01T12:00:00+02:00
section: "Indland"
draft: true
---

"""


def test_new_writes_a_draft_at_the_path_its_date_gives_and_prints_the_path(
    project: Path,
) -> None:
    code, out, err = run_cli(
        "new", "-C", str(project), "Øresundsbroen åbner", "--section", "Indland",
        "--date", "2000-07-01T12:00",
    )  # fmt: skip
    path = project / "content/articles/2000/oeresundsbroen-aabner.md"
    assert (code, out, err) == (0, f"{path}\n", "")
    assert path.read_text(encoding="utf-8") == NEW_ARTICLE


def test_a_new_article_builds_with_drafts_and_checks_clean(project: Path, tmp_path: Path) -> None:
    run_cli("new", "-C", str(project), 'Putin: "Vi er klar" – #1', "--date", "2024-11-12T09:30")
    code, _out, err = run_cli("check", "--strict", "--drafts", "-C", str(project))
    assert (code, err) == (0, "")
    code, _out, err = run_cli("build", "--drafts", "-C", str(project), "--out", str(tmp_path / "s"))
    assert (code, err) == (0, "")
    page = (tmp_path / "s/2024/11/putin-vi-er-klar-1/index.html").read_text(encoding="utf-8")
    assert "<title>Putin: &#34;Vi er klar&#34; – #1 · Over Storebælt</title>" in page


def test_a_new_article_keeps_its_url_when_its_headline_is_edited(
    project: Path, tmp_path: Path
) -> None:
    run_cli("new", "-C", str(project), "Aftalen træder i kraft", "--date", "2024-12-04T09:30")
    path = project / "content/articles/2024/aftalen-traeder-i-kraft.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Aftalen træder i kraft", "Analyse: Aftalen gælder nu"), "utf-8")
    code, _out, err = run_cli("build", "--drafts", "-C", str(project), "--out", str(tmp_path / "s"))
    assert (code, err) == (0, "")
    page = tmp_path / "s/2024/12/aftalen-traeder-i-kraft/index.html"
    assert "Analyse: Aftalen gælder nu" in page.read_text(encoding="utf-8")


def test_check_says_how_many_drafts_it_left_out(project: Path) -> None:
    run_cli("new", "-C", str(project), "Kladde", "--date", "2024-12-04T09:30")
    path = project / "content/articles/2024/kladde.md"
    path.write_text(path.read_text(encoding="utf-8") + "Det sagde [[Ingen]].\n", "utf-8")
    code, out, err = run_cli("check", "-C", str(project))
    assert (code, err) == (0, "")
    assert out.endswith(": 0 errors, 0 warnings; 1 draft left out (--drafts includes drafts)\n")
    code, out, err = run_cli("check", "--drafts", "-C", str(project))
    assert code == 1
    assert 'unknown entity "Ingen"' in err
    assert "left out" not in out


def test_a_new_draft_is_left_out_of_a_plain_build(project: Path, tmp_path: Path) -> None:
    run_cli("new", "-C", str(project), "Øresundsbroen åbner", "--date", "2000-07-01T12:00")
    code, _out, _err = run_cli("build", "-C", str(project), "--out", str(tmp_path / "s"))
    assert code == 0
    assert not (tmp_path / "s/2000").exists()


def test_new_dates_the_article_now_in_the_site_time_zone_to_the_minute(project: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    now = datetime(2024, 12, 31, 23, 30, 45, 123456, tzinfo=UTC)
    code = run_new(project, "Nytårsaften", out, err, now=now)
    path = project / "content/articles/2025/nytaarsaften.md"
    assert (code, out.getvalue(), err.getvalue()) == (0, f"{path}\n", "")
    assert "\ndate: 2025-01-01T00:30:00+01:00\n" in path.read_text(encoding="utf-8")


def test_new_without_a_date_uses_the_current_minute(project: Path) -> None:
    code, out, _err = run_cli("new", "-C", str(project), "Lige nu")
    assert code == 0
    text = Path(out.strip()).read_text(encoding="utf-8")
    written = datetime.fromisoformat(text.split("\ndate: ")[1].split("\n")[0])
    now = datetime.now(ZoneInfo("Europe/Copenhagen"))
    assert written.second == 0
    assert written.utcoffset() == now.utcoffset()
    assert timedelta(0) <= now - written < timedelta(minutes=2)


def test_new_in_english_sets_the_language(project: Path) -> None:
    code, out, _err = run_cli(
        "new", "-C", str(project), "The bridge opens", "--language", "en", "--date", "2000-07-01"
    )
    assert code == 0
    assert "\nlanguage: en\n" in Path(out.strip()).read_text(encoding="utf-8")
    assert run_cli("check", "--strict", "--drafts", "-C", str(project))[0] == 0


def test_new_never_overwrites_an_existing_file(project: Path) -> None:
    args = ("new", "-C", str(project), "Øresundsbroen åbner", "--date", "2000-07-01T12:00")
    run_cli(*args)
    path = project / "content/articles/2000/oeresundsbroen-aabner.md"
    path.write_text(NEW_ARTICLE + "Broen mellem København og Malmø.\n", encoding="utf-8")
    code, out, err = run_cli(*args)
    assert (code, out) == (1, "")
    assert err == (
        "content/articles/2000/oeresundsbroen-aabner.md: error: already exists; "
        "choose another title or edit that file\n"
    )
    assert path.read_text(encoding="utf-8").endswith("Broen mellem København og Malmø.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("Broen", "--date", "2024-13-01"),
            "--date: not a valid date: '2024-13-01' (month must be in 1..12)",
        ),
        (
            ("Broen", "--date", "i går"),
            "--date: not an ISO 8601 date: 'i går'; write it as 2024-11-12 or 2024-11-12T00:54",
        ),
        (
            ("Broen", "--language", "dansk"),
            '--language: not a language code like "da" or "en": \'dansk\'',
        ),
        (("?!",), "the title '?!' has no letters or digits to make a file name from"),
    ],
)
def test_new_with_a_bad_argument_is_a_usage_error(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    before = tree(project)
    code, out, err = run_cli("new", "-C", str(project), *args)
    assert (code, out, err) == (2, "", f"explainer new: error: {message}\n")
    assert tree(project) == before


def test_new_with_a_broken_site_yaml_reports_it_and_exits_with_code_1(project: Path) -> None:
    (project / "content/site.yaml").write_text("title: [\n", encoding="utf-8")
    code, out, err = run_cli("new", "-C", str(project), "Broen")
    assert (code, out) == (1, "")
    assert err == "content/site.yaml:2: error: invalid YAML: did not find expected node content\n"


def test_the_command_ends_with_its_output_flushed_and_nothing_left_behind(tmp_path: Path) -> None:
    """``python -m generator`` (and the ``explainer`` script) end the process without freeing
    memory: every line must still reach the terminal, with the exit code, and no temporary
    file may be left behind, with workers and search or without."""
    project = write_project(
        tmp_path / "arkiv",
        {f"content/articles/2024/a{i}.md": article(f"Artikel {i}") for i in range(12)},
    )
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    # Buffered output, as in a pipe: what is not flushed before the end is lost.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["TMPDIR"] = str(temporary)

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "generator", *args, "-C", str(project)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    built = command("build", "--jobs", "2")
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip().startswith("built ")
    assert (project / "site/index.html").is_file()
    broken = project / "content/articles/2024/a3.md"
    broken.write_text("---\ntitle: [\n---\nTekst.\n", encoding="utf-8")
    (project / "content/articles/2024/a7.md").write_text("Ingen front matter.\n", encoding="utf-8")
    failed = command("build", "--jobs", "2")
    assert failed.returncode == 1
    assert "content/articles/2024/a3.md:" in failed.stderr
    assert "content/articles/2024/a7.md:" in failed.stderr
    assert failed.stdout.startswith("build failed: 2 error(s)")
    assert list(temporary.iterdir()) == []
    left = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp") or ".new-" in p.name]
    assert left == []


def test_check_reports_a_bad_setting_and_the_content_problems_in_one_run(project: Path) -> None:
    # A bad value in site.yaml no longer hides the content's problems until it is fixed.
    edit(project, "content/site.yaml", "search: false", "search: false\npage_size: 0")
    edit(project, ARTICLE, "section: Indland", "sektion: Indland")
    code, _out, err = run_cli("check", "-C", str(project))
    assert code == 1
    assert [line.split(": error: ")[1] for line in err.splitlines()] == [
        'unknown front-matter key "sektion" (did you mean "section"?)',
        '"page_size" must be a whole number of at least 1',
    ]
    build_code, _out, build_err = run_cli("build", "-C", str(project))
    assert build_code == 1
    assert build_err.splitlines() == err.splitlines()
    assert not (project / "site").exists()
