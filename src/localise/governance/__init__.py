"""Comparative governance study on published measures (notebook 12).

Pure functions of data frames; the data come from :mod:`localise.data.governance`
(Local Autonomy Index, Regional Authority Index, IMF fiscal decentralisation, European
Quality of Government Index) and the Eurostat panels of :mod:`localise.data`.

- :mod:`localise.governance.atlas`: how countries' configurations differ and changed (tables, figures, maps).
- :mod:`localise.governance.configurations`: country-level fsQCA inputs, anchor diagnostics,
  typical and deviant cases (Schneider and Rohlfing 2013), robustness summaries.
- :mod:`localise.governance.multilevel`: regions in countries, cross-level models with a
  country-level wild cluster bootstrap; region fixed effects across EQI waves.
- :mod:`localise.governance.events`: :func:`rai_events`, treatment dates from changes in regional authority.
- :mod:`localise.governance.validity`: the grid's national framework codes against LAI, RAI and IMF.
"""

from localise.governance.configurations import (
    anchor_report,
    case_roles,
    country_conditions,
    distribution_gaps,
    robustness_overview,
    term_case_roles,
)
from localise.governance.events import rai_events
from localise.governance.validity import framework_validity

__all__ = [
    "anchor_report",
    "case_roles",
    "country_conditions",
    "distribution_gaps",
    "framework_validity",
    "rai_events",
    "robustness_overview",
    "term_case_roles",
]
