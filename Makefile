# The README's two commands: `make demo` (grade the example classes, write the reports) and `make test`.
# Both call `make install` first: a .venv at the repository root with the project and every dependency.
SHELL := /bin/bash
VENV := .venv
# A Python the sandbox's unprivileged users can read (the default pyenv one lives in a 0700 home).
PYTHON ?= $(shell for p in /usr/bin/python3.11 /usr/bin/python3; do [ -x $$p ] && echo $$p && break; done)
STAMP := $(VENV)/.installed
APT_PACKAGES := python3-venv bubblewrap chromium chromium-driver

.PHONY: install system demo test test-slow benchmark clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test,otter]'
	@touch $(STAMP)

# System packages the sandbox and the browser tests use; skipped (with a note) where apt is unavailable.
system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "note: not installed:$$missing (the sandbox degrades to fewer layers; browser tests skip)"; fi

demo: install
	$(VENV)/bin/autograde demo --out out/demo

test: install
	$(VENV)/bin/pytest -q

test-slow: install
	$(VENV)/bin/pytest -q -m slow

benchmark: install
	$(VENV)/bin/python benchmarks/realistic_classes.py

clean:
	rm -rf out .pytest_cache
