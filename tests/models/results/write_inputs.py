"""Write the input panels of ``r_reference.R`` (deterministic, seeded SYNTHETIC data).

Run from the repository root: ``python tests/models/results/write_inputs.py``.
``tests/models/test_r_oracle.py`` checks that the stored panels still equal
what the generators produce, so stale references cannot pass silently.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
COLUMNS = {
    "simulated": ["geo", "country", "year", "y", "x", "treated"],
    "demo": ["geo", "country", "year", "arope", "unemployment_rate"],
    "demo_unemployment": ["geo", "country", "year", "unemployment_rate"],
}


def panels() -> dict[str, pd.DataFrame]:
    """The three panels: simulated unbalanced, demo arope ~ unemployment, demo unemployment."""
    from localise.data.demo import generate_demo
    from localise.models import prepare_panel
    from localise.models.simulate import simulate_regional_panel

    # 12 countries x 8 regions x 20 years, 7 % of rows dropped at random
    sim = simulate_regional_panel(seed=11)
    sim = sim.loc[np.random.default_rng(5).random(len(sim)) > 0.07].reset_index(drop=True)
    tables, _ = generate_demo()
    demo = prepare_panel(tables["regional_panel"], y="arope", x=["unemployment_rate"], keep=["country"])
    unemp = prepare_panel(tables["regional_panel"], y="unemployment_rate", keep=["country"])
    out = {"simulated": sim, "demo": demo, "demo_unemployment": unemp}
    return {k: v[COLUMNS[k]].reset_index(drop=True) for k, v in out.items()}


def main(folder: Path = HERE) -> None:
    for name, frame in panels().items():
        frame.to_csv(folder / f"panel_{name}.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
