"""Configurational comparison: Qualitative Comparative Analysis (QCA).

A QCA engine that reproduces R's ``QCA`` package (Dusa) on the shared reference cases:
calibration, truth tables, exact Boolean minimisation with all minimal models,
parameters of fit, necessity and superset/subset search, plus robustness and plots.
See ``docs/methods.md`` §8.
"""

from localise.qca.calibrate import calibrate, grid_codes_to_fuzzy
from localise.qca.fit import FitResult, necessity_fit, pof, sufficiency_fit
from localise.qca.minimise import IntermediateSolution, Solution, minimise, minimize
from localise.qca.necessity import necessity, super_subset
from localise.qca.truthtable import TruthTable, truth_table

__all__ = [
    "calibrate",
    "grid_codes_to_fuzzy",
    "truth_table",
    "TruthTable",
    "minimize",
    "minimise",
    "Solution",
    "IntermediateSolution",
    "pof",
    "FitResult",
    "sufficiency_fit",
    "necessity_fit",
    "necessity",
    "super_subset",
]
