"""The input edge: find and read the project's content.

``build`` and ``check`` find the same files and read them the same way (bytes, decoded as
UTF-8, line endings as written), so that ``check`` passes exactly when ``build`` would.
"""

from __future__ import annotations

import os
from pathlib import Path

from generator.config import CONFIG_PATH, SiteConfig, parse_config
from generator.diagnostics import Diagnostic, error, warning
from generator.model import SourceFile

CONTENT_DIRS = ("content/articles", "content/entities", "content/notes")


def read_bytes(path: Path | str, size: int = 1 << 16) -> bytes:
    """A file's bytes, read with two system calls: ``open()`` makes several more, which cost
    more than the read itself for thousands of small files."""
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = [os.read(fd, size + 1)]
        while parts[-1]:
            parts.append(os.read(fd, 1 << 20))
    finally:
        os.close(fd)
    return b"".join(parts)


def decode(data: bytes, relative: str) -> tuple[str | None, list[Diagnostic]]:
    """UTF-8 text, or an error at the line of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        message = f"not UTF-8 text: byte 0x{bad} ({exc.reason}); save the file as UTF-8"
        return None, [error(relative, line, message)]


def unreadable(relative: str, exc: OSError) -> Diagnostic:
    """The error for a file or folder that cannot be read, such as one without permission."""
    if isinstance(exc, FileNotFoundError):
        return error(relative, None, "file not found")
    if isinstance(exc, IsADirectoryError):
        return error(relative, None, "is a folder, not a file")
    reason = (exc.strerror or type(exc).__name__).lower()
    return error(relative, None, f"cannot be read: {reason}")


def read_text(project: Path, relative: str) -> tuple[str | None, list[Diagnostic]]:
    """Read one UTF-8 file of the project; a missing, unreadable or undecodable file is a
    diagnostic."""
    try:
        data = read_bytes(f"{project}/{relative}")
    except OSError as exc:
        return None, [unreadable(relative, exc)]
    return decode(data, relative)


def content_files(project: Path) -> tuple[list[str], list[Diagnostic], list[Diagnostic]]:
    """Every Markdown file under the content folders, as sorted project-relative POSIX paths;
    the problems met on the way; and a warning for each file that is not read.

    Content is read from inside ``content/`` only: a symbolic link that leads outside it is an
    error, and a link to a folder is not followed (it could lead back into its own folder).
    Files and folders whose names start with a dot are passed over without a word."""
    found: list[str] = []
    problems: list[Diagnostic] = []
    ignored: list[Diagnostic] = []
    content = os.path.realpath(f"{project}/content")

    def walk(folder: str) -> None:
        try:
            entries = sorted(os.scandir(f"{project}/{folder}"), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            problems.append(unreadable(folder, exc))
            return
        for entry in entries:
            relative = f"{folder}/{entry.name}"
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if entry.is_dir():
                    message = "is a symbolic link to a folder, which is not followed; move the "
                    problems.append(error(relative, None, message + "folder into content/"))
                    continue
                if not entry.name.endswith(".md"):
                    continue
                if os.path.commonpath([content, target]) != content:
                    message = f"is a symbolic link to {target}, outside content/; content is read "
                    problems.append(error(relative, None, message + "only from content/"))
                    continue
            if entry.is_dir():
                walk(relative)
            elif entry.name.endswith(".md") and (entry.is_file() or entry.is_symlink()):
                # A link that leads nowhere is kept, to be reported as a file not found; a
                # device or pipe is no content (and reading a pipe would wait for ever).
                found.append(relative)
            elif entry.is_file():
                ignored.append(warning(relative, None, _not_read(entry.name)))

    for folder in CONTENT_DIRS:
        walk(folder)
    ignored += _outside_content_folders(project)
    return sorted(found), problems, sorted(ignored, key=lambda d: d.path)


def _not_read(name: str) -> str:
    """Why a file in a content folder is not read, and what to do if it was meant to be."""
    stem, dot, suffix = name.rpartition(".")
    suffix = suffix.lower() if dot else ""
    if suffix == "txt":
        return "is not read: content files end in .md (wire copy is imported with explainer import)"
    if suffix in ("md", "markdown", "mdown"):
        return f"is not read: content files end in .md in lower case; rename it {stem}.md"
    return "is not read: only .md files are content (images and other files are not published)"


def _outside_content_folders(project: Path) -> list[Diagnostic]:
    """A warning for each file or folder in ``content/`` beside site.yaml and the three content
    folders: nothing in it is read."""
    try:
        entries = sorted(os.scandir(f"{project}/content"), key=lambda e: e.name)
    except OSError:
        return []
    known = {CONFIG_PATH, *CONTENT_DIRS}
    return [
        warning(
            f"content/{entry.name}",
            None,
            "is not read: articles go in content/articles/<year>/, entities in "
            "content/entities/ and notes in content/notes/",
        )
        for entry in entries
        if not entry.name.startswith(".") and f"content/{entry.name}" not in known
    ]


def read_sources(project: Path) -> tuple[str | None, list[SourceFile], list[Diagnostic]]:
    """Read site.yaml and every content file."""
    config_text, problems = read_text(project, CONFIG_PATH)
    sources: list[SourceFile] = []
    paths, found, ignored = content_files(project)
    problems.extend(found)
    problems.extend(ignored)
    for path in paths:
        text, found = read_text(project, path)
        problems.extend(found)
        if text is not None:
            sources.append(SourceFile(path, text))
    return config_text, sources, problems


def read_config(project: Path) -> tuple[SiteConfig | None, list[Diagnostic]]:
    """The project's site.yaml, parsed, for the commands that need only its settings (the time
    zone and language of ``new``, the language of ``import``)."""
    text, problems = read_text(project, CONFIG_PATH)
    if text is None:
        return None, problems
    return parse_config(text)
