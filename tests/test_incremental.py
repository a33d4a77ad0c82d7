"""Incremental builds: after any sequence of edits, a build that reuses the cache writes exactly
the site that a clean build writes, reports the same problems, and rewrites only what changed.

The property test starts from the real entities and notes of ``content/`` and articles made of
the seed article's sentences, then makes random edits, adds, renames and deletes of articles,
entities, notes, templates and site.yaml. After each step it builds incrementally and builds a
copy of the project from scratch, and compares the two sites byte for byte.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from random import Random

import pytest

from generator import build as build_module
from generator import cache, checks, incremental, pages, parallel
from generator import index as index_module
from generator.build import WAITING, BuildOptions, BuildResult, build
from generator.cache import CACHE_DIR, SourceChanged, digest_bytes, sourced_article
from generator.config import SiteConfig
from generator.content import parse_article
from generator.model import Article, SourceFile
from generator.render import OutputFile
from tests.sitekit import article, held_by_another_build, tree, write_project

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = next((ROOT / "content/articles").rglob("*.md"))
BUILTIN_BASE = (ROOT / "templates/base.html").read_text(encoding="utf-8")

SITE_YAML = """\
title: "Testarkiv"
description: "Et lille arkiv til test"
language: da
base_url: "https://example.org/arkiv/"
page_size: {page_size}
feed_size: 3
"""

SENTENCES = [
    s.strip()
    for paragraph in SEED_ARTICLE.read_text(encoding="utf-8").split("---", 2)[2].split("\n\n")
    for s in re.split(r"(?<=\.) (?=[A-ZÆØÅ])", paragraph)
    if s.strip()
]
EXTRA_SENTENCES = [
    "Aftalen blev underskrevet 19. juni 2024 i Pyongyang.",
    "Ruslands invasion af Ukraine begyndte 24. februar 2022.",
    "Statsdumaen stemte om aftalen 24. oktober 2024.",
    "Ifølge [[Putin]] er samarbejdet et gennembrud.",
    "Ifølge [[Kim Jong-un|Kim]] er landene allierede.",
    "Den 6. august 2024 rykkede ukrainske styrker ind i Kursk.",
    "Forhandlingerne begyndte 1. marts 2023.",
    "Meldingen kom 12. november 2024 fra KCNA.",
]
ALIASES = [
    "Putins regering",
    "Kreml",
    "Pyongyang-regimet",
    "Sydkoreas",
    "Ratificeringen",
    "aftalen",
]
TRIGGERS = ["forsvarsaftalen", "nordkoreanske soldater", "ratificerede", "gensidig bistand"]
DATES = ["2022-02-24", "2024-06-19", "2024-08-06", "2024-10-24", "2024-11-12", "2023-03-01"]


def article_text(rng: Random, number: int) -> str:
    title = f"Baggrund {number}: " + " ".join(rng.choice(SENTENCES).split()[:4]).rstrip(".,")
    day = (
        f"{rng.choice(['2022', '2023', '2024'])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    )
    front = [
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"date: {day}T{rng.randint(0, 23):02d}:{rng.choice(['00', '30'])}:00",
        f"section: {rng.choice(['Udland', 'Indland'])}",
    ]
    tags = rng.sample(["Nordkorea", "Rusland", "Krig", "Diplomati"], rng.randint(0, 2))
    if tags:
        front.append(f"tags: [{', '.join(tags)}]")
    if rng.random() < 0.3:
        front.append(f"lead: {json.dumps(rng.choice(SENTENCES), ensure_ascii=False)}")
    if rng.random() < 0.15:
        front.append("about: [nordkorea]")
    paragraphs = [
        " ".join(rng.choice(SENTENCES + EXTRA_SENTENCES) for _ in range(rng.randint(1, 3)))
        for _ in range(rng.randint(1, 4))
    ]
    return "---\n" + "\n".join(front) + "\n---\n" + "\n\n".join(paragraphs) + "\n"


def start_project(root: Path, rng: Random) -> Path:
    files = {
        f"content/articles/{2022 + n % 3}/artikel-{n}.md": article_text(rng, n) for n in range(8)
    }
    for folder in ("entities", "notes"):
        for path in sorted((ROOT / "content" / folder).glob("*.md")):
            files[f"content/{folder}/{path.name}"] = path.read_text(encoding="utf-8")
    return write_project(root, files, SITE_YAML.format(page_size=3))


class Editor:
    """Random edits to a project, as a person editing content and templates would make them."""

    def __init__(self, project: Path, rng: Random) -> None:
        self.project, self.rng = project, rng
        self.shelf: dict[str, str] = {}
        """Deleted entities and notes, to add back later."""
        self.made = 100

    def files(self, folder: str) -> list[Path]:
        return sorted((self.project / "content" / folder).rglob("*.md"))

    def pick(self, folder: str) -> Path | None:
        found = self.files(folder)
        return self.rng.choice(found) if found else None

    def rewrite(self, path: Path, change: Callable[[str], str]) -> None:
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    def edit_article_body(self) -> None:
        path = self.pick("articles")
        if path:
            head, _, _body = path.read_text(encoding="utf-8").rpartition("---\n")
            new = article_text(self.rng, 0).rpartition("---\n")[2]
            path.write_text(head + "---\n" + new, encoding="utf-8")

    def edit_a_sentence(self) -> None:
        """A small edit: the same entities are named, in other words around them."""
        path = self.pick("articles")
        if path:
            words = self.rng.choice(["Ifølge kilder", "I går", "Samtidig", "Det vides ikke"])
            self.rewrite(path, lambda t: re.sub(r"\n---\n", f"\n---\n{words}: ", t, count=1))

    def edit_article_front_matter(self) -> None:
        path = self.pick("articles")
        if path is None:
            return
        rng = self.rng
        choice = rng.randrange(4)
        if choice == 0:
            self.rewrite(path, lambda t: re.sub(r'title: "', 'title: "Nyt: ', t, count=1))
        elif choice == 1:
            day = rng.choice(DATES)
            self.rewrite(path, lambda t: re.sub(r"date: \S+", f"date: {day}T12:00:00", t, count=1))
        elif choice == 2:
            self.rewrite(path, lambda t: t.replace("section: Udland", "section: Indland", 1))
        else:
            self.rewrite(path, lambda t: t.replace("---\n", "---\ndraft: true\n", 1))

    def link_article(self) -> None:
        """A link to another article by its file, which a later edit may move or delete."""
        path, other = self.pick("articles"), self.pick("articles")
        if path and other:
            target = os.path.relpath(other, path.parent)
            self.rewrite(path, lambda t: t + f"\nSe også [denne artikel]({target}).\n")

    def move_article(self) -> None:
        """A new slug: the article's page moves without a word of any text changing."""
        path = self.pick("articles")
        if path:
            self.made += 1
            slug = f"flyttet-{self.made}"
            self.rewrite(path, lambda t: re.sub(r"^slug: .*\n", "", t, flags=re.M))
            self.rewrite(path, lambda t: t.replace("---\n", f"---\nslug: {slug}\n", 1))

    def add_article(self) -> None:
        self.made += 1
        path = self.project / f"content/articles/2024/ny-{self.made}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article_text(self.rng, self.made), encoding="utf-8")

    def delete_article(self) -> None:
        path = self.pick("articles")
        if path:
            path.unlink()

    def rename_article(self) -> None:
        path = self.pick("articles")
        if path:
            self.made += 1
            target = self.project / f"content/articles/2023/flyttet-{self.made}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            path.rename(target)

    def edit_entity(self) -> None:
        path = self.pick("entities")
        if path is None:
            return
        choice = self.rng.randrange(5)
        if choice == 4:
            self.rewrite(
                path, lambda t: re.sub(r"^name: (.*)$", r"name: \1 (ny)", t, count=1, flags=re.M)
            )
        elif choice == 3:
            kind = self.rng.choice(["place", "country", "other", "organisation"])
            self.rewrite(
                path, lambda t: re.sub(r"^type: \S+", f"type: {kind}", t, count=1, flags=re.M)
            )
        elif choice == 0:
            alias = self.rng.choice(ALIASES)
            self.rewrite(
                path,
                lambda t: re.sub(r"^aliases: \[", f'aliases: ["{alias}", ', t, count=1, flags=re.M),
            )
        elif choice == 1:
            self.rewrite(
                path,
                lambda t: re.sub(r'^aliases: \["[^"]*",? ?', "aliases: [", t, count=1, flags=re.M),
            )
        else:
            self.rewrite(
                path,
                lambda t: re.sub(r'^summary: "', 'summary: "Opdateret. ', t, count=1, flags=re.M),
            )

    def shelve_or_restore(self, folder: str) -> None:
        shelved = sorted(k for k in self.shelf if k.startswith(f"content/{folder}/"))
        if shelved and self.rng.random() < 0.6:
            relative = self.rng.choice(shelved)
            (self.project / relative).write_text(self.shelf.pop(relative), encoding="utf-8")
            return
        path = self.pick(folder)
        if path and not self.referenced(path.stem):
            self.shelf[path.relative_to(self.project).as_posix()] = path.read_text(encoding="utf-8")
            path.unlink()

    def referenced(self, slug: str) -> bool:
        """Whether a note lists the entity, or an article says it is about it."""
        return any(
            re.search(rf"^(entities|about): \[.*\b{slug}\b", p.read_text(encoding="utf-8"), re.M)
            for p in self.files("notes") + self.files("articles")
        )

    def edit_note(self) -> None:
        path = self.pick("notes")
        if path is None:
            return
        if self.rng.random() < 0.5:
            day = self.rng.choice(DATES)
            self.rewrite(
                path, lambda t: re.sub(r"^date: \S+", f"date: {day}", t, count=1, flags=re.M)
            )
        else:
            trigger = self.rng.choice(TRIGGERS)
            self.rewrite(
                path,
                lambda t: re.sub(
                    r"^triggers: \[", f'triggers: ["{trigger}", ', t, count=1, flags=re.M
                ),
            )

    def edit_template(self) -> None:
        path = self.project / "templates/base.html"
        if path.exists() and self.rng.random() < 0.4:
            path.unlink()
            return
        path.parent.mkdir(exist_ok=True)
        marker = f"<!-- udgave {self.rng.randrange(1000)} -->\n"
        path.write_text(BUILTIN_BASE.replace("<body>\n", "<body>\n" + marker, 1), encoding="utf-8")

    def edit_config(self) -> None:
        size = self.rng.choice([2, 3, 5])
        (self.project / "content/site.yaml").write_text(
            SITE_YAML.format(page_size=size), encoding="utf-8"
        )

    def break_article(self) -> None:
        """An error: a link to an entity that does not exist, until the body is edited again."""
        path = self.pick("articles")
        if path:
            self.rewrite(path, lambda t: t + "Se også [[Ingen Kendt]].\n")

    def touch(self) -> None:
        path = self.pick("articles")
        if path:
            self.rewrite(path, lambda t: t)

    def step(self) -> str:
        edits: list[tuple[Callable[[], None], int]] = [
            (self.edit_article_body, 4),
            (self.edit_a_sentence, 3),
            (self.edit_article_front_matter, 4),
            (self.add_article, 3),
            (self.link_article, 2),
            (self.move_article, 2),
            (self.delete_article, 2),
            (self.rename_article, 2),
            (self.edit_entity, 4),
            (lambda: self.shelve_or_restore("entities"), 2),
            (self.edit_note, 3),
            (lambda: self.shelve_or_restore("notes"), 2),
            (self.edit_template, 1),
            (self.edit_config, 1),
            (self.break_article, 1),
            (self.touch, 1),
        ]
        edit = self.rng.choices([e for e, _ in edits], weights=[w for _, w in edits])[0]
        edit()
        return getattr(edit, "__name__", "shelve_or_restore")


def clean_build(project: Path, scratch: Path) -> tuple[BuildResult, dict[str, bytes]]:
    """Build a copy of the project that has no cache, into a new folder."""
    copy = scratch / "project"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(CACHE_DIR))
    result = build(BuildOptions(copy, scratch / "site", jobs=1, search=False))
    return result, tree(scratch / "site") if result.ok else {}


@pytest.mark.parametrize("seed", range(8))
def test_an_incremental_build_writes_what_a_clean_build_writes_after_any_edits(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = Random(seed)
    project = start_project(tmp_path / "project", rng)
    out = tmp_path / "site"
    jobs = 1 + seed % 2
    if jobs > 1:
        # Small projects are built in one process; make them use the worker processes too.
        monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    editor = Editor(project, rng)
    last_good: dict[str, bytes] = {}
    steps = []
    for _ in range(16):
        result = build(BuildOptions(project, out, jobs=jobs, search=False))
        expected, expected_files = clean_build(project, tmp_path / "clean")
        assert [str(d) for d in result.diagnostics] == [str(d) for d in expected.diagnostics], steps
        if expected.ok:
            assert tree(out) == expected_files, steps
            last_good = expected_files
        else:
            assert tree(out) == last_good, steps
        steps.append(editor.step())


def test_a_build_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(1))
    out = tmp_path / "site"
    first = build(BuildOptions(project, out, jobs=1, search=False))
    assert first.ok and len(first.changed) == first.files
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    again = build(BuildOptions(project, out, jobs=1, search=False))
    assert (again.ok, again.changed, again.pages, again.files) == (
        True,
        (),
        first.pages,
        first.files,
    )
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == stamps


def test_an_edit_rewrites_only_the_files_whose_bytes_changed(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(2))
    out = tmp_path / "site"
    build(BuildOptions(project, out, jobs=1, search=False))
    before = tree(out)
    stamps = {p: (out / p).stat().st_mtime_ns for p in before}
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nEt nyt afsnit.\n", encoding="utf-8")
    result = build(BuildOptions(project, out, jobs=1, search=False))
    after = tree(out)
    differ = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert differ and set(result.changed) == differ
    untouched = {p for p in before if p not in differ}
    assert {p: (out / p).stat().st_mtime_ns for p in untouched} == {p: stamps[p] for p in untouched}


def test_an_entity_edit_annotates_again_only_the_articles_that_can_name_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kursk = "Ukrainske styrker rykkede i august ind i Kursk."
    other = "Nordkorea yder massiv støtte til Rusland i form af våben og ammunition."
    files = {
        f"content/articles/2024/a{n}.md": f"---\ntitle: Artikel {n}\ndate: 2024-09-0{n + 1}\n---\n"
        + (kursk if n < 2 else other)
        + "\n"
        for n in range(6)
    }
    files["content/entities/kursk-oblast.md"] = (
        ROOT / "content/entities/kursk-oblast.md"
    ).read_text(encoding="utf-8")
    project = write_project(tmp_path / "project", files)
    out = tmp_path / "site"
    build(BuildOptions(project, out, jobs=1, search=False))
    annotated: list[str] = []
    original = incremental.annotate_document

    def spy(path: str, *args: object) -> object:
        annotated.append(path)
        return original(path, *args)

    monkeypatch.setattr(incremental, "annotate_document", spy)
    entity = project / "content/entities/kursk-oblast.md"
    entity.write_text(
        entity.read_text(encoding="utf-8").replace('"Kursk", ', '"Kursk", "Sudzja", '),
        encoding="utf-8",
    )
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert sorted(annotated) == [
        "content/articles/2024/a0.md",
        "content/articles/2024/a1.md",
        "content/entities/kursk-oblast.md",
    ]


def test_a_failed_build_leaves_the_site_and_its_files_untouched(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(4))
    out = tmp_path / "site"
    build(BuildOptions(project, out, jobs=1, search=False))
    before = tree(out)
    stamps = {p: (out / p).stat().st_mtime_ns for p in before}
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nSe [[Ingen Kendt]].\n", encoding="utf-8")
    result = build(BuildOptions(project, out, jobs=1, search=False))
    assert not result.ok and result.changed == ()
    assert tree(out) == before
    assert {p: (out / p).stat().st_mtime_ns for p in before} == stamps
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".site.")]


def test_a_deleted_site_folder_is_written_again_in_full(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(5))
    out = tmp_path / "site"
    build(BuildOptions(project, out, jobs=1, search=False))
    before = tree(out)
    shutil.rmtree(out)
    result = build(BuildOptions(project, out, jobs=1, search=False))
    assert result.ok and tree(out) == before


