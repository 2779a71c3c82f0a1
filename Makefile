# Two commands: `make run` (the alpha study on the built-in world, with its report:
# 3 seeds, the quick start; the study's own default is 10) and `make test`. Each builds .venv on first use and reuses it afterwards.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) studies/alpha_sweep.py --seeds 3

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# everything: lint, then every test (real Ray, real trials)
test: lint
	$(PY) -m pytest -q --durations=15 tests

# the unit tier (tests not marked slow): no Ray, no study, no training on a preset
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" tests

clean:
	rm -rf $(VENV) runs results .pytest_cache
