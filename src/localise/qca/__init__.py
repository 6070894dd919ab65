"""Configurational comparison: Qualitative Comparative Analysis (QCA).

A QCA engine that reproduces R's ``QCA`` package (Dusa) on the shared reference cases:
calibration, truth tables, exact Boolean minimisation with all minimal models,
parameters of fit, necessity and superset/subset search, plus robustness and plots.
See docs/methods/qca.md, "Qualitative Comparative Analysis".
"""

import lazy_loader as _lazy

# Names are imported from their modules on first use (PEP 562), so that importing
# the package (and the ``localise`` command line) does not load pandas or scipy.
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "calibrate": ["calibrate", "grid_codes_to_fuzzy"],
        "fit": ["FitResult", "necessity_fit", "pof", "sufficiency_fit"],
        "minimise": ["IntermediateSolution", "Solution", "minimize"],
        "necessity": ["necessity", "super_subset"],
        "truthtable": ["TruthTable", "truth_table"],
    },
)
