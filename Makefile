# Ehrenamtsbörse: `make chat` to try the bot in the terminal, `make test` to run every check.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Exact versions with hashes (`make lock` writes them): everything development installs, and
# what the bot alone needs (`make chat`), also with one Telegram framework (the Dockerfile's).
LOCK := requirements/dev.lock
BASE_LOCK := requirements/base.lock
STAMP := $(VENV)/.installed-dev-$(shell cat pyproject.toml $(LOCK) | cksum | cut -d' ' -f1)
BASE_STAMP := $(VENV)/.installed-base-$(shell cat pyproject.toml $(BASE_LOCK) | cksum | cut -d' ' -f1)
PIP := $(BIN)/python -m pip -q --disable-pip-version-check
PIP_COMPILE := $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links
PO_FILES := $(wildcard locales/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
ARGS ?=

.PHONY: install lock chat run migrate test lint format typecheck test-postgres bench bench-telegram bench-matching bench-sender \
        bench-faults bench-load bench-newsletter bench-statistics bench-crisis \
        i18n-extract i18n-update i18n-compile i18n-check migration clean

install: $(STAMP) $(MO_FILES)

# A venv with pip, on Python 3.11 or newer; otherwise say what to do.
define venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Ehrenamtsbörse needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
		echo "Install a newer Python and run for example: make PYTHON=python3.12 $(MAKECMDGOALS)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { \
		echo "$(VENV) has no pip (on Debian and Ubuntu: sudo apt install python3-venv)."; \
		echo "Then remove it and try again: rm -rf $(VENV) && make $(MAKECMDGOALS)"; exit 1; }
endef

# Installs $(1) (a lock file) and the bot itself, saying how much and how long (one shell command).
define install_locked
echo "Installing $$(grep -c '^[a-z0-9]' $(1)) packages into $(VENV): about a minute, once ..." \
	&& $(PIP) install --upgrade pip && $(PIP) install --require-hashes -r $(1) \
	&& $(PIP) install --no-deps -e .
endef

$(STAMP): pyproject.toml $(LOCK)
	$(venv)
	@$(call install_locked,$(LOCK))
	@rm -f $(VENV)/.installed-* && touch $@ $(BASE_STAMP)

# What the chat needs: the bot's own libraries, no Telegram framework, no development tools.
# A development install has all of it.
$(BASE_STAMP): pyproject.toml $(BASE_LOCK)
	$(venv)
	@test -e $(STAMP) || { $(call install_locked,$(BASE_LOCK)) ; }
	@rm -f $(VENV)/.installed-base-* && touch $@

locales/%.mo: locales/%.po $(BASE_STAMP)
	@$(BIN)/pybabel -q compile -D messages -i $< -o $@

## Write the lock files (exact versions, with hashes) from pyproject.toml's dependencies; the
## smaller ones start as copies of the full one, so every lock has the same versions.
lock: install
	$(PIP_COMPILE) --extra dev --extra ptb --extra aiogram -o $(LOCK) pyproject.toml
	cp $(LOCK) $(BASE_LOCK) && $(PIP_COMPILE) -o $(BASE_LOCK) pyproject.toml
	for extra in ptb aiogram; do \
		cp $(LOCK) requirements/$$extra.lock && \
		$(PIP_COMPILE) --extra $$extra -o requirements/$$extra.lock pyproject.toml || exit 1; \
	done

## Chat with the bot in the terminal (ARGS="--user erika --language de" to play someone).
chat: $(BASE_STAMP) $(MO_FILES)
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

## A call for helpers to 10,000 of 100,000 volunteers at 30/s and as paid broadcasts at 1,000/s,
## while 2,000 answer within a minute and others write (ARGS="--volunteers 10000 --fitting 1000 --answers 200" to try).
bench-crisis: install
	$(BIN)/python -m benchmarks.crisis $(ARGS)

## Every benchmark.
bench: bench-telegram bench-matching bench-sender bench-faults bench-load bench-newsletter bench-statistics bench-crisis

## The translation workflow: extract the template with pybabel (babel.cfg maps the files), merge
## it into every catalog (English is filled from the message ids), compile; check is strict.
i18n-extract: install
	$(BIN)/pybabel extract -F babel.cfg -o locales/messages.pot --no-default-keywords -k _ -k _n:1,2 \
		-c TRANSLATORS: --strip-comments --add-location=file --sort-output -w 100 \
		--project=Ehrenamtsbörse --version=1 --copyright-holder="the Ehrenamtsbörse contributors" .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages -w 100 --ignore-obsolete \
		--ignore-pot-creation-date
	$(BIN)/python -m locales.catalogs english

i18n-compile: install
	$(BIN)/pybabel compile -d locales -D messages --statistics

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
