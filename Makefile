# Two commands on a fresh machine (Python 3.11+, no conda):
#   make report   create .venv, install, build the illustrative data if needed, run the quarterly job
#   make test     create .venv, install, run the whole test suite (make test-fast: without the slow tests)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PERIOD ?= data-latest

.PHONY: install git-filter report test test-fast lab explore data benchmark clean

install: $(STAMP) git-filter

# Notebooks are committed without outputs: nbstripout cleans them on `git add` (.gitattributes names
# the filter; the command is relative, so it runs each work tree's own .venv).
git-filter:
	-@git rev-parse --git-dir >/dev/null 2>&1 && \
	 git config filter.nbstripout.clean '.venv/bin/python -m nbstripout' && \
	 git config filter.nbstripout.smudge cat && \
	 git config diff.ipynb.textconv '.venv/bin/python -m nbstripout -t'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,distributed]'
	touch $(STAMP)

report: $(STAMP)
	$(BIN)/kehoach report --period $(PERIOD)

data: $(STAMP)
	$(BIN)/kehoach sample-data --force

# Tests run on every core (pytest-xdist). --dist loadgroup keeps the tests that read the session's
# quarterly batches (xdist_group "runs", set in tests/conftest.py) on one worker, which builds them once.
PYTEST := $(BIN)/python -m pytest -n auto --dist loadgroup
test: $(STAMP) git-filter
	$(PYTEST)

# Everything that needs no browser, no Jupyter kernel, no Dask cluster and no LibreOffice.
test-fast: $(STAMP) git-filter
	$(PYTEST) -m "not slow"

# --allow-root only when run as root (containers, servers), where JupyterLab refuses to start otherwise.
lab: $(STAMP) git-filter
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The explorer as an app for leaders: Voilà on this machine only (127.0.0.1, Host checked), code hidden, one kernel
# pre-warmed, idle kernels culled (kehoach/explore/service.py). EXPLORE_PORT=8866 by default; to serve the office
# network, run `.venv/bin/kehoach explore --ip 0.0.0.0` (a token is then required: given with --token, or made and printed).
EXPLORE_PORT ?= 8866
explore: $(STAMP)
	$(BIN)/kehoach explore --port $(EXPLORE_PORT)

# Every script in benchmarks/ at full size (tests/test_readme.py checks the list, tests/test_benchmarks.py their --smoke size).
benchmark: $(STAMP)
	$(BIN)/python benchmarks/progress_load.py
	$(BIN)/python benchmarks/store_import.py
	$(BIN)/python benchmarks/evaluate_scale.py
	$(BIN)/python benchmarks/quarterly_run.py
	$(BIN)/python benchmarks/province.py
	$(BIN)/python benchmarks/plan_import.py
	$(BIN)/python benchmarks/import_time.py
	$(BIN)/python benchmarks/profile_notebooks.py
	$(BIN)/python benchmarks/plan_import_hostile.py
	$(BIN)/python benchmarks/word_draft.py
	$(BIN)/python benchmarks/explore_latency.py
	$(BIN)/python benchmarks/send_memory.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache
