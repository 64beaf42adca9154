"""Experiment files: TOML in experiments/ parsed into typed, validated dataclasses (issue 5).

An experiment file names the data, the view, the target, the features, the
model, the split and where the fitted model is registered::

    [experiment]
    name = "outcome_case_logreg"
    description = "..."
    view = "case"              # "case" | "rationale"
    target = "outcome"         # "outcome" | "guideline_family" | "guideline_topic"

    [data]                     # one of items / letters; neither: a generated corpus
    items = "data/parsed/items.jsonl"
    # letters = "../shared/data/dwc-letters"
    # synth_letters = 1500     # size and seed of the default generated corpus
    # synth_seed = 0
    min_class_count = 5        # guideline targets: rarer labels fold into "other-rare"

    [features]
    word_ngrams = [1, 2]       # or false
    char_ngrams = [3, 5]       # or false; on the item as requested
    lexicon = true
    structured = true
    treatment_class = true
    max_features = 50000
    min_df = 2
    # text_columns = ["rationale", "item"]   # default per view

    [model]
    kind = "logreg"            # logreg | linear_svm_calibrated | hist_gradient_boosting | majority | keyword_rule | claims_copy
    class_weight = "balanced"  # or "none"
    C = 1.0

    [split]
    kind = "group_kfold"       # grouped by letter, stratified; or "by_date"
    n_splits = 5
    test_fraction = 0.25       # by_date: the latest quarter of letters is the test set
    seed = 0

    [registry]
    name = "outcome_case"      # default "<target>_<view>"
    primary_metric = "pr_auc"  # default per target
    register = true

Unknown sections or keys, and bad values, raise :class:`ExperimentError`
naming the file and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .features import VIEW_COLUMNS
from .models import MODEL_KINDS

VIEWS = ("case", "rationale")
TARGETS = ("outcome", "guideline_family", "guideline_topic")
SPLITS = ("group_kfold", "by_date")
OUTCOME_METRICS = ("balanced_accuracy", "macro_f1", "roc_auc", "pr_auc", "recall_overturned", "brier", "ece")
GUIDELINE_METRICS = ("accuracy", "macro_f1", "top3_accuracy")
LOWER_IS_BETTER = ("brier", "ece")
DEFAULT_PRIMARY = {"outcome": "pr_auc", "guideline_family": "macro_f1", "guideline_topic": "macro_f1"}
DEFAULT_SYNTH_LETTERS = 1500


class ExperimentError(ValueError):
    """A bad experiment file: the message names the file and the key."""


@dataclass
class DataConfig:
    items: str | None = None
    letters: str | None = None
    synth_letters: int = DEFAULT_SYNTH_LETTERS
    synth_seed: int = 0
    min_class_count: int = 5


@dataclass
class FeatureConfig:
    word_ngrams: list[int] | bool = field(default_factory=lambda: [1, 2])
    char_ngrams: list[int] | bool = field(default_factory=lambda: [3, 5])
    lexicon: bool = True
    structured: bool = True
    treatment_class: bool = True
    max_features: int = 50_000
    min_df: int = 2
    text_columns: list[str] | None = None

    def build_kwargs(self) -> dict[str, Any]:
        return {
            "word_ngrams": tuple(self.word_ngrams) if self.word_ngrams else None,
            "char_ngrams": tuple(self.char_ngrams) if self.char_ngrams else None,
            "lexicon": self.lexicon,
            "structured": self.structured,
            "treatment_class": self.treatment_class,
            "max_features": self.max_features,
            "min_df": self.min_df,
        }


@dataclass
class ModelConfig:
    kind: str = "logreg"
    class_weight: str = "balanced"
    C: float = 1.0
    tol: float = 1e-3  # linear models' stopping tolerance (sklearn's 1e-4 costs 2-3x the iterations for nothing measurable)
    max_iter: int = 200
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    max_dense_features: int = 2000

    def build_kwargs(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("kind")
        d["class_weight"] = None if self.class_weight == "none" else self.class_weight
        return d


@dataclass
class SplitConfig:
    kind: str = "group_kfold"
    n_splits: int = 5
    test_fraction: float = 0.25
    seed: int = 0


@dataclass
class RegistryConfig:
    name: str | None = None
    primary_metric: str | None = None
    register: bool = True


@dataclass
class Experiment:
    name: str
    view: str
    target: str
    description: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    registry: RegistryConfig = field(default_factory=RegistryConfig)
    path: str | None = None  # the file it came from
    text: str = ""  # the file's text, logged as an artifact

    @property
    def registered_name(self) -> str:
        return self.registry.name or f"{self.target}_{self.view}"

    @property
    def primary_metric(self) -> str:
        return self.registry.primary_metric or DEFAULT_PRIMARY[self.target]

    @property
    def greater_is_better(self) -> bool:
        return self.primary_metric not in LOWER_IS_BETTER

    def params(self) -> dict[str, Any]:
        """Every config value, flattened to "section.key" (what MLflow logs as params)."""
        out: dict[str, Any] = {
            "experiment.name": self.name, "experiment.view": self.view, "experiment.target": self.target,
            "experiment.file": self.path or "",
        }
        for section in ("data", "features", "model", "split", "registry"):
            for k, v in asdict(getattr(self, section)).items():
                out[f"{section}.{k}"] = v
        out["registry.name"] = self.registered_name
        out["registry.primary_metric"] = self.primary_metric
        return out


# ---------------------------------------------------------------- loading and validation

_SECTIONS = {"data": DataConfig, "features": FeatureConfig, "model": ModelConfig, "split": SplitConfig,
             "registry": RegistryConfig}
_EXPERIMENT_KEYS = ("name", "description", "view", "target")


def _type_ok(value: Any, annotation: str) -> bool:
    checks = {
        "str | None": lambda v: isinstance(v, str),
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "list[int] | bool": lambda v: v is False or (isinstance(v, list) and len(v) == 2
                                                     and all(isinstance(x, int) and x >= 1 for x in v) and v[0] <= v[1]),
        "list[str] | None": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v) and len(v) > 0,
    }
    return checks[annotation](value)


def _expected(annotation: str) -> str:
    return {
        "str | None": "a string", "str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
        "list[int] | bool": "[low, high] n-gram sizes or false", "list[str] | None": "a list of column names",
    }[annotation]


def parse_experiment(doc: dict[str, Any], path: str = "<experiment>", text: str = "") -> Experiment:
    """An :class:`Experiment` from a parsed TOML document; errors name ``path`` and the key."""

    def err(key: str, msg: str) -> ExperimentError:
        return ExperimentError(f"{path}: {key}: {msg}")

    unknown = sorted(set(doc) - set(_SECTIONS) - {"experiment"})
    if unknown:
        raise err(f"[{unknown[0]}]", f"unknown section (known: [experiment], {', '.join(f'[{s}]' for s in _SECTIONS)})")
    head = doc.get("experiment")
    if not isinstance(head, dict):
        raise err("[experiment]", "missing section (it needs name, view and target)")
    for k in head:
        if k not in _EXPERIMENT_KEYS:
            raise err(f"experiment.{k}", f"unknown key (known: {', '.join(_EXPERIMENT_KEYS)})")
    for k in ("name", "view", "target"):
        if k not in head:
            raise err(f"experiment.{k}", "missing")
        if not isinstance(head[k], str) or not head[k]:
            raise err(f"experiment.{k}", "must be a non-empty string")
    if head["view"] not in VIEWS:
        raise err("experiment.view", f"{head['view']!r} is not one of {', '.join(VIEWS)}")
    if head["target"] not in TARGETS:
        raise err("experiment.target", f"{head['target']!r} is not one of {', '.join(TARGETS)}")
    if not isinstance(head.get("description", ""), str):
        raise err("experiment.description", "must be a string")

    sections: dict[str, Any] = {}
    for sname, cls in _SECTIONS.items():
        raw = doc.get(sname, {})
        if not isinstance(raw, dict):
            raise err(f"[{sname}]", "must be a table")
        known = {f.name: f for f in fields(cls)}
        kw = {}
        for k, v in raw.items():
            if k not in known:
                raise err(f"{sname}.{k}", f"unknown key (known: {', '.join(known)})")
            if not _type_ok(v, str(known[k].type)):
                raise err(f"{sname}.{k}", f"{v!r} is not {_expected(str(known[k].type))}")
            kw[k] = float(v) if str(known[k].type) == "float" else v
        sections[sname] = cls(**kw)

    exp = Experiment(name=head["name"], view=head["view"], target=head["target"],
                     description=head.get("description", ""), path=path, text=text, **sections)
    _validate(exp, err)
    return exp


def _validate(exp: Experiment, err) -> None:
    d, f, m, s, r = exp.data, exp.features, exp.model, exp.split, exp.registry
    if d.items and d.letters:
        raise err("data.items", "give items or letters, not both")
    if d.synth_letters < 1:
        raise err("data.synth_letters", "must be at least 1")
    if d.min_class_count < 1:
        raise err("data.min_class_count", "must be at least 1")
    if m.kind not in MODEL_KINDS:
        raise err("model.kind", f"{m.kind!r} is not one of {', '.join(MODEL_KINDS)}")
    if m.class_weight not in ("balanced", "none"):
        raise err("model.class_weight", f"{m.class_weight!r} is not 'balanced' or 'none'")
    for k in ("C", "learning_rate", "tol"):
        if getattr(m, k) <= 0:
            raise err(f"model.{k}", "must be positive")
    for k in ("max_iter", "max_leaf_nodes", "max_dense_features"):
        if getattr(m, k) < 1:
            raise err(f"model.{k}", "must be at least 1")
    if m.kind == "keyword_rule" and (exp.target != "outcome" or exp.view != "rationale"):
        raise err("model.kind", "keyword_rule reads the rationale for the outcome: it needs target = 'outcome' "
                                "and view = 'rationale'")
    if m.kind == "claims_copy" and exp.target == "outcome":
        raise err("model.kind", "claims_copy copies the claims administrator's guideline: it needs a guideline target")
    if f.max_features < 1:
        raise err("features.max_features", "must be at least 1")
    if f.min_df < 1:
        raise err("features.min_df", "must be at least 1")
    if f.word_ngrams is True or f.char_ngrams is True:
        raise err("features.word_ngrams" if f.word_ngrams is True else "features.char_ngrams",
                  "give [low, high] n-gram sizes, or false")
    if f.text_columns:
        allowed = VIEW_COLUMNS[exp.view]
        bad = [c for c in f.text_columns if c not in allowed]
        if bad:
            raise err("features.text_columns", f"{bad} are not columns of the {exp.view} view ({', '.join(allowed)})")
    if m.kind not in ("majority", "keyword_rule", "claims_copy") and not (
        f.word_ngrams or f.char_ngrams or f.lexicon or f.structured or f.treatment_class
    ):
        raise err("[features]", "every feature is disabled")
    if s.kind not in SPLITS:
        raise err("split.kind", f"{s.kind!r} is not one of {', '.join(SPLITS)}")
    if s.n_splits < 2:
        raise err("split.n_splits", "must be at least 2")
    if not 0 < s.test_fraction < 1:
        raise err("split.test_fraction", "must be between 0 and 1")
    allowed_metrics = OUTCOME_METRICS if exp.target == "outcome" else GUIDELINE_METRICS
    if r.primary_metric is not None and r.primary_metric not in allowed_metrics:
        raise err("registry.primary_metric", f"{r.primary_metric!r} is not one of {', '.join(allowed_metrics)} "
                                             f"(the {exp.target} metrics)")
    if r.name is not None and not r.name.strip():
        raise err("registry.name", "must not be empty")


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such experiment file")
    text = path.read_text(encoding="utf-8")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ExperimentError(f"{path}: not valid TOML ({e})") from None
    return parse_experiment(doc, str(path), text)
