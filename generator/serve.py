"""The editing loop: ``explainer serve`` (build, serve, watch, rebuild, reload) and ``explainer
check`` (the whole build without the write).

The preview server serves only the built output folder. It adds its reload script, and while
the latest build has failed an overlay listing the diagnostics, to HTML responses as they are
sent: the files on disk stay exactly as a plain build writes them.
"""

from __future__ import annotations

import contextlib
import errno
import html
import mimetypes
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TextIO

import watchfiles

from generator import urls
from generator.build import WAITING, BuildOptions, BuildResult, build, build_site, load
from generator.diagnostics import Diagnostic, error, sort_diagnostics
from generator.output import has_site
from generator.parallel import STOP, Stopped
from generator.render import shown_path, template_dirs, template_problem

RESERVED_PREFIX = "/__explainer/"
EVENTS_PATH = f"{RESERVED_PREFIX}events"
KEEPALIVE_SECONDS = 15.0
SWAP_GRACE_SECONDS = 1.0
"""How long a request waits for the output folder while a build swaps it into place."""


# --------------------------------------------------------------------------- check


@dataclass(frozen=True)
class CheckResult:
    """What ``explainer check`` found: every diagnostic, and how many pages were rendered."""

    diagnostics: tuple[Diagnostic, ...]
    pages: int
    drafts: int = 0
    """The draft articles left out, whose text and pages were not checked."""

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "warning")

    def passed(self, strict: bool = False) -> bool:
        return self.errors == 0 and not (strict and self.warnings)


def check_project(project: Path, drafts: bool = False) -> CheckResult:
    """Load, annotate, render and link-check the site in memory; nothing is written.

    Content errors do not stop the later stages, so that one run reports every problem that
    ``build`` would, annotation problems included.
    """
    loaded, problems = load(project, drafts)
    if loaded is None:
        return CheckResult(tuple(sort_diagnostics(problems)), pages=0)
    files, site_problems, _timings = build_site(loaded, project)
    problems += site_problems
    pages = sum(1 for f in files if f.path.endswith(".html"))
    return CheckResult(tuple(sort_diagnostics(problems)), pages, len(loaded.content.drafts))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def check_summary(result: CheckResult, strict: bool = False) -> str:
    """The last line of ``explainer check``: "checked 23 pages: 0 errors, 1 warning"."""
    counts = f"{_count(result.errors, 'error')}, {_count(result.warnings, 'warning')}"
    what = _count(result.pages, "page") if result.pages else "the content"
    line = f"checked {what}: {counts}"
    if result.drafts:
        line += f"; {_count(result.drafts, 'draft')} left out (--drafts includes drafts)"
    if strict and result.warnings and not result.errors:
        line += " (--strict: warnings fail the check)"
    return line


# --------------------------------------------------------------------------- pages


def reload_script(stamp: str) -> str:
    """The script that reloads the page when the served site changes from ``stamp``."""
    return (
        "<script>(function(){"
        f"var stamp={stamp!r};"
        f'var events=new EventSource("{EVENTS_PATH}");'
        "events.onmessage=function(e){if(e.data!==stamp){events.close();location.reload();}};"
        "})();</script>\n"
    )


def overlay(diagnostics: Sequence[Diagnostic], site: bool = True) -> str:
    """An element over the page that lists why the latest build failed.

    Its button hides it, to show the last good build of the page underneath; when no build has
    succeeded yet (not ``site``), there is none, and no button.
    """
    errors = sum(1 for d in diagnostics if d.severity == "error")
    items = "".join(
        f'<li style="margin:.3em 0;white-space:pre-wrap">{html.escape(str(d))}</li>'
        for d in diagnostics
    )
    return (
        '<div id="explainer-overlay" role="alert" style="position:fixed;inset:0;'
        "z-index:2147483647;overflow:auto;box-sizing:border-box;margin:0;padding:2em;"
        "background:#18181b;color:#fafafa;text-align:left;"
        'font:15px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace">'
        '<h1 style="margin:0 0 .5em;font:inherit;font-size:1.4em;font-weight:bold;'
        f'color:#fca5a5">Build failed: {_count(errors, "error")}</h1>'
        f'<p style="margin:0 0 1em">{_overlay_text(site)}</p>'
        f'<ol style="margin:0 0 1.5em;padding-left:1.5em">{items}</ol>'
        + (
            '<button type="button" onclick="this.parentNode.remove()" style="font:inherit;'
            "color:inherit;background:#3f3f46;border:1px solid #71717a;border-radius:4px;"
            'padding:.3em .8em;cursor:pointer">Show the last good page</button>'
            if site
            else ""
        )
        + "</div>\n"
    )


