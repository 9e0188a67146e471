# glove-lite: the book and its library.
#   make book   build the HTML book into _build/html (warnings are errors)
#   make test   run the whole test suite (unit tests, notebooks, built book in Chromium)
#   make lab    open the chapters in JupyterLab
# Every target creates .venv and installs the project into it when needed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.glove-lite-installed
CHAPTERS := $(sort $(wildcard book/[0-9][0-9]_*.md))
NB ?= $(CHAPTERS)
JUPYTER_BOOK_BUILD := $(BIN)/jupyter-book build . --warningiserror --keep-going --builder html

# JAX on the CPU, silently; kernels started by nbval and nbconvert inherit this.
export JAX_PLATFORMS := cpu
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv book test unit nbval nbval-other-isa browser chromium lab sync execute clean distclean bench sweeps semantic student course

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes (the stamp is newer otherwise).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install the project with its book and test extras

book: $(STAMP) ## build the HTML book into _build/html (open _build/html/index.html)
	$(JUPYTER_BOOK_BUILD) --all
	@echo "Book built: open _build/html/index.html"

chromium: ## install Debian's chromium for the browser test (needs root)
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

test: $(STAMP) chromium ## run every test: unit tests, nbval over book/*.ipynb (twice: native and other ISA), browser test
	$(BIN)/python -m pytest tests book --nbval --nbval-current-env
	$(MAKE) --no-print-directory nbval-other-isa

unit: $(STAMP) ## run the tests in tests/ only (no notebook replay)
	$(BIN)/python -m pytest tests

nbval: $(STAMP) ## replay the chapter notebooks and compare their stored outputs
	$(BIN)/python -m pytest tests book --nbval --nbval-current-env --ignore-glob='tests/test_*.py'

# Stored outputs must not depend on the CPU: replay the chapters with numpy, OpenBLAS, numba
# and XLA held to an instruction set below this machine's (AVX2 on an AVX-512 CPU, else
# SSE4.2), from an empty cache so that the vectors are trained again under it.
nbval-other-isa: $(STAMP) ## replay the chapters under another instruction set (see tests/other_isa.py)
	@cache=$$(mktemp -d) && trap 'rm -rf "$$cache"' EXIT && \
	GLOVE_LITE_CACHE="$$cache" $(BIN)/python tests/other_isa.py -- \
	  $(BIN)/python -m pytest book --nbval --nbval-current-env -p no:cacheprovider \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg

browser: $(STAMP) chromium ## build the book and check every page in headless Chromium
	$(BIN)/python -m pytest tests/test_browser.py

sync: $(STAMP) ## sync each chapter's .md and .ipynb (the newer one wins)
	$(BIN)/jupytext --sync $(CHAPTERS)

# Prints of a cell that follow one another are stored as one stream (one box in the book),
# however far apart in time they were made (nbconvert's CoalesceStreamsPreprocessor).
execute: $(STAMP) ## run chapters in a fresh kernel and store outputs: make execute [NB=book/03_loss.md]
	@set -e; for md in $(NB); do \
	  nb="$${md%.md}.ipynb"; \
	  $(BIN)/jupytext --sync "$$md"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.record_timing=False --ExecutePreprocessor.timeout=600 \
	    --NotebookExporter.preprocessors=nbconvert.preprocessors.CoalesceStreamsPreprocessor "$$nb"; \
	  $(BIN)/jupytext --sync "$$md"; \
	done

LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
$(LAB_SETTINGS): | $(STAMP)
	mkdir -p $(dir $@)
	echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $@

lab: $(STAMP) $(LAB_SETTINGS) ## open JupyterLab on book/ (.md chapters open as notebooks)
	$(BIN)/jupyter lab --notebook-dir=book $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP) ## run the benchmarks
	$(BIN)/python -m glove_lite.studies.bench

sweeps: $(STAMP) ## run the hyper-parameter sweeps
	$(BIN)/python -m glove_lite.studies.sweeps

semantic: $(STAMP) ## train the eras x seeds and controls of the semantic-change chapter
	$(BIN)/python -m glove_lite.studies.semantic_change

student: $(STAMP) ## write the student edition (solutions removed) into _build/student/
	$(BIN)/python -m glove_lite.book.student

course: $(STAMP) ## write the nbgrader course (one assignment per chapter) into _build/course/
	$(BIN)/python -m glove_lite.book.student --course _build/course

clean: ## remove build outputs and caches (keeps .venv)
	rm -rf _build .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf

distclean: clean ## also remove .venv
	rm -rf $(VENV) *.egg-info
