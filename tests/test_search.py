"""The search index: which pages Pagefind indexes, in which language, with which filters; the
search page with and without an index; and a bundle that is the same on every build."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from generator import search
from generator.render import OutputFile
from generator.search import (
    CborMap,
    cbor_decode,
    cbor_encode,
    read_pagefind_file,
    search_bundle,
    stable_bundle,
    write_pagefind_file,
)
from tests.sitekit import article, build, tree, write_project

PUTIN = "---\nname: Vladimir Putin\ntype: person\n---\nRuslands præsident.\n"
MOSKVA = "---\nname: Moskva\ntype: place\n---\nRuslands hovedstad.\n"
KREML = "---\nname: Kreml\ntype: organisation\n---\nRuslands regering.\n"
NOTE = """\
---
title: "Putin indsat for femte gang"
date: 2024-05-07
entities: [vladimir-putin]
---
Vladimir Putin blev indsat som præsident for femte gang.
"""


def project_files() -> dict[str, str]:
    return {
        "content/entities/vladimir-putin.md": PUTIN,
        "content/entities/moskva.md": MOSKVA,
        "content/entities/kreml.md": KREML,
        "content/notes/putin-indsat.md": NOTE,
        "content/articles/2024/vinter.md": article(
            "Vinter i Moskva", "2024-11-12T00:54:00", "Vladimir Putin talte i Moskva."
        ),
        "content/articles/2024/kreml.md": article(
            "Kreml svarer", "2024-11-13T09:00:00", "Kreml svarede Putin."
        ).replace("section: Udland", "section: Indland"),
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search")
    project = write_project(root / "p", project_files())
    code, _, err = build(project, root / "site")
    assert code == 0, err
    return root / "site"


def entry(site: Path) -> dict:
    return json.loads((site / "pagefind/pagefind-entry.json").read_text(encoding="utf-8"))


def filters(site: Path) -> dict[str, dict[str, int]]:
    """Each filter's values with how many pages carry them, read from the bundle's files."""
    found = {}
    for path in sorted((site / "pagefind/filter").glob("*.pf_filter")):
        name, values = read_pagefind_file(path.read_bytes())
        found[name] = {value: len(pages) for value, pages in values}
    return found


def test_articles_entities_and_notes_are_indexed_in_one_danish_index(site: Path) -> None:
    languages = entry(site)["languages"]
    assert list(languages) == ["da"]
    notes_built = (site / "notes/putin-indsat/index.html").exists()
    assert languages["da"]["page_count"] == 2 + 3 + (1 if notes_built else 0)
    assert (site / "pagefind/wasm.da.pagefind").is_file()


def test_articles_are_filtered_by_section_and_entities_by_type(site: Path) -> None:
    found = filters(site)
    assert found["Sektion"] == {"Indland": 1, "Udland": 1}
    assert {k: v for k, v in found["Type"].items() if k != "Baggrund"} == {
        "Organisation": 1,
        "Person": 1,
        "Sted": 1,
    }


def test_filter_values_are_stored_in_sorted_order(site: Path) -> None:
    for path in (site / "pagefind/filter").glob("*.pf_filter"):
        _, values = read_pagefind_file(path.read_bytes())
        assert [v for v, _ in values] == sorted(v for v, _ in values)


def test_listings_and_the_search_page_are_not_indexed(site: Path) -> None:
    for page in ["index.html", "archive/index.html", "entities/index.html", "search/index.html"]:
        assert b"data-pagefind-body" not in (site / page).read_bytes(), page


def test_the_search_page_loads_pagefind_relative_to_itself(site: Path) -> None:
    page = (site / "search/index.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="../pagefind/pagefind-ui.css">' in page
    assert '<script src="../pagefind/pagefind-ui.js" data-pagefind-ui defer></script>' in page
    assert '<script src="../assets/search.js" defer></script>' in page
    assert "<h1>Søg</h1>" in page
    assert (
        '<noscript><p class="search-unavailable">Søgningen kræver JavaScript. '
        "Brug arkivet eller emneoversigten.</p></noscript>"
    ) in page
    assert (site / "pagefind/pagefind-ui.js").is_file()


def test_an_english_site_gets_an_english_index(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {"content/articles/2024/winter.md": article("Winter in Moscow", body="Putin spoke.")},
        site_yaml='title: "Test archive"\nlanguage: en\n',
    )
    assert build(project, tmp_path / "site")[0] == 0
    assert list(entry(tmp_path / "site")["languages"]) == ["en"]
    assert (tmp_path / "site/pagefind/wasm.en.pagefind").is_file()
    assert filters(tmp_path / "site") == {"Section": {"Udland": 1}}


def page(path: str, language: str, text: str) -> OutputFile:
    html = (
        f'<!DOCTYPE html><html lang="{language}"><head><title>{text}</title></head>'
        f"<body><main data-pagefind-body><h1>{text}</h1><p>{text}</p></main></body></html>"
    )
    return OutputFile(path, html.encode("utf-8"))


def test_pages_in_danish_and_english_get_separate_indexes_with_their_own_stemmers() -> None:
    bundle, problems = search_bundle(
        [
            page("da/index.html", "da", "Soldaterne rykkede ind"),
            page("en/index.html", "en", "The soldiers moved in"),
        ]
    )
    assert problems == []
    files = {f.path: f.data for f in bundle}
    languages = json.loads(files["pagefind/pagefind-entry.json"])["languages"]
    assert {name: value["page_count"] for name, value in languages.items()} == {"da": 1, "en": 1}
    assert "pagefind/wasm.da.pagefind" in files
    assert "pagefind/wasm.en.pagefind" in files


def test_results_link_to_index_html_unless_the_site_uses_directory_links() -> None:
    pages = [page("2024/11/vinter/index.html", "da", "Vinter")]
    fragments = {
        keep: [
            f.data
            for f in search_bundle(pages, keep_index_url=keep)[0]
            if f.path.startswith("pagefind/fragment/")
        ]
        for keep in (True, False)
    }
    assert b'"url":"/2024/11/vinter/index.html"' in _gunzip(fragments[True][0])
    assert b'"url":"/2024/11/vinter/"' in _gunzip(fragments[False][0])


def _gunzip(data: bytes) -> bytes:
    import gzip

    return gzip.decompress(data)


def test_no_search_skips_the_index_and_the_search_page_says_so(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", project_files())
    assert build(project, tmp_path / "site", "--no-search")[0] == 0
    assert not (tmp_path / "site/pagefind").exists()
    page = (tmp_path / "site/search/index.html").read_text(encoding="utf-8")
    assert (
        '<p class="search-unavailable">Søgningen er slået fra i denne udgave af arkivet. '
        "Brug arkivet eller emneoversigten.</p>"
    ) in page
    assert "pagefind" not in page


def test_search_false_in_site_yaml_skips_the_index_too(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "p",
        {"content/articles/2024/vinter.md": article("Vinter i Moskva")},
        site_yaml='title: "Testarkiv"\nsearch: false\n',
    )
    assert build(project, tmp_path / "site")[0] == 0
    assert not (tmp_path / "site/pagefind").exists()
    assert "Søgningen er slået fra" in (tmp_path / "site/search/index.html").read_text()


def test_a_site_with_nothing_marked_for_search_still_gets_a_working_bundle(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path / "p", {})
    code, _, err = build(project, tmp_path / "site")
    assert code == 0, err
    assert (tmp_path / "site/pagefind/pagefind-ui.js").is_file()


def test_a_missing_pagefind_fails_the_build_and_says_how_to_build_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "pagefind_executable", lambda: None)
    project = write_project(tmp_path / "p", {"content/articles/2024/a.md": article("A")})
    code, _, err = build(project, tmp_path / "site")
    assert code == 1
    assert err.splitlines()[0] == (
        'search: error: Pagefind is not installed (pip install "pagefind[extended]"); '
        "build with --no-search to skip the search index"
    )
    assert not (tmp_path / "site").exists()


def test_a_missing_pagefind_is_reported_once_for_an_index_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "pagefind_executable", lambda: None)
    code, _, err = build(sharded_project(tmp_path / "p"), tmp_path / "site")
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("search:")] == [
        'search: error: Pagefind is not installed (pip install "pagefind[extended]"); '
        "build with --no-search to skip the search index"
    ]


def test_a_failing_pagefind_fails_the_build_with_its_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "pagefind_executable", lambda: Path("/bin/false"))
    project = write_project(tmp_path / "p", {"content/articles/2024/a.md": article("A")})
    code, _, err = build(project, tmp_path / "site")
    assert code == 1
    assert err.splitlines()[0] == "search: error: Pagefind failed with exit code 1: no output"


def test_builds_of_the_same_site_give_byte_identical_search_bundles(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", project_files())
    bundles = []
    for name in "abcd":
        assert build(project, tmp_path / name)[0] == 0
        bundles.append({k: v for k, v in tree(tmp_path / name).items() if "pagefind" in k})
    assert all(bundle == bundles[0] for bundle in bundles[1:])


def test_the_stable_bundle_renames_a_reordered_filter_and_the_files_that_name_it() -> None:
    """Two bundles that differ only in the order Pagefind wrote a filter's values become one."""
    meta = ["1.5.2", [["da_0000001", 10]], [], [["Type", "da_aaaaaaa"]], [], ["title"]]
    values = [["Sted", [1]], ["Person", [0]]]
    reordered = [["Person", [0]], ["Sted", [1]]]

    def bundle(filter_values: list, filter_hash: str, meta_hash: str) -> dict[str, bytes]:
        named = [*meta[:3], [["Type", filter_hash]], *meta[4:]]
        return {
            f"filter/{filter_hash}.pf_filter": write_pagefind_file(["Type", filter_values]),
            f"pagefind.{meta_hash}.pf_meta": write_pagefind_file(named),
            "pagefind-entry.json": f'{{"languages":{{"da":{{"hash":"{meta_hash}"}}}}}}'.encode(),
        }

    first = stable_bundle(bundle(values, "da_aaaaaaa", "da_1111111111"))
    second = stable_bundle(bundle(reordered, "da_bbbbbbb", "da_2222222222"))
    assert first == second
    (filter_name,) = [name for name in first if name.startswith("filter/")]
    (meta_name,) = [name for name in first if name.endswith(".pf_meta")]
    assert read_pagefind_file(first[filter_name]) == ["Type", reordered]
    filter_hash = filter_name.removeprefix("filter/").removesuffix(".pf_filter")
    assert read_pagefind_file(first[meta_name])[3] == [["Type", filter_hash]]
    meta_hash = meta_name.removeprefix("pagefind.").removesuffix(".pf_meta")
    assert json.loads(first["pagefind-entry.json"])["languages"]["da"]["hash"] == meta_hash


