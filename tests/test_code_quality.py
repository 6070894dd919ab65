"""Lint (ruff) and static types (mypy) of the package, run as part of ``make test``.

The settings live in ``pyproject.toml`` (``[tool.ruff]``, ``[tool.mypy]``). Also checked here:
the code is formatted as ``ruff format`` writes it, and no function of the package is longer
than :data:`MAX_FUNCTION_LINES` lines without a stated reason.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from localise import paths


def _tool(name: str) -> list[str]:
    """Command running a checker of the ``test`` extra with the running interpreter."""
    assert importlib.util.find_spec(name) is not None, f"{name} is not installed: pip install -e '.[test]'"
    return [sys.executable, "-m", name]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing_in_src_tests_and_benchmarks():
    result = _run([*_tool("ruff"), "check", "--no-cache", "src", "tests", "benchmarks"])
    assert result.returncode == 0, f"ruff check src tests benchmarks:\n{result.stdout}{result.stderr}"


@pytest.mark.slow
def test_mypy_finds_nothing_in_the_package():
    result = _run([*_tool("mypy"), "src/localise"])
    assert result.returncode == 0, f"mypy src/localise:\n{result.stdout}{result.stderr}"


def test_code_is_formatted_as_ruff_format_writes_it():
    result = _run([*_tool("ruff"), "format", "--check", "--no-cache", "src", "tests", "benchmarks"])
    assert result.returncode == 0, (
        f"ruff format --check (run `ruff format src tests benchmarks`):\n{result.stdout}{result.stderr}"
    )


#: Longest function allowed, in lines from ``def`` to its end, not counting the docstring.
MAX_FUNCTION_LINES = 60

#: A function may be longer when a comment starting with this stands right under its signature.
LONG_REASON = "# long:"


def function_lengths(folder: Path) -> list[tuple[str, int, bool]]:
    """Length of every function under ``folder``.

    Returns
    -------
    list of tuple
        ``(place, lines, reasoned)``: ``place`` is ``file:line name``; ``lines`` counts from
        ``def`` to the function's last line without the docstring; ``reasoned`` tells whether a
        :data:`LONG_REASON` comment stands between the signature and the first statement after
        the docstring.
    """
    rows = []
    for path in sorted(folder.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            body = node.body
            if ast.get_docstring(node, clean=False) is not None:
                length -= body[0].end_lineno - body[0].lineno + 1  # type: ignore[operator]
                body = body[1:] or body
            head = lines[node.lineno - 1 : body[0].lineno]
            reasoned = any(line.strip().startswith(LONG_REASON) for line in head)
            rows.append((f"{path.relative_to(folder.parent)}:{node.lineno} {node.name}", length, reasoned))
    return rows


def _too_long(folder: Path) -> list[str]:
    return [
        f"{place} ({length} lines)"
        for place, length, reasoned in function_lengths(folder)
        if length > MAX_FUNCTION_LINES and not reasoned
    ]


def test_no_function_is_longer_than_the_limit_without_a_stated_reason():
    too_long = _too_long(paths.PROJECT_ROOT / "src" / "localise")
    assert not too_long, (
        f"functions over {MAX_FUNCTION_LINES} lines (docstring not counted) without a "
        f"'{LONG_REASON} <reason>' comment under the signature:\n" + "\n".join(too_long)
    )


def test_the_length_check_flags_a_long_function_and_accepts_a_stated_reason(tmp_path):
    def statements(count: int) -> str:
        return "".join(f"    x{i} = {i}\n" for i in range(count))

    docstring = '    """Docstring lines do not count.\n\n    More.\n    """\n'
    # With the ``def`` line: exactly the limit, one over, and one over with a reason.
    (tmp_path / "short.py").write_text(f"def fits():\n{docstring}{statements(MAX_FUNCTION_LINES - 1)}")
    (tmp_path / "long.py").write_text(f"def too_long():\n{docstring}{statements(MAX_FUNCTION_LINES)}")
    reason = "    # long: a port kept whole\n"
    (tmp_path / "reasoned.py").write_text(f"def reasoned():\n{docstring}{reason}{statements(MAX_FUNCTION_LINES)}")
    lengths = {place.split()[-1]: length for place, length, _ in function_lengths(tmp_path)}
    assert lengths == {
        "fits": MAX_FUNCTION_LINES,
        "too_long": MAX_FUNCTION_LINES + 1,
        "reasoned": MAX_FUNCTION_LINES + 2,
    }
    assert [entry.split()[-3] for entry in _too_long(tmp_path)] == ["too_long"]
