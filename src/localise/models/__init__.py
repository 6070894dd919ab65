"""Panel, multilevel and event-study models (see docs/methods/models.md).

- :mod:`localise.models.panel`: :func:`prepare_panel`, :class:`PanelRegression`
  (pooled, entity FE, two-way FE with clustered standard errors; linearmodels).
- :mod:`localise.models.multilevel`: :class:`MultilevelModel` (statsmodels MixedLM,
  regions nested in countries), :func:`variance_decomposition`.
- :mod:`localise.models.eventstudy`: :class:`EventStudy` (TWFE and Sun–Abraham),
  :func:`treatment_years`.
- :mod:`localise.models.wildboot`: :func:`wild_cluster_bootstrap` (Webb weights).
- :mod:`localise.models.tables`: :class:`RegressionTable` (LaTeX/HTML/Markdown),
  :func:`tidy`.
- :mod:`localise.models.simulate`: seeded SYNTHETIC panels for tests.
- :mod:`localise.models.workflow`: event-study outcome and reform dates for notebook 06.
"""

import lazy_loader as _lazy

# Names are imported from their modules on first use (PEP 562), so that importing
# the package (and the ``localise`` command line) does not load pandas or scipy.
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "eventstudy": ["EventStudy", "EventStudyResults", "treatment_years"],
        "multilevel": ["MultilevelModel", "MultilevelResults", "variance_decomposition"],
        "panel": ["PanelRegression", "PanelResults", "prepare_panel"],
        "tables": ["RegressionTable", "save_estimates", "tidy"],
        "wildboot": ["FEW_CLUSTERS_WARNING", "WildBootResult", "wild_cluster_bootstrap"],
    },
)
