# The two commands a new user needs: `make book` and `make test`. Both create .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader and jupyter-book start kernels and helper commands by name: the venv must come first on PATH.
export PATH := $(BIN):$(PATH)
export PYTHONHASHSEED := 0
# One BLAS thread per process (tools/env.py says why): the book's small networks run 20x slower when two
# processes' BLAS threads fight over two cores.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: all setup book test test-fast assignments check-assignments bench clean browser-deps font-deps node-deps sandbox-deps db-deps publish pdf bench-reader

all: book

# uv installs the requirements (~10 s where pip takes ~35 s of one core) without byte-compiling, and compileall
# then compiles the venv on every core. The bytecode must be there: the sandboxed workers and the hub's servers
# start with a clean environment and cannot write it, so without it each would compile numpy and SymPy again.
# The packages' own test suites (a quarter of the files, 40 % of the compiling) are left out: nothing imports
# them but a process that can write its own bytecode (deploy/setup.sh leaves them out of the hub's too).
# uv reads no pip configuration: the package index pip install would use (a mirror, say) is handed to it unless
# UV_INDEX_URL or UV_DEFAULT_INDEX is set. In pip install's order: PIP_INDEX_URL (:env: in `pip config list`),
# then pip.conf's [install], then [global]; not simply the first one listed, as the list is sorted and would put
# [download]'s, which pip install ignores, first. --link-mode=copy: the venv's files are its own, not hard links
# into uv's cache.
UV_INSTALL = $(BIN)/python -m uv pip install --python $(BIN)/python --quiet --link-mode=copy
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.9,<1'
	@conf=$$($(BIN)/python -m pip config list 2>/dev/null); \
	for section in :env: install global; do \
	  index=$$(sed -n "s/^$$section\.index-url='\(.*\)'$$/\1/p" <<< "$$conf"); [ -n "$$index" ] && break; done; \
	if [ -n "$$index" ] && [ -z "$${UV_INDEX_URL:-}$${UV_DEFAULT_INDEX:-}" ]; then export UV_DEFAULT_INDEX="$$index"; \
	  echo "uv: pip's index $$index"; fi; \
	set -x; $(UV_INSTALL) -r requirements.txt
	$(BIN)/python -m compileall -q -j 0 -x '/tests/' "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
	$(UV_INSTALL) --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP)

# From npm (package.json / package-lock.json): MathJax 4, which typesets every formula when the book is
# built (in node; its fonts are served from the site), and axe-core for the accessibility test.
# `npm ci` installs exactly the locked versions.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

node-deps: $(NODE_STAMP)

# The Chinese edition's figures are drawn with Chinese labels (nnlib.plotstyle.figure_language): a CJK font from
# Debian's packages (a fresh machine has none, and the build fails without it).
font-deps:
	@if ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  bash tools/debian_packages.sh "The Chinese edition's figures need a CJK font" "make book" fontconfig fonts-wqy-zenhei; fi

# The pages executed once for both editions, on both cores (tools/book_execute.py: every figure also drawn
# with its words in Chinese); then the English edition into _build/html and, at the same time on the other
# core, the Chinese edition (中文版) from the same source and the locales/ catalogs (tools/i18n.py), each
# reading its own execution cache (tools/book_build.py). The Chinese build's output is shown after the
# English one's, then the Chinese edition is copied into _build/html/zh.
book: $(STAMP) $(NODE_STAMP) font-deps
	$(BIN)/python -m tools.book_build
	$(BIN)/python -m tools.i18n install

# The course as students get it, in _build/publish/ (tools/publish.py): the student site (its notebooks
# executed from make book's cache), the homework notebooks, the wheel students install, Binder files.
publish: book
	$(BIN)/python -m tools.publish

