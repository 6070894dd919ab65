"""The suite's notebook rules, checked on every committed notebook."""

from __future__ import annotations

import ast
import json

import pytest
import yaml

from localise import paths

NOTEBOOKS = sorted(paths.notebooks_dir().glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_rules(notebook):
    document = json.loads(notebook.read_text(encoding="utf-8"))
    assert notebook.stem[:2].isdigit() and notebook.stem[2] == "_", "name must be NN_topic.ipynb"
    assert document["metadata"]["kernelspec"]["name"] == "python3"
    code_cells = [cell for cell in document["cells"] if cell["cell_type"] == "code"]
    for index, cell in enumerate(code_cells):
        assert not cell.get("outputs"), f"code cell {index} has outputs: commit notebooks without outputs"
        assert cell.get("execution_count") is None, f"code cell {index} has an execution count"
    tagged = [cell for cell in code_cells if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "exactly one cell must be tagged 'parameters'"
    source = "".join(tagged[0]["source"])
    for node in ast.parse(source).body:
        assert isinstance(node, (ast.Assign, ast.AnnAssign)), (
            f"parameters cell: only assignments ({ast.dump(node)[:60]})"
        )
        ast.literal_eval(node.value)  # raises if not a literal
    for index, cell in enumerate(code_cells):
        text = "".join(cell["source"])
        lines = [line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))]
        tree = ast.parse("\n".join(lines))
        defined = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        assert not defined, f"code cell {index} defines a function or class: move it into src/localise/"
        imports_tests = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
            and any(a.name.startswith("tests") for a in n.names)
            or (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("tests"))
        ]
        assert not imports_tests, f"code cell {index} imports from tests"


def test_every_notebook_is_in_the_suite():
    registry = yaml.safe_load((paths.notebooks_dir() / "suite.yml").read_text())
    registered = {entry["notebook"] for entry in registry["notebooks"].values()}
    assert {p.name for p in NOTEBOOKS} <= registered, (
        f"not in suite.yml: {sorted({p.name for p in NOTEBOOKS} - registered)}"
    )


def test_every_suite_entry_has_a_purpose_and_a_section():
    from localise.suite.registry import SECTIONS, build_plan

    for execution in build_plan().executions:
        assert execution.description, f"{execution.name}: add a one-line 'description' in notebooks/suite.yml"
        assert execution.section in SECTIONS, f"{execution.name}: 'section' must be one of {sorted(SECTIONS)}"
