"""The notebook-suite runner: registry → validated plan → papermill executions → manifest.

This package knows nothing of the methods; it only runs notebooks.
"""

import lazy_loader as _lazy

# Names are imported from their modules on first use (PEP 562), so that importing
# the package (and the ``localise`` command line) does not load pandas or scipy.
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "registry": ["Execution", "SuitePlan", "build_plan", "notebook_parameters", "output_name"],
        "runner": ["RunResult", "default_workers", "run_suite"],
    },
)
