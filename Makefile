# relance — every target installs what it needs into .venv first, from scratch when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install lint chromium test test-fast test-faults demo bench check clean botocore-data

## Each step says what it does; pip lists what it downloads and installs (no progress bars: one line a package).
## A fresh install took 46 s here (2 cores, a nearby package index); a slow network makes it minutes.
PIP := $(BIN)/python -m pip --disable-pip-version-check

$(STAMP): pyproject.toml
	@echo "==> [1/3] environnement Python $(VENV) (création s'il manque)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> [2/3] mise à jour de pip"
	$(PIP) install --progress-bar off --upgrade pip
	@echo "==> [3/3] installation de relance et de ses dépendances (pyproject.toml : une ligne par paquet ;"
	@echo "    moins d'une minute ici, plus sur un réseau lent)"
	$(PIP) install --progress-bar off -e '.[dev]'
	@touch $(STAMP)
	@echo "==> environnement prêt ($(VENV))"

install: $(STAMP)

lint: $(STAMP)
	@echo "==> ruff : style et erreurs courantes (functions, tests)"
	$(BIN)/ruff check functions tests

## Headless Chromium renders the dashboard and drives the pages in tests (Debian's chromium and chromium-driver;
## the browser tests are skipped with a reason if they cannot be installed).
chromium:
	@echo "==> navigateur des tests : chromium et chromedriver"
	@{ command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } || { \
		echo "    installation de chromium et chromium-driver (Debian, une à deux minutes)…"; \
		(apt-get update -q && apt-get install -y -q chromium chromium-driver) \
		|| echo "    chromium non installé : les tests du navigateur seront ignorés (avec leur raison)"; }

## The whole suite: lint, unit, integration and end-to-end tests.
test: lint chromium
	@echo "==> pytest : tests unitaires, d'intégration (AWS local moto) et de bout en bout — quelques minutes ;"
	@echo "    un point par test réussi, le détail de chaque échec à la fin"
	$(BIN)/python -m pytest

## The fault-injection suite at full size (`make test` runs its short form).
test-faults: $(STAMP)
	RELANCE_FAULTS=full $(BIN)/python -m pytest tests/faults

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit -x

## The main job on the embedded default, with the sample rules and data; then the debtor portal on 127.0.0.1:8765
## (one invoice paid through the fake Stripe, a debtor's link printed) until Ctrl-C.
demo: $(STAMP)
	@echo "==> [1/2] relance check : vérification des règles et de leurs modèles (rules/)"
	$(BIN)/relance check --rules rules
	@echo "==> [2/2] relance demo : un mois d'exécutions quotidiennes sur l'AWS local embarqué (moto)"
	$(BIN)/relance demo --rules rules --serve

## Throughput and load-time figures (not a test: nothing passes or fails on speed). The repository's root is on
## the path for tests/support (the generated rule file).
bench: $(STAMP)
	cd tests/bench && PYTHONPATH=../.. ../../$(BIN)/python bench_all.py

check: $(STAMP)
	$(BIN)/relance check --rules rules

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis

## The endpoints of the services relance uses, cut from the installed botocore's (1.2 MB) for the functions' cold
## start (relance.adapters.botodata). A unit test fails when botocore was upgraded and this was not run again.
botocore-data: $(STAMP)
	PYTHONPATH=functions $(BIN)/python -m relance.adapters.botodata

## `sam build` calls this for the rules layer: the rules land under /opt/rules in the functions. They are checked
## here (templates included) and ship with the record of that check: the functions load them without checking
## again (relance.rules.ship writes what relance.rules.shipped reads). Invalid rules fail the build.
## $(PYTHON) needs relance's dependencies (make install).
build-RulesLayer:
	mkdir -p "$(ARTIFACTS_DIR)/rules"
	cp -R rules/. "$(ARTIFACTS_DIR)/rules/"
	PYTHONPATH=functions $(PYTHON) -m relance.rules.ship rules "$(ARTIFACTS_DIR)/rules"

## `sam build` calls this for the PDF layer (letter and litigation functions only): fpdf2 and its requirements
## but Pillow (--no-deps; layers/pdf/requirements.txt lists the others), as wheels for Lambda's arm64 python3.12.
build-PdfLayer:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		--platform manylinux2014_aarch64 --implementation cp --python-version 3.12 \
		--target "$(ARTIFACTS_DIR)/python" -r layers/pdf/requirements.txt

## `sam build` calls this for the render layer (the functions that render messages): Babel, as a wheel for Lambda's
## python3.12, its locale data pruned to the languages the templates are written in (rules/templates/*.<lang>.j2).
build-RenderLayer:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		--platform manylinux2014_aarch64 --implementation cp --python-version 3.12 \
		--target "$(ARTIFACTS_DIR)/python" -r layers/render/requirements.txt
	$(PYTHON) layers/render/prune.py "$(ARTIFACTS_DIR)" rules/templates

## `sam build` calls this for the e-invoice layer (import function only): factur-x with its requirements, as
## wheels for Lambda's arm64 python3.12.
build-EInvoiceLayer:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
		--platform manylinux2014_aarch64 --implementation cp --python-version 3.12 \
		--target "$(ARTIFACTS_DIR)/python" -r layers/einvoice/requirements.txt
