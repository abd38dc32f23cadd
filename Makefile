# Two entry points, both from a fresh clone with only Python 3.11, git and make:
#   make run   — set up .venv and start the app on the embedded Huddinge data, for this
#                computer only (127.0.0.1, no login); `make team` serves a team with logins
#   make test  — set up .venv and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# RegSO 2025 for all of Sweden (duva needs Python 3.12, so only its wheel is fetched, not
# installed); geo/sources.py finds it here. Pure data, 19 MB, from PyPI.
DUVA   := $(VENV)/share/prevmap/duva-0.3.5-py3-none-any.whl
# Its RegSO layer as GeoParquet beside it (named by the wheel's size and date; reads in
# two thirds of the GeoPackage's time); the stamp says it was written for this wheel.
REGSO  := $(VENV)/share/prevmap/.regso-parquet

# axe-core for the accessibility scans of the app and the exported map (tests/test_browser_axe.py),
# from the npm registry with npm's own integrity check; nothing is fetched at test time.
AXE_VERSION := 4.10.3
AXE    := $(VENV)/share/prevmap/axe-core-$(AXE_VERSION)/axe.min.js

.PHONY: run team test setup browser postgresql axe bench lint clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "prevmap needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

$(DUVA): | $(STAMP)
	$(BIN)/python -c 'import pathlib; from geo.io.national import download_duva_wheel; download_duva_wheel(pathlib.Path("$(@D)"))'

$(REGSO): $(DUVA)
	$(BIN)/python -c 'from geo.io.national import write_national_parquet; write_national_parquet("$(DUVA)")'
	touch $(REGSO)

# Debian's chromium for browser tests and PDF/PNG exports; where it cannot be installed (no
# root, no sudo) the browser tests skip and say why.
browser:
	-.ci/install-chromium
	-.ci/install-iproute2

# Debian's PostgreSQL for the plan-database tests (each run starts a throwaway cluster of its
# own); where it cannot be installed those tests skip and say why.
postgresql:
	-.ci/install-postgresql

setup: $(STAMP) $(DUVA) $(REGSO)

$(AXE): | $(STAMP)
	mkdir -p $(@D)
	cd $(@D) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
		&& tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js \
		&& rm axe-core-$(AXE_VERSION).tgz

# Where npm is missing the scans skip and say why.
axe:
	-$(MAKE) $(AXE)

# Local mode listens on 127.0.0.1 only: nobody else can reach an app without a login.
run: setup
	$(BIN)/streamlit run app.py --server.address 127.0.0.1

# Team mode: logins (OpenID Connect) and roles from [team] in prevmap.toml (README, "Team mode").
team: setup
	$(BIN)/prevmap serve

test: setup browser postgresql axe
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/bench_core.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
