"""Panel, multilevel and event-study models (methods dossier §10).

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

from localise.models.eventstudy import EventStudy, EventStudyResults, treatment_years
from localise.models.multilevel import MultilevelModel, MultilevelResults, variance_decomposition
from localise.models.panel import PanelRegression, PanelResults, prepare_panel
from localise.models.tables import RegressionTable, save_estimates, tidy
from localise.models.wildboot import FEW_CLUSTERS_WARNING, WildBootResult, wild_cluster_bootstrap

__all__ = [
    "EventStudy",
    "EventStudyResults",
    "treatment_years",
    "MultilevelModel",
    "MultilevelResults",
    "variance_decomposition",
    "PanelRegression",
    "PanelResults",
    "prepare_panel",
    "RegressionTable",
    "save_estimates",
    "tidy",
    "FEW_CLUSTERS_WARNING",
    "WildBootResult",
    "wild_cluster_bootstrap",
]
