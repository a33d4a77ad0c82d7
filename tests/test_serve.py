"""The preview server: pages, traversal, live reload, the failure overlay, recovery, Ctrl-C."""

from __future__ import annotations

import http.client
import io
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
import watchfiles

from generator import pages
from generator.build import WAITING, BuildOptions, build
from generator.diagnostics import error
from generator.serve import (
    EVENTS_PATH,
    Preview,
    ServeOptions,
    crash_diagnostic,
    inject,
    overlay,
    rebase_not_found,
    reload_script,
    serve,
)
from tests.browser.support import chromium
from tests.sitekit import held_by_another_build, tree

FIXTURE = Path(__file__).parent / "fixtures" / "serve_site"
REPO = Path(__file__).resolve().parent.parent
ARTICLE = "content/articles/1998/bilerne-kan-nu-koere-over-storebaelt.md"
ARTICLE_URL = "/1998/06/bilerne-kan-nu-koere-over-storebaelt/"
WAIT = 10.0
"""The longest any test waits for the server, a rebuild or an event."""


def start_preview(project: Path) -> tuple[Preview, threading.Thread]:
    running = Preview(ServeOptions(project, project / "site", port=0), io.StringIO(), io.StringIO())
    running.start_watching()
    assert running.rebuild().ok
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    return running, thread


def stop_preview(running: Preview, thread: threading.Thread) -> None:
    running.close()
    thread.join(WAIT)
    assert not thread.is_alive()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "project")
    return tmp_path / "project"


@pytest.fixture
def preview(project: Path) -> Iterator[Preview]:
    """A server of its own, for a test that edits the project."""
    running, thread = start_preview(project)
    yield running
    stop_preview(running, thread)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """One server shared by the tests that only read."""
    project = tmp_path_factory.mktemp("served") / "project"
    shutil.copytree(FIXTURE, project)
    running, thread = start_preview(project)
    yield running
    stop_preview(running, thread)


def get(preview: Preview, target: str) -> tuple[int, dict[str, str], bytes]:
    """A GET with the request target sent exactly as given (no normalising of ``..``)."""
    host, port = preview.server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=WAIT)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


