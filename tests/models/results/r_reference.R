# R reference outputs for tests/models/test_r_oracle.py.
#
# Inputs: the panels panel_<case>.csv in this folder (written by
# `python tests/models/results/write_inputs.py`, a deterministic function of the
# seeded SYNTHETIC generators). Outputs, one per case, 17 significant digits:
#   plm_<case>.csv   two-way FE (plm, within, twoways) with clustered SEs by region:
#                    HC0 (plain sandwich) and "sss" (Stata small-sample factor)
#   lme4_<case>.csv  random intercepts for country and region within country (lme4,
#                    REML, bobyqa): variance components, fixed effects, REML log-lik.
# Run from the repository root:  Rscript tests/models/results/r_reference.R [outdir]
# Needs r-base-core, r-cran-plm, r-cran-lme4.
suppressMessages({library(plm); library(lme4)})
args <- commandArgs(trailingOnly = TRUE)
here <- "tests/models/results"
outdir <- if (length(args) >= 1) args[1] else here
write17 <- function(df, file) {
  write.csv(format(df, digits = 17), file.path(outdir, file), row.names = FALSE, quote = FALSE)
}
cases <- list(
  simulated = list(y = "y", x = c("x", "treated"), lme_x = "x", years = FALSE),
  demo = list(y = "arope", x = c("unemployment_rate"), lme_x = "unemployment_rate", years = FALSE),
  demo_unemployment = list(y = "unemployment_rate", x = character(0), lme_x = NULL, years = TRUE)
)
for (name in names(cases)) {
  cs <- cases[[name]]
  d <- read.csv(file.path(here, paste0("panel_", name, ".csv")), stringsAsFactors = FALSE)
  if (length(cs$x) > 0) {
    pd <- pdata.frame(d, index = c("geo", "year"))
    m <- plm(reformulate(cs$x, cs$y), data = pd, model = "within", effect = "twoways")
    v0 <- vcovHC(m, method = "arellano", type = "HC0", cluster = "group")
    v1 <- vcovHC(m, method = "arellano", type = "sss", cluster = "group")
    write17(data.frame(term = names(coef(m)), estimate = unname(coef(m)),
                       se_hc0 = sqrt(diag(v0)), se_sss = sqrt(diag(v1))), paste0("plm_", name, ".csv"))
  }
  rhs <- c(if (is.null(cs$lme_x)) "1" else cs$lme_x, if (cs$years) "factor(year)", "(1 | country)", "(1 | geo)")
  ml <- lmer(reformulate(rhs, cs$y), data = d, REML = TRUE,
             control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
  vc <- as.data.frame(VarCorr(ml))
  fx <- fixef(ml)
  keep <- !grepl("^factor\\(year\\)", names(fx))
  write17(data.frame(term = c(paste0("var_", vc$grp), names(fx)[keep], "reml_loglik"),
                     value = c(vc$vcov, unname(fx[keep]), as.numeric(logLik(ml)))),
          paste0("lme4_", name, ".csv"))
}
