"""Regional context: typology of NUTS 2 regions, case selection, maps, country profiles.

Methods dossier §1.2 (case selection by multivariate analysis, a design of ours
modelled on LOCALISE WP3), §4.3 (outlier treatment) and §8.7 (clustering).
Outputs of the case selection are labelled "selection proposed by localise".

Typical use::

    from localise.context import MatrixSpec, build_matrix, RegionalTypology, select_cases
    matrix = build_matrix(panel, MatrixSpec.make(countries=["FR", "DE"], period=[2011, 2013]))
    result = RegionalTypology(method="ward", seed=0).fit(matrix)
    cases = select_cases(result, n_cases=3)
"""

from localise.context.gap import GapResult, gap_statistic, within_dispersion
from localise.context.matrix import (
    DEFAULT_INDICATORS,
    DEFAULT_ORIENTATION,
    LOCALISE_COUNTRIES,
    ContextMatrix,
    MatrixSpec,
    build_matrix,
    parse_indicator,
    treat_outliers,
)
from localise.context.plots import MapOutcome, load_boundaries, plot_k_choice, plot_scores, typology_map
from localise.context.profile import (
    DEFAULT_OUTCOMES,
    FrameworkOutcome,
    country_context,
    national_framework,
    outcome_trends,
    plot_saved_scores,
    plot_trends,
    saved_position,
    saved_typology,
    typology_position,
)
from localise.context.selection import CaseSelection, StabilityResult, select_cases, selection_stability
from localise.context.typology import (
    PROPOSED_LABEL,
    PCAResult,
    RegionalTypology,
    TypologyResult,
    cluster_labels,
    fit_pca,
    structure_verdict,
)

__all__ = [
    "DEFAULT_OUTCOMES",
    "FrameworkOutcome",
    "MapOutcome",
    "load_boundaries",
    "country_context",
    "national_framework",
    "outcome_trends",
    "plot_k_choice",
    "plot_scores",
    "plot_trends",
    "saved_typology",
    "structure_verdict",
    "saved_position",
    "plot_saved_scores",
    "typology_map",
    "typology_position",
    "DEFAULT_INDICATORS",
    "DEFAULT_ORIENTATION",
    "LOCALISE_COUNTRIES",
    "PROPOSED_LABEL",
    "CaseSelection",
    "ContextMatrix",
    "GapResult",
    "MatrixSpec",
    "PCAResult",
    "RegionalTypology",
    "StabilityResult",
    "TypologyResult",
    "build_matrix",
    "cluster_labels",
    "fit_pca",
    "gap_statistic",
    "parse_indicator",
    "select_cases",
    "selection_stability",
    "treat_outliers",
    "within_dispersion",
]
