"""Lint (ruff) and static types (mypy) of the package, run as part of ``make test``.

The settings live in ``pyproject.toml`` (``[tool.ruff]``, ``[tool.mypy]``). The format
check (``ruff format --check``) is not run here: the tree has not been reformatted in
one go yet.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from localise import paths


def _tool(name: str) -> list[str]:
    """Command running a checker of the ``test`` extra with the running interpreter."""
    assert importlib.util.find_spec(name) is not None, f"{name} is not installed: pip install -e '.[test]'"
    return [sys.executable, "-m", name]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing_in_src_and_tests():
    result = _run([*_tool("ruff"), "check", "--no-cache", "src", "tests"])
    assert result.returncode == 0, f"ruff check src tests:\n{result.stdout}{result.stderr}"


@pytest.mark.slow
def test_mypy_finds_nothing_in_the_package():
    result = _run([*_tool("mypy"), "src/localise"])
    assert result.returncode == 0, f"mypy src/localise:\n{result.stdout}{result.stderr}"
