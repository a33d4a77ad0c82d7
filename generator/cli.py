"""The command line: parse arguments, call one function, print diagnostics, return an exit code.

Exit codes: 0 success, 1 content errors, 2 usage errors.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from generator import __version__
from generator.build import WAITING, BuildOptions, BuildResult, build
from generator.diagnostics import Diagnostic
from generator.parallel import WorkerLost

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2

EPILOG_BUILD = """examples:
  explainer build                 build ./content into ./site
  explainer build -C ../arkiv     build another project
  explainer build --out public    write the site to ./public
  explainer build --drafts        include articles with draft: true
  explainer build --no-search     quicker build without the search index

exit codes: 0 built, 1 content errors (site/ left untouched), 2 usage error"""

EPILOG_IMPORT = """examples:
  explainer import ritzau-2024-11-12-nordkorea-rusland.txt
  explainer import wire/              import every .txt file in wire/
  explainer import --force story.txt  overwrite an article edited by hand

exit codes: 0 imported or unchanged, 1 a file could not be imported, 2 usage error"""

EPILOG_SERVE = """examples:
  explainer serve                 build, then preview at http://127.0.0.1:8000/
  explainer serve --port 8001     use another port
  explainer serve --drafts        preview draft articles too
  explainer serve --no-search     quicker rebuilds without the search index
  explainer serve -C ../arkiv     preview another project

Saving a file in content/ (site.yaml included) or templates/ rebuilds the site and reloads
open pages. When a build fails, its errors are shown over the page and in the terminal, and the
last good site is served until the next build succeeds. Ctrl-C stops the server.

exit codes: 0 stopped with Ctrl-C, 2 usage error (such as a port in use)"""

EPILOG_CHECK = """examples:
  explainer check                 check everything a build checks; write nothing
  explainer check --strict        fail on warnings too
  explainer check --drafts        check draft articles too

exit codes: 0 no errors, 1 content errors (or warnings with --strict), 2 usage error"""

EPILOG_NEW = """examples:
  explainer new "Aftalen træder i kraft"
  explainer new "Aftalen træder i kraft" --section Udland
  explainer new "The treaty takes effect" --language en --date 2024-12-04T09:30

The file is content/articles/<year>/<slug>.md, with draft: true until you remove that line.
Preview it with 'explainer serve --drafts'.

