"""Whole builds of small sites: determinism, atomic swaps, stale files, drafts, escaping, markup."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from generator.output import (
    ABANDONED_AFTER,
    Staging,
    UnsafePath,
    remove_abandoned,
    remove_tree,
    safe_relative,
    write_tree,
)
from generator.render import OutputFile
from tests.sitekit import article, build, tree, write_project

ENTITY = """\
---
name: Vladimir Putin
type: person
aliases: [Putin]
summary: Ruslands præsident.
wikidata: Q7747
---
Præsident.
"""


def small_site(root: Path) -> Path:
    return write_project(
        root,
        {
            "content/entities/vladimir-putin.md": ENTITY,
            "content/articles/2024/vinter.md": article(
                "Vinter i Moskva", "2024-11-12T00:54:00", "Vladimir Putin talte. Putins tale."
            ),
            "content/articles/2024/sommer.md": article(
                "Sommer i Pyongyang", "2024-06-19T10:30:00", "Putin rejste."
            ),
        },
    )


def test_two_builds_of_the_same_input_are_byte_identical(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    assert build(project, tmp_path / "a")[0] == 0
    assert build(project, tmp_path / "b")[0] == 0
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_a_deleted_article_leaves_no_stale_page(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    out = tmp_path / "site"
    build(project, out)
    page = out / "2024/06/sommer-i-pyongyang/index.html"
    assert page.exists()
    (project / "content/articles/2024/sommer.md").unlink()
    assert build(project, out)[0] == 0
    assert not page.exists()
    assert not (out / "2024/06").exists()


def test_the_build_prints_a_one_line_summary(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    code, out, err = build(project, tmp_path / "site")
    assert code == 0
    assert err == ""
    assert re.fullmatch(
        r"built \d+ pages \(\d+ files\) into \S+ in \d+\.\d\d s, 0 warning\(s\)\n", out
    )


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    assert build(project, tmp_path / "site", "--quiet") == (0, "", "")


def test_verbose_prints_the_time_of_each_stage(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    code, _out, err = build(project, tmp_path / "site", "--verbose")
    assert code == 0
    assert "  annotate: " in err


def test_drafts_are_left_out_unless_asked_for(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    draft = article("Kladde om Putin", "2024-11-13T09:00:00").replace(
        "section: Udland", "section: Udland\ndraft: true"
    )
    (project / "content/articles/2024/kladde.md").write_text(draft, encoding="utf-8")
    build(project, tmp_path / "plain")
    build(project, tmp_path / "drafts", "--drafts")
    assert not (tmp_path / "plain/2024/11/kladde-om-putin").exists()
    assert (tmp_path / "drafts/2024/11/kladde-om-putin/index.html").exists()


def test_dates_are_shown_the_danish_way_with_a_full_iso_timestamp(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    build(project, tmp_path / "site")
    winter = (tmp_path / "site/2024/11/vinter-i-moskva/index.html").read_text()
    summer = (tmp_path / "site/2024/06/sommer-i-pyongyang/index.html").read_text()
    assert '<time datetime="2024-11-12T00:54:00+01:00">12. november 2024 kl. 00.54</time>' in winter
    assert '<time datetime="2024-06-19T10:30:00+02:00">19. juni 2024 kl. 10.30</time>' in summer


def test_every_time_element_carries_a_full_timestamp_with_offset(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    build(project, tmp_path / "site")
    for path in (tmp_path / "site").rglob("*.html"):
        for value in re.findall(r'<time datetime="([^"]*)"', path.read_text()):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", value), path


def test_raw_html_in_content_is_escaped_unless_the_site_allows_it(tmp_path: Path) -> None:
    body = 'Før <script>alert("x")</script> efter <b>fed</b>.'
    files = {"content/articles/2024/html.md": article("Rå HTML", body=body)}
    escaped = write_project(tmp_path / "escaped", files)
    allowed = write_project(
        tmp_path / "allowed", files, site_yaml="title: Testarkiv\nallow_html: true\n"
    )
    build(escaped, tmp_path / "e")
    build(allowed, tmp_path / "a")
    e = (tmp_path / "e/2024/11/raa-html/index.html").read_text()
    a = (tmp_path / "a/2024/11/raa-html/index.html").read_text()
    assert "&lt;script&gt;alert" in e
    assert "<script>alert" not in e
    assert "<b>fed</b>" in a


def test_a_title_is_escaped_in_every_page(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {
            "content/articles/2024/x.md": "---\ntitle: 'Kim & \"Putin\" <mødes>'\n"
            "date: 2024-11-12\n---\nTekst.\n"
        },
    )
    build(project, tmp_path / "site")
    page = (tmp_path / "site/2024/11/kim-putin-moedes/index.html").read_text()
    assert "<h1>Kim &amp; &#34;Putin&#34; &lt;mødes&gt;</h1>" in page


def test_the_page_language_is_the_site_language_and_a_foreign_article_says_its_own(
    tmp_path: Path,
) -> None:
    english = article("North Korea ratifies", body="Putin's treaty.").replace(
        "section: Udland", "section: Udland\nlanguage: en"
    )
    project = small_site(tmp_path / "p")
    (project / "content/articles/2024/en.md").write_text(english, encoding="utf-8")
    build(project, tmp_path / "site")
    page = (tmp_path / "site/2024/11/north-korea-ratifies/index.html").read_text()
    assert '<html lang="da">' in page
    assert '<article class="story">' in page
    assert '<h1 lang="en">North Korea ratifies</h1>' in page
    assert '<div class="story-body" lang="en" data-pagefind-body>' in page
    assert 'data-entity="vladimir-putin"' in page
    assert ">Putin&#39;s</a>" in page or ">Putin's</a>" in page


def test_internal_links_are_relative_and_end_in_index_html(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    build(project, tmp_path / "site")
    page = (tmp_path / "site/2024/11/vinter-i-moskva/index.html").read_text()
    hrefs = re.findall(r'href="([^"]*)"', page)
    internal = [h for h in hrefs if not h.startswith(("http://", "https://", "#"))]
    assert internal
    for href in internal:
        assert not href.startswith("/"), href
        assert href.endswith((".html", ".xml", ".css")), href
    assert "../../../entities/vladimir-putin/index.html" in internal


@pytest.mark.parametrize("path", ["../x.html", "/etc/passwd", "a/../../b", "a//b", "", "a\\b"])
def test_output_paths_outside_the_output_folder_are_refused(path: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafePath):
        safe_relative(path)
    with pytest.raises(UnsafePath):
        write_tree(tmp_path, [OutputFile(path, b"x")])
    assert list(tmp_path.iterdir()) == []


def test_files_written_on_threads_land_and_their_errors_reach_the_build(tmp_path: Path) -> None:
    staging = Staging(tmp_path / "site")
    for number in range(40):
        staging.write_soon(f"{number % 3}/page-{number}/index.html", str(number).encode())
    staging.flush()
    assert staging.read("2/page-38/index.html") == b"38"
    assert len(list(staging.root.glob("*/*/index.html"))) == 40
    # A file where a folder must go: the error is raised by flush, in the build's thread.
    staging.write("blocked", b"x")
    staging.write_soon("blocked/index.html", b"y")
    for number in range(40):
        staging.write_soon(f"after/{number}/index.html", b"z")
    with pytest.raises(OSError):
        staging.flush()
    # flush waited for the files given after the one that failed.
    assert len(list(staging.root.glob("after/*/index.html"))) == 40
    with pytest.raises(UnsafePath):
        staging.write_soon("../outside.html", b"x")
    staging.write_soon("late/index.html", b"z")
    staging.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_symlink_inside_the_output_cannot_lead_a_write_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePath):
        write_tree(root, [OutputFile("link/x.html", b"x")])
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("threads", [1, 4])
def test_removing_an_old_site_deletes_it_all_and_follows_no_link(
    tmp_path: Path, threads: int
) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep/kept.html").write_bytes(b"kept")
    (outside / "kept.txt").write_bytes(b"kept")
    old = tmp_path / ".site.old-1"
    files = ["index.html", "a/index.html", "a/b/index.html", "a/b/c/d/index.html", "e/f.xml"]
    write_tree(old, [OutputFile(path, b"x") for path in files])
    (old / "g").mkdir()
    (old / "to-outside").symlink_to(outside, target_is_directory=True)
    (old / "a/to-outside").symlink_to(outside, target_is_directory=True)
    (old / "a/b/to-file").symlink_to(outside / "kept.txt")
    remove_tree(old, threads)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outside"]
    assert sorted(str(p.relative_to(outside)) for p in outside.rglob("*")) == [
        "deep",
        "deep/kept.html",
        "kept.txt",
    ]


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        (".", "it holds the project"),
        ("..", "it holds the project"),
        ("content", "it is inside the project's content/ folder"),
        ("content/articles/site", "it is inside the project's content/ folder"),
        ("templates", "it is inside the project's templates/ folder"),
        ("notes.txt", "it is a file, not a folder"),
        ("papers", "it holds files but no built site"),
    ],
)
def test_an_output_folder_that_would_destroy_other_files_is_refused_before_anything_is_written(
    tmp_path: Path, out: str, reason: str
) -> None:
    # The build replaces its whole output folder: pointed at the project, its sources, a file or
    # a folder of other files, it would delete them.
    project = small_site(tmp_path / "p")
    (project / "templates").mkdir()
    (project / "notes.txt").write_text("mine", encoding="utf-8")
    (project / "papers").mkdir()
    (project / "papers/draft.txt").write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    code, _out, err = build(project, project / out)
    assert code == 2
    assert f"error: not an output folder: {reason}" in err
    assert tree(tmp_path) == before


def test_a_site_built_before_and_an_empty_folder_are_output_folders(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    (tmp_path / "empty").mkdir()
    assert build(project, tmp_path / "empty")[0] == 0
    assert build(project, tmp_path / "empty")[0] == 0
    assert (tmp_path / "empty/index.html").is_file()


def test_a_tag_or_section_that_makes_no_url_is_an_error_at_its_key(tmp_path: Path) -> None:
    project = small_site(tmp_path / "p")
    path = "content/articles/2024/vinter.md"
    text = (project / path).read_text(encoding="utf-8")
    text = text.replace("section: Udland", 'section: Москва\ntags: [Krig, "日本", "???"]')
    (project / path).write_text(text, encoding="utf-8")
    code, _out, err = build(project, tmp_path / "site")
    assert code == 1
    assert not (tmp_path / "site").exists()
    hint = "has no letter or digit that a URL can hold"
    assert [line.split(": error: ")[1] for line in err.splitlines() if ": error: " in line] == [
        f'"section": "Москва" {hint} (a-z, 0-9, æ, ø, å and other Latin letters); write it with some',
        f'"tags": "???" {hint} (a-z, 0-9, æ, ø, å and other Latin letters); write it with some',
        f'"tags": "日本" {hint} (a-z, 0-9, æ, ø, å and other Latin letters); write it with some',
    ]


def test_two_entity_files_with_one_slug_are_an_error_naming_both(tmp_path: Path) -> None:
    # content/entities/arkiv/… is read too: its file would silently replace (or lose to) the
    # other at entities/vladimir-putin/.
    project = small_site(tmp_path / "p")
    (project / "content/entities/arkiv").mkdir()
    (project / "content/entities/arkiv/vladimir-putin.md").write_text(
        ENTITY.replace("Præsident.", "En anden."), encoding="utf-8"
    )
    code, _out, err = build(project, tmp_path / "site")
    assert code == 1
    assert (
        'content/entities/vladimir-putin.md: error: the entity slug "vladimir-putin" is also the '
        "slug of content/entities/arkiv/vladimir-putin.md"
    ) in err.splitlines()


def test_an_incremental_build_refused_by_a_linked_folder_changes_no_file(tmp_path: Path) -> None:
    # site/entities made a symbolic link by hand: the rebuild must not write through it, and it
    # refuses before it moves any file, not halfway through the site.
    project = small_site(tmp_path / "p")
    out = tmp_path / "site"
    assert build(project, out)[0] == 0
    (out / "entities").rename(tmp_path / "elsewhere")
    (out / "entities").symlink_to(tmp_path / "elsewhere")
    before = tree(tmp_path)
    config = project / "content/site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("Testarkiv", "Nyt navn"))
    code, _out, err = build(project, out)
    assert code == 1
    assert "error: refusing to write outside the output folder: 'entities/" in err
    after = tree(tmp_path)
    assert {
        p: d
        for p, d in after.items()
        if "/.explainer-cache/" not in p and p != "p/content/site.yaml"
    } == {
        p: d
        for p, d in before.items()
        if "/.explainer-cache/" not in p and p != "p/content/site.yaml"
    }


def test_names_that_make_one_url_share_one_page_that_lists_all_their_articles(
    tmp_path: Path,
) -> None:
    # "Udland" and "udland" both make sections/udland/: one page must list the articles of both
    # spellings (before, the last page written replaced the other), under the commoner one.
    project = small_site(tmp_path / "p")
    (project / "content/articles/2024/lille.md").write_text(
        article("Lille udland", "2024-11-13T10:00:00").replace(
            "section: Udland", "section: udland"
        ),
        encoding="utf-8",
    )
    assert build(project, tmp_path / "site")[0] == 0
    page = (tmp_path / "site/sections/udland/index.html").read_text(encoding="utf-8")
    assert "<h1>Udland</h1>" in page
    listed = re.findall(r"<h2><a [^>]*>([^<]+)</a>", page)
    assert sorted(listed) == ["Lille udland", "Sommer i Pyongyang", "Vinter i Moskva"]


def test_groups_count_each_article_once_per_page_under_its_first_spelling() -> None:
    from generator import urls
    from generator.index import _group

    tags = [
        ["Krig", "krig", "Ukraine"],  # two spellings of one page: listed once, as "Krig"
        ["krig"],
        [],
        ["Ukraine", "KRIG"],
        ["krig", "Krig"],  # listed once, as "krig"
    ]
    # krig: 2 articles, Krig: 1, KRIG: 1; the commonest spelling names the page.
    assert _group(tags, urls.tag) == {"krig": (0, 1, 3, 4), "Ukraine": (0, 3)}
    # A tie goes to the first spelling in sort order.
    assert _group([["b-c"], ["B-C"], ["A"]], urls.tag) == {"A": (2,), "B-C": (0, 1)}
    assert _group([[], []], urls.tag) == {}


def test_a_build_deletes_what_killed_builds_left_beside_the_site_and_nothing_else(
    tmp_path: Path,
) -> None:
    # A build killed while it writes (kill -9, the OOM killer, Ctrl-C of a preview during a
    # rebuild) leaves its staging folder, or the old site it had still to delete, beside the
    # output folder: each as big as a site.
    project = small_site(tmp_path / "p")
    assert build(project)[0] == 0
    beside = project
    long_ago = time.time() - 2 * ABANDONED_AFTER

    def leftover(name: str, age: float = long_ago) -> Path:
        folder = beside / name
        write_tree(folder, [OutputFile("index.html", b"x"), OutputFile("a/b/index.html", b"x")])
        for path in [folder / "a/b", folder / "a", folder]:
            os.utime(path, (age, age))
        return folder

    leftover(".site.new-k6e62owy")
    leftover(".site.old-4242")
    held = leftover(".site.new-held")  # a running build's
    young = leftover(".site.new-young", time.time())  # just made; its build is yet to hold it
    other = leftover(".other.new-x")  # another output folder's
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kept.html").write_bytes(b"kept")
    (beside / ".site.new-link").symlink_to(outside, target_is_directory=True)
    hold = os.open(held, os.O_RDONLY)
    fcntl.flock(hold, fcntl.LOCK_EX)
    try:
        (project / "content/articles/2024/sommer.md").write_text(
            article("Sommer", "2024-06-19T10:30:00", "Putin rejste igen."), encoding="utf-8"
        )
        assert build(project)[0] == 0
    finally:
        os.close(hold)
    assert sorted(p.name for p in beside.iterdir() if p.name.startswith(".")) == [
        ".explainer-cache",
        ".other.new-x",
        ".site.new-held",
        ".site.new-link",
        ".site.new-young",
    ]
    assert [tree(f) for f in (held, young, other)] == [tree(held)] * 3
    assert tree(outside) == {"kept.html": b"kept"}
    assert remove_abandoned(project / "site") == [".site.new-held"]  # no longer held


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_site_is_written_takes_effect_once_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signal_number: int
) -> None:
    # Ctrl-C (or a CI runner's SIGTERM) in the middle of moving an incremental build's files
    # into place used to leave some pages new and others old.
    project = small_site(tmp_path / "p")
    assert build(project)[0] == 0
    page = project / "site/2024/06/sommer-i-pyongyang/index.html"
    assert "rejste igen" not in page.read_text(encoding="utf-8")
    source = project / "content/articles/2024/sommer.md"
    source.write_text(source.read_text(encoding="utf-8").replace("rejste", "rejste igen"))
    merge_into = Staging.merge_into

    def interrupted(staging: Staging, *args: Any) -> None:
        os.kill(os.getpid(), signal_number)  # as the first file is about to move
        merge_into(staging, *args)

    monkeypatch.setattr(Staging, "merge_into", interrupted)
    # A held SIGTERM would end pytest once let go: here it raises KeyboardInterrupt instead.
    # SIGINT gets Python's own handler too, which a pytest started in the background (where
    # the shell ignores SIGINT) does not have.
    previous = {
        number: signal.signal(number, signal.default_int_handler)
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        code, _out, err = build(project)
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    assert (code, err) == (130, "interrupted\n")
    assert "rejste igen" in page.read_text(encoding="utf-8")  # the write was finished
    assert sorted(p.name for p in project.iterdir()) == [".explainer-cache", "content", "site"]
    assert not (project / ".explainer-cache/writing").exists()  # and its record saved
    assert handler_after is signal.default_int_handler  # as it was
