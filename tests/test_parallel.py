"""Parallel builds: worker processes share the work, and the site is the same byte for byte as
a build on one process."""

from __future__ import annotations

import gc
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

from generator import incremental, pages
from generator.build import BuildOptions, build
from generator.cache import CACHE_DIR
from generator.cli import main
from generator.output import Staging
from generator.parallel import STOP, Stopped, WorkerLost, collector_paused, run_tasks
from tests.sitekit import article, tree, write_project

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic archive big enough that every stage is split across processes."""
    root = tmp_path_factory.mktemp("archive")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks/make_archive.py"),
            "--out",
            str(root),
            "--articles",
            "300",
            "--entities",
            "60",
            "--notes",
            "12",
        ],
        check=True,
        capture_output=True,
    )
    return root


def built_copy(archive: Path, project: Path, out: Path) -> dict[str, bytes]:
    """A copy of the archive's content in ``project``, built into ``out`` on two processes;
    the files of the site."""
    shutil.copytree(archive / "content", project / "content")
    assert build(BuildOptions(project, out, jobs=2, search=False)).ok
    return tree(out)


def test_a_build_on_two_processes_equals_a_build_on_one(archive: Path, tmp_path: Path) -> None:
    one = build(BuildOptions(archive, tmp_path / "one", jobs=1, search=False))
    (archive / CACHE_DIR / "state.pickle").unlink()
    two = build(BuildOptions(archive, tmp_path / "two", jobs=2, search=False))
    assert one.ok and two.ok
    assert (one.pages, one.files, one.diagnostics) == (two.pages, two.files, two.diagnostics)
    assert tree(tmp_path / "one") == tree(tmp_path / "two")
    packs = list((archive / CACHE_DIR / "fragments").iterdir())
    assert len(packs) == 2, "each of the two workers stores the HTML it annotated"


def test_an_incremental_build_on_two_processes_equals_one_on_one(
    archive: Path, tmp_path: Path
) -> None:
    build(BuildOptions(archive, tmp_path / "site", jobs=2, search=False))
    article = sorted((archive / "content/articles").rglob("*.md"))[7]
    article.write_text(article.read_text(encoding="utf-8").replace(" og ", " samt ", 3))
    entity = sorted((archive / "content/entities").glob("*.md"))[0]
    entity.write_text(entity.read_text(encoding="utf-8").replace("summary: ", "summary: Ny. "))
    two = build(BuildOptions(archive, tmp_path / "site", jobs=2, search=False))
    (archive / CACHE_DIR / "state.pickle").unlink()
    one = build(BuildOptions(archive, tmp_path / "one", jobs=1, search=False))
    assert two.ok and one.ok
    assert tree(tmp_path / "site") == tree(tmp_path / "one")


@pytest.mark.parametrize(("cores", "threads"), [(1, False), (2, True)])
def test_pages_are_written_on_threads_only_when_a_core_renders_none(
    cores: int, threads: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(
        tmp_path / "p",
        {f"content/articles/2024/a{n}.md": article(f"Artikel {n}") for n in range(3)},
    )
    monkeypatch.setattr(pages, "cpu_count", lambda: cores)
    on_threads: list[str] = []
    write_soon = Staging.write_soon

    def recorded(self: Staging, path: str, data: bytes) -> None:
        on_threads.append(path)
        write_soon(self, path, data)

    monkeypatch.setattr(Staging, "write_soon", recorded)
    result = build(BuildOptions(project, tmp_path / "site", jobs=1, search=False))
    assert result.ok
    assert ("2024/11/artikel-1/index.html" in on_threads) is threads
    assert bool(on_threads) is threads
    assert (tmp_path / "site/2024/11/artikel-1/index.html").is_file()


def test_tasks_come_back_in_order_from_any_number_of_processes() -> None:
    tasks = list(range(40))
    assert run_tasks(3, tasks, lambda n: (n, n * n)) == [(n, n * n) for n in tasks]
    assert run_tasks(1, tasks, lambda n: (n, n * n)) == [(n, n * n) for n in tasks]


class _Cycle:
    """An object that refers to itself: only the garbage collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_work_done_in_the_build_process_frees_its_garbage_cycles() -> None:
    """A build pauses the collector; work on one process must collect the cycles it leaves
    (Jinja2's render contexts, markdown-it's parser states), as a worker process does. Left
    to the end of the build, they took a clean build of 10,000 articles on -j 1 to 1 GB."""

    def leave_a_cycle(_n: int) -> weakref.ref[_Cycle]:
        return weakref.ref(_Cycle())

    with collector_paused():
        refs = run_tasks(1, list(range(5000)), leave_a_cycle)
        alive = sum(1 for ref in refs if ref() is not None)
        assert not gc.isenabled(), "the collector is paused again after the work"
    assert alive < 1000, f"{alive} of 5000 cycles were never collected"


