# The two commands: `make run` and `make test`. Everything they need is installed here.
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app server
STAMP   := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test install translations clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

translations: install
	@$(FLASK) translate compile >/dev/null

# Enrollment QR codes carry this origin; deployment sets the public HTTPS URL instead.
run: export WILDLEDGER_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: translations
	$(FLASK) db upgrade
	$(FLASK) keys init
	$(FLASK) demo load
	$(FLASK) reference publish
	@echo
	@echo "Wildledger runs at http://$(HOST):$(PORT)  (API description: http://$(HOST):$(PORT)/api/openapi.json)"
	@echo "Enrollment QR for a demo device of Quang Ninh customs:"
	$(FLASK) enroll --agency VN-HQ-QN --officer "Demo officer"
	$(FLASK) run --host $(HOST) --port $(PORT)

test: translations
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
