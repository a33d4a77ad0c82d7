"""The output edge: write the built site atomically, never outside the output folder.

A build writes its files into a staging folder beside the output folder; nothing in the output
folder changes until the build has found every problem. Then the staging folder either replaces
the output folder (:meth:`Staging.swap_in`, a clean build), or its files are moved into it one by
one and the files that are gone are deleted (:meth:`Staging.merge_into`, an incremental build,
which leaves every unchanged file and its modification time alone). A build into another folder
than the last build's copies the unchanged files from that folder into the staging folder
(:meth:`Staging.copy_kept`); if the folder it builds into holds an earlier site, only those
that differ from its files, which are then merged into it (:meth:`Staging.same_in_out`), and
otherwise all, and the staging folder is swapped in.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

from generator.cache import CACHE_DIR, digest_bytes
from generator.render import BUILTIN_TEMPLATES, OutputFile


class UnsafePath(ValueError):
    """An output path that would land outside the output folder."""


def check_relative(path: str) -> str:
    """Check an output path: relative, no ``..``, no empty or hidden traversal parts."""
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or any(part in ("", ".", "..") for part in path.split("/"))
    ):
        raise UnsafePath(f"refusing to write outside the output folder: {path!r}")
    return path


def safe_relative(path: str) -> PurePosixPath:
    """:func:`check_relative`, as a path."""
    return PurePosixPath(check_relative(path))


PROJECT_FOLDERS = ("content", "templates", CACHE_DIR)
"""The project's own folders, which no output folder may be or be inside."""


def has_site(folder: Path) -> bool:
    """Whether a build has written a site into ``folder``: it has the front page."""
    return (folder / "index.html").is_file()


def output_problem(project: Path, out: Path) -> str | None:
    """Why ``out`` cannot be a build's output folder, or None. A build replaces the whole output
    folder, so it must hold nothing but a site: not the project, not its sources, not a file,
    and not a folder of other files."""
    root, folder = project.resolve(), out.resolve()
    if root.is_relative_to(folder):
        return f"it holds the project ({project}), which the build would replace with the site"
    for name in PROJECT_FOLDERS:
        if folder.is_relative_to(root / name):
            return f"it is inside the project's {name}/ folder; choose a folder of its own"
    if BUILTIN_TEMPLATES.is_dir() and folder.is_relative_to(BUILTIN_TEMPLATES.resolve()):
        return "it is inside the built-in templates; choose a folder of its own"
    if folder.exists() and not folder.is_dir():
        return "it is a file, not a folder"
    if folder.is_dir() and not has_site(folder) and any(folder.iterdir()):
        return (
            "it holds files but no built site (no index.html), and the build replaces the "
            "whole folder; choose a new or empty folder"
        )
    return None


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


WRITER_THREADS = 4
"""Threads per process that create files (:meth:`Staging.write_soon`). Creating a file costs
the kernel's work and the disk's latency (journal, folder entry) more than its bandwidth, and
the threads wait for it without holding the GIL; that helps only while a core is free of the
build's processes, so the render stage uses them only then."""


COPIES_HELD = 256
"""Files that :meth:`Staging.copy_kept` reads before it waits for them to be written."""


