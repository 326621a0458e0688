# Two commands on a fresh machine (Python 3.11+, no conda):
#   make report   create .venv, install, build the illustrative data if needed, run the quarterly job
#   make test     create .venv, install, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PERIOD ?= data-latest

.PHONY: install git-filter report test lab explore data benchmark clean

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

test: $(STAMP) git-filter
	$(BIN)/python -m pytest

# --allow-root only when run as root (containers, servers), where JupyterLab refuses to start otherwise.
lab: $(STAMP) git-filter
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The explorer as an app for leaders: Voilà on this machine only, code hidden (PORT=8866 by default).
EXPLORE_PORT ?= 8866
explore: $(STAMP)
	JUPYTER_PATH=$(CURDIR)/kehoach/explore/share $(BIN)/voila notebooks/explore.ipynb --template=kehoach \
	  --Voila.ip=127.0.0.1 --port=$(EXPLORE_PORT) --no-browser --strip_sources=True

benchmark: $(STAMP)
	$(BIN)/python benchmarks/progress_load.py
	$(BIN)/python benchmarks/store_import.py
	$(BIN)/python benchmarks/evaluate_scale.py
	$(BIN)/python benchmarks/quarterly_run.py --province
	$(BIN)/python benchmarks/plan_import.py

clean:
	rm -rf $(VENV) reports/*/ .pytest_cache
