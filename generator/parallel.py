"""Worker processes: a build's stages split their work into tasks that forked processes do.

The processes are forked, so they inherit everything the build holds (content, registry,
templates); only tasks and their results cross between processes. Before forking, the build's
objects are frozen out of the garbage collector's reach, so that neither the parent's nor the
workers' collections walk them, and the workers' pages stay shared with the parent.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

PARALLEL_FROM = 64
"""Work smaller than this many units is done in the build's own process: forking costs more.
Each stage scales it by how heavy one of its units is."""


STOP: ContextVar[threading.Event | None] = ContextVar("STOP", default=None)
"""An event that stops the builds of this thread when it is set: the preview's, as it closes.
Each thread has its own value, as contextvars do."""


class Stopped(BaseException):
    """The build stopped because :data:`STOP` was set. Not an ``Exception``: like Ctrl-C, it
    is no error of the build's, and nothing should report it as one."""


def check_stop() -> None:
    stop = STOP.get()
    if stop is not None and stop.is_set():
        raise Stopped


class WorkerLost(RuntimeError):
    """A worker process ended in the middle of a build: killed (by the kernel when memory ran
    out, or by a person) or crashed. The build stops with this rather than wait for it."""


@dataclass
class _Worker:
    """A forked worker, as the build sees it: its process and its pipe."""

    pid: int
    connection: Connection


def _outcome(number: int, task: Any, work: Callable[[Any], Any]) -> bytes:
    """Task ``number`` done, pickled to send: (number, True, its result), or (number, False,
    the exception it raised, with the worker's traceback kept for the build's)."""
    from multiprocessing.reduction import ForkingPickler

    try:
        outcome = (number, True, work(task))
    except Exception as exc:
        outcome = (number, False, _with_traceback(exc))
    try:
        return bytes(ForkingPickler.dumps(outcome))
    except Exception as exc:  # a result or error that cannot be pickled: said as such
        message = f"task {number}: what it returned or raised cannot be sent back: {exc!r}"
        return bytes(ForkingPickler.dumps((number, False, _with_traceback(RuntimeError(message)))))


def _with_traceback(exc: BaseException) -> Any:
    from multiprocessing.pool import ExceptionWithTraceback  # the worker's traceback, kept

    return ExceptionWithTraceback(exc, exc.__traceback__)


def _serve(connection: Connection, tasks: Sequence[Any], work: Callable[[Any], Any]) -> None:
    """A worker's life: do each task whose number comes, and send back its outcome, until
    ``None`` comes or the build's end of the pipe is closed."""
    # The build's own objects are frozen: collecting here walks only what this worker makes.
    gc.enable()
    try:
        while (number := connection.recv()) is not None:
            connection.send_bytes(_outcome(number, tasks[number], work))
    except (EOFError, OSError):  # the pipe is closed or broken: the build is gone
        pass


def _fork_worker(
    tasks: Sequence[Any], work: Callable[[Any], Any], others: Sequence[_Worker]
) -> _Worker:
    """A worker forked with its own pipe to the build. It shares no lock or queue with the
    build or the other workers, so that a worker killed anywhere, even while it sends, cannot
    leave the build waiting for ever (as one killed by ``multiprocessing.Pool`` can)."""
    from multiprocessing import Pipe  # here: a build that forks no workers need not import it

    ours, theirs = Pipe()
    pid = os.fork()
    if pid:
        theirs.close()
        return _Worker(pid, ours)
    code = 1
    try:
        # Ctrl-C reaches every process of the terminal's group: the build alone answers it,
        # says "interrupted" once and stops the workers.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        ours.close()
        for other in others:  # else a worker's pipe stays open after the build is gone
            other.connection.close()
        _serve(theirs, tasks, work)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)  # not the build's exit handlers: they are the build's to run


def _stop(workers: Sequence[_Worker], finished: bool) -> None:
    """End the workers, and wait for them: told to if every task is done, else killed."""
    for worker in workers:
        if finished:
            with suppress(OSError):  # a worker that is gone already
                worker.connection.send(None)
        else:
            with suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
    for worker in workers:
        worker.connection.close()
        with suppress(ChildProcessError):
            os.waitpid(worker.pid, 0)


def _give(worker: _Worker, task: int) -> None:
    try:
        worker.connection.send(task)
    except OSError:  # it is gone
        raise _lost(worker) from None


def _lost(worker: _Worker) -> WorkerLost:
    """What to say of a worker whose pipe closed before it sent its task's outcome."""
    _, status = os.waitpid(worker.pid, 0)
    worker.pid = 0
    if os.WIFSIGNALED(status):
        signal_number = os.WTERMSIG(status)
        how = f"killed by {signal.Signals(signal_number).name}"
        if signal_number == signal.SIGKILL:
            how += " (by the kernel, if memory ran out)"
    else:
        how = f"ended with exit code {os.waitstatus_to_exitcode(status)}"
    return WorkerLost(f"a worker process was {how} in the middle of its work")


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
    task has ended: that of the first task (in order) that raised one. :class:`Stopped` is
    raised between tasks once :data:`STOP` is set.
    """
    check_stop()
    if jobs <= 1 or len(tasks) <= 1:
        return _run_here(tasks, work)
    from multiprocessing.connection import wait

    results: list[Any] = [None] * len(tasks)
    failures: dict[int, BaseException] = {}
    workers: list[_Worker] = []
    waiting = iter(range(len(tasks)))
    finished = False
    sys.stdout.flush()  # else what the build has yet to print is printed by every worker too
    sys.stderr.flush()
    gc.freeze()
    try:
        for _ in range(min(jobs, len(tasks))):
            workers.append(_fork_worker(tasks, work, workers))
        busy: dict[Connection, _Worker] = {}
        for worker in workers:
            _give(worker, next(waiting))
            busy[worker.connection] = worker
        while busy:
            check_stop()
            for ready in wait(list(busy), timeout=0.1):
                worker = busy.pop(ready)  # type: ignore[arg-type]
                try:
                    number, ok, result = worker.connection.recv()
                except (EOFError, OSError):  # OSError: it ended in the middle of a result
                    raise _lost(worker) from None
                if ok:
                    results[number] = result
                else:
                    failures[number] = result
                task = next(waiting, None)
                if task is not None:
                    _give(worker, task)
                    busy[worker.connection] = worker
        finished = True
    finally:
        gc.unfreeze()
        _stop([worker for worker in workers if worker.pid], finished)
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
        results = []
        for task in tasks:
            check_stop()
            results.append(work(task))
        return results
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
