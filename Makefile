# The two commands: `make run` and `make test`. Everything they need is installed here.
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app server
STAMP   := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
NPM_STAMP := pwa/node_modules/.installed-$(shell sha256sum pwa/package-lock.json | cut -c1-12)
# What the app build reads; the JSON catalogs in pwa/src/locales come from `translations`.
PWA_SOURCES := src sw public scripts index.html vite.config.js package.json package-lock.json
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test install translations pwa clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

translations: install
	@$(FLASK) translate compile >/dev/null

$(NPM_STAMP): pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund
	rm -f pwa/node_modules/.installed-* && touch $@

# The officer app, built into pwa/dist (the server serves it at /). Rebuilt only when
# what it is built from changed: a hash of those files, kept beside node_modules.
pwa: translations $(NPM_STAMP)
	@hash=$$(cd pwa && find $(PWA_SOURCES) -type f 2>/dev/null | LC_ALL=C sort | xargs -r sha256sum | sha256sum | cut -c1-16); \
	if [ -f pwa/dist/index.html ] && [ -f pwa/node_modules/.dist-$$hash ]; then echo "pwa/dist is up to date"; \
	else cd pwa && npm run build && rm -f node_modules/.dist-* && touch node_modules/.dist-$$hash; fi

# Enrollment QR codes carry this origin; deployment sets the public HTTPS URL instead.
run: export WILDLEDGER_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: pwa
	$(FLASK) db upgrade
	$(FLASK) keys init
	$(FLASK) demo load
	$(FLASK) reference publish
	@echo
	@echo "Wildledger runs at http://$(HOST):$(PORT)  (API description: http://$(HOST):$(PORT)/api/openapi.json)"
	@echo "Enrollment QR for a demo device of Quang Ninh customs:"
	$(FLASK) enroll --agency VN-HQ-QN --officer "Demo officer"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: pwa
	cd pwa && npm test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis pwa/node_modules pwa/dist pwa/src/locales/*.json