def test_an_error_in_a_worker_process_stops_the_build_with_it() -> None:
    def fail_on_seven(n: int) -> int:
        if n == 7:
            raise ValueError("seven")
        return n

    with pytest.raises(ValueError, match="seven"):
        run_tasks(2, list(range(10)), fail_on_seven)


def test_an_error_in_a_worker_is_raised_once_every_task_has_ended(tmp_path: Path) -> None:
    # Leaving the pool while a worker still sends a result can hang the build: the pool is
    # left only after every result has come back. The first failing task's error is raised.
    def work(n: int) -> int:
        if n in (5, 2):
            raise ValueError(f"task {n}")
        (tmp_path / str(n)).write_text("done")
        return n

    with pytest.raises(ValueError, match=r"^task 2$") as caught:
        run_tasks(2, list(range(40)), work)
    assert sorted(int(p.name) for p in tmp_path.iterdir()) == [
        n for n in range(40) if n not in (2, 5)
    ]
    assert "in work" in str(caught.value.__cause__)  # the worker's traceback


def test_a_worker_killed_in_the_middle_of_a_build_stops_it_with_a_clear_error() -> None:
    # The kernel kills a worker when memory runs out. multiprocessing.Pool never hears of
    # the task that worker had: the build waited for it for ever.
    def work(n: int) -> int:
        if n == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.01)
        return n

    started = time.monotonic()
    with pytest.raises(WorkerLost, match=r"killed by SIGKILL \(by the kernel, if memory ran out\)"):
        run_tasks(2, list(range(20)), work)
    assert time.monotonic() - started < 10


def test_a_result_that_cannot_be_sent_back_is_an_error_that_says_so() -> None:
    def work(n: int) -> Any:
        return (lambda: n) if n == 4 else n  # a lambda cannot be pickled

    with pytest.raises(RuntimeError, match=r"^task 4: what it returned or raised cannot be sent"):
        run_tasks(2, list(range(8)), work)
    assert run_tasks(2, list(range(8)), lambda n: n) == list(range(8))  # the next run is fine


