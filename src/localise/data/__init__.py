"""Real data layer: Eurostat bulk files, NUTS versions, processed panels, SYNTHETIC demo.

The data API used by the notebooks::

    from localise.data import load_regional_panel, load_country_panel, load_spi, load_eige
    from localise.data import nuts_geometries, nuts_names, load_demo_metadata
    from localise.data import load_governance_country_year, load_eqi_regions, governance_codebook

Processed real data are written by ``localise data fetch && localise data build``
(or ``localise data prepare``). Without them the loaders fall back to the seeded,
clearly labelled SYNTHETIC demo data of :mod:`localise.data.demo`.

Note: read the flags column as ``df["flags"]`` -- ``df.flags`` is a pandas attribute.
"""

import lazy_loader as _lazy

# Names are imported from their modules on first use (PEP 562), so that importing
# the package (and the ``localise`` command line) does not load pandas or scipy.
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "governance": [
            "governance_codebook",
            "has_governance_data",
            "load_eqi_regions",
            "load_governance_country_year",
            "load_governance_unmatched",
        ],
        "loaders": [
            "SyntheticDataWarning",
            "has_real_data",
            "load_country_panel",
            "load_demo_metadata",
            "load_eige",
            "load_regional_panel",
            "load_spi",
            "nuts_geometries",
            "nuts_names",
            "regional_countries",
        ],
    },
)
