"""The data API a notebook imports does not pull in pandera (issue 15, notebook start-up).

pandera is only needed when a schema validates a table during ``localise data build``;
importing it costs a sizeable share of a small notebook's start-up.
"""

from __future__ import annotations

import subprocess
import sys


def test_notebook_data_imports_leave_pandera_unloaded():
    code = (
        "import sys; import localise.data; import localise.data.urban_audit; "
        "import localise.cohesion.active_inclusion; print(sorted(m for m in sys.modules if m.startswith('pandera')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_schemas_still_import_pandera_when_used():
    from localise.data.urban_audit import city_schema

    assert type(city_schema()).__module__.startswith("pandera")
