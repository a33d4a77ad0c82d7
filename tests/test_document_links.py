"""Links between documents: an editor links another article, entity or note by its source file,
and a broken link in a text is reported at the line of the text that has it."""

from __future__ import annotations

from pathlib import Path

from generator.build import BuildOptions, build
from tests.sitekit import article, run_cli, tree, write_project

ENTITY = "---\nname: Vladimir Putin\ntype: person\n---\nSe [aftalen](../articles/2023/b.md).\n"
NOTE = "---\ntitle: Aftalen\ndate: 2024-06-19\n---\nEn aftale.\n"
LINKING = (
    "Se [den gamle artikel](../2023/b.md#baggrund), [Putin](../../entities/vladimir-putin.md)\n"
    "og [noten](../../notes/aftalen.md)."
)


def project_with_links(root: Path, body: str = LINKING) -> Path:
    return write_project(
        root,
        {
            "content/entities/vladimir-putin.md": ENTITY,
            "content/notes/aftalen.md": NOTE,
            "content/articles/2024/a.md": article("Ny", "2024-11-12T10:00:00", body),
            "content/articles/2023/b.md": article(
                "Gammel", "2023-05-01T10:00:00", "## Baggrund\n\nTekst."
            ),
        },
    )


def test_a_link_to_a_source_file_links_its_page_relative_to_the_linking_page(
    tmp_path: Path,
) -> None:
    project = project_with_links(tmp_path / "p")
    code, _out, err = run_cli("build", "-C", str(project), "--no-search", "-j", "1")
    assert (code, err) == (0, "")
    page = (project / "site/2024/11/ny/index.html").read_text(encoding="utf-8")
    assert (
        '<p>Se <a href="../../../2023/05/gammel/index.html#baggrund">den gamle artikel</a>, '
        '<a href="../../../entities/vladimir-putin/index.html">Putin</a>\n'
        'og <a href="../../../notes/aftalen/index.html">noten</a>.</p>'
    ) in page
    # An entity's description links relative to its own file and page too.
    entity = (project / "site/entities/vladimir-putin/index.html").read_text(encoding="utf-8")
    assert '<a href="../../2023/05/gammel/index.html">aftalen</a>' in entity


def test_a_link_to_a_file_that_is_not_published_is_an_error_at_its_line(tmp_path: Path) -> None:
    body = "Første linje.\n\nSe [den](../2023/findes-ikke.md) og\n[kladden](../2023/b.md)."
    project = project_with_links(tmp_path / "p", body)
    path = project / "content/articles/2023/b.md"
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", "---\ndraft: true\n", 1))
    code, _out, err = run_cli("check", "-C", str(project))
    assert code == 1
    # The body starts on line 6 of the file: its third line is line 8.
    assert err.splitlines() == [
        'content/articles/2024/a.md:8: error: link to "../2023/findes-ikke.md": '
        "content/articles/2023/findes-ikke.md is no published article, entity or note (a link to "
        "another document names its file, relative to this one)",
        'content/articles/2024/a.md:9: error: link to "../2023/b.md": content/articles/2023/b.md '
        "is no published article, entity or note (a link to another document names its file, "
        "relative to this one)",
        'content/entities/vladimir-putin.md:5: error: link to "../articles/2023/b.md": '
        "content/articles/2023/b.md is no published article, entity or note (a link to another "
        "document names its file, relative to this one)",
    ]


def test_build_and_check_report_a_broken_link_at_its_line_beside_the_texts_other_errors(
    tmp_path: Path,
) -> None:
    body = "Første linje.\n\nDet sagde [[Putn]].\n\nSe [siden](../../../2099/01/x/index.html)."
    project = project_with_links(tmp_path / "p", body)
    expected = [
        'content/articles/2024/a.md:8: error: unknown entity "Putn" in [[Putn]]',
        "content/articles/2024/a.md:10: error: broken internal link: ../../../2099/01/x/index.html "
        "(on site/2024/11/ny/index.html; link to another article, entity or note by its file, as "
        "in [tekst](../2023/slug.md))",
    ]
    code, _out, err = run_cli("check", "-C", str(project))
    assert (code, err.splitlines()) == (1, expected)
    code, _out, err = run_cli("build", "-C", str(project), "--no-search", "-j", "1")
    assert (code, err.splitlines()) == (1, expected)
    assert not (project / "site").exists()