def test_a_build_whose_worker_is_killed_says_so_and_leaves_the_site_alone(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, out = tmp_path / "p", tmp_path / "p/site"
    before = built_copy(archive, project, out)
    config = project / "content/site.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("Benchmark-arkiv", "Andet arkiv"), encoding="utf-8")
    assert config.read_text(encoding="utf-8") != text  # every page shows the title
    build_process, render_piece = os.getpid(), pages.RenderJob.render_piece

    def killed_in_a_worker(job: pages.RenderJob, numbers: list[int]) -> Any:
        if os.getpid() != build_process:
            os.kill(os.getpid(), signal.SIGKILL)
        return render_piece(job, numbers)

    monkeypatch.setattr(pages.RenderJob, "render_piece", killed_in_a_worker)
    err = io.StringIO()
    code = main(["build", "-C", str(project), "-j", "2", "--no-search", "-q"], err=err)
    assert code == 1
    assert err.getvalue() == (
        "error: a worker process was killed by SIGKILL (by the kernel, if memory ran out) in the"
        " middle of its work; the build stopped, and the site is as it was\n"
    )
    assert tree(out) == before
    assert sorted(p.name for p in project.iterdir()) == [CACHE_DIR, "content", "site"]
    monkeypatch.undo()
    assert build(BuildOptions(project, out, jobs=2, search=False)).ok
    assert tree(out) != before


@pytest.mark.parametrize("jobs", [1, 2])
def test_setting_the_stop_event_stops_the_tasks_between_two(jobs: int, tmp_path: Path) -> None:
    def work(n: int) -> int:
        (tmp_path / str(n)).touch()
        time.sleep(0.1)
        return n

    stop = threading.Event()
    token = STOP.set(stop)
    timer = threading.Timer(0.5, stop.set)
    timer.start()
    try:
        with pytest.raises(Stopped):
            run_tasks(jobs, list(range(60)), work)  # 6 s of work on one process
    finally:
        timer.cancel()
        STOP.reset(token)
    assert 0 < len(list(tmp_path.iterdir())) < 60  # some tasks ran, and not all of them
    assert run_tasks(jobs, [1, 2], lambda n: n) == [1, 2]  # the event was this context's


INTERRUPTED = """\
import os, sys, time
from pathlib import Path
from generator.parallel import run_tasks

def work(n):
    (Path(sys.argv[1]) / str(os.getpid())).touch()
    time.sleep(60)
    return n

try:
    run_tasks(2, list(range(4)), work)
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)
"""


def test_ctrl_c_stops_the_workers_at_once_and_quietly(tmp_path: Path) -> None:
    # Ctrl-C at a terminal signals every process of its group, the workers too. Each used to
    # die of KeyboardInterrupt and print its traceback under the build's "interrupted"; one
    # that died while it sent a result left the build waiting for the rest of it for ever.
    started = tmp_path / "started"
    started.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED, str(started)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal gives a command
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 30
        while len(list(started.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list(started.iterdir())) == 2, "both workers are at work"
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=30)  # long before the tasks' 60 s are up
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130
    assert err == "interrupted\n"


BROKEN_ENTITY = """\
{% extends "base.html" %}
{% block main %}
<h1>{{ entity.name }}</h1>
{% if pagination.number > 1 %}{{ entity.no_such_key }}{% endif %}
{% endblock %}
"""


def test_a_template_error_in_the_workers_is_reported_once_and_the_site_is_left_alone(
    archive: Path, tmp_path: Path
) -> None:
    project, out = tmp_path / "p", tmp_path / "site"
    before = built_copy(archive, project, out)
    (project / "templates").mkdir()
    (project / "templates/entity.html").write_text(BROKEN_ENTITY, encoding="utf-8")
    results = [build(BuildOptions(project, out, jobs=jobs, search=False)) for jobs in (2, 1)]
    for result in results:
        assert not result.ok
        (problem,) = result.diagnostics
        assert (problem.path, problem.line) == ("templates/entity.html", 4)
        assert problem.message.startswith(
            "template: UndefinedError: 'dict object' has no attribute 'no_such_key' (rendering "
            "site/entities/"
        )
        assert problem.message.endswith(" other files)")
    assert results[0].diagnostics == results[1].diagnostics
    assert tree(out) == before
    (project / "templates/entity.html").unlink()
    assert build(BuildOptions(project, out, jobs=2, search=False)).ok
    assert tree(out) == before


def test_a_build_on_one_process_keeps_no_article_html_after_annotating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Annotated articles hold their rendered HTML; once stored, nothing may keep them. A list
    entry kept for each (to digest it) held the HTML of every article to the end of a build
    on -j 1."""
    files = {
        f"content/articles/2024/a{n}.md": article(f"Artikel {n}", f"2024-09-0{n + 1}T10:00:00")
        for n in range(6)
    }
    project = write_project(tmp_path / "project", files)
    made: list[weakref.ref[object]] = []
    original = incremental.annotate_article

    def spy(*args: Any) -> Any:
        item = original(*args)
        made.append(weakref.ref(item))
        return item

    monkeypatch.setattr(incremental, "annotate_article", spy)
    assert build(BuildOptions(project, tmp_path / "site", jobs=1, search=False)).ok
    gc.collect()
    assert len(made) == 6
    assert [ref for ref in made if ref() is not None] == []
