"""The analytical grid: codebook, case registry, coding workflow, reliability, frameworks, typology.

Public entry points::

    from localise.grid import (load_codebook, load_case_registry, load_national_frameworks,
                               load_reforms, write_template, check_sheet, merge_sheets)
    from localise.grid.reliability import krippendorff_alpha, alpha_by
    from localise.grid import typology
"""

from localise.grid.codebook import Codebook, Dimension, load_codebook
from localise.grid.frameworks import LOCALISE_COUNTRIES, load_national_frameworks, load_reforms
from localise.grid.problems import ProblemCollector
from localise.grid.registry import load_case_registry

__all__ = [
    "Codebook",
    "Dimension",
    "LOCALISE_COUNTRIES",
    "ProblemCollector",
    "load_codebook",
    "load_case_registry",
    "load_national_frameworks",
    "load_reforms",
]
