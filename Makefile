# The two commands: `make run` and `make test`. Everything they need is installed here, or,
# when only root may install it, named in one command before anything runs (.ci/prerequisites).
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app server
STAMP   := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
NPM_STAMP := pwa/node_modules/.installed-$(shell sha256sum pwa/package-lock.json | cut -c1-12)
# What the app build reads (with the zone table it shares with the server); the JSON catalogs
# in pwa/src/locales come from `translations`.
PWA_SOURCES := src sw public scripts index.html vite.config.js package.json package-lock.json \
               ../server/reference/data/zone_aliases.json
HOST    ?= 127.0.0.1
PORT    ?= 5000
# The origin enrollment QR codes carry: the address served on, or this machine's first IPv4
# address when serving on every interface (HOST=0.0.0.0). `make run PUBLIC_URL=https://…`
# for a TLS proxy in front (README: "Trying it from a phone").
PUBLIC_HOST = $(if $(filter 0.0.0.0,$(HOST)),$(or $(shell hostname -I 2>/dev/null | tr ' ' '\n' | grep -m1 '\.'),127.0.0.1),$(HOST))
ENV_PUBLIC_URL := $(WILDLEDGER_PUBLIC_URL)
PUBLIC_URL ?= $(or $(ENV_PUBLIC_URL),http://$(PUBLIC_HOST):$(PORT))

# Run a command, showing what it printed only when it fails: nothing on every run.
quietly = out=$$($(1) 2>&1) || { printf '%s\n' "$$out" >&2; exit 1; }

.PHONY: run test install translations pwa release clean prerequisites-run prerequisites-test

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

translations: install
	@$(call quietly,$(FLASK) translate compile)

$(NPM_STAMP): pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund
	rm -f pwa/node_modules/.installed-* && touch $@

# The officer app, built into pwa/dist (the server serves it at /). Rebuilt only when
# what it is built from changed: a hash of those files, kept beside node_modules.
pwa: translations $(NPM_STAMP)
	@hash=$$(cd pwa && find $(PWA_SOURCES) -type f 2>/dev/null | LC_ALL=C sort | xargs -r sha256sum | sha256sum | cut -c1-16); \
	if [ -f pwa/dist/index.html ] && [ -f pwa/node_modules/.dist-$$hash ]; then :; \
	else cd pwa && npm run build && rm -f node_modules/.dist-* && touch node_modules/.dist-$$hash; fi

prerequisites-run prerequisites-test: prerequisites-%:
	@.ci/prerequisites $*

# The demo instance (instance/): the public URL is kept in it, so that a later `flask enroll`
# in another shell prints the same origin (README: "Enrolling a phone later").
run: export WILDLEDGER_PUBLIC_URL = $(PUBLIC_URL)
run: prerequisites-run pwa
	@$(call quietly,$(FLASK) db upgrade); printf '%s\n' "$$out" | grep 'Running upgrade' || true
	$(FLASK) keys init
	$(FLASK) demo load
	$(FLASK) reference publish
	@$(call quietly,$(FLASK) config public-url '$(PUBLIC_URL)')
	@echo
	@echo "Wildledger listens on http://$(HOST):$(PORT); phones reach it at $(PUBLIC_URL)"
	@echo "(health: /api/v1/health, API description: /api/openapi.json)"
	@echo "Enrollment QR for a demo device of Quang Ninh customs:"
	$(FLASK) enroll --agency VN-HQ-QN --officer "Demo officer"
	@echo "Task queue worker (carried-in outbox files) started beside the server."
	@$(FLASK) tasks worker > instance/worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Test files are shared out whole (--dist loadfile): a browser test file's tests share one
# server and one phone, in order. Each worker has its own database and instance folder
# (tests/conftest.py). TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2
test: prerequisites-test pwa
	cd pwa && npm test
	$(PY) -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile) --durations=10 $(PYTEST_ARGS)

# A release: the tracked tree with the built officer app and compiled catalogs, so that a
# production host installs it with Python alone, no Node (deploy/README.md, step 3).
release: pwa
	@deploy/build-release build

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis pwa/node_modules pwa/dist pwa/src/locales/*.json
