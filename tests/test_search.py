"""The search index: which pages Pagefind indexes, in which language, with which filters; the
search page with and without an index; and a bundle that is the same on every build."""

from __future__ import annotations

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
