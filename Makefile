# courriel — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := var/demo
STAMP  := $(VENV)/.installed

.PHONY: run test lint install system-deps bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Debian packages the tests drive as real clients and peers (listed in scripts/debian-packages.txt).
system-deps:
	@scripts/install-debian-packages scripts/debian-packages.txt

# A local server on the --dev ports with a demo account, in the foreground until Ctrl-C.
run: install
	@if [ ! -f $(DEMO)/courriel.toml ]; then \
	  $(BIN)/courriel init example.test --dev --data $(DEMO) && \
	  $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(12))' > $(DEMO)/demo-password && \
	  chmod 600 $(DEMO)/demo-password && \
	  $(BIN)/courriel account add demo@example.test --name "Demo User" --password-stdin \
	    --data $(DEMO) < $(DEMO)/demo-password; \
	fi
	@echo "demo account: demo@example.test   password: $$(cat $(DEMO)/demo-password)   data: $(DEMO)"
	$(BIN)/courriel serve --data $(DEMO)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install system-deps lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/store_ingest.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
