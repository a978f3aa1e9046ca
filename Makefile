# leadrelay: `make run` brings up the whole local stack and shows a lead flowing; `make test` runs
# lint and every test tier against the real Kafka and PostgreSQL.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: asyncapi bench-events profile bench-stages browser tools helm install run up down migrate topics demo test lint unit integration e2e reliability bench clean

$(STAMP): requirements.lock pyproject.toml
	@$(PY) -c 'import sys; assert sys.version_info >= (3, 11), "leadrelay needs Python 3.11+"'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)
	deploy/local/kafka.sh install
	deploy/local/postgres.sh install

up: install
	deploy/local/postgres.sh start
	deploy/local/kafka.sh start
	$(MAKE) --no-print-directory migrate topics

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

topics: $(STAMP)
	$(BIN)/python -m shared.create_topics

run: up
	deploy/local/services.sh start
	$(BIN)/python deploy/local/demo_lead.py

# A compressed business day (500 leads, 8 reps) on the local stack, restarted with the day's config;
# then open the console. `make down && make run` returns to the example config.
demo: up
	$(BIN)/leadrelay simulate-day --write-config .local/simulate-day.yaml --sla-seconds 15
	deploy/local/services.sh stop
	LEADRELAY_CONFIG=$(CURDIR)/.local/simulate-day.yaml deploy/local/services.sh start
	$(BIN)/leadrelay simulate-day --config .local/simulate-day.yaml --seconds 120

down:
	-deploy/local/services.sh stop
	-deploy/local/kafka.sh stop
	-deploy/local/postgres.sh stop

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services standins

# Debian packages the test tiers run for real: a browser for the console, nginx as the TLS proxy,
# Prometheus for the scrape-and-alert test. Installed only when missing (nothing is started by apt).
DEBS := chromium:chromium chromedriver:chromium-driver nginx:nginx-light prometheus:prometheus promtool:prometheus
tools:
	@missing=$$(for d in $(DEBS); do command -v $${d%%:*} >/dev/null || [ -x /usr/sbin/$${d%%:*} ] || echo $${d#*:}; done | sort -u); \
	if [ -n "$$missing" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; fi

browser: tools

# Helm v4, built from the Go module proxy with the machine's Go, cached under .local/bin.
HELM_VERSION := v4.3.2
HELM := .local/bin/helm
$(HELM):
	mkdir -p .local/bin
	GOBIN=$(CURDIR)/.local/bin GOFLAGS=-mod=mod go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

helm: $(HELM)

test: lint install tools helm
	@start=$$(date +%s); status=0; \
	$(BIN)/pytest -q tests/unit tests/integration tests/e2e tests/reliability || status=$$?; \
	echo "make test: pytest wall time $$(( $$(date +%s) - start )) s"; exit $$status

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-events: install
	$(BIN)/python -m bench.events

profile: install
	$(BIN)/python -m bench.profile

bench-stages: install
	$(BIN)/python -m bench.pipeline_latency

asyncapi: install
	$(BIN)/python -m services.ops.asyncapi

clean: down
	rm -rf .local $(VENV)
