"""Worker processes: a build's stages split their work into tasks that forked processes do.

The processes are forked, so they inherit everything the build holds (content, registry,
templates); only tasks and their results cross between processes. Before forking, the build's
objects are frozen out of the garbage collector's reach, so that neither the parent's nor the
workers' collections walk them, and the workers' pages stay shared with the parent.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

PARALLEL_FROM = 64
"""Work smaller than this many units is done in the build's own process: forking costs more.
Each stage scales it by how heavy one of its units is."""

_TASKS: Sequence[Any] = ()
_WORK: Callable[[Any], Any] | None = None


def _run_task(number: int) -> tuple[int, bool, Any]:
    """Task ``number``: (number, True, its result), or (number, False, the exception it raised).

    The exception comes back as a result, not raised: ``Pool`` would then make the build leave
    the pool (and terminate its workers) while another worker may be sending a result. A worker
    killed while it sends holds the lock of the results' pipe for ever, and the pool's own
    threads wait for that lock as it shuts down: the build hangs (seen once in the test of a
    cache deleted during a build on two processes)."""
    assert _WORK is not None
    # The build's own objects are frozen: collecting here walks only what this worker makes.
    gc.enable()
    try:
        return number, True, _WORK(_TASKS[number])
    except Exception as exc:
        from multiprocessing.pool import ExceptionWithTraceback  # the worker's traceback, kept

        return number, False, ExceptionWithTraceback(exc, exc.__traceback__)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while a build makes its many long-lived objects (content, records,
    pickles), which hold no garbage cycles: the collector would walk them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_tasks(jobs: int, tasks: Sequence[Any], work: Callable[[Any], Any]) -> list[Any]:
    """``work(task)`` for each task, in order, on up to ``jobs`` forked processes.

    ``work`` may be a closure over anything. An exception in a worker is raised here once every
    task has ended: that of the first task (in order) that raised one.
    """
    global _TASKS, _WORK
    if jobs <= 1 or len(tasks) <= 1:
        return _run_here(tasks, work)
    import multiprocessing  # here: a build that forks no workers need not import it

    _TASKS, _WORK = tasks, work
    results: list[Any] = [None] * len(tasks)
    failures: dict[int, BaseException] = {}
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
            # Every result is read before the pool is left: then no worker is sending one.
            for number, ok, result in pool.imap_unordered(_run_task, range(len(tasks))):
                if ok:
                    results[number] = result
                else:
                    failures[number] = result
    finally:
        gc.unfreeze()
        _TASKS, _WORK = (), None
    if failures:
        raise failures[min(failures)]
    return results


def _run_here(tasks: Sequence[Any], work: Callable[[Any], Any]) -> list[Any]:
    """The tasks in this process, collecting garbage as a worker does: the work makes cycles
    (Jinja2's render contexts among them) that a paused collector would keep to the end of the
    build. The build's objects are frozen first, so that collections do not walk them."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.enable()
    try:
        return [work(task) for task in tasks]
    finally:
        if not enabled:
            gc.disable()
        gc.unfreeze()


def chunks(items: Sequence[Any], jobs: int, smallest: int = 1, largest: int = 64) -> list[Any]:
    """``items`` cut into pieces small enough to keep ``jobs`` processes busy to the end."""
    size = max(smallest, min(largest, len(items) // (jobs * 8) or 1))
    return [items[i : i + size] for i in range(0, len(items), size)]


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(requested: int) -> int:
    """The processes to use: as requested, or one per core (up to 8)."""
    return requested if requested > 0 else min(cpu_count(), 8)


def jobs_for(jobs: int, units: int, weight: float) -> int:
    """``jobs`` if ``units`` of work that weighs ``weight`` each are worth forking for, else 1."""
    return jobs if units * weight >= PARALLEL_FROM else 1
