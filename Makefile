# Two entry points a newcomer needs: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint setup setup-dev clean

$(BIN)/uv:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q uv 2>&1 | grep -v "is ignored" || true

# --compile-bytecode and compileall: where PYTHONDONTWRITEBYTECODE is set, every command would otherwise
# compile its imports from source again (seconds instead of well under one).
setup: $(BIN)/uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e .
	$(BIN)/python -m compileall -q incidents breach flows >/dev/null

setup-dev: $(BIN)/uv
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]'
	$(BIN)/python -m compileall -q incidents breach flows >/dev/null
	@# Prism (SendGrid's API on loopback) and axe-core (accessibility checks in the browser tests), in one
	@# install: npm without a package.json removes what a later --no-save install did not name
	@if command -v npm >/dev/null 2>&1 && { [ ! -x node_modules/.bin/prism ] || [ ! -f node_modules/axe-core/axe.min.js ]; }; then \
		npm install --no-save --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5.9.0 axe-core@4.10.2 >/dev/null || true; fi

demo: setup
	$(BIN)/breach demo

# The suite runs on SQLite and on PostgreSQL (.ci/postgres.sh starts Debian's, installing it as root if missing).
test: setup-dev
	@.ci/browser.sh >/dev/null || true
	@.ci/spamassassin.sh >/dev/null || true
	@url="$${BREACH_TEST_POSTGRES_URL:-$$(.ci/postgres.sh || true)}"; \
	BREACH_TEST_POSTGRES_URL="$$url" $(BIN)/python -m pytest -q $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc = 5 ]; then echo "no tests collected"; rc=0; fi; exit $$rc

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules demo-workspace
