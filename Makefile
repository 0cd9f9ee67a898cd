# voipguard.pbx developer and CI entry points. `make help` lists the targets.
# Everything runs from the pinned toolchain in .venv; the collection is seen by Ansible and Python
# as voipguard.pbx through .cache/collections/ansible_collections/voipguard/pbx -> this directory.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# Targets run one after another, in the order given: `make test` stops at the first failure.
.NOTPARALLEL:

PYTHON ?= python3
VENV := $(CURDIR)/.venv
CACHE := $(CURDIR)/.cache
COLLECTIONS_DIR := $(CACHE)/collections
# The documentation and publishing tools (antsibull-docs, Sphinx, myst-parser, galaxy-importer) have their
# own pinned venv from requirements-docs.txt: Sphinx needs docutils<0.23 and galaxy-importer attrs<24,
# where requirements-dev.txt pins docutils 0.23 and attrs 26.1.0: one venv would move the dev toolchain.
# Both pin ansible-core 2.19.14 and ansible-lint 26.10.1. Built only when requirements-docs.txt changes.
DOCS_VENV := $(CACHE)/venv-docs

export PATH := $(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(VENV)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_DIR)
export PYTHONPATH := $(COLLECTIONS_DIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
export PYTHON VENV COLLECTIONS_DIR DOCS_VENV
export ANSIBLE_NOCOWS := 1
# A directory holding the pinned FreeSWITCH sources (molecule/resources/sources/sources.lock): the
# caller's, else ../shared/sources where the machine has one (our development and CI machines, which
# cannot reach GitHub); empty: `make images` downloads them from upstream.
VOIPGUARD_SOURCES ?= $(if $(wildcard ../shared/sources/SHA256SUMS),$(abspath ../shared/sources),)
export VOIPGUARD_SOURCES

# Debian package:command pairs each step needs on the host (installed as root on Debian).
HOST_PACKAGES_BASE := git:git python3-venv:true ca-certificates:true
# make unit needs nothing beyond the venv; make integration runs the host's fail2ban, nft, PostgreSQL.
HOST_PACKAGES_INTEGRATION := fail2ban:fail2ban-regex python3-pyinotify:true python3-nftables:nft sip-tester:sipp postgresql:pg_ctlcluster postgresql-client:psql
HOST_PACKAGES_SANITY := shellcheck:shellcheck
HOST_PACKAGES_IMAGES := debootstrap:debootstrap
HOST_PACKAGES_DOCKER := docker.io:docker
HOST_PACKAGES := $(HOST_PACKAGES_BASE) $(HOST_PACKAGES_INTEGRATION) $(HOST_PACKAGES_SANITY) $(HOST_PACKAGES_IMAGES) $(HOST_PACKAGES_DOCKER)

# Scenarios `make molecule-all` runs: every molecule/<name>/molecule.yml except MOLECULE_SKIP
# (scenarios that need what this machine lacks, such as public images from a registry).
MOLECULE_SKIP ?= public_images
MOLECULE_FOUND := $(filter-out $(MOLECULE_SKIP),$(patsubst molecule/%/molecule.yml,%,$(sort $(wildcard molecule/*/molecule.yml))))
# The longest scenarios start first, so that MOLECULE_JOBS scenarios at a time finish together.
MOLECULE_LONGEST := fusionpbx fleet default resilience repeat_offenders
MOLECULE_SCENARIOS ?= $(foreach s,$(MOLECULE_LONGEST),$(filter $(s),$(MOLECULE_FOUND))) $(filter-out $(MOLECULE_LONGEST),$(MOLECULE_FOUND))
MOLECULE_JOBS ?= 2
SCENARIO ?=

.PHONY: print-sources help host-packages venv docs-venv collections docker images lint sanity unit integration newest molecule \
	molecule-all ee galaxy-import docs test demo demo-clean bench changelog build clean

print-sources: # Where make images takes the FreeSWITCH sources from (for .ci/run)
	@echo "$(if $(VOIPGUARD_SOURCES),$(VOIPGUARD_SOURCES),upstream (download))"

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  %-14s %s\n", $$1, $$2 }'

host-packages: ## Install every Debian package the tests need (root on Debian)
	@scripts/host-packages.sh $(HOST_PACKAGES)

venv: ## Build .venv from requirements-dev.txt (only when it changed)
	@scripts/host-packages.sh $(HOST_PACKAGES_BASE)
	@scripts/venv.sh

docs-venv: ## Build .cache/venv-docs from requirements-docs.txt (only when it changed)
	@scripts/host-packages.sh $(HOST_PACKAGES_BASE)
	@VENV=$(DOCS_VENV) REQUIREMENTS=$(CURDIR)/requirements-docs.txt scripts/venv.sh

collections: venv ## Make voipguard.pbx and its dependency collections visible (Galaxy, else the PyPI bundle)
	@scripts/collections.sh

docker: ## Make sure a Docker engine answers (installs and starts one as root on Debian)
	@scripts/docker-engine.sh

images: docker ## Build the container images: systemd, SIP client, real FreeSWITCH from pinned sources (cached by input hash)
	@scripts/host-packages.sh $(HOST_PACKAGES_IMAGES)
	@molecule/resources/images/build.sh

lint: collections docs-venv ## yamllint, ansible-lint (production profile), antsibull-docs lint-collection-docs --plugin-docs
	@echo "==> lint: yamllint"
	@yamllint --strict .
	@echo "==> lint: ansible-lint"
	@# A private ANSIBLE_HOME: a voipguard.pbx installed under ~/.ansible would shadow this checkout.
	@ANSIBLE_HOME=$(CACHE)/ansible-home ansible-lint --profile production
	@echo "==> lint: antsibull-docs lint-collection-docs --plugin-docs"
	@scripts/docs.sh lint
	@echo "==> lint: passed"

sanity: collections ## ansible-test sanity on a copy of the collection (tracked and new files)
	@scripts/host-packages.sh $(HOST_PACKAGES_SANITY)
	@scripts/sanity.sh

# The pinned FusionPBX source (sources.lock) whose app_config.php and app_defaults.php files give the FusionPBX
# database tests their tables and rows (tests/integration/fusionpbx_pg.py reads it from VOIPGUARD_FUSIONPBX_SOURCE).
INTEGRATION_FUSIONPBX_SOURCE := fusionpbx-5.5-56cb26d35b.tar.gz

.PHONY: integration-sources
integration-sources: # Verify the integration tests' FusionPBX source into .cache/sources (from VOIPGUARD_SOURCES, else upstream)
	@$(PYTHON) molecule/resources/sources/fetch_sources.py --dest $(CACHE)/sources $(INTEGRATION_FUSIONPBX_SOURCE) || \
		{ echo "ERROR: integration: the FusionPBX source of the database tests could not be verified (above)" >&2; exit 1; }

# tests/README.md says which tests go where.
unit: collections ## pytest tests/unit: the pure tests (no root, network, services or host packages; seconds)
	@echo "==> unit: pytest tests/unit"
	@start=$$(date +%s%N); python -m pytest -q tests/unit; \
		ms=$$(( ($$(date +%s%N) - start) / 1000000 )); printf '==> unit: passed in %d.%ds\n' $$((ms / 1000)) $$((ms % 1000 / 100))

integration: collections integration-sources ## pytest tests/integration: the host's fail2ban, nft in network namespaces, PostgreSQL, ansible-playbook (root)
	@scripts/host-packages.sh $(HOST_PACKAGES_INTEGRATION)
	@echo "==> integration: pytest tests/integration"
	@start=$$SECONDS; VOIPGUARD_FUSIONPBX_SOURCE=$(CACHE)/sources/$(INTEGRATION_FUSIONPBX_SOURCE) VOIPGUARD_REQUIRE_FAIL2BAN=1 \
		VOIPGUARD_REQUIRE_SIPP=1 VOIPGUARD_REQUIRE_POSTGRES=1 python -m pytest -q tests/integration; \
		echo "==> integration: passed in $$((SECONDS - start))s"

molecule: collections images ## molecule test -s $(SCENARIO)
	@test -n "$(SCENARIO)" || { echo "ERROR: name a scenario: make molecule SCENARIO=<name> (found: $(MOLECULE_SCENARIOS))" >&2; exit 1; }
	@test -f molecule/$(SCENARIO)/molecule.yml || { echo "ERROR: no scenario molecule/$(SCENARIO)/molecule.yml" >&2; exit 1; }
	@echo "==> molecule: test -s $(SCENARIO)"
	@start=$$SECONDS; molecule test -s $(SCENARIO); echo "==> molecule: $(SCENARIO) passed in $$((SECONDS - start))s"

# The newest ansible-core tested (requirements-newest.txt), in the voipguard/ansible-newest image (Debian 13, Python 3.13).
NEWEST_IMAGE := ansible-newest:2.21

newest: venv images integration-sources ## sanity, unit and integration tests and the default scenario's converge with the newest ansible-core (container)
	@PIP_PYTHON=$(VENV)/bin/python molecule/resources/images/build.sh $(NEWEST_IMAGE)
	@NEWEST_IMAGE=voipguard/$(NEWEST_IMAGE) VOIPGUARD_FUSIONPBX_SOURCE=$(CACHE)/sources/$(INTEGRATION_FUSIONPBX_SOURCE) scripts/newest.sh

molecule-all: collections images ## molecule test for every scenario in MOLECULE_SCENARIOS, MOLECULE_JOBS at a time
	@test -n "$(strip $(MOLECULE_SCENARIOS))" || { echo "ERROR: no molecule scenarios found under molecule/" >&2; exit 1; }
	@echo "==> molecule-all: $(strip $(MOLECULE_SCENARIOS)) (skipped here: $(MOLECULE_SKIP))"
	@MOLECULE_JOBS=$(MOLECULE_JOBS) MOLECULE_LOGS=$(CACHE)/molecule-logs scripts/molecule-all.sh $(MOLECULE_SCENARIOS)

test: host-packages unit lint sanity integration galaxy-import docs newest molecule-all ## Everything CI runs, stopping at the first failure
	@echo "==> test: all passed"

demo: collections images ## Bring up the demo PBX fleet and show an attack being banned
	@scripts/demo.sh

demo-clean: collections docker ## Remove the demo containers
	@molecule destroy -s default

bench: collections images ## Benchmarks (bench/run)
	@test -x bench/run || { echo "ERROR: bench/run does not exist (or is not executable) yet" >&2; exit 1; }
	@bench/run

changelog: venv ## antsibull-changelog lint
	@antsibull-changelog lint
	@echo "==> changelog: fragments and changelog.yaml are valid"

build: collections ## Build the collection tarball into .cache/dist
	@ansible-galaxy collection build --force --output-path $(CACHE)/dist
	@ls -1 $(CACHE)/dist/*.tar.gz

galaxy-import: docs-venv ## galaxy-importer on the tarball: Galaxy's default settings, and Automation Hub's on a 1.0.0 build
	@scripts/galaxy-import.sh

docs: collections docs-venv ## Documentation site (antsibull-docs, Sphinx) in .cache/docs/build/html, offline
	@scripts/docs.sh site

ee: collections ## Build context of the execution environment in ./context, with this checkout's collection tarball
	@ansible-galaxy collection build --force --output-path .
	@ansible-builder create --file execution-environment.yml --context context
	@echo "==> ee: ./context is ready; build the image with: ansible-builder build -t voipguard-pbx-ee"

clean: ## Remove .cache (images and .venv are kept)
	rm -rf $(CACHE)