exit codes: 0 created, 1 the file exists or site.yaml is invalid, 2 usage error"""


class Printer:
    """Where diagnostics and the summary go, honouring --quiet and --verbose."""

    def __init__(self, out: TextIO, err: TextIO, quiet: bool = False, verbose: bool = False):
        self.out, self.err, self.quiet, self.verbose = out, err, quiet, verbose

    def diagnostics(self, diagnostics: Sequence[Diagnostic]) -> None:
        for d in diagnostics:
            if d.severity == "error" or not self.quiet:
                print(d, file=self.err)

    def info(self, message: str) -> None:
        if not self.quiet:
            print(message, file=self.out)

    def detail(self, message: str) -> None:
        if self.verbose:
            print(message, file=self.err)

    def notice(self, message: str) -> None:
        """A word on what the command is doing, to stderr, so that stdout stays its result."""
        if not self.quiet:
            print(message, file=self.err, flush=True)

    def progress(self, stage: str) -> None:
        if not self.quiet and self.err.isatty():
            print(f"\r\x1b[K{stage}…", end="", file=self.err, flush=True)

    def end_progress(self) -> None:
        if not self.quiet and self.err.isatty():
            print("\r\x1b[K", end="", file=self.err, flush=True)


def _summary(result: BuildResult, out: Path) -> str:
    errors = sum(1 for d in result.diagnostics if d.severity == "error")
    if not result.ok:
        return (
            f"build failed: {errors} error(s), {result.warnings} warning(s); {out} left as it was"
        )
    return (
        f"built {result.pages} pages ({result.files} files) into {out} in {result.seconds:.2f} s, "
        f"{result.warnings} warning(s)"
    )


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-C",
        "--project",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="project folder (default: .)",
    )


def _add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print errors only (no warnings, no summary)"
    )


def _refused_output(project: Path, out: Path, printer: Printer) -> bool:
    """Say so, and True, when ``out`` cannot be the output folder (see ``output_problem``)."""
    from generator.output import output_problem

    problem = output_problem(project, out)
    if problem is not None:
        print(f"{out}: error: not an output folder: {problem}", file=printer.err)
    return problem is not None


def cmd_build(args: argparse.Namespace, printer: Printer) -> int:
    out = args.out if args.out is not None else args.project / "site"
    if _refused_output(args.project, out, printer):
        return EXIT_USAGE
    result = build(
        BuildOptions(
            project=args.project,
            out=out,
            drafts=args.drafts,
            jobs=args.jobs,
            search=not args.no_search,
        ),
        progress=printer.progress,
        waiting=lambda: printer.notice(WAITING),
    )
    printer.end_progress()
    printer.diagnostics(result.diagnostics)
    for stage, seconds in result.timings.items():
        printer.detail(f"  {stage}: {seconds:.3f} s")
    printer.info(_summary(result, out))
    return EXIT_OK if result.ok else EXIT_CONTENT


def cmd_import(args: argparse.Namespace, printer: Printer) -> int:
    from generator.importer import run_import

    return run_import(args.paths, args.project, args.force, printer.out, printer.err)


def cmd_serve(args: argparse.Namespace, printer: Printer) -> int:
    from generator.serve import ServeOptions, serve

    out = args.out if args.out is not None else args.project / "site"
    if _refused_output(args.project, out, printer):
        return EXIT_USAGE
    options = ServeOptions(args.project, out, args.host, args.port, args.drafts, not args.no_search)
    return serve(options, printer.out, printer.err)


def cmd_check(args: argparse.Namespace, printer: Printer) -> int:
    from generator.serve import check_project, check_summary

    result = check_project(args.project, drafts=args.drafts)
    if args.strict:
        for diagnostic in result.diagnostics:
            print(diagnostic, file=printer.err)
    else:
        printer.diagnostics(result.diagnostics)
    printer.info(check_summary(result, args.strict))
    return EXIT_OK if result.passed(args.strict) else EXIT_CONTENT


def cmd_new(args: argparse.Namespace, printer: Printer) -> int:
    from generator.scaffold import run_new

    return run_new(
        args.project,
        args.title,
        printer.out,
        printer.err,
        section=args.section,
        date=args.date,
        language=args.language,
    )


def _jobs(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a number of processes (0 or more): {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return int(text)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explainer",
        description="Build annotated explainer archives: linked entities, background notes, "
        "a browsable static site.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'explainer COMMAND --help' for a command's options and examples.\n\n"
        "exit codes: 0 ok, 1 content errors, 2 usage error",
    )
    parser.add_argument("--version", action="version", version=f"explainer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser(
        "build",
        help="build the site",
        description="Build the static site from content/ into site/ (or --out).",
        epilog=EPILOG_BUILD,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(p)
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: PROJECT/site)",
    )
    p.add_argument("--drafts", action="store_true", help="include draft articles")
    p.add_argument(
        "--no-search",
        action="store_true",
        help="skip the search index for a quicker build (the search page says so)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=0,
        metavar="N",
        help="worker processes (default, or 0: one per core, at most 8)",
    )
    _add_quiet(p)
    p.add_argument("-v", "--verbose", action="store_true", help="print the time of each stage")
    p.set_defaults(run=cmd_build)

    p = commands.add_parser(
        "import",
        help="import wire copy as articles",
        description="Import Ritzau wire copy (.txt as scraped) into content/articles/<year>/<slug>.md.",
        epilog=EPILOG_IMPORT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(p)
    p.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_DIR")
    p.add_argument(
        "--force", action="store_true", help="overwrite articles that were edited by hand"
    )
    p.set_defaults(run=cmd_import)

    p = commands.add_parser(
        "serve",
        help="preview the site, rebuilding and reloading on every change",
        description="Build the site, serve it on this machine and rebuild it when a file changes.",
        epilog=EPILOG_SERVE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--port", type=_port, default=8000, help="port to listen on (default: 8000; 0: any free)"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: PROJECT/site)",
    )
    p.add_argument("--drafts", action="store_true", help="include draft articles")
    p.add_argument(
        "--no-search",
        action="store_true",
        help="skip the search index for quicker rebuilds (the search page says so)",
    )
    p.set_defaults(run=cmd_serve)

    p = commands.add_parser(
        "check",
        help="check the content without writing the site",
        description="Run the whole build in memory, the internal link check included, and "
        "report every problem. Nothing is written.",
        epilog=EPILOG_CHECK,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(p)
    p.add_argument("--strict", action="store_true", help="fail on warnings as well as errors")
    p.add_argument("--drafts", action="store_true", help="include draft articles")
    _add_quiet(p)
    p.set_defaults(run=cmd_check)

    p = commands.add_parser(
        "new",
        help="start a new draft article",
        description="Create content/articles/<year>/<slug>.md with front matter for TITLE and "
        "print its path. An existing file is never overwritten.",
        epilog=EPILOG_NEW,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(p)
    p.add_argument("title", metavar="TITLE", help="the article's title; the slug is made from it")
    p.add_argument("--section", metavar="S", help="the section, such as Udland or Indland")
    p.add_argument(
        "--date",
        metavar="ISO",
        help="publication time, such as 2024-12-04T09:30 (default: now, in the site's time zone)",
    )
    p.add_argument("--language", metavar="L", help="language code if not the site's, such as en")
    p.set_defaults(run=cmd_new)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE
    printer = Printer(
        out, err, quiet=getattr(args, "quiet", False), verbose=getattr(args, "verbose", False)
    )
    if getattr(args, "project", None) is not None and not (args.project / "content").is_dir():
        print(
            f"{args.project}/content: error: not an explainer project (no content/ folder)",
            file=err,
        )
        return EXIT_USAGE
    try:
        return int(args.run(args, printer))
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
    except WorkerLost as exc:
        print(f"error: {exc}; the build stopped, and the site is as it was", file=err)
        return EXIT_CONTENT  # 1: the build failed, as one with errors in the content does


def run() -> NoReturn:
    """The ``explainer`` command: :func:`main`, then end the process without freeing its memory.

    A build of a large archive holds millions of objects. Freeing them one by one as the
    interpreter shuts down takes 60–100 ms, a tenth of a one-article rebuild. When ``main``
    returns there is nothing left to clean up (the output is written, worker pools are joined,
    temporary folders are removed), so the process ends once its output is flushed, as mypy's
    does. Tests call :func:`main` itself.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
