"""The output edge: write the built site atomically, never outside the output folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from generator.render import OutputFile


class UnsafePath(ValueError):
    """An output path that would land outside the output folder."""


def safe_relative(path: str) -> PurePosixPath:
    """Check an output path: relative, no ``..``, no empty or hidden traversal parts."""
    pure = PurePosixPath(path)
    if (
        not path
        or pure.is_absolute()
        or "\\" in path
        or any(part in ("", ".", "..") for part in path.split("/"))
    ):
        raise UnsafePath(f"refusing to write outside the output folder: {path!r}")
    return pure


def write_tree(root: Path, files: Iterable[OutputFile]) -> int:
    """Write files under ``root`` (which must exist); returns how many were written."""
    root_resolved = root.resolve()
    made: set[str] = set()
    count = 0
    for file in files:
        relative = safe_relative(file.path)
        target = root_resolved.joinpath(*relative.parts)
        parent = str(target.parent)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        if not target.resolve().is_relative_to(root_resolved):
            raise UnsafePath(f"refusing to write outside the output folder: {file.path!r}")
        with open(target, "wb") as handle:
            handle.write(file.data)
        count += 1
    return count


def replace_site(out: Path, files: Iterable[OutputFile]) -> int:
    """Build the whole site in a temporary folder beside ``out``, then swap it into place.

    If anything fails before the swap, ``out`` is left exactly as it was.
    """
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        count = write_tree(staging, files)
        os.chmod(staging, 0o755)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.rename(out, old)
    os.rename(staging, out)
    shutil.rmtree(old, ignore_errors=True)
    return count
