#!/usr/bin/env python3
"""Time whole ``explainer build`` processes on the benchmark archive and print a Markdown table.

Each scenario runs ``--runs`` times (median reported) as a separate process; the peak RSS is that
of the largest process of the build (the build forks workers), as ``wait4`` reports it, and the CPU
time that of all its processes (steadier than wall time on a shared machine):

- a clean build with search, and one without (``--no-search``): no cache, a new output folder;
- a no-op rebuild;
- a rebuild after editing one article (a different article each run), without search and, when
  Pagefind is installed, with it (which indexes again the part of the index that holds it);
- a rebuild after editing the aliases of one entity, for a rarely and a often named entity;
- a rebuild after editing one article into another output folder than the last build's, which
  takes the unchanged files from the last build's folder (the runs go there and back by turns,
  so from the second on the folder holds the site of two runs before, and is merged into).

The archive is made with ``make_archive.py`` if the folder has none; the scenarios run on a copy
of its ``content/`` (``ARCHIVE-work``), so the archive itself is never edited. Run from the
repository:

    python3 benchmarks/run.py --archive /tmp/arkiv --articles 10000 --entities 2000 --notes 200

The machine may be shared: the figures are medians, and the load average is printed with them.

The package is byte-compiled first, and the builds run without ``PYTHONDONTWRITEBYTECODE``, as
an installed explainer runs: otherwise every build would compile its modules from source again.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.metadata
import json
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    """One whole-process build: wall seconds, peak RSS of its largest process, exit code, and
    the CPU seconds (user and system) of all its processes."""

    seconds: float
    peak_mib: float
    code: int
    output: str
    cpu: float = 0.0


CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def prepare_build(project: Path, out: Path, extra: Sequence[str]) -> None:
    """The build that the measured ones start from; a failure stops the benchmark with its
    output, rather than later, with a question about the cache."""
    run = run_build(project, out, extra)
    if run.code != 0:
        raise SystemExit(f"the build before the measured ones failed:\n{run.output}")


def run_build(project: Path, out: Path, extra: Sequence[str]) -> Run:
    """``explainer build`` as a child process, timed, with its peak RSS and CPU time from
    ``wait4`` (which count the worker processes it forked and waited for)."""
    command = [sys.executable, "-m", "generator", "build", "-C", str(project), "--out", str(out)]
    started = time.perf_counter()
    child = subprocess.Popen(
        [*command, *extra],
        cwd=ROOT,
        env=CHILD_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss / 1024, child.returncode, output, cpu)


def aside(path: Path, trash: Path) -> None:
    """Move a folder out of the way; deleting it now would slow the next build's writes (see
    :data:`QUIET_DISK_S`)."""
    if path.exists():
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{path.name}-{time.time_ns()}")


QUIET_DISK_S = 61
"""How long the first timed run waits, after a ``sync``, for deletions made before this script
ran (an earlier run's trash, a peer's output) to stop slowing the disk.