def _overlay_text(site: bool) -> str:
    if site:
        return (
            "The site is the last good build. Fix the problem and save: the page reloads when "
            "the site builds again."
        )
    return (
        "No build has succeeded yet, so there is no site to show. Fix the problem and save: "
        "the page loads when the site builds."
    )


def inject(page: bytes, snippet: str) -> bytes:
    """Insert ``snippet`` before the page's last ``</body>``, or append it if there is none."""
    data = snippet.encode("utf-8")
    at = page.lower().rfind(b"</body>")
    return page + data if at == -1 else page[:at] + data + page[at:]


_BASE_HREF = re.compile(rb'<base href="[^"]*">')


def rebase_not_found(page: bytes) -> bytes:
    """The 404 page's ``<base href>`` names base_url's path for the public server; the preview
    serves the site at ``/``, so point it there."""
    return _BASE_HREF.sub(b'<base href="/">', page, count=1)


FAILED_WITHOUT_SITE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
    "<title>Build failed</title></head>\n<body>\n</body>\n</html>\n"
)


# --------------------------------------------------------------------------- state


class PreviewState:
    """What the server shows: a version that changes with every finished rebuild, and the
    diagnostics of the latest build while it has failed. Shared by the watcher and the handlers.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._instance = f"{time.time_ns():x}"
        self.version = 0
        self.failure: tuple[Diagnostic, ...] = ()
        self.closed = False
        self.building = threading.Event()
        """Set while a build runs, which may swap the output folder at any moment."""

    @property
    def stamp(self) -> str:
        """Names the served site; it differs across rebuilds and across server restarts."""
        return f"{self._instance}-{self.version}"

    def record(self, result: BuildResult) -> None:
        """A rebuild finished: remember its failure (or clear it) and wake the reload clients."""
        with self._changed:
            self.failure = () if result.ok else result.diagnostics
            self.version += 1
            self._changed.notify_all()

    def wait_for_change(self, seen: str | None, timeout: float) -> str | None:
        """The current stamp once it differs from ``seen``; None on timeout or when closed."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or self.stamp != seen, timeout)
            if self.closed or self.stamp == seen:
                return None
            return self.stamp

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


# --------------------------------------------------------------------------- files


