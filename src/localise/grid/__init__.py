"""The analytical grid: codebook, case registry, coding workflow, reliability, frameworks, typology."""
