"""Invalid sample sites: each folder under fixtures/invalid states its input and the exact
diagnostics a user sees, all reported in one run, with nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.sitekit import build, tree

INVALID = Path(__file__).parent / "fixtures" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_an_invalid_site_reports_every_problem_and_writes_nothing(
    case: str, tmp_path: Path
) -> None:
    project = tmp_path / case
    shutil.copytree(INVALID / case, project)
    expected = (project / "expected.txt").read_text(encoding="utf-8")
    code, out, err = build(project, tmp_path / "out", "--quiet")
    assert out == ""
    assert code == 1
    assert err == expected
    assert not (tmp_path / "out").exists()


def test_every_invalid_case_expects_at_least_one_error() -> None:
    for case in CASES:
        text = (INVALID / case / "expected.txt").read_text(encoding="utf-8")
        assert ": error: " in text, case


def test_a_failed_build_leaves_the_last_good_site_exactly_as_it_was(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(INVALID / "typo-key", project)
    broken = project / "content/articles/2024/stavefejl.md"
    good_text = broken.read_text(encoding="utf-8").replace("sektion:", "section:")
    broken.write_text(good_text, encoding="utf-8")
    out = tmp_path / "site"
    assert build(project, out)[0] == 0
    before = tree(out)
    broken.write_text(good_text.replace("section:", "sektion:"), encoding="utf-8")
    code, _out, err = build(project, out)
    assert code == 1
    assert 'unknown front-matter key "sektion"' in err
    assert "left as it was" in _out
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p", "site"]
