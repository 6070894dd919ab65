"""Composite indicators: frameworks (EU-SPI 2016/2020, regional social cohesion), the engine
(normalisation, weighting, aggregation, missing data, outliers, coherence) and Monte Carlo
uncertainty / Sobol sensitivity analysis. Methods dossier §3–§4.
"""

from localise.indicators.engine import CompositeIndicator, CompositeResults, pivot_panel, reference_year
from localise.indicators.framework import Framework, Node, available_frameworks, load_framework
from localise.indicators.methods import cronbach_alpha, normalise, pca_weights, power_mean, winsorise

__all__ = [
    "CompositeIndicator",
    "CompositeResults",
    "Framework",
    "Node",
    "available_frameworks",
    "load_framework",
    "pivot_panel",
    "reference_year",
    "normalise",
    "power_mean",
    "pca_weights",
    "cronbach_alpha",
    "winsorise",
    "UncertaintyAnalysis",
    "UncertaintyResults",
]


def __getattr__(name: str):  # lazy: the uncertainty module pulls SALib
    if name in {"UncertaintyAnalysis", "UncertaintyResults"}:
        from localise.indicators import uncertainty

        return getattr(uncertainty, name)
    raise AttributeError(name)
