"""Helpers for tests that build small sites: write a project from a dict, build it, read pages."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

from generator.cli import main

SITE_YAML = 'title: "Testarkiv"\ndescription: "Et lille arkiv til test"\nlanguage: da\n'


def write_project(root: Path, files: dict[str, str], site_yaml: str = SITE_YAML) -> Path:
    """Write ``files`` (project-relative path -> text, dedented) plus a site.yaml under ``root``."""
    (root / "content").mkdir(parents=True, exist_ok=True)
    if "content/site.yaml" not in files:
        (root / "content/site.yaml").write_text(site_yaml, encoding="utf-8")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def build(project: Path, out: Path | None = None, *extra: str) -> tuple[int, str, str]:
    """Build ``project`` into ``out`` (default project/site) with one process."""
    out = out or project / "site"
    return run_cli("build", "-C", str(project), "--out", str(out), "--jobs", "1", *extra)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, keyed by POSIX path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


ARTICLE = """\
---
title: "{title}"
date: {date}
section: Udland
---
{body}
"""


def article(title: str, date: str = "2024-11-12T00:54:00", body: str = "Tekst.") -> str:
    return ARTICLE.format(title=title, date=date, body=body)


@contextlib.contextmanager
def held_by_another_build(project: Path) -> Iterator[None]:
    """The lock on ``project`` that a running build of it holds (``cache.project_held``), held
    for the ``with`` block."""
    fd = os.open(project, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)
