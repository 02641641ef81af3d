# Convene — the commands a newcomer needs. `make help` lists them.
SHELL := /bin/bash
COMPOSE := $(shell if docker compose version >/dev/null 2>&1; then echo "docker compose"; else echo docker-compose; fi)
VENV := .venv

.PHONY: help up down run build test faults lint test-deps check-services

help:
	@echo "make up      run everything with Docker (Postgres, RabbitMQ, mailpit, the three services)"
	@echo "make down    stop it (data is kept in named volumes)"
	@echo "make run     build and run the three services against the local Postgres and RabbitMQ, no Docker"
	@echo "make test    run every test against the local Postgres, RabbitMQ and a real SMTP server"
	@echo "make faults  the fault suite: broker, database, SMTP and process failures under load (a few minutes)"
	@echo "make lint    rustfmt and clippy, as CI runs them"

## Everything with Docker: http://localhost:8080/events/demo/register, mail at http://localhost:8025
up:
	@test -f deploy/.env || cp deploy/.env.example deploy/.env
	$(COMPOSE) -f deploy/compose.yaml --env-file deploy/.env up --build -d
	@echo "Open http://localhost:8080/events/demo/register — emails arrive at http://localhost:8025"

down:
	$(COMPOSE) -f deploy/compose.yaml --env-file deploy/.env down

build:
	cargo build --workspace --bins

## Without Docker: the three services on 127.0.0.1:8080-8082, emails as .eml files in var/mail.
run: build
	./scripts/run-local.sh

## The Python SMTP server the tests talk to (aiosmtpd), in a local virtualenv.
test-deps: $(VENV)/.installed
$(VENV)/.installed: tests/support/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/support/requirements.txt
	touch $@

check-services:
	@./scripts/check-services.sh

test: check-services test-deps build
	./scripts/cargo-test.sh --workspace --no-fail-fast

## Private Postgres and RabbitMQ (never the shared ones), stopped whatever happens.
faults: test-deps build
	./scripts/faults.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