class EventStream:
    """A reload client: reads the server-sent events of the preview."""

    def __init__(self, preview: Preview) -> None:
        host, port = preview.server.server_address[:2]
        self.connection = http.client.HTTPConnection(host, port, timeout=WAIT)
        self.connection.request("GET", EVENTS_PATH)
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"

    def next_data(self) -> str:
        """The data of the next event; keep-alive comments and the retry hint are skipped."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            line = self.response.readline().decode("utf-8").rstrip("\n")
            if line.startswith("data: "):
                return line.removeprefix("data: ")
        raise AssertionError("no event within the time limit")

    def close(self) -> None:
        self.connection.close()


def edit(project: Path, path: str, old: str, new: str) -> None:
    file = project / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


def stamp_in(page: bytes) -> str:
    found = re.search(rb"var stamp='([^']*)'", page)
    assert found, "no reload script in the page"
    return found.group(1).decode()


def test_pages_directories_and_assets_are_served_with_status_200(served: Preview) -> None:
    for target, kind in (
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        (ARTICLE_URL, "text/html; charset=utf-8"),
        ("/entities/storebaeltsforbindelsen/", "text/html; charset=utf-8"),
        ("/assets/style.css", "text/css; charset=utf-8"),
    ):
        status, headers, _body = get(served, target)
        assert (target, status, headers["Content-Type"]) == (target, 200, kind)


def test_a_client_that_goes_away_mid_response_is_not_reported_as_an_error(
    served: Preview, capsys: pytest.CaptureFixture[str]
) -> None:
    threads = threading.active_count()
    for _ in range(5):
        with socket.create_connection(served.server.server_address[:2]) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.sendall(b"GET / HTTP/1.0\r\n\r\n")
    deadline = time.monotonic() + WAIT
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert get(served, "/")[0] == 200
    assert capsys.readouterr().err == ""


def test_a_directory_named_without_its_slash_is_redirected_to_it(served: Preview) -> None:
    status, headers, _body = get(served, "/archive")
    assert (status, headers["Location"]) == (301, "/archive/")


@pytest.mark.parametrize(
    "target",
    [
        "/" + "../" * 12 + "etc/passwd",
        "/" + "%2e%2e/" * 12 + "etc/passwd",
        "/" + "%2E%2E%2F" * 12 + "etc%2Fpasswd",
        "/assets/" + "../" * 12 + "etc/passwd",
        "/" + "..%5c" * 12 + "etc%5cpasswd",
        "/%00/etc/passwd",
    ],
)
def test_a_path_outside_the_output_folder_gets_404(served: Preview, target: str) -> None:
    status, _headers, body = get(served, target)
    assert status == 404
    assert b"root:" not in body


@pytest.mark.parametrize("target", ["/" + "a" * 300, "/" + "a/" * 2100, "/" + "æ" * 200 + "/"])
def test_a_path_too_long_for_the_file_system_gets_404(served: Preview, target: str) -> None:
    # The file system refuses names over 255 bytes (OSError, ENAMETOOLONG): no such page.
    # Before, the handler raised and the connection closed without a response.
    status, _headers, _body = get(served, urllib.parse.quote(target))
    assert status == 404


def test_a_file_beside_the_output_folder_is_not_served(served: Preview) -> None:
    status, _headers, body = get(served, "/../content/site.yaml")
    assert status == 404
    assert b"timezone: Europe/Copenhagen" not in body


def test_a_missing_page_gets_the_sites_404_page_with_status_404(served: Preview) -> None:
    status, _headers, body = get(served, "/2099/01/findes-ikke/")
    on_disk = (served.options.out / "404.html").read_bytes()
    assert status == 404
    assert body.startswith(on_disk.split(b"</body>")[0])


def test_the_reload_script_is_added_to_served_html_and_not_to_the_file(served: Preview) -> None:
    _status, _headers, body = get(served, ARTICLE_URL)
    on_disk = (served.options.out / ARTICLE_URL.strip("/") / "index.html").read_bytes()
    assert EVENTS_PATH.encode() not in on_disk
    assert body == inject(on_disk, reload_script(stamp_in(body)))


def test_the_served_folder_is_byte_identical_to_a_plain_build(
    served: Preview, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    assert build(BuildOptions(served.options.project, plain)).ok
    out = served.options.out
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(plain).as_posix() for p in plain.rglob("*") if p.is_file())
    for name in names:
        assert (out / name).read_bytes() == (plain / name).read_bytes(), name


def test_an_edit_reaches_a_connected_reload_client(preview: Preview, project: Path) -> None:
    events = EventStream(preview)
    try:
        first = events.next_data()
        _status, _headers, before = get(preview, ARTICLE_URL)
        assert stamp_in(before) == first
        edit(project, ARTICLE, "åbner i dag for biltrafik", "åbner i dag for bilerne")
        second = events.next_data()
    finally:
        events.close()
    _status, _headers, after = get(preview, ARTICLE_URL)
    assert second != first
    assert stamp_in(after) == second
    assert "åbner i dag for bilerne".encode() in after


def test_closing_the_preview_stops_a_rebuild_under_way_and_keeps_the_last_site(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C closes the preview. A rebuild under way (of a big archive, say) used to go on
    # until the process ended under it, and left its half-built site beside the output.
    running, thread = start_preview(project)
    before = tree(project / "site")
    started = tmp_path / "rendering"
    render_piece = pages.RenderJob.render_piece

    def slow(job: pages.RenderJob, numbers: list[int]) -> Any:
        started.touch()  # a file: the pages may be rendered in worker processes
        time.sleep(3)  # long enough that a rebuild left to run outlasts close()'s wait
        return render_piece(job, numbers)

    monkeypatch.setattr(pages.RenderJob, "render_piece", slow)
    edit(project, "content/site.yaml", "Over Storebælt", "Over Øresund")  # every page changes
    deadline = time.monotonic() + WAIT
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), "the rebuild is rendering"
    stop_preview(running, thread)
    assert running._watcher is not None and not running._watcher.is_alive()
    assert tree(project / "site") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".site")) == []
    assert "built" not in running.out.getvalue().split("\n", 1)[1]  # after the first build


def test_broken_yaml_shows_the_overlay_over_the_last_good_site_until_fixed(
    preview: Preview, project: Path
) -> None:
    events = EventStream(preview)
    try:
        events.next_data()
        edit(project, "content/site.yaml", 'title: "Over Storebælt"', 'title: "Over <Storebælt>')
        events.next_data()
        status, _headers, failing = get(preview, ARTICLE_URL)
        assert status == 200
        assert "Bilerne kan nu køre over Storebælt".encode() in failing
        assert b'id="explainer-overlay"' in failing
        assert (
            b"content/site.yaml:3: error: invalid YAML: did not find expected key "
            b"(while parsing a block mapping that starts on line 2)" in failing
        )
        assert "content/site.yaml:3: error: invalid YAML: did not find expected key" in (
            preview.err.getvalue()
        )

        edit(project, "content/site.yaml", 'title: "Over <Storebælt>', 'title: "Over Storebælt"')
        events.next_data()
    finally:
        events.close()
    status, _headers, fixed = get(preview, ARTICLE_URL)
    assert status == 200
    assert b'id="explainer-overlay"' not in fixed
    assert preview.out.getvalue().splitlines()[-2].startswith("build failed (content/site.yaml")


def test_an_unknown_entity_is_listed_in_the_overlay(preview: Preview, project: Path) -> None:
    events = EventStream(preview)
    try:
        events.next_data()
        edit(project, ARTICLE, "section: Indland", "section: Indland\nabout: [oeresundsbroen]")
        events.next_data()
    finally:
        events.close()
    _status, _headers, page = get(preview, "/")
    assert (
        b"content/articles/1998/bilerne-kan-nu-koere-over-storebaelt.md:5: error: "
        b"&quot;about&quot;: unknown entity &quot;oeresundsbroen&quot;" in page
    )


def test_a_rebuild_says_in_the_terminal_that_it_waits_for_another_build_of_the_project(
    project: Path,
) -> None:
    terminal_errors = io.StringIO()
    running = Preview(
        ServeOptions(project, project / "site", port=0), io.StringIO(), terminal_errors
    )
    results: list[bool] = []
    with held_by_another_build(project):
        thread = threading.Thread(target=lambda: results.append(running.rebuild().ok))
        thread.start()
        deadline = time.monotonic() + WAIT
        while WAITING not in terminal_errors.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert terminal_errors.getvalue() == f"{WAITING}\n"
        assert thread.is_alive() and not (project / "site").exists()
    thread.join(WAIT * 3)
    running.close()
    assert results == [True]
    assert (project / "site/index.html").is_file()


def test_a_first_build_that_fails_shows_the_overlay_and_recovers(project: Path) -> None:
    edit(project, "content/site.yaml", "language: da", "language: dansk")
    terminal = io.StringIO()
    running = Preview(ServeOptions(project, project / "site", port=0), terminal, io.StringIO())
    running.start_watching()
    assert not running.rebuild().ok
    # There is no last good site to fall back on, and neither the terminal nor the page says so.
    assert "no site to serve until a build succeeds" in terminal.getvalue()
    assert "last good" not in terminal.getvalue()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        status, _headers, page = get(running, "/")
        assert time.monotonic() - started < 0.5
        assert status == 404
        assert (
            b"content/site.yaml:4: error: &quot;language&quot; is not a language code like "
            b"&quot;da&quot; or &quot;en&quot;: &quot;dansk&quot;" in page
        )
        assert b"No build has succeeded yet" in page
        assert b"last good" not in page
        events = EventStream(running)
        try:
            events.next_data()
            edit(project, "content/site.yaml", "language: dansk", "language: da")
            events.next_data()
        finally:
            events.close()
        status, _headers, page = get(running, "/")
        assert status == 200
        assert b'id="explainer-overlay"' not in page
    finally:
        stop_preview(running, thread)


def test_an_edited_stylesheet_in_the_project_templates_is_served_after_a_reload(
    project: Path,
) -> None:
    (project / "templates" / "assets").mkdir(parents=True)
    stylesheet = project / "templates" / "assets" / "style.css"
    stylesheet.write_text("body { color: black; }\n", encoding="utf-8")
    running, thread = start_preview(project)
    try:
        events = EventStream(running)
        try:
            events.next_data()
            stylesheet.write_text("body { color: navy; }\n", encoding="utf-8")
            events.next_data()
        finally:
            events.close()
        assert get(running, "/assets/style.css")[2] == b"body { color: navy; }\n"
        assert running.out.getvalue().splitlines()[-1].startswith("built ")
        assert "(templates/assets/style.css changed)" in running.out.getvalue()
    finally:
        stop_preview(running, thread)


@pytest.mark.parametrize("slow_watch", [False, True])
def test_a_templates_folder_made_while_serving_is_watched_and_built_with(
    project: Path, monkeypatch: pytest.MonkeyPatch, slow_watch: bool
) -> None:
    """With ``slow_watch``, each watch starts half a second late, as on a busy machine: the
    build with the new folder must come after the watch of it has started, or the edit made
    right after that build goes unseen."""
    if slow_watch:
        watch = watchfiles.watch

        def slow(*args: Any, **kwargs: Any) -> Iterator[Any]:
            time.sleep(0.5)
            yield from watch(*args, **kwargs)

        monkeypatch.setattr(watchfiles, "watch", slow)
    running, thread = start_preview(project)
    try:
        events = EventStream(running)
        try:
            events.next_data()
            assets = project / "templates" / "assets"
            assets.mkdir(parents=True)
            (assets / "style.css").write_text("body { color: black; }\n", encoding="utf-8")
            events.next_data()
            assert get(running, "/assets/style.css")[2] == b"body { color: black; }\n"
            # And an edit after it is seen, as in a folder that was there from the start.
            (assets / "style.css").write_text("body { color: navy; }\n", encoding="utf-8")
            events.next_data()
        finally:
            events.close()
        assert get(running, "/assets/style.css")[2] == b"body { color: navy; }\n"
    finally:
        stop_preview(running, thread)


def in_own_thread(steps: Callable[[], None]) -> None:
    """Run ``steps`` in a thread of their own and re-raise what they raise (a skip included).

    Playwright's sync API refuses to start in a thread where another Playwright session of the
    test run is still open.
    """
    raised: list[BaseException] = []

    def run() -> None:
        try:
            steps()
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if raised:
        raise raised[0]


def test_an_open_page_in_a_browser_reloads_itself_and_shows_then_clears_the_overlay(
    preview: Preview, project: Path
) -> None:
    host, port = preview.server.server_address[:2]

    def steps() -> None:
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"http://{host}:{port}{ARTICLE_URL}")
            edit(project, ARTICLE, "åbner i dag for biltrafik", "åbner i dag for bilerne")
            page.wait_for_function(
                "() => document.body.innerText.includes('åbner i dag for bilerne')",
                timeout=WAIT * 1000,
            )
            edit(
                project, "content/site.yaml", 'title: "Over Storebælt"', 'title: "Over <Storebælt>'
            )
            shown = page.wait_for_selector("#explainer-overlay", timeout=WAIT * 1000)
            assert "content/site.yaml:3: error: invalid YAML" in shown.inner_text()
            page.click("text=Show the last good page")
            assert page.query_selector("#explainer-overlay") is None
            assert "åbner i dag for bilerne" in page.inner_text("main")
            with page.expect_event("load", timeout=WAIT * 1000):
                edit(
                    project,
                    "content/site.yaml",
                    'title: "Over <Storebælt>',
                    'title: "Over Storebælt"',
                )
            assert page.query_selector("#explainer-overlay") is None

    in_own_thread(steps)


def test_the_overlay_escapes_html_in_messages() -> None:
    shown = overlay([error("content/articles/x.md", 3, 'unknown entity "<script>"')])
    assert "content/articles/x.md:3: error: unknown entity &quot;&lt;script&gt;&quot;" in shown
    assert "<script>" not in shown
    assert "Build failed: 1 error" in shown


def test_the_snippet_goes_before_the_last_closing_body_tag() -> None:
    assert inject(b"<p></body>x</BODY>\n</html>", "<s>") == b"<p></body>x<s></BODY>\n</html>"
    assert inject(b"<p>no body", "<s>") == b"<p>no body<s>"


def test_a_template_syntax_error_becomes_a_diagnostic_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "article.html").write_text("<p>\n{% if %}\n", encoding="utf-8")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path / "templates")))
    with pytest.raises(jinja2.TemplateSyntaxError) as raised:
        env.get_template("article.html")
    assert str(crash_diagnostic(raised.value, tmp_path)) == (
        "templates/article.html:2: error: template: Expected an expression, got 'end of "
        "statement block'"
    )


def test_a_busy_port_gives_one_line_and_exit_code_2(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out, err = io.StringIO(), io.StringIO()
        code = serve(ServeOptions(project, project / "site", port=port), out, err)
    assert code == 2
    assert err.getvalue() == (
        f"error: port {port} on 127.0.0.1 is already in use (is another server running?); "
        f"try --port {port + 1}\n"
    )
    assert not (project / "site").exists()


def test_ctrl_c_stops_the_server_cleanly_with_exit_code_0(project: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "-C", str(project), "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        # A shell without job control starts background jobs with SIGINT ignored; a person
        # at a terminal has it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            lines.append(process.stdout.readline())
            if lines[-1].startswith("serving ") or not lines[-1]:
                break
        found = re.search(r"at http://127\.0\.0\.1:(\d+)/ ", lines[-1])
        assert found, lines
        connection = http.client.HTTPConnection("127.0.0.1", int(found.group(1)), timeout=WAIT)
        connection.request("GET", "/")
        assert connection.getresponse().status == 200
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "Traceback" not in err
    assert out.rstrip().endswith("stopped")


def test_the_404_page_is_rebased_to_the_preview_root_when_served() -> None:
    page = b'<head>\n<base href="/forklaret/">\n</head><body><a href="index.html">x</a></body>'
    assert rebase_not_found(page) == (
        b'<head>\n<base href="/">\n</head><body><a href="index.html">x</a></body>'
    )
    assert rebase_not_found(b"<head></head>") == b"<head></head>"
