# Dalil: `make run` to start everything, `make test` to check everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ENGINE := .venv/engine
APP := .venv/app
ENGINE_PY := $(ENGINE)/bin/python
APP_PY := $(APP)/bin/python
RASA := $(ENGINE)/bin/rasa
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

MODEL := models/dalil.tar.gz
RASA_DATA := data/nlu data/rules.yml data/stories.yml
TRAINING_INPUTS := config.yml domain.yml $(wildcard data/*.yml data/nlu/*.yml) \
  bot/nlu/components.py bot/nlu/language_detection.py bot/text.py

# Python 3.10 for Rasa: on PATH, from pyenv, or from uv's managed Pythons.
PY310 := $(firstword \
  $(shell python3.10 -c 'import sys; print(sys.executable)' 2>/dev/null) \
  $(wildcard $(HOME)/.pyenv/versions/3.10*/bin/python3.10) \
  $(shell uv python find 3.10 2>/dev/null))
PY311 := $(firstword \
  $(shell for p in python3.13 python3.12 python3.11 python3; do \
    $$p -c 'import sys; assert sys.version_info >= (3, 11); print(sys.executable)' 2>/dev/null && break; done))

.PHONY: help setup env migrate train run test test-unit test-engine test-stories test-e2e validate lint \
  eval clean bench-directory browser widget widget-size

help:
	@echo "make run    set everything up (first time) and start the assistant"
	@echo "make test   set up what is needed and run every test"
	@echo "make setup | migrate | train | validate | lint | eval | bench-directory | clean"
	@echo "make widget | widget-size | browser"

setup: $(ENGINE)/.installed $(APP)/.installed

$(ENGINE)/.installed: requirements/engine.lock
	@if [ -z "$(strip $(PY310))" ]; then \
	  echo "Rasa 3.6 needs Python 3.10 and none was found."; \
	  echo "Install one of: 'pyenv install 3.10', 'uv python install 3.10', or 'apt-get install python3.10 python3.10-venv'."; \
	  exit 1; fi
	$(PY310) -m venv $(ENGINE)
	$(ENGINE_PY) -m pip install --quiet --upgrade pip==24.3.1
	$(ENGINE_PY) -m pip install --quiet --no-deps -r requirements/engine.lock
	$(ENGINE_PY) -m pip check
	touch $@

$(APP)/.installed: requirements/app.lock
	@if [ -z "$(strip $(PY311))" ]; then echo "The app needs Python 3.11 or newer; none was found."; exit 1; fi
	$(PY311) -m venv $(APP)
	$(APP_PY) -m pip install --quiet --upgrade pip==24.3.1
	$(APP_PY) -m pip install --quiet -r requirements/app.lock
	touch $@

env: .env
.env: | $(APP)/.installed
	$(APP_PY) -m bot.processes init-env

migrate: setup .env
	$(APP)/bin/alembic upgrade head
	$(APP_PY) -m bot.seed

# Retrain only when data, config, domain or our NLU components changed.
train: $(MODEL)
$(MODEL): $(TRAINING_INPUTS) | $(ENGINE)/.installed
	$(RASA) train --data $(RASA_DATA) --fixed-model-name dalil --out models --num-threads 2
	touch $@

validate: $(ENGINE)/.installed
	$(ENGINE_PY) -m bot.nlu.validate_data --data $(RASA_DATA)

run: setup .env migrate train
	@$(APP_PY) -m bot.processes urls
	@echo "Press Ctrl-C to stop everything."
	$(APP)/bin/honcho start -f Procfile

lint: setup
	$(APP)/bin/ruff check bot actions tests migrations
	$(APP)/bin/ruff format --check bot actions tests migrations

test-unit: setup
	$(APP)/bin/pytest -q tests --ignore=tests/engine -m "not e2e"

test-engine: setup
	$(ENGINE_PY) -m pytest -q tests/engine -p no:cacheprovider

test-stories: train
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results

test-e2e: setup browser train
	$(APP)/bin/pytest -q tests --ignore=tests/engine -m e2e

test: setup browser lint validate test-engine test-unit train test-stories test-e2e

# Headless Chromium from Debian for the web widget's browser tests (Playwright drives it
# through executable_path; Playwright never downloads a browser of its own).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: /usr/bin/chromium"; else \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    chromium fonts-noto-core fonts-noto-color-emoji >/dev/null; fi

# The web widget: one file, bot/web/static/dalil.js (committed), built from
# bot/web/widget/ and the vendored Socket.IO client; no network, no Node.
widget: $(APP)/.installed
	$(APP_PY) -m bot.web.widget.build

widget-size: $(APP)/.installed
	@$(APP_PY) -m bot.web.widget.build --size

# Accuracy and macro-F1 per language on the held-out set (tests/nlu) and by cross-validation
# (EVAL_FOLDS folds of data/nlu; EVAL_FOLDS=0 skips it), kept in docs/evaluation.md.
EVAL_FOLDS ?= 3
eval: train
	$(ENGINE_PY) -m bot.nlu.evaluate --report docs/evaluation.md --folds $(EVAL_FOLDS)

# Directory performance on SQLite and PostgreSQL; e.g. BENCH_ARGS="--report docs/performance.md".
bench-directory: $(APP)/.installed
	$(APP_PY) -m bot.directory.benchmark $(BENCH_ARGS)

clean:
	rm -rf .venv models results .rasa
