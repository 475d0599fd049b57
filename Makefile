# Two commands matter: `make serve` and `make test`. Both create .venv and
# install the pinned dependencies on first use. Everything else is a thin
# wrapper around the `defensie-kg` command.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ASSETS_LOCK := src/defensie_kg/web/assets.lock.json
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml $(ASSETS_LOCK) | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup serve test validate build lint fmt bench export clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml $(ASSETS_LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m defensie_kg.web.assets fetch
	@rm -f $(VENV)/.installed-*
	@touch $@

serve: setup
	$(BIN)/defensie-kg serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest

validate: setup
	$(BIN)/defensie-kg validate

build: setup
	$(BIN)/defensie-kg build

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

fmt: setup
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: setup
	$(BIN)/python -m pip install --disable-pip-version-check -q -r bench/requirements.txt
	$(BIN)/python -m bench $(BENCH_ARGS)

export: setup
	$(BIN)/defensie-kg export --output dist/

clean:
	rm -rf $(VENV) .cache dist .pytest_cache
