"""Finding and reading content: build and check see the same files, read the same way, and a
file that cannot be read is an error at its path (at its line, when the line is known)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import sources
from tests.sitekit import article, build, run_cli, write_project

SITE = 'title: "Testarkiv"\nlanguage: da\n'


def project_with(root: Path, files: dict[str, str | bytes]) -> Path:
    text = {p: v for p, v in files.items() if isinstance(v, str)}
    project = write_project(
        root,
        {
            "content/site.yaml": SITE,
            "content/articles/2024/a.md": article("Vinter i Moskva", body="Sne."),
            **text,
        },
    )
    for path, data in files.items():
        if isinstance(data, bytes):
            (project / path).write_bytes(data)
    return project


def errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": error: " in line]


def both(project: Path, out: Path) -> tuple[list[str], list[str]]:
    """The errors of check and of build, which must fail alike."""
    check_code, _out, check_err = run_cli("check", "-C", str(project))
    build_code, _out, build_err = build(project, out)
    assert (check_code, build_code) == (1, 1), (check_err, build_err)
    assert not (out / "index.html").exists()
    return errors(check_err), errors(build_err)


def test_a_symbolic_link_to_a_folder_is_an_error_and_not_followed(tmp_path: Path) -> None:
    project = project_with(tmp_path / "p", {})
    os.symlink(".", project / "content/articles/2024/loop")
    checked, built = both(project, tmp_path / "site")
    expected = [
        "content/articles/2024/loop: error: is a symbolic link to a folder, which is not "
        "followed; move the folder into content/"
    ]
    assert checked == built == expected


def test_a_symbolic_link_to_a_file_outside_content_is_an_error(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text(article("Udefra", body="Tekst."), encoding="utf-8")
    project = project_with(tmp_path / "p", {})
    os.symlink(elsewhere, project / "content/articles/2024/udefra.md")
    checked, built = both(project, tmp_path / "site")
    assert (
        checked
        == built
        == [
            f"content/articles/2024/udefra.md: error: is a symbolic link to {elsewhere}, outside "
            "content/; content is read only from content/"
        ]
    )


def test_a_symbolic_link_to_a_file_inside_content_is_read(tmp_path: Path) -> None:
    project = project_with(
        tmp_path / "p", {"content/articles/arkiv/b.md": article("Sommer i Pyongyang")}
    )
    os.symlink("../arkiv/b.md", project / "content/articles/2024/b.md")
    paths, problems, ignored = sources.content_files(project)
    assert problems == ignored == []
    assert "content/articles/2024/b.md" in paths


def test_a_file_that_is_not_utf8_is_an_error_at_the_line_of_its_first_bad_byte(
    tmp_path: Path,
) -> None:
    latin1 = "---\ntitle: Læs\ndate: 2024-11-14\n---\nLæs mere.\n".encode("latin-1")
    project = project_with(tmp_path / "p", {"content/articles/2024/l.md": latin1})
    checked, built = both(project, tmp_path / "site")
    message = (
        "content/articles/2024/l.md:2: error: not UTF-8 text: byte 0xe6 (invalid continuation "
        "byte); save the file as UTF-8"
    )
    assert checked == built == [message]


def test_a_site_yaml_that_is_not_utf8_says_so_rather_than_that_it_is_missing(
    tmp_path: Path,
) -> None:
    project = project_with(
        tmp_path / "p", {"content/site.yaml": "title: Færdig\n".encode("cp1252")}
    )
    checked, built = both(project, tmp_path / "site")
    assert (
        checked
        == built
        == [
            "content/site.yaml:1: error: not UTF-8 text: byte 0xe6 (invalid continuation byte); "
            "save the file as UTF-8"
        ]
    )


def test_a_file_without_permission_to_read_is_an_error_at_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulated: the tests may run as root, whom file permissions do not stop.
    project = project_with(tmp_path / "p", {})
    real = sources.read_bytes

    def refuse(path: Path | str, size: int = 1 << 16) -> bytes:
        if str(path).endswith("/a.md"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, size)

    monkeypatch.setattr(sources, "read_bytes", refuse)
    text, problems = sources.read_text(project, "content/articles/2024/a.md")
    assert text is None
    assert [str(p) for p in problems] == [
        "content/articles/2024/a.md: error: cannot be read: permission denied"
    ]


def test_a_pipe_named_like_content_is_not_read(tmp_path: Path) -> None:
    # Reading a named pipe would wait for a writer for ever.
    project = project_with(tmp_path / "p", {})
    os.mkfifo(project / "content/articles/2024/pipe.md")
    paths, problems, ignored = sources.content_files(project)
    assert problems == ignored == []
    assert paths == ["content/articles/2024/a.md"]


def test_a_file_that_is_not_read_is_a_warning_that_says_why(tmp_path: Path) -> None:
    project = project_with(tmp_path / "p", {})
    for name in (
        "content/articles/2024/kopi.markdown",
        "content/articles/2024/kopi.MD",
        "content/articles/2024/wire.txt",
        "content/articles/2024/kort.png",
        "content/articles/2024/.DS_Store",
        "content/entities/.gitkeep",
        "content/kopi.md",
    ):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("x", encoding="utf-8")
    (project / "content/billeder").mkdir()
    paths, problems, ignored = sources.content_files(project)
    assert (paths, problems) == (["content/articles/2024/a.md"], [])
    assert [str(d) for d in ignored] == [
        "content/articles/2024/kopi.MD: warning: is not read: content files end in .md in lower "
        "case; rename it kopi.md",
        "content/articles/2024/kopi.markdown: warning: is not read: content files end in .md in "
        "lower case; rename it kopi.md",
        "content/articles/2024/kort.png: warning: is not read: only .md files are content "
        "(images and other files are not published)",
        "content/articles/2024/wire.txt: warning: is not read: content files end in .md (wire "
        "copy is imported with explainer import)",
        "content/billeder: warning: is not read: articles go in content/articles/<year>/, "
        "entities in content/entities/ and notes in content/notes/",
        "content/kopi.md: warning: is not read: articles go in content/articles/<year>/, "
        "entities in content/entities/ and notes in content/notes/",
    ]


def test_a_build_warns_of_a_file_it_does_not_read_also_when_nothing_else_changed(
    tmp_path: Path,
) -> None:
    project = project_with(tmp_path / "p", {})
    site = tmp_path / "site"
    assert build(project, site, "--no-search")[::2] == (0, "")
    (project / "content/articles/2024/kort.png").write_bytes(b"png")
    warned = (
        "content/articles/2024/kort.png: warning: is not read: only .md files are content "
        "(images and other files are not published)\n"
    )
    for _ in range(2):  # the second build changes nothing, and says so again
        assert build(project, site, "--no-search")[::2] == (0, warned)
    (project / "content/articles/2024/kort.png").unlink()
    assert build(project, site, "--no-search")[::2] == (0, "")