ext4 without a journal (the disk of the machines in ``README.md``) does not reuse an inode for
60 s after its deletion, or 300 s longer while its inode table block is not yet written back
(``recently_deleted`` in the kernel's ``fs/ext4/ialloc.c``): each new file then steps past the
freed inodes one by one, so a build that writes 18,000 files just after 18,000 were deleted
spends seconds more in the kernel. Between runs the script only moves folders aside."""


def hold_archive(archive: Path) -> int:
    """This run's hold on the archive, until the script ends: a second run would move the work
    copy, the site and the cache aside under the first one's builds (which then fail with "a
    file of the cache is missing"), and the two would time each other."""
    fd = os.open(archive, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SystemExit(
            f"{archive}: another run.py is measuring this archive; wait for it to end"
        ) from None
    return fd


def settle(seconds: float = 2) -> None:
    subprocess.run(["sync"], check=False)
    time.sleep(seconds)


@dataclass(frozen=True)
class Scenario:
    name: str
    prepare: Callable[[int], None]
    """Called before run number n (from 0): what the build then has to do."""
    extra: tuple[str, ...] = ()
    folder: Callable[[int], Path] | None = None
    """The output folder of run number n, if not the one every other scenario builds into."""


def articles_of(project: Path) -> list[Path]:
    return sorted((project / "content/articles").rglob("*.md"))


def edit_article(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    head, separator, body = text.partition("\n---\n")
    path.write_text(
        f"{head}{separator}Et afsnit tilføjet til målingen.\n\n{body}", encoding="utf-8"
    )


def entities_by_articles(project: Path) -> list[tuple[int, Path]]:
    """Each entity with the number of articles that name it, as the last build's cache says.

    Counted in a child process, so that this one stays small: Linux counts the memory of the
    process that starts a build in the build's peak RSS as ``wait4`` reports it (at ``exec`` the
    high-water mark of the memory the child began with, this process's, is kept)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_entities_by_articles, (project,))


def _entities_by_articles(project: Path) -> list[tuple[int, Path]]:
    sys.path.insert(0, str(ROOT))
    from generator import cache

    folder = project / cache.CACHE_DIR
    state = cache.load_state(folder)
    if not cache.load_documents(folder, state):
        raise SystemExit("the archive's cache cannot be read: build it first")
    counts: dict[str, int] = {}
    for path, record in state.annotated.items():
        if path.startswith("content/articles/"):
            for slug in record.mentioned:
                counts[slug] = counts.get(slug, 0) + 1
    entities = sorted((project / "content/entities").glob("*.md"))
    return sorted((counts.get(p.stem, 0), p) for p in entities if counts.get(p.stem))


def entity_named_in(ranked: list[tuple[int, Path]], wanted: int) -> tuple[Path, int]:
    """The entity named in the number of articles closest to ``wanted``."""
    count, path = min(ranked, key=lambda pair: (abs(pair[0] - wanted), pair[1]))
    return path, count


def add_alias(entity: Path, number: int) -> None:
    text = entity.read_text(encoding="utf-8")
    alias = f"Målealias {number}"
    if re.search(r"^aliases: \[", text, re.M):
        text = re.sub(r"^aliases: \[", f'aliases: ["{alias}", ', text, count=1, flags=re.M)
    else:
        text = text.replace("\n---\n", f'\naliases: ["{alias}"]\n---\n', 1)
    entity.write_text(text.replace(", ]", "]"), encoding="utf-8")


def measure(
    scenario: Scenario, project: Path, out: Path, runs: int, jobs: int, trash: Path
) -> list[Run]:
    results = []
    for number in range(runs):
        scenario.prepare(number)
        # The last build's files may still be going to disk: that is its cost, not this one's.
        settle()
        folder = out if scenario.folder is None else scenario.folder(number)
        run = run_build(project, folder, [*scenario.extra, "--jobs", str(jobs)])
        if run.code != 0:
            raise SystemExit(f"{scenario.name}: the build failed:\n{run.output}")
        results.append(run)
        print(
            f"  {scenario.name} run {number + 1}: {run.seconds:.2f} s, {run.cpu:.2f} s CPU, "
            f"{run.peak_mib:.0f} MiB",
            file=sys.stderr,
        )
    return results


def has_search() -> bool:
    try:
        importlib.metadata.version("pagefind")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("jinja2", "markdown-it-py", "mdit-py-plugins", "pyyaml", "pagefind"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = found.group(1) if found else model
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True, help="project folder")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--entities", type=int, default=2_000)
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (default: all)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        help="scenarios to leave out: search, clean, noop, article, entity, folders",
    )
    args = parser.parse_args(argv)

    project: Path = args.archive
    project.mkdir(parents=True, exist_ok=True)
    measuring = hold_archive(project)  # before the archive is made: a second run waits for none
    if not (project / "content/site.yaml").exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks/make_archive.py"),
                "--out",
                str(project),
                "--articles",
                str(args.articles),
                "--entities",
                str(args.entities),
                "--notes",
                str(args.notes),
            ],
            check=True,
        )
    trash = project.parent / f".{project.name}-trash"
    # The scenarios edit articles and entities: they run on a copy, so that the archive stays as
    # make_archive.py wrote it and every invocation measures the same content.
    source, project = project, project.parent / f"{project.name}-work"
    aside(project, trash)
    shutil.copytree(source / "content", project / "content")
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "generator")],
        check=True,
        env=CHILD_ENV,
    )
    settle(QUIET_DISK_S)
    n = len(articles_of(project))
    out = project.parent / f"{source.name}-site"
    other = project.parent / f"{source.name}-site-other"
    cache = project / ".explainer-cache"

    def clean(_number: int) -> None:
        aside(cache, trash)
        aside(out, trash)

    def nothing(_number: int) -> None:
        pass

    def one_article(number: int) -> None:
        edit_article(articles_of(project)[number * 997 % n])

    if not (out.exists() and cache.exists()):
        prepare_build(project, out, ["--no-search", "--jobs", str(args.jobs)])
    ranked = entities_by_articles(project)
    rare, rare_count = entity_named_in(ranked, max(5, n // 1000))
    often, often_count = entity_named_in(ranked, n // 10)

    scenarios: list[tuple[str, Scenario]] = []
    if "search" not in args.skip and has_search():
        scenarios.append(("search", Scenario("clean build, with search", clean)))
        # Right after the clean builds with search, whose site and cache it starts from.
        scenarios.append(("search", Scenario("one article edited, with search", one_article)))
    scenarios += [
        ("clean", Scenario("clean build, without search", clean, ("--no-search",))),
        ("noop", Scenario("no-op rebuild", nothing, ("--no-search",))),
        ("article", Scenario("one article edited", one_article, ("--no-search",))),
        (
            "entity",
            Scenario(
                f"aliases of an entity named in {rare_count} articles edited",
                lambda number: add_alias(rare, number),
                ("--no-search",),
            ),
        ),
        (
            "entity",
            Scenario(
                f"aliases of an entity named in {often_count} articles edited",
                lambda number: add_alias(often, 100 + number),
                ("--no-search",),
            ),
        ),
        # Last: it leaves the cache recording the other folder. The runs build into the other
        # folder and back by turns, each copying the pages the edit left alone from the last.
        (
            "folders",
            Scenario(
                "one article edited, built into the other output folder",
                lambda number: edit_article(articles_of(project)[(number * 997 + 500) % n]),
                ("--no-search",),
                lambda number: out if number % 2 else other,
            ),
        ),
    ]
    print(
        f"archive: {source}, measured on a copy in {project} ({n} articles); {machine()}",
        file=sys.stderr,
    )
    rows = []
    for key, scenario in scenarios:
        if key in args.skip:
            continue
        if key != "search" and not (out.exists() and cache.exists()):
            clean(0)
            prepare_build(project, out, ["--no-search", "--jobs", str(args.jobs)])
        load = os.getloadavg()[0]
        results = measure(scenario, project, out, args.runs, args.jobs, trash)
        seconds = statistics.median(r.seconds for r in results)
        rows.append(
            {
                "scenario": scenario.name,
                "seconds": seconds,
                "min": min(r.seconds for r in results),
                "max": max(r.seconds for r in results),
                "articles_per_second": n / seconds,
                "cpu_seconds": statistics.median(r.cpu for r in results),
                "peak_mib": statistics.median(r.peak_mib for r in results),
                "load": load,
            }
        )
    shutil.rmtree(trash, ignore_errors=True)
    os.close(measuring)

    print(f"N={n} articles; {machine()}; medians of {args.runs} runs, --jobs {args.jobs or 'all'}")
    print(f"versions: {', '.join(f'{k} {v}' for k, v in versions().items())}")
    if not has_search():
        print("Pagefind is not installed: the clean build with search was not run.")
    print()
    print(
        "| Build | median wall | min–max | articles/s | CPU, user + system | peak RSS | load before |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['scenario']} | {row['seconds']:.2f} s | {row['min']:.2f}–{row['max']:.2f} s"
            f" | {row['articles_per_second']:,.0f} | {row['cpu_seconds']:.2f} s"
            f" | {row['peak_mib']:.0f} MiB | {row['load']:.1f} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"n": n, "rows": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
