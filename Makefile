# The two commands a newcomer runs: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv tools demo dev test lint bench lock clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# System tools the suite uses for real: redis-server and redis-sentinel (tests start their own) and kubectl.
tools:
	@command -v redis-server >/dev/null || { echo "installing redis-server from Debian's packages"; \
	  (apt-get update -qq && apt-get install -y -qq redis-server) >/dev/null; }
	@command -v redis-sentinel >/dev/null || { echo "installing redis-sentinel from Debian's packages"; \
	  (apt-get update -qq && apt-get install -y -qq redis-sentinel) >/dev/null; }
	@command -v kubectl >/dev/null || { echo "installing kubectl (kubernetes-client) from Debian's packages"; \
	  (apt-get update -qq && apt-get install -y -qq kubernetes-client) >/dev/null; }

lint: venv
	$(BIN)/ruff check cli bot workers sandbox tests
	$(BIN)/lint-imports --config pyproject.toml
	$(BIN)/mypy

# Four test processes on a two-core machine: the end-to-end tests spend most of their time waiting on
# processes they started (a migration's stages, a window, a soak), so two left the cores idle two thirds
# of the time (980 s for ~580 s of CPU); each file still runs in one process (--dist loadfile).
test: venv tools lint
	$(BIN)/python -m pytest -n 4 --dist loadfile --durations=10

demo: venv tools
	$(BIN)/ackmigrate demo

# The local stack (sandbox, its own Redis, bot, worker) under honcho, until Ctrl-C; see the README.
dev: venv tools
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f deploy/Procfile.sandbox start

bench: venv tools
	$(BIN)/python -m tests.bench

# The container image installs exactly these versions (pip --require-hashes); regenerate after
# changing dependencies in pyproject.toml.
lock: venv
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file=requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