def count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs of the pages that builds in this process render from now on."""
    rendered: list[str] = []
    original = pages.render_page

    def spy(env: object, view: object, config: object) -> OutputFile:
        rendered.append(view.url)  # type: ignore[attr-defined]
        return original(env, view, config)  # type: ignore[arg-type]

    monkeypatch.setattr(pages, "render_page", spy)
    return rendered


def test_a_build_into_another_folder_copies_the_pages_that_are_the_same_from_the_last_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = start_project(tmp_path / "project", Random(11))
    site, public = tmp_path / "site", tmp_path / "public"
    first = build(BuildOptions(project, site, jobs=1, search=False))
    assert first.ok
    before = tree(site)
    rendered = count_renders(monkeypatch)
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nEt nyt afsnit.\n", encoding="utf-8")
    result = build(BuildOptions(project, public, jobs=1, search=False))
    # The edited article's page and the pages that list it, not the rest of the site.
    assert 0 < len(rendered) < first.pages // 2
    _expected_result, expected = clean_build(project, tmp_path / "clean")
    assert result.ok and tree(public) == expected
    assert set(result.changed) == set(expected)
    assert tree(site) == before  # the folder copied from is left as it was
    # Back to the first folder with nothing edited: none is rendered, and since that folder
    # holds the site of before the edit, only the files that differ are copied into it; the
    # others, and their modification times, stay as they were.
    stamps = {p: (site / p).stat().st_mtime_ns for p in before}
    (site / "stray.html").write_text("<p>not of this site</p>", encoding="utf-8")
    rendered.clear()
    again = build(BuildOptions(project, site, jobs=1, search=False))
    assert again.ok and tree(site) == expected and rendered == []
    differ = {p for p in before.keys() | expected.keys() if before.get(p) != expected.get(p)}
    assert set(again.changed) == differ | {"stray.html"}
    untouched = {p for p in before if p not in differ}
    assert {p: (site / p).stat().st_mtime_ns for p in untouched} == {
        p: stamps[p] for p in untouched
    }
    # And a build into the same folder with nothing changed writes nothing.
    assert build(BuildOptions(project, site, jobs=1, search=False)).changed == ()
    # A folder that holds a link is replaced whole, the link with it; what it led to is kept.
    outside = tmp_path / "outside-tags"
    (public / "tags").rename(outside)
    (public / "tags").symlink_to(outside, target_is_directory=True)
    kept = tree(outside)
    assert build(BuildOptions(project, public, jobs=1, search=False)).ok
    assert tree(public) == expected and not (public / "tags").is_symlink()
    assert tree(outside) == kept


def test_a_file_changed_in_the_folder_copied_from_makes_the_build_render_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = start_project(tmp_path / "project", Random(12))
    site, public = tmp_path / "site", tmp_path / "public"
    assert build(BuildOptions(project, site, jobs=1, search=False)).ok
    expected = tree(site)
    rendered = count_renders(monkeypatch)
    clean_build(project, tmp_path / "clean")
    every = sorted(rendered)  # what a build renders when it renders every page
    rendered.clear()
    page = next(p for p in sorted(site.rglob("index.html")) if p.parent != site)
    page.write_text("<p>edited by hand</p>", encoding="utf-8")
    result = build(BuildOptions(project, public, jobs=1, search=False))
    assert result.ok and tree(public) == expected
    assert sorted(rendered) == every
    # A file of the folder replaced by a link to a file outside it is not followed either.
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the site", encoding="utf-8")
    (public / "assets/style.css").unlink()
    (public / "assets/style.css").symlink_to(secret)
    (site / "assets/style.css").unlink()  # so that the build must take it from public/
    rendered.clear()
    again = build(BuildOptions(project, site, jobs=1, search=False))
    assert again.ok and tree(site) == expected
    assert sorted(rendered) == every
    assert secret.read_text(encoding="utf-8") == "not for the site"
    # Nor a folder replaced by a link to a folder outside, even one with the very same files.
    outside = tmp_path / "outside-assets"
    shutil.copytree(site / "assets", outside)
    shutil.rmtree(site / "assets")
    (site / "assets").symlink_to(outside, target_is_directory=True)
    (public / "assets/style.css").unlink()
    rendered.clear()
    assert build(BuildOptions(project, public, jobs=1, search=False)).ok
    assert tree(public) == expected
    assert sorted(rendered) == every
    assert not (public / "assets").is_symlink()
    # A folder copied from that is gone: the build renders every page.
    assert build(BuildOptions(project, site, jobs=1, search=False)).ok
    shutil.rmtree(site)
    rendered.clear()
    assert build(BuildOptions(project, public, jobs=1, search=False)).ok
    assert tree(public) == expected and sorted(rendered) == every


@pytest.mark.parametrize("seed", range(3))
def test_builds_alternating_between_two_folders_write_what_a_clean_build_writes(
    seed: int, tmp_path: Path
) -> None:
    rng = Random(100 + seed)
    project = start_project(tmp_path / "project", rng)
    folders = [tmp_path / "site", tmp_path / "public"]
    editor = Editor(project, rng)
    choose = Random(seed)  # which folder: apart from the edits, so that they stay the same
    last_good: dict[Path, dict[str, bytes]] = {folder: {} for folder in folders}
    steps = []
    for _ in range(12):
        out = choose.choice(folders)
        result = build(BuildOptions(project, out, jobs=1, search=False))
        expected, expected_files = clean_build(project, tmp_path / "clean")
        assert [str(d) for d in result.diagnostics] == [str(d) for d in expected.diagnostics], steps
        if expected.ok:
            assert tree(out) == expected_files, steps
            last_good[out] = expected_files
        else:
            assert tree(out) == last_good[out], steps
        steps.append((out.name, editor.step()))


def test_an_unreadable_cache_is_ignored(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(6))
    out = tmp_path / "site"
    build(BuildOptions(project, out, jobs=1, search=False))
    before = tree(out)
    (project / CACHE_DIR / "state.pickle").write_bytes(b"not a pickle")
    result = build(BuildOptions(project, out, jobs=1, search=False))
    assert result.ok and tree(out) == before


def test_a_file_changed_within_its_timestamp_tick_is_noticed(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(7))
    out = tmp_path / "site"
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    stamp = path.stat()
    build(BuildOptions(project, out, jobs=1, search=False))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Baggrund", "Forgrund", 1), encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert path.stat().st_size == stamp.st_size
    build(BuildOptions(project, out, jobs=1, search=False))
    assert "Forgrund" in "".join(p.decode() for p in tree(out).values() if p.startswith(b"<"))


def test_a_date_in_the_text_links_to_the_timeline_only_while_an_article_is_dated_that_day(
    tmp_path: Path,
) -> None:
    mentions = (
        "---\ntitle: Tilbageblik\ndate: 2024-05-01T10:00:00\n---\nMødet 1. marts 2023 var kort.\n"
    )
    dated = "---\ntitle: Mødet\ndate: {day}T10:00:00\n---\nEt møde.\n"
    project = write_project(
        tmp_path / "project",
        {
            "content/articles/2024/tilbageblik.md": mentions,
            "content/articles/2023/moedet.md": dated.format(day="2023-03-01"),
        },
    )
    out = tmp_path / "site"
    page = out / "2024/05/tilbageblik/index.html"
    for day, linked in (("2023-03-01", True), ("2023-03-02", False), ("2023-03-01", True)):
        (project / "content/articles/2023/moedet.md").write_text(dated.format(day=day))
        assert build(BuildOptions(project, out, jobs=1, search=False)).ok
        assert ("#d-2023-03-01" in page.read_text(encoding="utf-8")) is linked
        _result, expected = clean_build(project, tmp_path / "clean")
        assert tree(out) == expected


def test_a_link_to_a_deleted_article_fails_the_build_even_where_the_linking_page_is_unchanged(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "project",
        {
            "content/articles/2024/a.md": "---\ntitle: A\ndate: 2024-11-12T10:00:00\n---\n"
            "Se [den anden artikel](../../06/b/index.html).\n",
            "content/articles/2024/c.md": "---\ntitle: C\ndate: 2024-09-01T10:00:00\n---\nC.\n",
            "content/articles/2024/b.md": "---\ntitle: B\ndate: 2024-06-19T10:00:00\n---\nB.\n",
        },
    )
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    before = tree(out)
    (project / "content/articles/2024/b.md").unlink()
    result = build(BuildOptions(project, out, jobs=1, search=False))
    expected, _files = clean_build(project, tmp_path / "clean")
    assert [str(d) for d in result.diagnostics] == [
        "content/articles/2024/a.md:5: error: broken internal link: ../../06/b/index.html (on "
        "site/2024/11/a/index.html; link to another article, entity or note by its file, as in "
        "[tekst](../2023/slug.md))"
    ]
    assert result.diagnostics == expected.diagnostics
    assert tree(out) == before


def test_a_renamed_entity_is_renamed_on_the_pages_of_the_notes_that_list_it(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "project",
        {
            "content/entities/kcna.md": "---\nname: KCNA\ntype: organisation\n---\nNyhedsbureau.\n",
            "content/notes/aftalen.md": "---\ntitle: Aftalen\ndate: 2024-06-19\n"
            "entities: [kcna]\n---\nAftalen blev underskrevet.\n",
            "content/articles/2024/a.md": "---\ntitle: A\ndate: 2024-11-12T10:00:00\n---\nA.\n",
        },
    )
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    entity = project / "content/entities/kcna.md"
    entity.write_text(entity.read_text().replace("name: KCNA", "name: Korean Central News Agency"))
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert "Korean Central News Agency" in (out / "notes/aftalen/index.html").read_text()
    _result, expected = clean_build(project, tmp_path / "clean")
    assert tree(out) == expected


def test_related_entities_are_counted_again_only_when_an_article_names_other_entities(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entities = {
        f"content/entities/{slug}.md": f"---\nname: {name}\ntype: {kind}\n---\n{name}.\n"
        for slug, name, kind in (
            ("putin", "Vladimir Putin", "person"),
            ("kim", "Kim Jong-un", "person"),
            ("kursk", "Kursk", "place"),
        )
    }
    project = write_project(
        tmp_path / "project",
        {
            **entities,
            "content/articles/2024/a.md": article("A", body="Vladimir Putin og Kim Jong-un."),
            "content/articles/2024/b.md": article("B", body="Vladimir Putin talte."),
        },
    )
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    counted: list[int] = []
    original = index_module._related

    def spy(named_by: object, *args: object) -> object:
        counted.append(1)
        return original(named_by, *args)

    monkeypatch.setattr(index_module, "_related", spy)
    path = project / "content/articles/2024/b.md"
    path.write_text(article("B", body="Vladimir Putin talte længe."), encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert counted == []
    path.write_text(article("B", body="Vladimir Putin talte om Kursk."), encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert counted == [1]
    related = (out / "entities/putin/index.html").read_text(encoding="utf-8")
    assert re.search(r'class="related".*>Kursk</a>', related, re.S)
    _result, expected = clean_build(project, tmp_path / "clean")
    assert tree(out) == expected


def test_an_entity_page_is_rendered_again_when_its_excerpt_changes_not_when_lines_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    putin = "---\nname: Vladimir Putin\ntype: person\n---\nPræsident.\n"
    project = write_project(
        tmp_path / "project",
        {
            "content/entities/putin.md": putin,
            "content/articles/2024/a.md": article("A", body="Vladimir Putin talte i Moskva."),
        },
    )
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    rendered: list[str] = []
    original = pages.entity_page

    def spy(index: object, slug: str, *args: object) -> object:
        rendered.append(slug)
        return original(index, slug, *args)

    monkeypatch.setattr(pages, "entity_page", spy)
    path = project / "content/articles/2024/a.md"
    moved = "Et nyt første afsnit.\n\nVladimir Putin talte i Moskva."
    path.write_text(article("A", body=moved), encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert rendered == []
    path.write_text(article("A", body=moved.replace("Moskva", "Kreml")), encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert rendered == ["putin"]
    assert "Vladimir Putin talte i Kreml." in (out / "entities/putin/index.html").read_text()
    _result, expected = clean_build(project, tmp_path / "clean")
    assert tree(out) == expected


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: A\ndate: 2024-01-01\n---\nKrop.\n\nMere krop.\n",
        "\ufeff---\r\ntitle: A\r\ndate: 2024-01-01\r\n---\r\nKrop.\r\n",
        "---\ntitle: A\ndate: 2024-01-01\n---\n",
        "---\ntitle: A\ndate: 2024-01-01\n---",
    ],
    ids=["plain", "bom-and-crlf", "empty-body", "no-newline-after-fence"],
)
def test_an_article_kept_without_its_body_reads_the_body_the_parser_saw(
    text: str, tmp_path: Path
) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(text.encode("utf-8"))
    article, problems = parse_article(
        SourceFile("content/articles/a.md", text), SiteConfig(title="T")
    )
    # An empty body is a warning, not an error: the article is parsed all the same.
    assert article is not None and all(p.severity == "warning" for p in problems)
    kept = sourced_article(article, path, digest_bytes(text.encode("utf-8")))
    assert "body" not in kept.__dict__
    assert {f.name: getattr(kept, f.name) for f in fields(Article)} == {
        f.name: getattr(article, f.name) for f in fields(Article)
    }
    path.write_bytes(text.replace("title: A", "title: B").encode("utf-8"))
    with pytest.raises(SourceChanged):
        _body = kept.body


def test_a_file_that_changes_during_the_build_fails_it_and_the_next_build_sees_the_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = start_project(tmp_path / "project", Random(8))
    out = tmp_path / "site"
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    scan = cache.scan_sources

    def scan_then_edit(*args: object) -> cache.Scan:
        found = scan(*args)
        path.write_text(path.read_text(encoding="utf-8") + "\nSkrevet under bygningen.\n")
        return found

    monkeypatch.setattr(cache, "scan_sources", scan_then_edit)
    result = build(BuildOptions(project, out, jobs=1, search=False))
    relative = path.relative_to(project).as_posix()
    assert [str(d) for d in result.diagnostics] == [
        f"{relative}: error: the file changed while it was being built; build again"
    ]
    monkeypatch.setattr(cache, "scan_sources", scan)
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert "Skrevet under bygningen." in "".join(
        data.decode() for name, data in tree(out).items() if name.endswith(".html")
    )


@pytest.mark.parametrize(("jobs", "deleted"), [(1, ""), (2, ""), (1, "fragments")])
def test_a_cache_deleted_during_the_build_fails_it_cleanly_and_the_next_build_makes_it_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int, deleted: str
) -> None:
    """The whole cache folder deleted, or only the part of it that rendering reads: then the
    cached state is still there, and names files that are gone."""
    project = start_project(tmp_path / "project", Random(8))
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=jobs, search=False)).ok
    before = tree(out)
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nSkrevet efter sletningen.\n")
    index_content = build_module.index_content

    def index_then_delete_cache(*args: object, **kwargs: object) -> object:
        found = index_content(*args, **kwargs)
        shutil.rmtree(project / CACHE_DIR / deleted)  # the pages to render read from it
        return found

    monkeypatch.setattr(build_module, "index_content", index_then_delete_cache)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # the workers meet the missing files
    result = build(BuildOptions(project, out, jobs=jobs, search=False))
    assert [str(d) for d in result.diagnostics] == [
        f"{CACHE_DIR}: error: a file of the cache is missing (deleted while the build ran?); "
        "build again, and the cache is made anew"
    ]
    assert tree(out) == before
    monkeypatch.setattr(build_module, "index_content", index_content)
    assert build(BuildOptions(project, out, jobs=jobs, search=False)).ok
    assert "Skrevet efter sletningen." in "".join(
        data.decode() for name, data in tree(out).items() if name.endswith(".html")
    )


def test_a_cache_deleted_after_the_site_is_written_leaves_the_site_built_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = start_project(tmp_path / "project", Random(8))
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nSkrevet før sletningen.\n")
    write = cache._write_atomically

    def delete_then_write(path: Path, data: bytes) -> None:
        # The cache deleted while its state is saved, after the site is written: the folders
        # the state goes to are gone.
        shutil.rmtree(project / CACHE_DIR, ignore_errors=True)
        write(path, data)

    monkeypatch.setattr(cache, "_write_atomically", delete_then_write)
    result = build(BuildOptions(project, out, jobs=1, search=False))
    assert result.ok and result.written
    assert [str(d) for d in result.diagnostics if d.path == CACHE_DIR] == [
        f"{CACHE_DIR}: warning: a file of the cache went missing while it was saved (deleted "
        "during the build?); the site is built, and the next build makes the cache anew"
    ]
    built = tree(out)
    assert "Skrevet før sletningen." in "".join(
        data.decode() for name, data in built.items() if name.endswith(".html")
    )
    monkeypatch.setattr(cache, "_write_atomically", write)
    again = build(BuildOptions(project, out, jobs=1, search=False))
    assert again.ok and not [d for d in again.diagnostics if d.path == CACHE_DIR]
    assert tree(out) == built


def build_process(project: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "generator", "build", "-C", str(project), "--out", str(out)]
    return subprocess.Popen(
        [*command, "--no-search", "--jobs", "2", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_build_says_it_waits_while_another_build_of_the_project_runs_then_builds(
    tmp_path: Path,
) -> None:
    project = start_project(tmp_path / "project", Random(8))
    out = tmp_path / "site"
    with held_by_another_build(project):
        child = build_process(project, out)
        assert child.stderr is not None
        assert child.stderr.readline() == f"{WAITING}\n"
        time.sleep(0.5)
        # Still waiting: it has not touched the cache or the output folder.
        assert child.poll() is None
        assert not (project / CACHE_DIR).exists() and not out.exists()
    stdout, stderr = child.communicate(timeout=120)
    assert child.returncode == 0 and WAITING not in stderr
    assert stdout.startswith("built ") and (out / "index.html").is_file()


def test_a_quiet_build_waits_for_the_project_without_saying_so(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(8))
    out = tmp_path / "site"
    with held_by_another_build(project):
        child = build_process(project, out, "-q")
        time.sleep(1.0)
        assert child.poll() is None
        assert not (project / CACHE_DIR).exists() and not out.exists()
    stdout, stderr = child.communicate(timeout=120)
    assert (child.returncode, stdout) == (0, "") and WAITING not in stderr
    assert (out / "index.html").is_file()


def test_two_builds_of_a_project_at_once_both_succeed_one_after_the_other(tmp_path: Path) -> None:
    """Both read and write the project's one cache: without the wait, one failed with "a file
    of the cache is missing", the other's files having replaced the ones it had read."""
    project = start_project(tmp_path / "project", Random(8))
    assert build(BuildOptions(project, tmp_path / "first", jobs=1, search=False)).ok
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nSkrevet før de to bygninger.\n")
    children = [build_process(project, tmp_path / name) for name in ("a", "b")]
    outcomes = [(child.communicate(timeout=120), child.returncode) for child in children]
    assert [code for _streams, code in outcomes] == [0, 0], outcomes
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert "Skrevet før de to bygninger." in "".join(
        data.decode() for name, data in tree(tmp_path / "a").items() if name.endswith(".html")
    )


def test_a_build_waiting_for_the_project_stops_when_its_preview_closes(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(8))
    out = tmp_path / "site"
    stop = threading.Event()
    seen: list[str] = []

    def waiting() -> None:
        seen.append("waiting")
        stop.set()  # as Preview.close() sets it

    def run() -> None:
        parallel.STOP.set(stop)  # this thread's builds, as the preview's rebuild sets it
        try:
            build(BuildOptions(project, out, jobs=1, search=False), waiting=waiting)
        except parallel.Stopped:
            seen.append("stopped")

    with held_by_another_build(project):
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(10)
        assert not thread.is_alive()
    assert seen == ["waiting", "stopped"]
    assert not out.exists() and not (project / CACHE_DIR).exists()


def test_a_project_on_a_file_system_without_locks_builds_unlocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some network file systems refuse ``flock`` (ENOLCK): the build goes on, without saying
    that it waits."""
    project = start_project(tmp_path / "project", Random(8))
    out = tmp_path / "site"

    def refused(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(cache.fcntl, "flock", refused)
    seen: list[str] = []
    result = build(
        BuildOptions(project, out, jobs=1, search=False), waiting=lambda: seen.append("waiting")
    )
    assert result.ok and (out / "index.html").is_file()
    assert seen == []


def test_the_links_kept_for_each_page_are_the_links_the_link_check_reads(tmp_path: Path) -> None:
    project = start_project(tmp_path / "project", Random(9))
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    pages = [OutputFile(path, data) for path, data in tree(out).items()]
    assert any(checks.internal_links(page) for page in pages)
    for page in pages:
        assert checks.link_targets(page) == {r for _link, r in checks.internal_links(page)}


@pytest.mark.parametrize(
    "path",
    # Pages at one depth in other folders after each other: what is remembered for one page
    # must name the same from the next.
    [
        "index.html",
        "a/index.html",
        "b/index.html",
        "2024/11/slug/index.html",
        "2023/01/x/index.html",
    ],
)
def test_links_that_climb_resolve_as_the_link_check_resolves_them(path: str) -> None:
    written = [
        "",
        "#top",
        "?q=1",
        "index.html",
        "../",
        "../#x",
        "../?q",
        "../index.html",
        "../../",
        "../../../index.html",
        "../../../../x/index.html",
        "../../../../../",
        "../a/../../b/index.html",
        "../../x/./y/",
        "https://example.org/",
        "//cdn.example.org/x.js",
        "mailto:a@example.org",
    ]
    data = "".join(f' <a href="{link}">x</a> <img src="{link}">' for link in written).encode()
    page = OutputFile(path, data)
    expected = {resolved for _link, resolved in checks.internal_links(page)}
    assert len(expected) > 5
    assert checks.link_targets(page) == expected


def test_links_are_found_in_a_page_as_the_link_check_finds_them() -> None:
    rng = Random(10)
    pieces = [b" ", b"\n", b"\t", b"h", b'href="', b'src="', b'"', b"a", b"="]
    pages = [b'x href="a src="b"', b' href="a', b'  href="a"href="b"', b' src="a href="b" c"']
    pages += [b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 14))) for _ in range(20000)]
    for page in pages:
        assert checks.written_links(page) == set(checks._REFERENCE_BYTES.findall(page)), page


def test_a_name_written_with_character_references_is_linked_when_its_entity_is_added(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "project",
        {
            "content/articles/2024/a.md": "---\ntitle: A\ndate: 2024-11-12T10:00:00\n---\n"
            "Byen K&aelig;rb&aelig;k ligger ved kysten, skriver Ahmadi & S&oslash;n.\n",
        },
    )
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    (project / "content/entities").mkdir()
    (project / "content/entities/kaerbaek.md").write_text(
        "---\nname: Kærbæk\ntype: place\n---\nEn by.\n", encoding="utf-8"
    )
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert 'data-entity="kaerbaek"' in (out / "2024/11/a/index.html").read_text()
    _result, expected = clean_build(project, tmp_path / "clean")
    assert tree(out) == expected


def test_stored_html_is_compacted_when_most_of_it_belongs_to_deleted_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "COMPACT_FROM", 0)
    project = start_project(tmp_path / "project", Random(11))
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    packs = project / CACHE_DIR / "fragments"
    before = sum(p.stat().st_size for p in packs.iterdir())
    for path in sorted((project / "content/articles").rglob("*.md"))[2:]:
        path.unlink()
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    after = list(packs.iterdir())
    assert len(after) == 1 and after[0].stat().st_size < before / 2
    _result, expected = clean_build(project, tmp_path / "clean")
    assert tree(out) == expected
    path = sorted((project / "content/articles").rglob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nEt afsnit mere.\n", encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    _result, expected = clean_build(project, tmp_path / "clean")
    assert tree(out) == expected


def test_the_cache_is_keyed_by_the_installed_versions_of_the_libraries() -> None:
    """The versions are read without importlib.metadata where the modules allow it (MarkupSafe
    has no ``__version__``: its ``.dist-info`` folder gives it), and must agree with it."""
    from importlib import metadata

    for name, module in cache._LIBRARIES.items():
        assert cache.library_version(name, module) == metadata.version(name), name


def test_the_cache_writes_again_only_the_shards_of_documents_that_changed(tmp_path: Path) -> None:
    files = {f"content/articles/2024/a{i:02d}.md": article(f"Artikel {i}") for i in range(40)}
    project = write_project(tmp_path / "project", files)
    out, documents = tmp_path / "site", project / CACHE_DIR / "documents"

    def shards() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in documents.glob("*.pickle")}

    def rewritten(before: dict[str, bytes]) -> set[int]:
        return {int(name[:2]) for name, data in shards().items() if before.get(name) != data}

    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    before = shards()
    assert len(before) == cache.SHARDS
    edited, removed = "content/articles/2024/a07.md", "content/articles/2024/a23.md"
    assert cache._shard(edited) != cache._shard(removed)
    (project / edited).write_text(article("Artikel 7", body="Ny tekst."), encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert rewritten(before) == {cache._shard(edited)}
    before = shards()
    (project / removed).unlink()
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert rewritten(before) == {cache._shard(removed)}
    state = cache.load_state(project / CACHE_DIR)
    assert cache.load_documents(project / CACHE_DIR, state)
    assert removed not in state.parsed and removed not in state.annotated
    assert state.parsed[edited].value.title == "Artikel 7" and len(state.parsed) == 39
    assert build(BuildOptions(project, out, jobs=1, search=False)).changed == ()
    assert rewritten(before) == {cache._shard(removed)}


def test_the_head_keeps_stamps_and_outputs_as_a_base_and_its_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"content/articles/2024/a{i:02d}.md": article(f"Artikel {i}") for i in range(12)}
    project = write_project(tmp_path / "project", files)
    out, folder = tmp_path / "site", project / CACHE_DIR

    def bases() -> dict[str, bytes]:
        return {name: (folder / f"{name}.pickle").read_bytes() for name in cache.LAYERED}

    def assert_state_matches_disk() -> None:
        state = cache.load_state(folder)
        written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
        assert set(state.outputs) == written
        for path, record in state.outputs.items():
            assert record.digest == digest_bytes((out / path).read_bytes()), path
        sources = {p.relative_to(project).as_posix() for p in (project / "content").rglob("*.md")}
        assert set(state.stamps) == sources | {"content/site.yaml"}
        for path, stamp in state.stamps.items():
            assert stamp.digest == digest_bytes((project / path).read_bytes()), path

    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    before = bases()
    assert_state_matches_disk()
    # An edit and a removal: the bases stay as they were; the head has the changes.
    edited = project / "content/articles/2024/a03.md"
    edited.write_text(article("Artikel 3", body="Ny tekst."), encoding="utf-8")
    (project / "content/articles/2024/a05.md").unlink()
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert bases() == before
    state = cache.load_state(folder)
    changes = state.layers["outputs"].changes
    assert changes["2024/11/artikel-3/index.html"] is not None
    assert (
        "2024/11/artikel-5/index.html" in changes
        and changes["2024/11/artikel-5/index.html"] is None
    )
    assert state.layers["stamps"].changes["content/articles/2024/a05.md"] is None
    assert_state_matches_disk()
    # When the changes outgrow their limit, the bases are written again with them.
    monkeypatch.setattr(cache, "LAYER_CHANGES", 0)
    edited.write_text(article("Artikel 3", body="Nyere tekst."), encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    after = bases()
    assert after["outputs"] != before["outputs"] and after["stamps"] != before["stamps"]
    assert all(not layer.changes for layer in cache.load_state(folder).layers.values())
    assert_state_matches_disk()
    # A base that is not the one the head was written with: the build starts clean.
    (folder / "outputs.pickle").write_bytes(before["outputs"])
    cache._KEPT.clear()  # what this process saved last is not read back from disk
    assert cache.load_state(folder).outputs == {}
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert_state_matches_disk()


def test_a_build_stopped_while_writing_forgets_the_outputs_and_their_base(
    tmp_path: Path,
) -> None:
    files = {f"content/articles/2024/a{i:02d}.md": article(f"Artikel {i}") for i in range(3)}
    project = write_project(tmp_path / "project", files)
    out, folder = tmp_path / "site", project / CACHE_DIR
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    cache.mark_writing(folder, True)
    state = cache.load_state(folder)
    assert state.outputs == {} and state.site is None and "outputs" not in state.layers
    assert state.stamps and "stamps" in state.layers
    (project / "content/articles/2024/a01.md").write_text(
        article("Artikel 1", body="Ny tekst."), encoding="utf-8"
    )
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    state = cache.load_state(folder)
    # The outputs were recorded again from scratch, not as changes to the forgotten record.
    assert state.layers["outputs"].changes == {}
    assert set(state.outputs) == {
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
    }


def test_an_edit_renders_again_only_the_page_of_an_entity_page_that_lists_the_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entity named in many articles has its list on several pages: an edit that changes
    how one article is listed renders again that page only, and adding an article shifts the
    pages after it."""
    site_yaml = 'title: "Testarkiv"\nlanguage: da\nentity_page_size: 2\n'
    kursk = "---\nname: Kursk\ntype: place\n---\nEn by.\n"
    files = {"content/entities/kursk.md": kursk}
    for day in range(1, 8):
        files[f"content/articles/2024/k{day}.md"] = article(
            f"Kursk {day}", f"2024-11-0{day}T12:00:00", f"Nyt fra Kursk, dag {day}."
        )
    project = write_project(tmp_path / "project", files, site_yaml)
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert (out / "entities/kursk/page/4/index.html").is_file()
    rendered: list[tuple[str, int]] = []
    original = pages.entity_page

    def spy(index: object, slug: str, *args: object) -> object:
        view = original(index, slug, *args)
        rendered.append((slug, view.data["pagination"]["number"]))
        return view

    monkeypatch.setattr(pages, "entity_page", spy)
    # Day 2 is the sixth newest: on page 3.
    edited = article("Kursk 2", "2024-11-02T12:00:00", "Nyt fra Kursk, anden dag.")
    (project / "content/articles/2024/k2.md").write_text(edited, encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert rendered == [("kursk", 3)]
    assert "Nyt fra Kursk, anden dag." in (out / "entities/kursk/page/3/index.html").read_text()
    _result, expected = clean_build(project, tmp_path / "clean")
    assert tree(out) == expected
    rendered.clear()
    newest = article("Kursk 8", "2024-11-08T12:00:00", "Nyt fra Kursk, dag 8.")
    (project / "content/articles/2024/k8.md").write_text(newest, encoding="utf-8")
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    assert sorted(rendered) == [("kursk", n) for n in range(1, 5)]
    _result, expected = clean_build(project, tmp_path / "clean")
    assert tree(out) == expected


def test_a_later_entity_page_is_rendered_again_when_the_first_article_about_it_appears(
    tmp_path: Path,
) -> None:
    # Page 2 lists the same two articles before and after the edit, but its heading for them
    # ("Også nævnt i" or "Artikler, der nævner …") depends on whether any article is about it.
    project = write_project(
        tmp_path / "p",
        {
            "content/entities/hjortrup.md": "---\nname: Hjortrup\ntype: place\n---\nEn by.\n",
            **{
                f"content/articles/2024/a{i}.md": article(
                    f"Artikel {i}", f"2024-01-0{i}T10:00:00", "Noget om Hjortrup i dag."
                )
                for i in range(1, 5)
            },
        },
        site_yaml='title: "T"\nentity_page_size: 2\n',
    )
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    page = out / "entities/hjortrup/page/2/index.html"
    assert "Artikler, der nævner Hjortrup" in page.read_text(encoding="utf-8")
    path = project / "content/articles/2024/a4.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace("title:", "about: [hjortrup]\ntitle:", 1),
        encoding="utf-8",
    )
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    _result, expected = clean_build(project, tmp_path / "clean")
    assert "Også nævnt i" in page.read_text(encoding="utf-8")
    assert tree(out) == expected


def test_digests_after_a_prefix_are_the_digests_of_both() -> None:
    after = cache.digests_after("præfiks")
    for text in ("", "a\0b", "Ærø – \ud800", "x" * 100_000):
        assert after(text) == cache.digest("præfiks", text)
    assert after("ab") != cache.digests_after("præfiksa")("b")
