# The two commands: `make run` (the portal with everything it needs) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

NODE_STAMP := node_modules/.installed

.PHONY: run test venv node lint clean

$(STAMP): requirements.txt requirements-dev.txt
	@bash scripts/ensure_build_deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

# The chain toolchain from npm, pinned by package-lock.json: solc-js, OpenZeppelin, and anvil (its native
# binary comes as an npm dependency). --ignore-scripts: nothing runs or downloads at install time.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm (Node 20) is required for the local chain: install Node.js 20." >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

node: $(NODE_STAMP)

run: venv node
	$(BIN)/python scripts/devrun.py

test: venv node
	@bash scripts/ensure_chromium.sh
	$(BIN)/python scripts/testenv.py $(ARGS)

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy .

clean:
	rm -rf $(VENV) node_modules var staticfiles .mypy_cache .ruff_cache .pytest_cache
