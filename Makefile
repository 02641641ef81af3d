# Convene — the commands a newcomer needs. `make help` lists them.
SHELL := /bin/bash
COMPOSE := $(shell if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo docker-compose; fi)
VENV := .venv
SMTP_SINK := var/postfix/usr/sbin/smtp-sink

.PHONY: help up down db-roles run build test faults lint test-deps check-services deny screenshots bench

help:
	@echo "make up      run everything with Docker (Postgres, RabbitMQ, mailpit, the three services)"
	@echo "make down    stop it (data is kept in named volumes)"
	@echo "make db-roles  once, before make up, on a database from before per-service roles (README, Upgrading)"
	@echo "make run     build and run the three services against the local Postgres and RabbitMQ, no Docker"
	@echo "make test    run every test against the local Postgres, RabbitMQ and a real SMTP server"
	@echo "make faults  the fault suite: broker, database, SMTP and process failures under load (a few minutes)"
	@echo "make lint    rustfmt and clippy, as CI runs them"
	@echo "make bench   the benchmark (QUICK=1 for a short run)"

## Everything with Docker: http://localhost:8080/events/demo/register, mail at http://localhost:8025
## deploy/.env is created from deploy/.env.example, with random secrets, the first time.
## A value of deploy/.env, or the default compose uses without it: $(call ENV_VALUE,NAME,default)
ENV_VALUE = $$(v=$$(sed -n 's/^$(1)=//p' deploy/.env | tail -n 1); echo "$${v:-$(2)}")
up:
	@./scripts/deploy-env.sh deploy/.env
	$(COMPOSE) -f deploy/compose.yaml --env-file deploy/.env up --build -d
	@echo "Registration: http://localhost:$(call ENV_VALUE,REGISTRATION_PORT,8080)/events/demo/register (published on $(call ENV_VALUE,PUBLISH_ADDR,0.0.0.0))"
	@echo "Organisers' console: http://localhost:$(call ENV_VALUE,REGISTRATION_PORT,8080)/console (sign-in for CONSOLE_ADMINS and each exchange's organisers and viewers)"
	@echo "Emails (Mailpit): http://localhost:$(call ENV_VALUE,MAILPIT_WEB_PORT,8025) (published on $(call ENV_VALUE,MAILPIT_WEB_PUBLISH_ADDR,127.0.0.1))"
	@echo "Secrets (ADMIN_TOKEN, passwords) are in deploy/.env."

down:
	$(COMPOSE) -f deploy/compose.yaml --env-file deploy/.env down

## A database created before each service had its own role: adds the roles' passwords to
## deploy/.env, starts Postgres with them, creates the roles and hands each its schema (the
## script Postgres runs itself on an empty volume). Safe to run again. Then `make up`.
db-roles:
	@./scripts/deploy-env.sh deploy/.env
	$(COMPOSE) -f deploy/compose.yaml --env-file deploy/.env up -d postgres
	@for i in $$(seq 60); do $(COMPOSE) -f deploy/compose.yaml --env-file deploy/.env exec -T postgres pg_isready -q && exit 0; sleep 1; done; echo "Postgres is not ready after 60 s"; exit 1
	$(COMPOSE) -f deploy/compose.yaml --env-file deploy/.env exec -T postgres sh /docker-entrypoint-initdb.d/10-convene-roles.sh

build:
	cargo build --workspace --bins

## Without Docker: the three services on 127.0.0.1:8080-8082, emails as .eml files in var/mail.
run: build
	./scripts/run-local.sh

## What the tests need besides Rust: the SMTP server and schemathesis (Python, in .venv),
## Debian's Chromium, playwright-core and axe-core (for the browser tests: tests/browser).
test-deps: $(VENV)/.installed tests/browser/node_modules/.installed /usr/bin/chromium

/usr/bin/chromium:
	@echo "Installing Debian's chromium for the browser test (needs root; or install it yourself)."
	apt-get update -q && apt-get install -y -q chromium

tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Regenerates the README's screenshots (docs/screenshots) from a real browser run.
screenshots: test-deps build
	CONVENE_SCREENSHOTS=$(CURDIR)/docs/screenshots cargo test -p convene-tests --test browser
$(VENV)/.installed: tests/support/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/support/requirements.txt
	touch $@

check-services:
	@./scripts/check-services.sh

## Licences, banned crates and sources of every dependency (deny.toml). The advisories check
## needs the RustSec database from the network: run `cargo deny check advisories` where it is.
deny:
	@command -v cargo-deny >/dev/null || cargo install cargo-deny --locked --version 0.20.2
	cargo deny check licenses bans sources

test: check-services test-deps build deny
	./scripts/cargo-test.sh --workspace --no-fail-fast

## How fast Convene registers and confirms, against the ceilings of its parts (pgbench,
## the SMTP server) on this machine; QUICK=1 for a short run (CI). Full runs write
## docs/benchmarks.md, quick ones var/bench-quick.md.
bench: check-services test-deps $(SMTP_SINK)
	cargo build --release --workspace --bins
	QUICK=$(QUICK) cargo run --release -p convene-tests --bin bench

## Postfix's smtp-sink and smtp-source (the SMTP server of every row, and the fan-out's ceiling),
## taken out of Debian's postfix package without installing it: no mail daemon, no root.
$(SMTP_SINK):
	@command -v apt-get >/dev/null || { echo "make bench needs Postfix's smtp-sink: install the postfix package's binaries under var/postfix"; exit 1; }
	rm -rf var/postfix && mkdir -p var/postfix
	cd var/postfix && apt-get download postfix && dpkg-deb -x postfix_*.deb . && rm postfix_*.deb
	test -x $@

## Private Postgres and RabbitMQ (never the shared ones), stopped whatever happens.
faults: test-deps build
	./scripts/faults.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
