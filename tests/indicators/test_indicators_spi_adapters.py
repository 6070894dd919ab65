"""The adapters from the tidy ``load_spi`` schema give the same results as the mirror files.

The tidy tables are built here from the mirror CSVs in the schema documented by
``localise.data.load_spi`` (2016: geo, component, value; 2020: geo, country, position, value;
goalposts: position, inverted, utopian, dystopian)."""

from __future__ import annotations

import pandas as pd
import pytest

from localise.indicators import CompositeIndicator, load_framework, spi

pytestmark = pytest.mark.mirror


def test_2016_adapter_reproduces_published_index(mirror_dir):
    wide = pd.read_csv(mirror_dir / "spi" / "eu_spi_2016_component_scores.csv", index_col="Region Code")
    tidy = wide.rename_axis("geo").reset_index().melt(id_vars="geo", var_name="component", value_name="value")
    res = CompositeIndicator("eu_spi_2016").fit(spi.spi2016_wide(tidy))
    table = spi.compare_published(res.index, spi.PUBLISHED_2016_INDEX)
    assert (table["difference"].abs() < 0.005).all()  # equal after rounding to two decimals


def test_2020_adapter_and_goalposts_match_the_yaml(mirror_dir):
    folder = mirror_dir / "spi"
    raw = pd.read_csv(folder / "eu_spi_2020_raw_indicators_regional.csv")
    nat = pd.read_csv(folder / "eu_spi_2020_raw_indicators_national.csv")
    gp = pd.read_csv(folder / "eu_spi_2020_utopia_dystopia.csv")
    gp_tidy = pd.DataFrame(
        {
            "position": range(1, 56),
            "inverted": gp["Inverted"],
            "utopian": gp["Utopian value"],
            "dystopian": gp["Dystopian value"],
        }
    )
    fw = spi.spi2020_framework(gp_tidy)
    assert fw.nodes == load_framework("eu_spi_2020").nodes  # goalposts in the YAML = the published table

    def tidy(df, geo_col):
        values = df.iloc[:, -55:]
        values.columns = range(1, 56)
        out = values.assign(geo=df[geo_col], country=df["Country"]).melt(
            id_vars=["geo", "country"], var_name="position", value_name="value"
        )
        return out

    reg_wide, country = spi.spi2020_wide(tidy(raw, "NUTS region"), fw)
    nat_wide, _ = spi.spi2020_wide(tidy(nat, "Country"), fw)
    direct = CompositeIndicator("eu_spi_2020").fit(raw.set_index("NUTS region"))
    via = CompositeIndicator(fw).fit(reg_wide)
    pd.testing.assert_series_equal(via.index.sort_index(), direct.index.sort_index(), check_names=False)
    filled, mask = spi.fill_from_national(reg_wide, nat_wide, country)
    assert int(mask.to_numpy().sum()) > 0
    assert filled.isna().to_numpy().sum() < reg_wide.isna().to_numpy().sum()
    assert spi.select_countries(filled, ["se"]).index.str.startswith("SE").all()
