"""The input edge: read the project's content and templates from disk."""

from __future__ import annotations

from pathlib import Path

from generator.config import CONFIG_PATH
from generator.diagnostics import Diagnostic, error
from generator.model import SourceFile

CONTENT_DIRS = ("content/articles", "content/entities", "content/notes")


def read_text(project: Path, relative: str) -> tuple[str | None, list[Diagnostic]]:
    """Read one UTF-8 file of the project; a missing or undecodable file is a diagnostic."""
    try:
        return (project / relative).read_text(encoding="utf-8"), []
    except FileNotFoundError:
        return None, [error(relative, None, "file not found")]
    except UnicodeDecodeError as exc:
        return None, [error(relative, None, f"not UTF-8 text: {exc.reason} at byte {exc.start}")]


def content_paths(project: Path) -> list[str]:
    """Every Markdown file under the content folders, as sorted project-relative POSIX paths."""
    paths: list[str] = []
    for folder in CONTENT_DIRS:
        root = project / folder
        if root.is_dir():
            paths.extend(
                p.relative_to(project).as_posix()
                for p in root.rglob("*.md")
                if p.is_file() and not p.name.startswith(".")
            )
    return sorted(paths)


def read_sources(project: Path) -> tuple[str | None, list[SourceFile], list[Diagnostic]]:
    """Read site.yaml and every content file."""
    config_text, problems = read_text(project, CONFIG_PATH)
    sources: list[SourceFile] = []
    for path in content_paths(project):
        text, found = read_text(project, path)
        problems.extend(found)
        if text is not None:
            sources.append(SourceFile(path, text))
    return config_text, sources, problems
