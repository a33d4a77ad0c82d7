"""Instructions of one clean build, counted by cachegrind: a measure of a change's cost that
does not move with a noisy host's speed, as wall and CPU times do.

    python3 benchmarks/count_instructions.py --archive /tmp/ab/tiny [--code CHECKOUT]

The archive's project is copied to a fresh folder, and built once in-process (``jobs=1``, no
search) with the code of ``CHECKOUT`` (default: this checkout) first on ``sys.path``, under
``valgrind --tool=cachegrind``. Prints the count and where the site was written.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BUILD = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from generator.build import BuildOptions, build
result = build(BuildOptions(Path(sys.argv[2]), Path(sys.argv[3]), jobs=1, search=False))
sys.exit(0 if result.ok else 1)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, required=True)
    parser.add_argument("--code", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (apt-get install -y valgrind)")
    work = Path(tempfile.mkdtemp(prefix="explainer-count-"))
    project, out = work / "project", work / "site"
    shutil.copytree(args.archive, project, ignore=shutil.ignore_patterns(".explainer-cache"))
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        f"--cachegrind-out-file={work / 'cachegrind.out'}",
        sys.executable,
        "-c",
        BUILD,
        str(args.code.resolve()),
        str(project),
        str(out),
    ]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"the build failed:\n{run.stdout}{run.stderr}")
    print(f"{int(found.group(1).replace(',', '')):,} instructions; site in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
