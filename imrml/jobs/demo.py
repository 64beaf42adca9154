"""The demo job: the whole pipeline end to end on a generated corpus (``make demo``).

generate letters -> parse them -> label -> hold back a slice of letters -> train the
baselines and every model kind for the outcome (case and rationale views), and the
guideline models -> promote champions -> score the held-back slice with the outcome
champion and evaluate it there -> write the report of the corpus -> print a summary
(``imrml compare`` prints the leaderboard). Everything lands under ``data/demo`` and the
project's MLflow store; running it again reuses the corpus and any model that already
has a champion. The demo folder is marked as generated (``GENERATED.json``), so every
model it trains is tagged ``data_origin = generated`` and gives way, when promoted, to
a model trained on real letters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from ..learn.experiment import load_experiment
from ..letters.batch import parse_paths
from ..mlops.registry import CHAMPION
from ..mlops.runs_view import runs_table_url
from ..mlops.tracking import configure_tracking, project_home
from ..records.tables import read_items, write_jsonl
from ..synth.corpus import mark_generated, write_corpus
from .evaluate import evaluate
from .promote import promote_model
from .report import make_report
from .score import score
from .train import train_experiment

HOLDOUT_SHARE = 0.15
# What the demo trains: every model kind and its baselines for the outcome before review and from the
# rationale (so MLflow's runs table has a real comparison), the assigned-case outcome, and the guideline targets.
DEMO_EXPERIMENTS: dict[str, tuple[str, ...]] = {
    "outcome_case": ("majority", "logreg", "svm", "hgb"),
    "outcome_rationale": ("majority", "keyword_rule", "logreg", "svm", "hgb"),
    "outcome_case_assigned": ("logreg",),
    "guideline_family_case": ("logreg",),
    "guideline_family_rationale": ("logreg",),
    "guideline_topic_case": ("logreg",),
    "guideline_topic_rationale": ("logreg",),
}


@dataclass
class DemoConfig:
    letters: int = 500
    seed: int = 0
    out: Path = Path("data/demo")


def _held_back(case_id: str) -> bool:
    """A stable ~15% of letters, chosen by a hash of the case id (no letter on both sides)."""
    return int(hashlib.sha1(case_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < HOLDOUT_SHARE


def _has_champion(name: str) -> bool:
    try:
        mlflow.MlflowClient().get_model_version_by_alias(name, CHAMPION)
        return True
    except MlflowException:
        return False


def default_experiments_dir() -> Path:
    """The project's experiments/: under IMRML_HOME or the current folder, else beside the package (a checkout)."""
    for candidate in (project_home() / "experiments", Path(__file__).resolve().parents[2] / "experiments"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("no experiments/ folder in the project or beside the imrml package")


def run_demo(cfg: DemoConfig, experiments_dir: Path | None = None) -> int:
    uri = configure_tracking()
    experiments_dir = experiments_dir or default_experiments_dir()
    out = cfg.out
    corpus = out / "corpus"
    # everything the demo writes (items, splits, scores) comes from generated letters: say so where it lies,
    # on every run, so models trained on a folder of an older demo are tagged too
    mark_generated(out, "imrml demo", seed=cfg.seed, n_letters=cfg.letters)
    if not (corpus / "truth.jsonl").exists():
        print(f"[1/7] generating {cfg.letters} letters into {corpus} (seed {cfg.seed})")
        write_corpus(corpus, n=cfg.letters, seed=cfg.seed)
    else:
        print(f"[1/7] reusing the generated letters in {corpus}")

    items_path = out / "items.jsonl"
    if not items_path.exists():
        print("[2/7] parsing the letters and labelling their citations")
        result = parse_paths([corpus / "letters"])
        write_jsonl((r.to_dict() for r in result.records), items_path)
        print(f"      {result.summary()}")
    else:
        print(f"[2/7] reusing the parsed items in {items_path}")
    records = read_items(items_path)
    train_path, holdout_path = out / "train_items.jsonl", out / "holdout_items.jsonl"
    train_rows = [r.to_dict() for r in records if not _held_back(r.case_id)]
    hold_rows = [r.to_dict() for r in records if _held_back(r.case_id)]
    write_jsonl(train_rows, train_path)
    write_jsonl(hold_rows, holdout_path)
    n_letters = len({r.case_id for r in records})
    print(
        f"[3/7] {n_letters} letters, {len(records)} items: {len(train_rows)} to train, "
        f"{len(hold_rows)} held back for scoring"
    )

    headline: dict[str, str] = {}
    for name, kinds in DEMO_EXPERIMENTS.items():
        first = load_experiment(experiments_dir / f"{name}_{kinds[0]}.toml")
        if _has_champion(first.registered_name):
            print(f"[4/7] {name}: a champion exists, not retrained ('make clean-mlflow' to start over)")
            headline[name] = "champion kept"
            continue
        for kind in kinds:
            exp = load_experiment(experiments_dir / f"{name}_{kind}.toml")
            print(f"[4/7] training {name} {exp.model.kind} (grouped {exp.split.n_splits}-fold CV)")
            res = train_experiment(exp, data=str(train_path))
            metric = exp.primary_metric
            ci = res.intervals.get(metric)
            span = f" [{ci.low:.3f}, {ci.high:.3f}]" if ci else ""
            headline[f"{name} {kind}"] = f"{metric}={res.metrics.get(metric, float('nan')):.3f}{span}"
            print(f"[5/7] {promote_model(exp.registered_name)[1]}")

    scored = out / "scored.csv"
    print(f"[6/7] scoring the held-back items with models:/outcome_case@champion -> {scored}")
    result = score("models:/outcome_case@champion", [holdout_path], scored)
    held_out = evaluate("outcome_case", str(holdout_path))
    ci = held_out.intervals.get(held_out.primary_metric)
    report_dir = out / "report"
    print(f"[7/7] writing the report of the corpus's items -> {report_dir}")
    _, page, _ = make_report([str(items_path)], report_dir)
    print()
    print("imrml demo: done")
    print(f"  data       {n_letters} generated letters, {len(records)} items ({corpus})")
    for name, line in headline.items():
        print(f"  {name:<28} {line}")
    print(f"  scored     {result.n_scored} held-back items -> {scored} ({len(result.rejects)} rejected)")
    print(
        f"  held out   outcome_case champion v{held_out.version} ({held_out.model_kind}) on the held-back letters: "
        f"{held_out.primary_metric}={held_out.metrics[held_out.primary_metric]:.3f}"
        + (f" [95% {ci.low:.3f}, {ci.high:.3f}]" if ci else "")
    )
    print("  compare    imrml compare   (the leaderboard of every imrml experiment, baselines marked)")
    print(f"  report     {page.resolve()}  (open it in a browser; tables/ and charts/ beside it)")
    print(f"  tracking   {uri}")
    experiment_id = mlflow.MlflowClient().get_experiment_by_name("imrml/outcome_case").experiment_id
    print(f"  MLflow UI  make ui, then open {runs_table_url(experiment_id)}")
    print("  note       metrics above come from a generated corpus; see README for real-letter results")
    return 0


def demo_command(letters: int, seed: int, output: str) -> int:
    return run_demo(DemoConfig(letters=letters, seed=seed, out=Path(output)))
