"""The notebook-suite runner: registry → validated plan → papermill executions → manifest.

This package knows nothing of the methods; it only runs notebooks.
"""

from localise.suite.registry import Execution, SuitePlan, build_plan, notebook_parameters, output_name
from localise.suite.runner import RunResult, default_workers, run_suite

__all__ = [
    "Execution",
    "SuitePlan",
    "RunResult",
    "build_plan",
    "notebook_parameters",
    "output_name",
    "run_suite",
    "default_workers",
]
