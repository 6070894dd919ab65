"""R oracle: two-way FE (plm) and random-intercept (lme4) fits on the same panel.

The panel is written to a temporary CSV with 17 significant digits and read by R
through ``Rscript``; R prints its estimates as CSV with 17 significant digits.
Needs Debian packages ``r-base-core r-cran-plm r-cran-lme4``; skipped (with the
reason) when ``Rscript`` or the packages are absent.

Standard-error flavours compared (see ``localise.models.panel``):

* ``small_sample=False`` vs ``plm::vcovHC(method = "arellano", type = "HC0",
  cluster = "group")``: the plain cluster sandwich;
* ``small_sample=True`` vs ``type = "sss"``: Stata's G/(G-1)(N-1)/(N-K) with K the
  number of slope coefficients.

MixedLM tolerance: statsmodels (L-BFGS on a Cholesky-type parametrisation) and
lme4 (BOBYQA on the relative covariance factor) stop at different points of a
flat REML surface; both stop when the change in the objective is ~1e-8 or below,
and near an interior optimum an objective error of delta moves the parameters by
O(sqrt(delta)), i.e. ~1e-4 relative. We therefore require the REML
log-likelihoods to agree to 1e-6 relative (the objective is sharply determined)
and the variance components and fixed effects to 1e-3 relative (an order of
magnitude above the expected optimiser noise, far below any substantive
difference).
"""

from __future__ import annotations

import io
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from localise.models import MultilevelModel, PanelRegression, prepare_panel
from localise.models.simulate import simulate_regional_panel

pytestmark = pytest.mark.r_oracle


def _rscript() -> str:
    exe = shutil.which("Rscript")
    if exe is None:
        pytest.skip("Rscript not found: install r-base-core r-cran-plm r-cran-lme4 to run the R oracle tests")
    probe = subprocess.run(
        [exe, "-e", "suppressMessages({library(plm); library(lme4)})"], capture_output=True, text=True
    )
    if probe.returncode != 0:
        pytest.skip(f"R packages plm/lme4 not available: {probe.stderr.strip()[:200]}")
    return exe


def _run_r(exe: str, script: str, tmp_path) -> pd.DataFrame:
    path = tmp_path / "oracle.R"
    path.write_text(script)
    out = subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return pd.read_csv(io.StringIO(out.stdout))


@pytest.fixture(scope="module", params=["simulated", "demo"])
def case(request) -> tuple[pd.DataFrame, str, list[str]]:
    """(panel, y, x): a simulated unbalanced panel, and the processed demo panel of notebook 06."""
    if request.param == "simulated":
        # SYNTHETIC unbalanced panel: 12 countries x 8 regions x 20 years, 7% of rows dropped
        df = simulate_regional_panel(seed=11)
        rng = np.random.default_rng(5)
        return df.loc[rng.random(len(df)) > 0.07].reset_index(drop=True), "y", ["x", "treated"]
    from localise.data.demo import generate_demo

    tables, _ = generate_demo()
    panel = prepare_panel(tables["regional_panel"], y="arope", x=["unemployment_rate"], keep=["country"])
    return panel, "arope", ["unemployment_rate"]


def test_twoway_fe_matches_plm(case, tmp_path):
    exe = _rscript()
    panel, y, xs = case
    csv = tmp_path / "panel.csv"
    panel.to_csv(csv, index=False, float_format="%.17g")
    script = f"""
suppressMessages(library(plm))
d <- read.csv("{csv.as_posix()}", stringsAsFactors = FALSE)
pd <- pdata.frame(d, index = c("geo", "year"))
m <- plm({y} ~ {" + ".join(xs)}, data = pd, model = "within", effect = "twoways")
v0 <- vcovHC(m, method = "arellano", type = "HC0", cluster = "group")
v1 <- vcovHC(m, method = "arellano", type = "sss", cluster = "group")
out <- data.frame(term = names(coef(m)), estimate = unname(coef(m)),
                  se_hc0 = sqrt(diag(v0)), se_sss = sqrt(diag(v1)))
write.csv(format(out, digits = 17), stdout(), row.names = FALSE, quote = FALSE)
"""
    r = _run_r(exe, script, tmp_path).set_index("term")
    for small_sample, col in [(False, "se_hc0"), (True, "se_sss")]:
        res = PanelRegression(y, xs, effects="twoway", cluster="entity", small_sample=small_sample).fit(panel)
        np.testing.assert_allclose(res.params[xs], r.loc[xs, "estimate"].astype(float), rtol=1e-6)
        np.testing.assert_allclose(res.std_errors[xs], r.loc[xs, col].astype(float), rtol=1e-6)


def test_random_intercepts_match_lme4(case, tmp_path):
    exe = _rscript()
    panel, y, xs = case
    x = xs[0]
    csv = tmp_path / "panel.csv"
    panel.to_csv(csv, index=False, float_format="%.17g")
    script = f"""
suppressMessages(library(lme4))
d <- read.csv("{csv.as_posix()}", stringsAsFactors = FALSE)
m <- lmer({y} ~ {x} + (1 | country) + (1 | geo), data = d, REML = TRUE,
          control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
vc <- as.data.frame(VarCorr(m))
out <- data.frame(term = c(paste0("var_", vc$grp), names(fixef(m)), "reml_loglik"),
                  value = c(vc$vcov, unname(fixef(m)), as.numeric(logLik(m))))
write.csv(format(out, digits = 17), stdout(), row.names = FALSE, quote = FALSE)
"""
    r = _run_r(exe, script, tmp_path).set_index("term")["value"].astype(float)
    res = MultilevelModel(y, [x]).fit(panel)
    assert res.converged, res.summary()
    np.testing.assert_allclose(res.var_country, r["var_country"], rtol=1e-3)
    np.testing.assert_allclose(res.var_region, r["var_geo"], rtol=1e-3)
    np.testing.assert_allclose(res.var_resid, r["var_Residual"], rtol=1e-3)
    np.testing.assert_allclose(res.params[x], r[x], rtol=1e-3)
    np.testing.assert_allclose(res.params["Intercept"], r["(Intercept)"], rtol=1e-3)
    np.testing.assert_allclose(res.llf, r["reml_loglik"], rtol=1e-6)
