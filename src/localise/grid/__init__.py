"""The analytical grid: codebook, case registry, coding workflow, reliability, frameworks, typology.

Public entry points::

    from localise.grid import (load_codebook, load_case_registry, load_national_frameworks,
                               load_reforms, write_template, check_sheet, merge_sheets)
    from localise.grid.reliability import krippendorff_alpha, alpha_by
    from localise.grid import typology
"""

import lazy_loader as _lazy

# Names are imported from their modules on first use (PEP 562), so that importing
# the package (and the ``localise`` command line) does not load pandas or scipy.
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "codebook": ["Codebook", "Dimension", "load_codebook"],
        "frameworks": ["LOCALISE_COUNTRIES", "load_national_frameworks", "load_reforms"],
        "problems": ["ProblemCollector"],
        "registry": ["load_case_registry"],
    },
)
