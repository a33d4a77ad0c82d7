"""Allow ``python -m generator`` to run the CLI."""

from __future__ import annotations

from generator.cli import run

run()