# Chromium's headless shell comes from Debian's packages (chromium-headless-shell, tools/book_pdf.py says why);
# Playwright drives it (no browser download). A CJK font lets the screenshots show the Chinese terms instead of
# empty boxes.
browser-deps:
	@if ! command -v chromium-headless-shell >/dev/null 2>&1 || ! command -v pdffonts >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  bash tools/debian_packages.sh "The browser test needs Debian's chromium-headless-shell, a CJK font and poppler-utils" "make test" \
	    chromium-headless-shell fonts-wqy-zenhei poppler-utils; fi

# Autograding runs student code in a bubblewrap sandbox (Debian's package); it refuses to grade without it.
sandbox-deps:
	@if ! command -v bwrap >/dev/null 2>&1; then \
	  bash tools/debian_packages.sh "Autograding needs bubblewrap" "make test" bubblewrap; fi

# The gradebook can live on PostgreSQL (Debian's package; tests/test_gradebook_postgres.py starts its own server on
# 127.0.0.1 with the package's initdb and pg_ctl); psycopg, its driver, comes from requirements.txt.
db-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
	  bash tools/debian_packages.sh "The PostgreSQL gradebook test needs Debian's postgresql" "make test" postgresql; fi

# Two xdist workers on two cores (tests/conftest.py gives every process one BLAS thread). loadgroup keeps an
# xdist_group on one worker; without reordering, xdist starts the work units in collection order, which
# tests/conftest.py arranges so that the long end-to-end groups start first, on different workers.
# PYTEST_ARGS: extra options (bench/suite.py adds its timing and counting ones).
PYTEST_ARGS ?=
PYTEST := $(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

# The whole book as one PDF, linked from the introduction: the single-page build (same execution
# cache as the HTML) printed by Debian's Chromium into _build/html/ (tools/book_pdf.py); the Chinese PDF
# (tools.i18n pdf) is made at the same time, its output shown after the English one's.
pdf: book browser-deps
	@$(BIN)/python -m tools.i18n pdf > _build/zh-pdf.log 2>&1 & zh=$$!; \
	$(BIN)/jupyter-book build . --builder singlehtml -W -n --keep-going && $(BIN)/python -m tools.book_pdf; en=$$?; \
	wait $$zh; zhrc=$$?; \
	echo "--- the Chinese PDF (_build/zh-pdf.log) ---"; cat _build/zh-pdf.log; \
	if [ $$en != 0 ]; then echo "The English PDF failed (above)." >&2; exit 1; fi; \
	if [ $$zhrc != 0 ]; then echo "The Chinese PDF failed (_build/zh-pdf.log, above)." >&2; exit 1; fi

test: book pdf browser-deps sandbox-deps db-deps
	$(PYTEST)

# The suite without the book build and the browser (quick loop while editing nnlib).
test-fast: $(STAMP) sandbox-deps db-deps
	$(PYTEST) -m "not browser"

assignments: $(STAMP)
	$(BIN)/python -m tools.assignments generate --lang all

# Authoring mistakes of every assignment of solutions/ (tools/check_assignments.py: grade ids, declared names,
# visible tests, full marks and blank 0, weak checks found by mutants of the solution), then exercises/ against a
# fresh generation. Fails with one line per finding.
check-assignments: $(STAMP)
	$(BIN)/python -m tools.assignments check

# A demo class hub on 127.0.0.1 (deploy/; needs root): Debian packages, the shared read-only environment in
# /opt/ffnn, configurable-http-proxy from npm, the exchange, local users from deploy/students.example.csv and
# an instructor; then JupyterHub runs in the foreground and prints the URL and logins. Ctrl-C stops it.
.PHONY: hub
hub:
	bash deploy/hub.sh

# Lighthouse (npm, bench/package.json) with Debian's Chromium (the full browser, which Lighthouse starts itself)
# on the built book: bench/results/reader.json.
bench-reader: book browser-deps
	@if ! command -v chromium >/dev/null 2>&1; then \
	  bash tools/debian_packages.sh "Lighthouse needs Debian's chromium" "" chromium; fi
	cd bench && npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -m bench.reader

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	$(BIN)/python -m bench.run

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
