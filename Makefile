# Two commands: `make run` (the alpha study on the built-in world, with its plot)
# and `make test`. Each builds .venv on first use and reuses it afterwards.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) studies/alpha_sweep.py

test: $(STAMP)
	RAY_AUTH_MODE=disabled $(PY) -m pytest -q tests

clean:
	rm -rf $(VENV) runs results .pytest_cache
