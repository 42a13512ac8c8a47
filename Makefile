# Everything a newcomer needs: `make demo` sets up and runs the pipeline, `make test` tests it.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PULSE := $(VENV)/bin/pulse
STAMP := $(VENV)/.installed

.PHONY: setup services-up services-down topics migrate demo demo-stop test test-fast lint typecheck bench clean-services

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	scripts/kafka/kafka.sh fetch
	scripts/redis.sh install
	scripts/chromium.sh install

services-up: setup
	scripts/kafka/kafka.sh start
	scripts/redis.sh start

services-down:
	-scripts/kafka/kafka.sh stop
	-scripts/redis.sh stop

clean-services: services-down
	rm -rf .local/kafka/data .local/redis .local/chdb .local/faust

topics: services-up
	$(PULSE) topics apply

migrate: setup
	$(PULSE) migrate up

demo: services-up
	scripts/demo.sh

demo-stop:
	scripts/demo.sh stop

# The e2e tests mostly wait on the broker and child processes, so more workers than cores pay.
TEST_WORKERS ?= 4

test: services-up
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

test-fast: setup
	$(PY) -m pytest -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy cannot follow setuptools' editable mapping, so it checks a tree of symlinks laid out
# as the installed package.
typecheck: setup
	rm -rf .local/typecheck && mkdir -p .local/typecheck/pulse
	for f in pulse/*.py; do ln -s $$PWD/$$f .local/typecheck/pulse/; done
	ln -s $$PWD/avro .local/typecheck/pulse/avro
	ln -s $$PWD/topics .local/typecheck/pulse/topics
	ln -s $$PWD/streams .local/typecheck/pulse/streams
	ln -s $$PWD/sinks .local/typecheck/pulse/sinks
	ln -s $$PWD/graphql/api .local/typecheck/pulse/graphql
	ln -s $$PWD/families .local/typecheck/pulse/families
	ln -s $$PWD/collector .local/typecheck/pulse/collector
	ln -s $$PWD/alerts .local/typecheck/pulse/alerts
	ln -s $$PWD/privacy .local/typecheck/pulse/privacy
	ln -s $$PWD/dashboards .local/typecheck/pulse/dashboards
	cd .local/typecheck && $(CURDIR)/$(VENV)/bin/mypy --config-file $(CURDIR)/pyproject.toml -p pulse

bench: services-up
	$(PY) -m tests.bench.run
