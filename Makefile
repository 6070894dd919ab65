# The two commands of the README: `make run` and `make test`.
# A fresh machine needs only Python 3.11 and pip; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Use the data mirror beside the project when none is configured (see README, "Data").
ifeq ($(origin LOCALISE_DATA_MIRROR), undefined)
ifneq ($(wildcard ../shared/data),)
export LOCALISE_DATA_MIRROR := $(abspath ../shared/data)
endif
endif

.PHONY: run test lab data bench clean-reports help

help:
	@echo "make run    install into .venv, obtain the data, execute the whole suite into reports/<run-id>/"
	@echo "make test   install into .venv if needed and run the whole test suite"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make bench  print the benchmark figures"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,mathjax]'
	touch $(STAMP)

data: $(STAMP)
	$(BIN)/localise data prepare

run: data
	$(BIN)/localise run

test: $(STAMP)
	$(BIN)/python -m pytest

# JupyterLab refuses to start as root (containers) unless told to.
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_runner.py
	$(BIN)/python benchmarks/bench_cache.py
	$(BIN)/python benchmarks/bench_parser.py
	$(BIN)/python benchmarks/bench_qca.py
	$(BIN)/python benchmarks/bench_uncertainty.py
	$(BIN)/python benchmarks/bench_notebook_startup.py

clean-reports:
	rm -rf reports/[0-9]* reports/latest reports/interactive