def resolve_request(root: Path, target: str) -> Path | None:
    """The file under ``root`` that a request target names, or None.

    Percent-escapes are decoded before the check, so ``/%2e%2e/`` is ``/../`` and stays inside.
    A directory names its ``index.html``.
    """
    path = urllib.parse.unquote(urllib.parse.urlsplit(target).path)
    if "\x00" in path or "\\" in path:
        return None
    base = root.resolve()
    try:
        candidate = (base / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(base):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None
    except OSError:  # a name too long for the file system, say: no such page
        return None


def content_type(path: Path) -> str:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/javascript", "application/xml"):
        kind += "; charset=utf-8"
    return kind


class PreviewServer(ThreadingHTTPServer):
    """Serves the output folder ``root`` with live reload; see ``PreviewHandler``."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path, state: PreviewState) -> None:
        self.root = root
        self.state = state
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that goes away mid-response (a reload, a click) is not an error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    server_version = "explainer-serve"

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the terminal is for build results."""

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_GET(self) -> None:
        if urllib.parse.urlsplit(self.path).path == EVENTS_PATH:
            self._events()
        else:
            self._respond(send_body=True)

    def _respond(self, send_body: bool) -> None:
        parts = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parts.path)
        found = None if path.startswith(RESERVED_PREFIX) else self._find(self.path)
        if found is not None and found.name == "index.html" and not path.endswith(("/", ".html")):
            self._redirect(parts.path + "/" + (f"?{parts.query}" if parts.query else ""))
            return
        status = HTTPStatus.OK
        if found is None:
            status = HTTPStatus.NOT_FOUND
            found = self._find("/" + urls.NOT_FOUND)
        data = self._read(found)
        if data is not None and status == HTTPStatus.NOT_FOUND:
            data = rebase_not_found(data)
        if found is not None and data is not None:
            kind = content_type(found)
        elif self.server.state.failure:
            data, kind = FAILED_WITHOUT_SITE.encode("utf-8"), "text/html; charset=utf-8"
        else:
            data, kind = b"404 not found\n", "text/plain; charset=utf-8"
        if kind.startswith("text/html"):
            data = self._decorate(data)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _find(self, target: str) -> Path | None:
        """Resolve a request, waiting briefly if a build is swapping the output folder."""
        deadline = time.monotonic() + SWAP_GRACE_SECONDS
        while True:
            found = resolve_request(self.server.root, target)
            if (
                found is not None
                or self.server.root.is_dir()
                or not self.server.state.building.is_set()
                or time.monotonic() > deadline
            ):
                return found
            time.sleep(0.02)

    def _read(self, path: Path | None) -> bytes | None:
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _decorate(self, page: bytes) -> bytes:
        state = self.server.state
        snippet = reload_script(state.stamp)
        if state.failure:
            snippet = overlay(state.failure, has_site(self.server.root)) + snippet
        return inject(page, snippet)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _events(self) -> None:
        """Server-sent events: the site's stamp now, and again whenever it changes."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        state = self.server.state
        seen: str | None = None
        try:
            self.wfile.write(b"retry: 500\n\n")
            while not state.closed:
                stamp = state.wait_for_change(seen, KEEPALIVE_SECONDS)
                if stamp is None:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(f"data: {stamp}\n\n".encode())
                    seen = stamp
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


# --------------------------------------------------------------------------- the preview


def crash_diagnostic(exc: Exception, project: Path) -> Diagnostic:
    """An exception from a rebuild as a diagnostic, so that the preview keeps running.

    A half-edited template is the usual cause: the error then names the template and line.
    """
    problem = template_problem(exc, project)
    if problem is not None:
        return problem
    return error("explainer", None, f"the build stopped on {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class ServeOptions:
    project: Path
    out: Path
    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False
    search: bool = True
    """False skips the search index, for quicker rebuilds."""


def listen_error(exc: OSError, host: str, port: int) -> str:
    """One line that says why the server could not listen, and what to do about it."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"error: port {port} on {host} is already in use (is another server running?); "
            f"try --port {port + 1}"
        )
    return f"error: cannot listen on {host}:{port}: {exc.strerror or exc}"