class KeptFileChanged(Exception):
    """A file that a build keeps from the last build's output folder is no longer the one that
    build wrote (:meth:`Staging.copy_kept`)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class Staging:
    """A new folder beside the output folder that receives a build's files before the output
    folder changes. Worker processes that inherit it write into it too.

    The files that the build keeps as the last build made them are in the output folder, or,
    for a build into another folder than the last build's, in ``kept_in``: that build copies
    them from there (:meth:`copy_kept`)."""

    def __init__(self, out: Path, kept_in: Path | None = None) -> None:
        self.out = out.absolute()
        self.kept_in = self.out if kept_in is None else kept_in.resolve()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
        self._root = str(self.root)
        # Held until the folder is swapped in or discarded, and let go by the kernel if the
        # build is killed: a folder beside the output folder that nobody holds is abandoned.
        self._hold = _lock_folder(self._root)
        remove_abandoned(self.out)
        self._made: set[str] = {self._root}
        self._checked: set[str] = {str(self.kept_in)}
        """The folders of ``kept_in`` found to be real folders inside it."""
        self._writers: tuple[int, ThreadPoolExecutor] | None = None
        self._pending: list[Future[None]] = []

    def write(self, path: str, data: bytes) -> None:
        """Write one file at its path in the site. The folder is new and only this build
        writes to it, so no link inside can lead elsewhere."""
        target = f"{self._root}/{check_relative(path)}"
        folder = target.rpartition("/")[0]
        if folder not in self._made:
            try:
                os.mkdir(folder)
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)
            except FileExistsError:
                pass
            self._made.add(folder)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def write_soon(self, path: str, data: bytes) -> None:
        """:meth:`write`, on a thread of this process, so that the work that makes the next
        file goes on while the disk creates this one. :meth:`flush` waits for the files and
        raises the first error that writing one of them met."""
        check_relative(path)
        pid = os.getpid()
        if self._writers is None or self._writers[0] != pid:
            # A forked worker inherits the parent's executor but none of its threads.
            self._writers = (pid, ThreadPoolExecutor(WRITER_THREADS, "explainer-write"))
            self._pending = []
        self._pending.append(self._writers[1].submit(self.write, path, data))

    def flush(self) -> None:
        """Wait for the files given to :meth:`write_soon`."""
        error = self._wait()
        if error is not None:
            raise error

    def _wait(self) -> BaseException | None:
        """Wait for every file given to :meth:`write_soon` in this process, also after one
        failed; the first error."""
        if self._writers is None or self._writers[0] != os.getpid():
            # Futures inherited through a fork have no thread to finish them here.
            return None
        pending, self._pending = self._pending, []
        errors = [future.exception() for future in pending]
        return next((error for error in errors if error is not None), None)

    def read(self, path: str) -> bytes:
        with open(f"{self._root}/{check_relative(path)}", "rb", buffering=0) as handle:
            return handle.read()

    def read_kept(self, path: str) -> bytes:
        """A file that the build keeps from the last build, as it is now."""
        if self.kept_in == self.out:
            return (self.out / check_relative(path)).read_bytes()
        return self._read_other(path)

    def _read_other(self, path: str) -> bytes:
        """A file of ``kept_in``: only a regular file inside it, no symbolic link followed;
        :class:`KeptFileChanged` for anything else, or a file that cannot be read."""
        root = str(self.kept_in)
        if not self._real_folder(f"{root}/{check_relative(path)}".rpartition("/")[0]):
            raise KeptFileChanged(path)
        try:
            # Not blocked by a FIFO put in the file's place: it is then refused as no file.
            fd = os.open(f"{root}/{path}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            raise KeptFileChanged(path) from exc
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise KeptFileChanged(path)
            with open(fd, "rb", buffering=0, closefd=False) as handle:
                return handle.read()
        finally:
            os.close(fd)

    def _real_folder(self, folder: str) -> bool:
        """``folder``, a folder under ``kept_in`` (with no ``..`` on the way), is a folder, and
        so is each one between them: no symbolic link leads out."""
        if folder in self._checked:
            return True
        if not folder.startswith(f"{self.kept_in}/") or not self._real_folder(
            folder.rpartition("/")[0]
        ):
            return False
        try:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return False
        except OSError:
            return False
        self._checked.add(folder)
        return True

    def same_in_out(self, digests: Mapping[str, str]) -> tuple[set[str], list[str]] | None:
        """For a build into a folder that holds a site the cache has no record of: the paths of
        ``digests`` whose file in the output folder has that digest already, and the files of
        the folder that are not among ``digests``. None if the folder holds anything but
        folders and regular files (a symbolic link, say): the build then replaces it whole."""
        if not has_site(self.out):
            return None
        present = _site_files(self.out)
        if present is None:
            return None
        same = set()
        for path in sorted(present.keys() & digests.keys()):
            with open(f"{self.out}/{path}", "rb", buffering=0) as handle:
                if digest_bytes(handle.read()) == digests[path]:
                    same.add(path)
        return same, sorted(present.keys() - digests.keys())

    def copy_kept(self, digests: Mapping[str, str]) -> None:
        """Copy the files at the paths of ``digests`` from ``kept_in`` into the staging folder,
        each checked against its digest: :class:`KeptFileChanged` if one is not the file the
        last build wrote."""
        for number, path in enumerate(sorted(digests), 1):
            data = self._read_other(path)
            if digest_bytes(data) != digests[path]:
                raise KeptFileChanged(path)
            self.write_soon(path, data)
            if number % COPIES_HELD == 0:
                self.flush()  # no more than these files' bytes wait in memory
        self.flush()

    def discard(self) -> None:
        self._wait()  # no thread may create a file in the folder after it is gone
        remove_tree(self.root)
        self._let_go()

    def _let_go(self) -> None:
        if self._hold is not None:
            os.close(self._hold)
            self._hold = None

    def swap_in(self) -> None:
        """Make the staging folder the output folder; the old one is deleted."""
        os.chmod(self.root, 0o755)
        old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        if self.out.exists():
            os.rename(self.out, old)
        os.rename(self.root, self.out)
        self._let_go()
        hold = _lock_folder(str(old))  # the old site is this build's to delete, not another's
        try:
            remove_tree(old)
        finally:
            if hold is not None:
                os.close(hold)

    def merge_into(self, written: Iterable[str], removed: Iterable[str]) -> None:
        """Move the ``written`` files into the output folder, each replacing its old version in
        one step, then delete the ``removed`` files and the folders they leave empty.

        A folder on the way that is a symbolic link is refused: it could lead outside."""
        out = str(self.out.resolve())
        known: set[str] = {out}

        def folder_for(path: str) -> str:
            parts = check_relative(path).split("/")[:-1]
            folder = out
            for part in parts:
                folder = f"{folder}/{part}"
                if folder in known:
                    continue
                try:
                    if stat.S_ISLNK(os.lstat(folder).st_mode):
                        raise UnsafePath(f"refusing to write outside the output folder: {path!r}")
                except FileNotFoundError:
                    os.mkdir(folder)
                known.add(folder)
            return folder

        # Every folder is checked (and made) before any file moves: a refusal leaves the output
        # folder's files as they were.
        moves = [(path, f"{folder_for(path)}/{path.rpartition('/')[2]}") for path in written]
        for path, target in moves:
            os.replace(f"{self.root}/{path}", target)
        emptied: set[str] = set()
        for path in removed:
            target = f"{out}/{check_relative(path)}"
            folder = target.rpartition("/")[0]
            if os.path.realpath(folder) == folder:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(target)
                emptied.add(folder)
        for folder in sorted(emptied, key=lambda f: -f.count("/")):
            while folder != out and os.path.isdir(folder) and not os.listdir(folder):
                os.rmdir(folder)
                folder = folder.rpartition("/")[0]
        self.discard()


class InterruptsHeld:
    """Ctrl-C (SIGINT) and SIGTERM held back from :meth:`hold` to the end of the ``with``
    block, while a build changes the output folder and saves its record of it. A signal that
    comes meanwhile is noted, and raised again at the end, so that it takes effect once the
    site is the new one: never a mix of old and new pages.

    Handlers, not a signal mask: the kernel gives a signal to any thread that does not block
    it, and the build's file threads would take it. Python's handlers can only be set in the
    main thread; a build in another (the preview's) cannot be interrupted by a signal anyway.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self._before: dict[int, Any] | None = None
        self._caught: list[int] = []

    def hold(self) -> None:
        if self._before is None and threading.current_thread() is threading.main_thread():
            self._before = {number: signal.signal(number, self._note) for number in self.SIGNALS}

    def _note(self, number: int, _frame: object) -> None:
        self._caught.append(number)

    def __enter__(self) -> InterruptsHeld:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._before is None:
            return
        before, self._before = self._before, None
        for number, handler in before.items():
            # None: a handler not set from Python, which cannot be set again; the default.
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
        for number in dict.fromkeys(self._caught):
            signal.raise_signal(number)  # Ctrl-C: KeyboardInterrupt, as it would have been


def _site_files(folder: Path) -> dict[str, None] | None:
    """The files in ``folder``, by path in it; None if it holds anything but folders and
    regular files, or cannot be read. No symbolic link is followed."""
    found: dict[str, None] = {}
    pending = [("", str(folder))]
    try:
        while pending:
            base, at = pending.pop()
            with os.scandir(at) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((f"{base}{entry.name}/", entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        found[f"{base}{entry.name}"] = None
                    else:
                        return None
    except OSError:
        return None
    return found


ABANDONED_AFTER = 60.0
"""Seconds since a folder beside the output folder, named as a build's, last changed, before a
build that finds nobody holding it deletes it. A build holds its folder from a moment after it
makes it; the wait keeps that moment out of reach."""


def _lock_folder(path: str) -> int | None:
    """An open descriptor of the folder ``path`` with an exclusive lock on it, or None if
    another process holds it (or it is gone). Forked workers share the lock; it ends when the
    last of them closes the descriptor, or dies."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_abandoned(out: Path) -> list[str]:
    """Delete what killed builds left beside ``out``: their staging folders (``.site.new-…``)
    and old sites they had not finished deleting (``.site.old-…``). Only real folders so named,
    held by no running build and unchanged for :data:`ABANDONED_AFTER` seconds; a symbolic
    link is never followed. Returns the names deleted."""
    prefixes = (f".{out.name}.new-", f".{out.name}.old-")
    removed: list[str] = []
    try:
        with os.scandir(out.parent) as entries:
            found = [e for e in entries if e.name.startswith(prefixes)]
    except OSError:
        return removed
    for entry in sorted(found, key=lambda e: e.name):
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            if time.time() - entry.stat(follow_symlinks=False).st_mtime < ABANDONED_AFTER:
                continue
        except OSError:
            continue
        hold = _lock_folder(entry.path)
        if hold is None:
            continue
        try:
            remove_tree(Path(entry.path))
        finally:
            os.close(hold)
        removed.append(entry.name)
    return removed


REMOVERS = 4
"""The threads that delete an old site: deleting a file waits on the file system more than it
works: four threads deleted the 18,639 files of the benchmark site in 2.2–2.3 s, and one in
4.1–4.3 s."""


def remove_tree(root: Path, threads: int = REMOVERS) -> None:
    """Delete the folder ``root`` and all it holds, as ``shutil.rmtree(root, ignore_errors=True)``
    does, with what is two levels down deleted on ``threads`` threads. A symbolic link is
    deleted, never followed."""
    work: list[tuple[str, bool]] = []  # (path, whether it is a folder)
    try:
        with os.scandir(root) as tops:
            for top in tops:
                if not top.is_dir(follow_symlinks=False):
                    work.append((top.path, False))
                    continue
                try:
                    with os.scandir(top.path) as inner:
                        work += [(e.path, e.is_dir(follow_symlinks=False)) for e in inner]
                except OSError:
                    work.append((top.path, True))
    except OSError:
        pass
    if len(work) > 1 and threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            for _done in pool.map(_remove, work):
                pass
    else:
        for item in work:
            _remove(item)
    shutil.rmtree(root, ignore_errors=True)  # the emptied folders, and anything missed


def _remove(item: tuple[str, bool]) -> None:
    path, folder = item
    if folder:
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def replace_site(out: Path, files: Iterable[OutputFile]) -> int:
    """Build the whole site in a temporary folder beside ``out``, then swap it into place.

    If anything fails before the swap, ``out`` is left exactly as it was.
    """
    staging = Staging(out)
    count = 0
    try:
        for file in files:
            staging.write(file.path, file.data)
            count += 1
    except BaseException:
        staging.discard()
        raise
    staging.swap_in()
    return count
