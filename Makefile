# make run         - install into .venv, build the demo landlord once, serve it on :8000
# make test        - install, lint, and run the whole test suite (CI runs this); it leaves
#                    a sample court bundle for a demo claim in var/bundles/ (untracked)
# make test-fast   - lint, and the tests that are neither slow nor start processes or a browser
# make screenshots - run the browser tests to refresh docs/screenshots/

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_DB := var/demo.db
# Demo only. A real deployment sets its own DOORSTEP_SECRET_KEY (see docs/deploy.md).
DEMO_SECRET := demo-only-secret-do-not-use-in-production

.PHONY: install run demo test test-fast screenshots lint format bench clean browser

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

$(DEMO_DB): | $(VENV)/.installed
	DOORSTEP_DATABASE=$(DEMO_DB) $(BIN)/doorstep demo

demo: install $(DEMO_DB)

run: install $(DEMO_DB)
	@$(BIN)/python -c "from sync.demo import demo_logins, DEMO_PASSWORD; \
	print('Demo logins (demo only), password', repr(DEMO_PASSWORD)); \
	[print('  %-14s %s' % l) for l in demo_logins()]"
	@echo "Serving the demo landlord on http://127.0.0.1:$(PORT)"
	@echo "  officer app:          http://127.0.0.1:$(PORT)/app/      (sign in as officer1)"
	@echo "  console:              http://127.0.0.1:$(PORT)/console/  (leader1, repairs1 or safeguarding1)"
	@echo "  API description:      http://127.0.0.1:$(PORT)/openapi.json"
	DOORSTEP_DATABASE=$(DEMO_DB) DOORSTEP_SECRET_KEY=$(DEMO_SECRET) \
		DOORSTEP_BIND=127.0.0.1:$(PORT) WEB_CONCURRENCY=2 \
		$(BIN)/gunicorn -c gunicorn.conf.py "server.app:create_app()"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The browser tests drive Debian's Chromium. As root, install it when it is missing;
# otherwise say so loudly: the browser tests (tests/test_browser*.py) then skip, and only they.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's Chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "!!! BROWSER TESTS WILL BE SKIPPED: /usr/bin/chromium is missing."; \
			echo "!!! Install it with: sudo apt-get install chromium"; \
		fi; \
	fi

test: lint browser
	$(BIN)/pytest -q
	$(BIN)/python -m bench.build --quick
	$(BIN)/python -m bench.sync --quick
	$(BIN)/python -m bench.field --quick
	$(BIN)/python -m bench.routing --quick
	$(BIN)/python -m bench.load --quick
	$(BIN)/python -m bench.scale --quick
	$(BIN)/python -m bench.schemathesis --quick

# For the edit-test loop: no Hypothesis state machine, fuzzer, gunicorn, doorstep
# command or browser (the markers are in pyproject.toml). make test still runs them all.
test-fast: lint
	$(BIN)/pytest -q -m "not slow and not browser and not process"

# The browser tests save their screenshots in var/screenshots/ (untracked); this runs
# them to refresh the ones in docs/screenshots/ that the README shows.
screenshots: install browser
	DOORSTEP_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -m browser

bench: install
	$(BIN)/pip install --quiet -e '.[dev,peers]'
	$(BIN)/python -m bench.build
	$(BIN)/python -m bench.sync
	$(BIN)/python -m bench.field
	$(BIN)/python -m bench.routing
	$(BIN)/python -m bench.fuzz
	$(BIN)/python -m bench.schemathesis
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
