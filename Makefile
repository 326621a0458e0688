# Two commands on a fresh machine (Python 3.11+, no conda):
#   make report   create .venv, install, build the illustrative data if needed, run the quarterly job
#   make test     create .venv, install, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PERIOD ?= data-latest

.PHONY: install report test lab data benchmark clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,distributed]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/kehoach report --period $(PERIOD)

data: $(STAMP)
	$(BIN)/kehoach sample-data --force

test: $(STAMP)
	$(BIN)/python -m pytest

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

benchmark: $(STAMP)
	$(BIN)/python benchmarks/progress_load.py
	$(BIN)/python benchmarks/evaluate_scale.py
	$(BIN)/python benchmarks/quarterly_run.py --province
	$(BIN)/python benchmarks/plan_import.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache
