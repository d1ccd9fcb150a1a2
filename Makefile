# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SCALE  ?= 1
SEED   ?= 1

.PHONY: run test bench demo lint-imports clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

## make run: install, migrate the embedded SQLite database, load the demo province, serve on :8000
run: $(VENV)/.installed
	$(BIN)/zhengtong compiletranslations
	$(BIN)/zhengtong migrate --noinput
	scripts/ensure-fonts
	$(BIN)/zhengtong demo --scale $(SCALE) --seed $(SEED) --if-empty
	ZHENGTONG_DEBUG=1 $(BIN)/zhengtong run --addr 127.0.0.1:8000

## make test: install what the tests need and run the whole suite on SQLite, then on PostgreSQL
test: $(VENV)/.installed-test
	scripts/ensure-chromium
	scripts/run-tests

## make bench: run the benchmarks and write docs/benchmarks.md
bench: $(VENV)/.installed-test
	scripts/ensure-wrk
	$(BIN)/zhengtong compiletranslations
	$(BIN)/zhengtong bench --output docs/benchmarks.md

lint-imports: $(VENV)/.installed-test
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
