# imrml: every target is a thin layer over the `imrml` command or pytest.
# `make help` lists them.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
IMRML  := $(BIN)/imrml
STAMP  := $(VENV)/.installed

EXPERIMENT ?= experiments/outcome_case_logreg.toml
CORPUS     ?= data/corpus
# train reads the corpus once there is one (imrml parse made it), else the experiment's own [data]
DATA       ?= $(if $(wildcard $(CORPUS)/index.sqlite),$(CORPUS))
MODEL      ?=
ON         ?=
INPUT      ?=
OUTPUT     ?= data/scored/scored.csv

.DEFAULT_GOAL := help
.PHONY: help setup test test-fast lint score demo bench-score bench bench-parse bench-bad-input parse labels clean clean-mlflow train train-all ui promote evaluate compare bench-train synth bench-synth bench-score-workers report bench-report bench-precedents precedents

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install imrml with its dev tools

test: $(STAMP) ## run the test suite (real letters from ../shared when present)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) ## the inner loop: every test not marked slow
	$(BIN)/python -m pytest -q -m "not slow"

lint: $(STAMP) ## ruff (lint and format) and the layers contract (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

parse: $(STAMP) ## parse letters into the corpus: make parse [INPUT=data/letters] [CORPUS=data/corpus] [PRUNE=1]; OUTPUT=items.jsonl: one file
	$(IMRML) parse $(or $(INPUT),data/letters) $(if $(filter-out data/scored/scored.csv,$(OUTPUT)),-o $(OUTPUT),--corpus $(CORPUS) $(if $(PRUNE),--prune)) --allow-rejects

labels: $(STAMP) ## the labels summary of the corpus (or INPUT=items.jsonl)
	$(IMRML) labels $(or $(INPUT),$(CORPUS))

bench-parse: $(STAMP) ## benchmark: PDF letters/s with --jobs 1 and 2, corpus reruns and additions, memory, vs bare extraction
	$(BIN)/python benchmarks/bench_parse.py

bench-bad-input: $(STAMP) ## benchmark: peak memory and time parsing the two decompression bombs (built in /tmp, deleted)
	$(BIN)/python benchmarks/bench_bad_input.py

N      ?= 1000
SEED   ?= 0
FORMAT ?= txt
synth: $(STAMP) ## generate letters and truth: make synth N=1000 SEED=0 [FORMAT=pdf] -> data/generated/
	$(IMRML) synth -n $(N) --seed $(SEED) --format $(FORMAT) -o data/generated

bench-synth: $(STAMP) ## benchmark: generate 10,000 letters, letters/s (target < 60 s)
	$(BIN)/python benchmarks/bench_synth.py

train: $(STAMP) ## train an experiment, tracked in MLflow: make train EXPERIMENT=experiments/<name>.toml [DATA=corpus|items|letters]
	$(IMRML) train $(EXPERIMENT) $(if $(DATA),--data $(DATA))