def test_a_bundle_laid_out_differently_is_left_as_it_is() -> None:
    odd = {"filter/da_1234567.pf_filter": b"not gzip", "pagefind-entry.json": b"{}"}
    assert stable_bundle(odd) == odd


@pytest.mark.parametrize(
    "value",
    [
        0,
        23,
        24,
        255,
        256,
        65_536,
        2**32,
        -1,
        -500,
        "",
        "Søg",
        b"\x00\xff",
        [],
        [1, [2, "x"]],
        CborMap([("a", 1), ("b", [True, False, None])]),
    ],
)
def test_cbor_values_read_back_as_they_were_written(value: object) -> None:
    encoded = cbor_encode(value)
    assert cbor_decode(encoded) == (value, len(encoded))


def test_cbor_uses_the_shortest_encoding() -> None:
    assert cbor_encode(23) == b"\x17"
    assert cbor_encode(24) == b"\x18\x18"
    assert cbor_encode(1000) == b"\x19\x03\xe8"
    assert cbor_encode("a") == b"\x61a"
    assert cbor_encode([1, 2]) == b"\x82\x01\x02"


# --- An index in parts -------------------------------------------------------------------------


def test_the_index_is_split_into_a_power_of_two_parts_of_at_most_the_shard_size() -> None:
    assert [search.shard_count(n, 2000) for n in (0, 1, 2000)] == [1, 1, 1]
    assert [search.shard_count(n, 2000) for n in (2001, 4000, 4001)] == [2, 2, 4]
    assert search.shard_count(12_200, 2000) == 8
    assert search.shard_count(102_200, 2000) == 64


def test_pages_spread_evenly_over_the_parts_and_keep_theirs() -> None:
    paths = [f"2024/{n % 12 + 1:02d}/artikel-{n}/index.html" for n in range(8000)]
    parts = [search.shard_of(path, 8) for path in paths]
    sizes = [parts.count(part) for part in range(8)]
    assert all(850 <= size <= 1150 for size in sizes), sizes
    assert [search.shard_of(path, 8) for path in reversed(paths)] == parts[::-1]
    assert {search.shard_of(path, 1) for path in paths} == {0}


def test_the_first_part_with_pages_is_the_main_bundle_and_the_others_are_listed_in_order() -> None:
    folders = search.shard_folders([11, 2, 10, 5])
    assert folders == {
        2: "pagefind/",
        5: "pagefind/shard-5/",
        10: "pagefind/shard-10/",
        11: "pagefind/shard-11/",
    }
    assert json.loads(search.shards_manifest(16, folders)) == {
        "merge": ["shard-5/", "shard-10/", "shard-11/"],
        "shards": 16,
    }


def indexed_urls(bundle: Path) -> set[str]:
    """The URLs of the pages a bundle's fragments hold."""
    import gzip
    import re

    found = set()
    for fragment in (bundle / "fragment").glob("*.pf_fragment"):
        found |= set(re.findall(rb'"url":"([^"]*)"', gzip.decompress(fragment.read_bytes())))
    return {url.decode("utf-8").lstrip("/") for url in found}


