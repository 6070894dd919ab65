"""Small notebooks and registries written into temporary folders for the runner tests."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """Write a notebook with one tagged parameters cell followed by ``cells``."""
    notebook = new_notebook(
        cells=[new_markdown_cell(f"# {path.stem}"), new_code_cell(parameters, metadata={"tags": ["parameters"]})]
        + [new_code_cell(source) for source in cells],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:02d}"
    nbformat.write(notebook, path)
    return path


SAVE_TABLE = """
import sys
from pathlib import Path
import pandas as pd
from localise import provenance, report
data_file = Path(data_dir) / "input.csv"
provenance.record_input(data_file)
frame = pd.read_csv(data_file)
frame["x"] = x
report.save_table(frame, f"table_{name}", index=False)
print("EXECUTABLE", sys.executable)
"""


def make_suite(folder: Path, registry_text: str, data_dir: Path) -> Path:
    """A notebooks folder with four small notebooks and the given registry."""
    folder.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "input.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    params = f'x = 1\nname = "a"\nitems = [1, 2]\nratio = 0.5\ndata_dir = "{data_dir}"'
    write_notebook(folder / "10_ok.ipynb", params, SAVE_TABLE)
    write_notebook(folder / "20_fail.ipynb", "x = 1", "y = x + 1", "raise ValueError('planted failure')")
    write_notebook(folder / "30_dependent.ipynb", "x = 1", "print(x)")
    write_notebook(folder / "40_independent.ipynb", "x = 1", "print(x * 2)")
    write_notebook(folder / "50_sleep.ipynb", "seconds = 1.0", "import time\ntime.sleep(seconds)")
    registry = folder / "suite.yml"
    registry.write_text(registry_text, encoding="utf-8")
    return registry


GOOD_REGISTRY = """
notebooks:
  10_ok:
    notebook: 10_ok.ipynb
    runs:
      - {name: first}
      - {name: second, x: 2}
  20_fail:
    notebook: 20_fail.ipynb
  30_dependent:
    notebook: 30_dependent.ipynb
    after: [20_fail]
  40_independent:
    notebook: 40_independent.ipynb
    after: [10_ok]
"""