# files starting with _ (experiments/_base.toml) are what experiments extend, not experiments
train-all: $(STAMP) ## train every experiment in experiments/ (not _base.toml) [DATA=corpus|items|letters]
	@set -e; for f in experiments/*.toml; do \
	  case "$$(basename $$f)" in _*) continue;; esac; \
	  echo "== $$f"; $(IMRML) train $$f $(if $(DATA),--data $(DATA)); \
	done

ui: $(STAMP) ## MLflow UI on http://127.0.0.1:5000 over the project's mlflow.db, opening experiments on their runs table
	@echo "Open http://127.0.0.1:5000 (experiments open on Model training's runs table). The leaderboard's columns:"
	@echo "an experiment's link from 'imrml compare', or the runs table's Views > imrml leaderboard."
	$(BIN)/mlflow ui --app-name imrml --backend-store-uri sqlite:///mlflow.db --host 127.0.0.1

promote: $(STAMP) ## make MODEL's latest version champion if better on the same data: make promote MODEL=outcome_case [ON=letters]
	$(IMRML) promote $(MODEL) $(if $(ON),--on $(ON))

# DATA must be given: its default (the corpus, for train) may be what the model was trained on, and numbers on
# the training data are in-sample. $(origin DATA) is "file" when only the default above set it.
EVAL_DATA = $(if $(filter file undefined,$(origin DATA)),,$(DATA))
evaluate: $(STAMP) ## measure a model on labelled letters it never saw: make evaluate MODEL=outcome_case DATA=data/letters (DATA required)
	$(IMRML) evaluate $(or $(MODEL),outcome_case) $(or $(EVAL_DATA),$(error give DATA=labelled letters, items or a corpus the model was not trained on (make evaluate does not default to the corpus: numbers on training data are in-sample)))

compare: $(STAMP) ## the leaderboard of trained and evaluated models, baselines marked: make compare [MODEL=outcome_case]
	$(IMRML) compare $(MODEL)

bench-train: $(STAMP) ## benchmark: train the default linear model on 100,000 generated items (target < 2 min)
	$(BIN)/python benchmarks/bench_train.py

bench-score: $(STAMP) ## benchmark: items/s and peak memory scoring 10k, 100k, 1M generated items vs bare predict_proba
	$(BIN)/python benchmarks/bench_score.py

bench-score-workers: $(STAMP) ## benchmark: `imrml score` in process vs 2 workers at growing sizes (when workers pay)
	$(BIN)/python benchmarks/bench_score_workers.py

bench-report: $(STAMP) ## benchmark: imrml report over 1,000,000 generated items (targets < 60 s, < 2 GB); pandas, DuckDB, polars on its tables
	$(BIN)/python benchmarks/bench_report.py

bench-precedents: $(STAMP) ## benchmark: index 1M generated items (< 3 min, < 4 GB), 10,000 queries (< 30 s), search checked at 100k
	$(BIN)/python benchmarks/bench_precedents.py

bench: bench-parse bench-bad-input bench-score bench-score-workers bench-train bench-synth bench-report bench-precedents ## run every benchmark; results in bench-results/

precedents: $(STAMP) ## the decided items most like each new item: make precedents INPUT=letters|items [OUTPUT=data/precedents.csv]
	$(IMRML) precedents $(or $(INPUT),$(error give INPUT=the new letters or items)) -o $(if $(filter data/scored/scored.csv,$(OUTPUT)),data/precedents.csv,$(OUTPUT))

score: $(STAMP) ## score the corpus (or INPUT=letters|items): make score MODEL=models:/outcome_case@champion [OUTPUT=data/scored/scored.csv]
	$(IMRML) score --model $(or $(MODEL),models:/outcome_case@champion) $(or $(INPUT),$(CORPUS)) -o $(OUTPUT)

REPORT_INPUT ?= $(if $(wildcard $(CORPUS)/index.sqlite),$(CORPUS),data/demo/items.jsonl)
REPORT_DIR   ?= data/report
report: $(STAMP) ## tables and charts across letters: make report [REPORT_INPUT=corpus|letters|items] [REPORT_DIR=data/report] [BY=year]
	$(IMRML) report $(REPORT_INPUT) -o $(REPORT_DIR) $(if $(BY),--by $(BY))

spark-test: $(STAMP) ## optional: parse and score on local Spark (installs pyspark; needs Java 17+)
	@$(BIN)/python -c "import pyspark" 2>/dev/null || $(BIN)/pip install --quiet 'pyspark>=4'
	$(BIN)/python -m pytest -q tests/jobs/test_spark.py tests/jobs/test_spark_parse.py

demo: $(STAMP) ## set up, then generate, parse, train both views, promote, score a held-back slice, summarize
	$(IMRML) demo

clean: ## remove the environment and generated data (keeps data/letters and the MLflow store)
	rm -rf $(VENV) data/generated data/parsed data/scored data/demo data/report bench-results

clean-mlflow: ## remove the project's MLflow store (mlflow.db, mlartifacts/): every run and registered model
	rm -rf mlflow.db mlartifacts
