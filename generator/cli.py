"""The command line: parse arguments, call one function, print diagnostics, return an exit code.

Exit codes: 0 success, 1 content errors, 2 usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from generator import __version__
from generator.build import BuildOptions, BuildResult, build
from generator.diagnostics import Diagnostic

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
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.add_argument("-v", "--verbose", action="store_true", help="print timings and details")


def cmd_build(args: argparse.Namespace, printer: Printer) -> int:
    out = args.out if args.out is not None else args.project / "site"
    result = build(
        BuildOptions(
            project=args.project,
            out=out,
            drafts=args.drafts,
            jobs=args.jobs,
            search=not args.no_search,
        ),
        progress=printer.progress,
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


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explainer",
        description="Build annotated explainer archives: linked entities, background notes, "
        "a browsable static site.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'explainer COMMAND --help' for a command's options and examples.",
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
        type=int,
        default=0,
        metavar="N",
        help="worker processes (default: all cores)",
    )
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
