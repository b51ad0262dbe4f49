"""A clone alone (nothing beside it) lints; the README and docs name no path outside it."""

from __future__ import annotations

import os
from pathlib import Path
import re
import subprocess

import pytest

REPO = Path(__file__).parents[1]


def hassfest_folder(repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run script/lint's look-up of hassfest for a repository at ``repo``, with ``env`` only."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CI", "GITHUB_ACTIONS", "DELESTAGE_HASSFEST")
    }
    return subprocess.run(
        ["bash", "-c", 'source "$0/script/_hassfest.sh" && hassfest_folder', str(REPO)],
        env={**clean, "REPO": str(repo), **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A contributor's clone: nothing beside it."""
    (path := tmp_path / "delestage").mkdir()
    return path


def test_outside_ci_hassfest_is_skipped_in_one_line(clone: Path) -> None:
    result = hassfest_folder(clone)

    assert result.returncode == 0
    assert result.stdout == ""  # nothing to run
    (line,) = result.stderr.splitlines()
    assert "hassfest skipped" in line
    assert "DELESTAGE_HASSFEST=" in line  # how to run it
    assert hassfest_folder(clone, CI="false").returncode == 0


@pytest.mark.parametrize("ci", ["1", "true"])
def test_on_ci_hassfest_is_required(clone: Path, ci: str) -> None:
    result = hassfest_folder(clone, CI=ci)

    assert result.returncode == 1
    assert "CI requires it" in result.stderr
    # GitHub Actions runs the real validator in validate.yml instead.
    assert hassfest_folder(clone, CI=ci, GITHUB_ACTIONS="true").returncode == 0


def test_an_offline_copy_is_found(clone: Path, tmp_path: Path) -> None:
    beside = tmp_path / "shared" / "tools" / "hassfest"
    beside.mkdir(parents=True)
    (beside / "hassfest.py").write_text("")
    elsewhere = tmp_path / "validator"
    elsewhere.mkdir()
    (elsewhere / "hassfest.py").write_text("")

    assert hassfest_folder(clone, CI="1").stdout.strip() == str(beside)
    found = hassfest_folder(clone, CI="1", DELESTAGE_HASSFEST=str(elsewhere))
    assert found.stdout.strip() == str(elsewhere)


def test_ci_entry_point_requires_hassfest() -> None:
    """.ci/run runs script/lint as CI (hassfest required), whatever the runner exports."""
    lines = (REPO / ".ci" / "run").read_text().splitlines()
    lint = [line for line in lines if "script/lint" in line and not line.startswith("#")]
    assert lint == ['CI="${CI:-1}" script/lint']


DOC_PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda page: page.name)
def test_docs_name_no_path_outside_the_repository(page: Path) -> None:
    """The README and docs/*.md name no path outside the repository (``../`` stays inside)."""
    named = re.findall(r"\.\./[\w./-]*|(?<![\w/])shared/[\w./-]+|/work/[\w./-]*", page.read_text())
    outside = [
        path
        for path in named
        if not path.startswith("../")
        or REPO.resolve() not in (page.parent / path).resolve().parents
    ]
    assert outside == []


def test_readme_names_the_test_command() -> None:
    """CI runs the README's test command: .ci/run runs script/test, and the README says so."""
    readme = (REPO / "README.md").read_text()
    assert re.search(r"^script/test\s+#", readme, re.MULTILINE)
    assert "script/test" in (REPO / ".ci" / "run").read_text().splitlines()
