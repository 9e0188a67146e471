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
# Where the editions go: folders people work in (git and `make clean` leave them alone).
STUDENT_DIR ?= student
COURSE_DIR ?= course
JUPYTER_BOOK_BUILD := $(BIN)/jupyter-book build . --warningiserror --keep-going --builder html

# JAX on the CPU, silently; kernels started by nbval and nbconvert inherit this.
export JAX_PLATFORMS := cpu
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help venv book test unit nbval nbval-other-isa browser chromium lab sync execute clean distclean bench sweeps semantic bias student course

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

recipes: $(STAMP) ## the paper's recipe against the default on the book's corpus (chapter 4; book/data/training.json)
	$(BIN)/python -m glove_lite.studies.recipes

scale: $(STAMP) ## time to quality on a text8-sized X beside the C tool and glove-python, and peaks (about 70 min; chapter 8)
	$(BIN)/python -m glove_lite.studies.bench_quality --methods auto,hybrid,tiled --epochs 12 --c-epochs 15 --glove-python-epochs 3 --output book/data/scale.json

warm-start: $(STAMP) ## the book's corpus trained from Stanford's vectors against a cold start (book/data/warm_start.json)
	$(BIN)/python -m glove_lite.studies.warm_start

bias: $(STAMP) ## WEAT bias tests of the book's vectors over five seeds (book/data/bias.json)
	$(BIN)/python -m glove_lite.studies.bias

# A rebuild never replaces a notebook someone edited: the new version goes to updates/.
student: $(STAMP) ## write the student edition into student/ (solutions removed; your edits are kept)
	$(BIN)/python -m glove_lite.book.edition --output $(STUDENT_DIR)

course: $(STAMP) ## write the nbgrader course into course/ (gradebook, submissions and your edits are kept)
	$(BIN)/python -m glove_lite.book.course --output $(COURSE_DIR)

# The editions hold people's work, so clean leaves them (and their checkpoints) alone; an
# edition an older version wrote into _build/ is moved out first, never deleted.
clean: ## remove build outputs and caches (keeps .venv, student/ and course/)
	@for d in student course; do \
	  if [ -d _build/$$d ]; then \
	    dest=$$d; if [ -e "$$dest" ]; then dest=$$d-from-_build; fi; \
	    mv -n _build/$$d "$$dest" && echo "kept _build/$$d (written by an older version) as $$dest/"; \
	  fi; \
	done
	rm -rf _build .pytest_cache .hypothesis
	find . \( -path ./$(VENV) -o -path ./$(STUDENT_DIR) -o -path ./$(COURSE_DIR) -o -path './student-from-_build' \
	  -o -path './course-from-_build' \) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints \) -type d -print0 | xargs -0 rm -rf

distclean: clean ## also remove .venv (keeps student/ and course/)
	rm -rf $(VENV) *.egg-info