def sharded_project(root: Path, size: int = 2, more: str = "") -> Path:
    site_yaml = f'title: "Testarkiv"\nlanguage: da\nsearch_shard_size: {size}\n{more}'
    return write_project(root, project_files(), site_yaml)


def parts(site: Path) -> dict[str, set[str]]:
    """Each part of the index (its folder under the site) with the pages it holds."""
    manifest = json.loads((site / "pagefind/shards.json").read_text(encoding="utf-8"))
    folders = ["pagefind/"] + [f"pagefind/{name}" for name in manifest["merge"]]
    return {folder: indexed_urls(site / folder) for folder in folders}


def record_pagefind_runs(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """From now on, the pages each Pagefind run indexes, in a list that grows with the runs."""
    runs: list[set[str]] = []
    command = search.pagefind_command

    def recorded(binary: Path, site: Path, keep_index_url: bool) -> list[str]:
        runs.append({p.relative_to(site).as_posix() for p in site.rglob("*.html")})
        return command(binary, site, keep_index_url)

    monkeypatch.setattr(search, "pagefind_command", recorded)
    return runs


def test_a_large_index_is_built_in_parts_that_the_search_page_merges(tmp_path: Path) -> None:
    project = sharded_project(tmp_path / "p")
    code, _, err = build(project, tmp_path / "site")
    assert code == 0, err
    site = tmp_path / "site"
    manifest = json.loads((site / "pagefind/shards.json").read_text(encoding="utf-8"))
    pages = sorted(url for urls in parts(site).values() for url in urls)
    assert manifest["shards"] == search.shard_count(len(pages), 2) == 4
    assert len(manifest["merge"]) >= 1
    assert len(pages) == len(set(pages)) == 5 + (1 if (site / "notes/putin-indsat").exists() else 0)
    for folder, held in parts(site).items():
        for url in held:
            number = search.shard_of(url, manifest["shards"])
            assert folder in (f"pagefind/shard-{number}/", "pagefind/"), (folder, url)
        names = {p.relative_to(site / folder).as_posix() for p in (site / folder).rglob("*")}
        if folder == "pagefind/":
            assert {"pagefind-ui.js", "pagefind.js", "wasm.da.pagefind"} <= names
        else:
            assert not any(n.endswith((".js", ".css", ".pagefind")) for n in names), names
            assert "pagefind-entry.json" in names


@pytest.fixture
def sharded(tmp_path: Path) -> tuple[Path, Path]:
    """A project with its index in parts of 2 pages or fewer on average, built: the project and
    the site."""
    project = sharded_project(tmp_path / "p")
    assert build(project, tmp_path / "site")[0] == 0
    return project, tmp_path / "site"


def test_an_edit_indexes_again_only_the_part_of_the_page_it_changed(
    tmp_path: Path, sharded: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, out = sharded
    runs = record_pagefind_runs(monkeypatch)
    source = project / "content/articles/2024/kreml.md"
    source.write_text(source.read_text() + "\nEt afsnit mere.\n")
    assert build(project, out)[0] == 0
    edited = "2024/11/kreml-svarer/index.html"
    (run,) = runs
    assert edited in run
    assert run == next(held for held in parts(out).values() if edited in held)
    assert len(parts(out)) > 1
    assert build(project, out)[0] == 0
    assert len(runs) == 1, "a build that changed no page indexed nothing"
    monkeypatch.undo()
    assert build(project, tmp_path / "clean")[0] == 0
    after_edit = {k: v for k, v in tree(out).items() if k.startswith("pagefind/")}
    clean = {k: v for k, v in tree(tmp_path / "clean").items() if k.startswith("pagefind/")}
    assert after_edit == clean


def test_a_build_with_search_after_one_without_indexes_every_page_as_a_clean_build_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build without search leaves out what the index reads of each page; the build with
    search after it has other page keys, so it renders every page again and indexes them all.
    An edit after that indexes one part again, as after a build with search."""
    project = sharded_project(tmp_path / "p")
    out = tmp_path / "site"
    assert build(project, out, "--no-search")[0] == 0
    runs = record_pagefind_runs(monkeypatch)
    assert build(project, out)[0] == 0
    assert sorted(url for run in runs for url in run) == sorted(
        url for urls in parts(out).values() for url in urls
    )
    assert len(runs) == len(parts(out)) > 1
    runs.clear()
    source = project / "content/articles/2024/kreml.md"
    source.write_text(source.read_text() + "\nEt afsnit mere.\n")
    assert build(project, out)[0] == 0
    assert len(runs) == 1 and "2024/11/kreml-svarer/index.html" in runs[0]
    monkeypatch.undo()
    assert build(project, tmp_path / "clean")[0] == 0
    clean = {k: v for k, v in tree(tmp_path / "clean").items() if k.startswith("pagefind/")}
    assert {k: v for k, v in tree(out).items() if k.startswith("pagefind/")} == clean


def test_when_the_archive_outgrows_its_parts_every_part_is_made_again(tmp_path: Path) -> None:
    """From 2 parts to 4: the note's part keeps its page while the article beside it moves to a
    part of its own, so a build that kept a part made for the old layout would index that
    article twice."""
    note, moving = "notes/putin-indsat/index.html", "2024/11/ny-artikel-6/index.html"
    assert (search.shard_of(note, 2), search.shard_of(moving, 2)) == (1, 1)
    assert (search.shard_of(note, 4), search.shard_of(moving, 4)) == (1, 3)
    project = sharded_project(tmp_path / "p", size=4)
    out = tmp_path / "site"

    def add(n: int) -> None:
        text = article(f"Ny artikel {n}", body="Ny.")
        (project / f"content/articles/2024/ny-{n}.md").write_text(text, encoding="utf-8")

    add(6)
    assert build(project, out)[0] == 0
    before = json.loads((out / "pagefind/shards.json").read_text(encoding="utf-8"))
    for n in (1, 2, 4):
        assert search.shard_of(f"2024/11/ny-artikel-{n}/index.html", 4) != 1
        add(n)
    assert build(project, out)[0] == 0
    after = json.loads((out / "pagefind/shards.json").read_text(encoding="utf-8"))
    assert (before["shards"], after["shards"]) == (2, 4)
    held = [url for urls in parts(out).values() for url in urls]
    assert sorted(held) == sorted(set(held)) and len(held) == 10
    assert build(project, tmp_path / "clean")[0] == 0
    assert {k: v for k, v in tree(out).items() if k.startswith("pagefind/")} == {
        k: v for k, v in tree(tmp_path / "clean").items() if k.startswith("pagefind/")
    }


ENTITY_PAGE = """\
<!DOCTYPE html><html lang="da"><head><title>Moskva</title></head><body>
<main><article class="entity" data-pagefind-body><h1>Moskva</h1>
<div><p>Ruslands <em>hovedstad</em>.</p><div>Mere</div></div></article>
<p class="kicker" data-pagefind-filter="Type">Sted</p>
<div class="backlinks"><ol><li><a href="../../2024/a/index.html">A</a></li></ol></div>
</main></body></html>"""


def test_what_the_index_reads_of_a_page_has_a_digest_of_its_own() -> None:
    digest = search.indexed_digest(ENTITY_PAGE.encode())
    assert len(digest) == 32

    def changed(old: str, new: str) -> bool:
        assert old in ENTITY_PAGE
        return search.indexed_digest(ENTITY_PAGE.replace(old, new).encode()) != digest

    # The list of the articles that name the entity is not indexed: adding one changes nothing.
    assert not changed("<li>", '<li><a href="../../2024/b/index.html">B</a></li><li>')
    assert changed("<em>hovedstad</em>", "<em>by</em>")
    assert changed("<div>Mere</div>", "<div>Mere tekst</div>")
    assert changed(">Sted<", ">By<")
    assert changed('lang="da"', 'lang="en"')
    assert changed("<title>Moskva", "<title>Moscow")
    assert search.indexed_digest(b"<html><body><p>No marker</p></body></html>") == ""


def test_a_part_that_may_hold_tags_as_text_is_read_whole() -> None:
    """In a comment, ``</div>`` is no end tag: the page's own digest is used instead."""
    page = ENTITY_PAGE.replace("<div>Mere</div>", "<!-- </div> --><div>Mere</div>")
    whole = hashlib.sha256(page.encode()).hexdigest()[:32]
    assert search.indexed_digest(page.encode()) == whole
    assert (
        search.indexed_digest(ENTITY_PAGE.encode(), scan=False)
        == (hashlib.sha256(ENTITY_PAGE.encode()).hexdigest()[:32])
    )


@pytest.mark.parametrize("allow_html", [False, True])
def test_a_new_article_indexes_only_its_own_part_not_those_of_the_entities_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, allow_html: bool
) -> None:
    """With raw HTML allowed, a tag may hide in an attribute's value, so whole pages count: the
    part of the entity whose list changed is indexed again too."""
    project = sharded_project(tmp_path / "p", more=f"allow_html: {str(allow_html).lower()}\n")
    out = tmp_path / "site"
    assert build(project, out)[0] == 0
    putin_before = (out / "entities/vladimir-putin/index.html").read_bytes()
    runs = record_pagefind_runs(monkeypatch)
    new = article("Putin i Kreml", "2024-11-14T09:00:00", "Vladimir Putin talte i Kreml.")
    (project / "content/articles/2024/putin-i-kreml.md").write_text(new, encoding="utf-8")
    assert build(project, out)[0] == 0
    assert (out / "entities/vladimir-putin/index.html").read_bytes() != putin_before
    added = "2024/11/putin-i-kreml/index.html"
    putin, count = "entities/vladimir-putin/index.html", 4
    assert json.loads((out / "pagefind/shards.json").read_text())["shards"] == count
    assert search.shard_of(putin, count) != search.shard_of(added, count)
    assert any(added in run for run in runs)
    assert any(putin in run for run in runs) == allow_html
    assert len(runs) > 1 if allow_html else len(runs) == 1