class Preview:
    """A running preview: the server, a watcher thread, and the rebuilds it starts.

    Creating one binds the port (OSError if it cannot); ``start_watching``, ``rebuild`` and
    ``serve_forever`` run it, ``close`` stops it.
    """

    def __init__(self, options: ServeOptions, out: TextIO, err: TextIO) -> None:
        self.options = options
        self.out, self.err = out, err
        self.state = PreviewState()
        self.server = PreviewServer((options.host, options.port), options.out, self.state)
        self._build_lock = threading.Lock()
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._watcher: threading.Thread | None = None
        self._serving = False

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in str(host) else f"http://{host}:{port}/"

    def watched_paths(self) -> list[Path]:
        """content/ (with site.yaml) and every template folder, the theme's assets included."""
        paths = [self.options.project / "content", *template_dirs(self.options.project)]
        unique = dict.fromkeys(p.resolve() for p in paths if p.is_dir())
        return list(unique)

    def rebuild(self, changed: Sequence[str] = ()) -> BuildResult:
        """Build into the output folder, then show the result to the terminal and the browsers."""
        options = BuildOptions(
            self.options.project,
            self.options.out,
            drafts=self.options.drafts,
            search=self.options.search,
        )
        with self._build_lock:
            self.state.building.set()
            stopping = STOP.set(self._stop)  # close() stops a build under way, between tasks
            try:
                result = build(options, waiting=self._waiting)
            except Exception as exc:
                traceback.print_exc(file=self.err)
                result = BuildResult((crash_diagnostic(exc, self.options.project),))
            finally:
                STOP.reset(stopping)
                self.state.building.clear()
        self.state.record(result)
        self._report(result, changed)
        return result

    def _waiting(self) -> None:
        print(WAITING, file=self.err, flush=True)

    def _report(self, result: BuildResult, changed: Sequence[str]) -> None:
        for diagnostic in result.diagnostics:
            print(diagnostic, file=self.err)
        cause = ""
        if changed:
            cause = (
                f" ({changed[0]} changed)"
                if len(changed) == 1
                else f" ({len(changed)} files changed)"
            )
        counts = (
            f"{_count(sum(d.severity == 'error' for d in result.diagnostics), 'error')}, "
            f"{_count(result.warnings, 'warning')}"
        )
        if result.ok:
            print(
                f"built {_count(result.pages, 'page')} in {result.seconds:.2f} s{cause}, "
                f"{_count(result.warnings, 'warning')}",
                file=self.out,
                flush=True,
            )
        else:
            serving = (
                "still serving the last good site"
                if has_site(self.options.out)
                else "no site to serve until a build succeeds"
            )
            print(
                f"build failed{cause}: {counts}; {serving}",
                file=self.out,
                flush=True,
            )

    def start_watching(self, timeout: float = 10.0) -> None:
        """Start the watcher thread and wait until it sees changes."""
        self._watcher = threading.Thread(target=self._watch, name="explainer-watch", daemon=True)
        self._watcher.start()
        if not self._watching.wait(timeout):
            raise RuntimeError("the file watcher did not start")

    def _watch(self) -> None:
        with contextlib.suppress(Stopped):  # close() stopped a rebuild: its site is discarded
            self._watch_until_stopped()

    def _watch_until_stopped(self) -> None:
        pending: list[str] = []
        while not self._stop.is_set():
            paths = self.watched_paths()
            changes_seen = watchfiles.watch(
                *paths,
                stop_event=self._stop,
                step=50,
                rust_timeout=200,
                yield_on_timeout=True,
                raise_interrupt=False,
            )
            for changes in changes_seen:
                self._watching.set()
                if self._stop.is_set():
                    return
                if pending:
                    # The watch of the new folders is running now (it yields only once it
                    # is): a build now sees every edit, and any edit after it is an event.
                    self.rebuild(pending)
                    pending = []
                changed = self._relevant(path for _change, path in changes)
                now = self.watched_paths()
                if now != paths:
                    # A templates/ folder made (or removed) since the watch began: watch what
                    # is there now, then build with it. Built first, an edit made between the
                    # build and the new watch would go unseen.
                    added = [
                        shown_path(p, self.options.project) + "/" for p in now if p not in paths
                    ]
                    pending = changed or added or ["templates/"]
                    break
                if changed:
                    self.rebuild(changed)

    def _relevant(self, paths: Iterable[str]) -> list[str]:
        """Changed inputs as project-relative paths; the output folder's own churn is left out."""
        project = self.options.project.resolve()
        out = self.options.out.resolve()
        found = set()
        for raw in paths:
            path = Path(raw)
            if path.is_relative_to(out) or (
                path.parent == out.parent and path.name.startswith(f".{out.name}.")
            ):
                continue
            found.add(path.relative_to(project).as_posix() if path.is_relative_to(project) else raw)
        return sorted(found)

    def serve_forever(self) -> None:
        self._serving = True
        self.server.serve_forever(poll_interval=0.2)

    def close(self) -> None:
        """Stop the watcher, end the reload streams and close the socket."""
        self._stop.set()
        self.state.close()
        if self._serving:
            self.server.shutdown()
        self.server.server_close()
        if self._watcher is not None:
            self._watcher.join(timeout=5)


def serve(options: ServeOptions, out: TextIO, err: TextIO) -> int:
    """``explainer serve``: preview the site until Ctrl-C. Exit code 0, or 2 if it cannot listen."""
    try:
        preview = Preview(options, out, err)
    except OSError as exc:
        print(listen_error(exc, options.host, options.port), file=err)
        return 2
    try:
        preview.start_watching()
        preview.rebuild()
        watched = ", ".join(
            shown_path(path, options.project) + "/" for path in preview.watched_paths()
        )
        print(f"watching {watched} for changes", file=out)
        print(f"serving {options.out} at {preview.url} (Ctrl-C to stop)", file=out, flush=True)
        preview.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped", file=out)
    finally:
        preview.close()
    return 0
