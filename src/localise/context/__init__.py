"""Regional context: typology of NUTS 2 regions, case selection, maps, country profiles.

Case selection by multivariate analysis, a design of ours modelled on LOCALISE WP3:
see docs/methods/grid.md, "Regional context and case selection".
Outputs of the case selection are labelled "selection proposed by localise".

Typical use::

    from localise.context import MatrixSpec, build_matrix, RegionalTypology, select_cases
    matrix = build_matrix(panel, MatrixSpec.make(countries=["FR", "DE"], period=[2011, 2013]))
    result = RegionalTypology(method="ward", seed=0).fit(matrix)
    cases = select_cases(result, n_cases=3)
"""

import lazy_loader as _lazy

# Names are imported from their modules on first use (PEP 562), so that importing
# the package (and the ``localise`` command line) does not load pandas or scipy.
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "gap": ["GapResult", "gap_statistic", "within_dispersion"],
        "matrix": [
            "DEFAULT_INDICATORS",
            "DEFAULT_ORIENTATION",
            "LOCALISE_COUNTRIES",
            "ContextMatrix",
            "MatrixSpec",
            "build_matrix",
            "parse_indicator",
            "treat_outliers",
        ],
        "plots": ["MapOutcome", "load_boundaries", "plot_k_choice", "plot_scores", "typology_map"],
        "profile": [
            "DEFAULT_OUTCOMES",
            "FrameworkOutcome",
            "analysable_countries",
            "country_context",
            "national_framework",
            "outcome_trends",
            "plot_saved_scores",
            "plot_trends",
            "saved_position",
            "saved_typology",
            "typology_position",
        ],
        "selection": ["CaseSelection", "StabilityResult", "select_cases", "selection_stability"],
        "typology": [
            "PROPOSED_LABEL",
            "PCAResult",
            "RegionalTypology",
            "TypologyResult",
            "cluster_labels",
            "fit_pca",
            "structure_verdict",
        ],
    },
)
