"""Composite indicators: frameworks (EU-SPI 2016/2020, regional social cohesion), the engine
(normalisation, weighting, aggregation, missing data, outliers, coherence) and Monte Carlo
uncertainty / Sobol sensitivity analysis. See docs/methods/indicators.md, "Composite indicators".
"""

import lazy_loader as _lazy

# Names are imported from their modules on first use (PEP 562), so that importing
# the package (and the ``localise`` command line) does not load pandas or scipy.
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "engine": ["CompositeIndicator", "CompositeResults", "pivot_panel", "reference_year"],
        "framework": ["Framework", "Node", "available_frameworks", "load_framework"],
        "methods": ["cronbach_alpha", "normalise", "pca_weights", "power_mean", "winsorise"],
        "uncertainty": ["UncertaintyAnalysis", "UncertaintyResults"],
    },
)
