# Ehrenamtsbörse: `make chat` to try the bot in the terminal, `make test` to run every check.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Exact versions with hashes of everything development installs (`make lock` writes it).
LOCK := requirements/dev.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
PO_FILES := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
ARGS ?=

.PHONY: install lock chat run migrate test lint format typecheck test-postgres bench bench-telegram bench-matching bench-sender \
        bench-faults bench-load bench-newsletter bench-statistics \
        i18n-extract i18n-update i18n-compile i18n-check migration clean

install: $(STAMP) $(MO_FILES)

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Ehrenamtsbörse needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
		echo "Install a newer Python and run for example: make PYTHON=python3.12 $(MAKECMDGOALS)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { \
		echo "$(VENV) has no pip (on Debian and Ubuntu: sudo apt install python3-venv)."; \
		echo "Then remove it and try again: rm -rf $(VENV) && make $(MAKECMDGOALS)"; exit 1; }
	@echo "Installing the bot and its libraries into $(VENV): about a minute, once ..."
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r $(LOCK)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-* && touch $@

locales/%.mo: locales/%.po $(STAMP)
	@$(BIN)/python -m locales.catalogs compile

## Write requirements/dev.lock (exact versions, with hashes) from pyproject.toml's dependencies.
lock: install
	$(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --extra dev --extra ptb --extra aiogram -o $(LOCK) pyproject.toml

## Chat with the bot in the terminal (ARGS="--user erika --language de" to play someone).
chat: install
	@$(BIN)/python -m bot chat $(ARGS)

## Run the bot on Telegram (TELEGRAM_BOT_TOKEN in .env; see .env.example).
run: install
	$(BIN)/python -m bot run

migrate: install
	$(BIN)/python -m bot migrate

## Lint (ruff, import contracts), type-check and run the whole test suite (SQLite; TEST_DATABASE_URL for PostgreSQL).
test: install lint typecheck
	$(BIN)/python -m pytest -n 2

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy

## The same suite against PostgreSQL (needs a reachable server; .ci/run prepares one).
test-postgres: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+asyncpg:///ehrenamt_test} $(BIN)/python -m pytest

## Updates per second of the whole Telegram stack beside a bare echo bot (ARGS="--users 50 --profile").
bench-telegram: install
	$(BIN)/python -m benchmarks.telegram $(ARGS)

## Planning every offer and digest for 100,000 volunteers and 20,000 requests, beside a naive baseline.
bench-matching: install
	$(BIN)/python -m benchmarks.matching $(ARGS)

## 3,000 pushes through the Bot API stand-in at Telegram's 30 messages per second.
bench-sender: install
	$(BIN)/python -m benchmarks.sender $(ARGS)

## 2,000 pushes by two schedulers, killed with SIGKILL five times while sending: messages lost and doubled (SQLite, PostgreSQL).
bench-faults: install
	$(BIN)/python -m benchmarks.faults $(ARGS)

## Reply latency of both frameworks with Telegram's limits on while 3,000 pushes drain, beside a
## text-only baseline (ARGS="--quick" while developing; a full run takes about an hour).
bench-load: install
	$(BIN)/python -m benchmarks.load $(ARGS)

## A newsletter to 3,000 people at Telegram's limits while 100 people write: each gets it once, no 429, reply p99 (both frameworks).
bench-newsletter: install
	$(BIN)/python -m benchmarks.load --push newsletter --people 100 --extra-budget 0 $(ARGS)

## The yearly figures for 100,000 volunteers and 200,000 requests (SQLite), beside a plain Python recount.
bench-statistics: install
	$(BIN)/python -m benchmarks.statistics $(ARGS)

## Every benchmark.
bench: bench-telegram bench-matching bench-sender bench-faults bench-load bench-newsletter bench-statistics

i18n-extract: install
	$(BIN)/python -m locales.catalogs extract

i18n-update: install
	$(BIN)/python -m locales.catalogs update

i18n-compile: install
	$(BIN)/python -m locales.catalogs compile

i18n-check: install
	$(BIN)/python -m locales.catalogs check

## Write a new migration from the models: make migration m="what changed"
migration: install
	DATABASE_URL=sqlite:///$(CURDIR)/.migration.db $(BIN)/alembic -c storage/alembic.ini upgrade head
	DATABASE_URL=sqlite:///$(CURDIR)/.migration.db $(BIN)/alembic -c storage/alembic.ini revision --autogenerate -m "$(m)" \
		--rev-id $$(printf '%04d' $$(( $$(ls storage/migrations/versions/*.py | wc -l) + 1 )))
	rm -f .migration.db*

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(MO_FILES)
