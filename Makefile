# Every target bootstraps its own virtualenv from the committed lock file.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEMO_HOME ?= .ecrcost-demo

.PHONY: install demo test lint format bench lock dagster clean java

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# Bytecode now, as pip does for a wheel: start-up stays fast where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/python -m compileall -q pipelines
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/ecrcost demo --home $(DEMO_HOME)

# The Spark engine's tests need a Java runtime (pyspark comes from the lock file, extra `spark`).
java:
	@java -version >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
		else \
			echo "no Java runtime: install Java 17 (Debian: openjdk-17-jre-headless); the Spark tests skip without it outside CI"; \
		fi; }

test: $(STAMP) java
	PYTHONDONTWRITEBYTECODE=1 $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/sample.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/inventory.py
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/plan.py --in-use-share 0.01
	$(BIN)/python bench/plan_in_use.py
	$(BIN)/python bench/attribution.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/engines.py
	$(BIN)/python bench/savings.py
	$(BIN)/python bench/pipeline.py

# Deliberate upgrade of the pinned versions (needs `uv` on PATH).
lock:
	uv pip compile pyproject.toml --extra dev --extra spark --extra kubernetes --python-version 3.11 -o requirements.lock

dagster: $(STAMP)
	ECRCOST_HOME=$${ECRCOST_HOME:-$(CURDIR)/$(DEMO_HOME)} \
	DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/$(DEMO_HOME)/dagster} $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf $(VENV) $(DEMO_HOME) .pytest_cache .ruff_cache