def test_a_linked_article_that_moves_is_linked_at_its_new_page_by_an_incremental_build(
    tmp_path: Path,
) -> None:
    project = project_with_links(tmp_path / "p")
    out = tmp_path / "site"
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    path = project / "content/articles/2023/b.md"
    # A new slug: the article moves, though nothing the linking text names has changed.
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", "---\nslug: flyttet\n", 1))
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
    page = (out / "2024/11/ny/index.html").read_text(encoding="utf-8")
    assert 'href="../../../2023/05/flyttet/index.html#baggrund"' in page
    clean = build(BuildOptions(project, tmp_path / "clean", jobs=1, search=False))
    assert clean.ok
    # Whether the cache is used or not, the site is the same; and a deleted target is an error.
    assert tree(out) == tree(tmp_path / "clean")
    path.unlink()
    result = build(BuildOptions(project, out, jobs=1, search=False))
    assert [d.path for d in result.diagnostics if d.severity == "error"] == [
        "content/articles/2024/a.md",
        "content/entities/vladimir-putin.md",
    ]


def test_a_link_within_a_text_must_name_one_of_its_headings(tmp_path: Path) -> None:
    """Headings get ids (``## Baggrund`` is ``#baggrund``); a link to ``#id`` that no heading
    or other element of the page has is an error at its line, with the closest id."""
    text = (
        "---\ntitle: Ny\ndate: 2024-11-12T10:00:00\nlead: Se [baggrunden](#baggrund).\n---\n"
        "Se [nedenfor](#baggrund), [fodnoten](#fn1)[^1] og [toppen](#).\n\n"
        "Se også [stavefejlen](#bagrund).\n\n## Baggrund\n\nTekst.\n\n[^1]: En kilde.\n"
    )
    entity = "---\nname: Vladimir Putin\ntype: person\n---\n## Liv\n\nSe [døden](#doed).\n"
    project = write_project(
        tmp_path / "p",
        {"content/articles/2024/a.md": text, "content/entities/vladimir-putin.md": entity},
    )
    code, _out, err = run_cli("check", "-C", str(project))
    assert code == 1
    assert err.splitlines() == [
        'content/articles/2024/a.md:8: error: link to "#bagrund": no heading of this text has '
        'that id (did you mean "#baggrund"?)',
        'content/entities/vladimir-putin.md:7: error: link to "#doed": no heading of this text '
        "has that id (its headings: #liv)",
    ]
    (project / "content/articles/2024/a.md").write_text(text.replace("#bagrund", "#baggrund"))
    entity_path = project / "content/entities/vladimir-putin.md"
    entity_path.write_text(entity.replace("#doed", "#liv"))
    code, _out, err = run_cli("build", "-C", str(project), "--no-search", "-j", "1")
    assert (code, err) == (0, "")
    page = (project / "site/2024/11/ny/index.html").read_text(encoding="utf-8")
    assert '<h2 id="baggrund">Baggrund</h2>' in page
    assert '<a href="#baggrund">baggrunden</a>' in page
    entity_page = (project / "site/entities/vladimir-putin/index.html").read_text("utf-8")
    assert '<h2 id="liv">Liv</h2>' in entity_page


def test_a_link_to_a_heading_of_another_document_is_checked_when_either_changes(
    tmp_path: Path,
) -> None:
    """``[x](../2023/b.md#baggrund)`` must name a heading of b.md (or another element of its
    page, such as a note's sources); renaming the heading in b.md makes the unchanged linking
    article wrong, and an incremental build says so as a clean one does."""
    body = (
        "Se [baggrunden](../2023/b.md#baggrund)\nog [kilderne](../../notes/aftalen.md#sources-h)."
    )
    project = project_with_links(tmp_path / "p", body)
    out = tmp_path / "site"
    first = build(BuildOptions(project, out, jobs=1, search=False))
    assert first.ok, [str(d) for d in first.diagnostics]
    linked = project / "content/articles/2023/b.md"
    linked.write_text(linked.read_text(encoding="utf-8").replace("## Baggrund", "## Forløbet"))
    second = build(BuildOptions(project, out, jobs=1, search=False))
    expected = [
        'content/articles/2024/a.md:6: error: link to "content/articles/2023/b.md#baggrund": '
        "no heading of that text has that id (its headings: #forloebet)"
    ]
    assert [str(d) for d in second.diagnostics] == expected
    code, _out, err = run_cli("check", "-C", str(project))
    assert (code, err.splitlines()) == (1, expected)
    linked.write_text(linked.read_text(encoding="utf-8").replace("## Forløbet", "## Baggrund"))
    assert build(BuildOptions(project, out, jobs=1, search=False)).ok
