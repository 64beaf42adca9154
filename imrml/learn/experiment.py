"""Experiment files: TOML in ``experiments/`` read into a typed, validated :class:`Experiment`.

An experiment names its view, target, data, features, model, split and where
the fitted model is registered::

    [experiment]
    name = "outcome_case_logreg"
    extends = "_base.toml"     # optional: a shared file whose tables this one completes
    view = "case"              # case | case_assigned | rationale
    target = "outcome"         # outcome | guideline_family | guideline_topic

    [data]                     # items = "...", or letters = "...", or neither: a generated corpus
    synth_letters = 1500
    synth_seed = 0
    min_class_count = 5        # guideline labels rarer than this fold into "other-rare"
    test = "..."               # optional: items or letters the refit model is measured on (newer letters)

    [features]                 # word_ngrams, char_ngrams, lexicon, structured, treatment_class, ...

    [model]
    kind = "logreg"            # one of MODEL_KINDS
    [model.logreg]             # the parameters of that kind, and only of that kind
    C = 1.0

    [split]                    # group_kfold (n_splits, seed), by_date (test_fraction), leave_one_letter_out,
                               # or none (test data only)

    [registry]                 # name (default <target>_<view>), primary_metric, register

``extends`` merges the named file (relative to this one) under this one, table
by table, so blocks every experiment shares are written once. A base may hold
the parameter table of every model kind (``experiments/_base.toml`` does): an
experiment reads its own kind's and checks the others; a file's own table for
a kind other than its experiment's is an error. Every value a model uses is
here or in the defaults below: nothing is changed in code. Unknown sections or
keys and bad values raise :class:`ExperimentError` naming the file and the key.

This module owns the enumerations (views, targets, model kinds, splits,
metrics) that the modules it configures import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..records.errors import UserError

VIEWS = ("case", "case_assigned", "rationale")
TARGETS = ("outcome", "guideline_family", "guideline_topic")
LEARNED_KINDS = ("logreg", "linear_svm_calibrated", "hist_gradient_boosting")
BASELINE_KINDS = ("majority", "keyword_rule", "claims_copy")
NEIGHBOUR_KINDS = ("precedents",)  # the decided items most like the case, and the share of each decision among them
MODEL_KINDS = LEARNED_KINDS + BASELINE_KINDS + NEIGHBOUR_KINDS
SPLITS = ("group_kfold", "by_date", "leave_one_letter_out", "none")  # none: no cross-validation, only test data
OUTCOME_METRICS = ("balanced_accuracy", "macro_f1", "roc_auc", "pr_auc", "recall_overturned", "brier", "ece")
GUIDELINE_METRICS = ("accuracy", "macro_f1", "top3_accuracy")
LOWER_IS_BETTER = ("brier", "ece")
DEFAULT_PRIMARY = {"outcome": "pr_auc", "guideline_family": "macro_f1", "guideline_topic": "macro_f1"}
DEFAULT_SYNTH_LETTERS = 1500


class ExperimentError(UserError):
    """A bad experiment file: the message names the file and the key."""


@dataclass
class DataConfig:
    items: str | None = None
    letters: str | None = None
    synth_letters: int = DEFAULT_SYNTH_LETTERS
    synth_seed: int = 0
    min_class_count: int = 5
    test: str | None = None  # items or letters the model trained on everything is measured on


@dataclass
class FeatureConfig:
    word_ngrams: list[int] | bool = field(default_factory=lambda: [1, 2])
    char_ngrams: list[int] | bool = field(default_factory=lambda: [3, 5])
    lexicon: bool = True
    structured: bool = True
    treatment_class: bool = True
    guideline_mentions: bool = False  # the guidelines the rationale names (rationale view only)
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
            "guideline_mentions": self.guideline_mentions,
            "max_features": self.max_features,
            "min_df": self.min_df,
        }


# ---------------------------------------------------------------- model parameters, one table per kind


@dataclass
class LogregParams:
    C: float = 1.0
    class_weight: str = "balanced"  # or "none"
    tol: float = 1e-3  # sklearn's 1e-4 costs 2-3x the iterations for no measurable gain here
    max_iter: int = 1000


@dataclass
class LinearSvmCalibratedParams:
    C: float = 1.0
    class_weight: str = "balanced"
    tol: float = 1e-3
    max_iter: int = 2000
    calibration: str = "sigmoid"  # or "isotonic"
    calibration_folds: int = 3


@dataclass
class HistGradientBoostingParams:
    max_iter: int = 100
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    class_weight: str = "balanced"
    max_dense_features: int = 2000  # the chi-squared-best features the trees see, made dense
    # scikit-learn's "auto" turns early stopping on from 10,000 rows: the trees would then train on 90% of the
    # items and stop after a number of iterations the data decides; off, every item trains and max_iter runs
    early_stopping: bool = False


@dataclass
class MajorityParams:
    pass


@dataclass
class KeywordRuleParams:
    confidence: float = 0.9  # the probability given to the class the rationale's conclusion names


@dataclass
class ClaimsCopyParams:
    confidence: float = 0.8  # the probability added to the claims administrator's label


@dataclass
class PrecedentsParams:
    n_neighbors: int = 10  # precedents per item, and the neighbours whose decisions the score counts
    same_class: bool = True  # compare an item only with decided items of its treatment class
    n_components: int = 256  # dimensions of the reduced TF-IDF vectors (README, "Precedents": 128 loses ground)
    summary_weight: float = 1.0  # the case summary
    item_weight: float = 1.0  # the item as written
    request_weight: float = 1.0  # the request read into fields (generic, drug class, service type, body parts)
    claims_weight: float = 0.5  # the claims administrator's guideline and its labels
    min_df: int = 2  # a summary word counts when it is in at least this many distinct summaries
    rationale_sentences: int = 2  # sentences of each precedent's rationale shown


MODEL_PARAMS: dict[str, type] = {
    "logreg": LogregParams,
    "linear_svm_calibrated": LinearSvmCalibratedParams,
    "hist_gradient_boosting": HistGradientBoostingParams,
    "majority": MajorityParams,
    "keyword_rule": KeywordRuleParams,
    "claims_copy": ClaimsCopyParams,
    "precedents": PrecedentsParams,
}


@dataclass
class ModelConfig:
    kind: str = "logreg"
    params: Any = field(default_factory=LogregParams)  # the MODEL_PARAMS dataclass of ``kind``


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
    text: str = ""  # the experiment as read, its bases merged in (logged as an artifact)

    @property
    def registered_name(self) -> str:
        return self.registry.name or f"{self.target}_{self.view}"

    @property
    def primary_metric(self) -> str:
        return self.registry.primary_metric or DEFAULT_PRIMARY[self.target]

    @property
    def greater_is_better(self) -> bool:
        return self.primary_metric not in LOWER_IS_BETTER

    @property
    def is_baseline(self) -> bool:
        return self.model.kind in BASELINE_KINDS

    def params(self) -> dict[str, Any]:
        """Every config value, flattened to "section.key" (what MLflow logs as params)."""
        out: dict[str, Any] = {
            "experiment.name": self.name,
            "experiment.view": self.view,
            "experiment.target": self.target,
            "experiment.file": self.path or "",
        }
        for section in ("data", "features", "split", "registry"):
            for k, v in asdict(getattr(self, section)).items():
                out[f"{section}.{k}"] = v
        out["model.kind"] = self.model.kind
        for k, v in asdict(self.model.params).items():
            out[f"model.{self.model.kind}.{k}"] = v
        out["registry.name"] = self.registered_name
        out["registry.primary_metric"] = self.primary_metric
        return out


# ---------------------------------------------------------------- reading and checking

_SECTIONS = {"data": DataConfig, "features": FeatureConfig, "split": SplitConfig, "registry": RegistryConfig}
_EXPERIMENT_KEYS = ("name", "description", "view", "target", "extends")

_TYPE_CHECKS = {
    "str | None": (lambda v: isinstance(v, str), "a string"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "list[int] | bool": (
        lambda v: (
            v is False
            or (isinstance(v, list) and len(v) == 2 and v[0] <= v[1] and all(isinstance(x, int) and x >= 1 for x in v))
        ),
        "[low, high] n-gram sizes or false",
    ),
    "list[str] | None": (
        lambda v: isinstance(v, list) and len(v) > 0 and all(isinstance(x, str) for x in v),
        "a list of column names",
    ),
}


def _typed(cls: type, raw: dict[str, Any], where: str, err) -> Any:
    """An instance of dataclass ``cls`` from a TOML table, every key known and of its type."""
    known = {f.name: str(f.type) for f in fields(cls)}
    kw = {}
    for k, v in raw.items():
        if k not in known:
            hint = f"known: {', '.join(known)}" if known else "this table takes no keys"
            raise err(f"{where}.{k}", f"unknown key ({hint})")
        check, expected = _TYPE_CHECKS[known[k]]
        if not check(v):
            raise err(f"{where}.{k}", f"{v!r} is not {expected}")
        kw[k] = float(v) if known[k] == "float" else v
    return cls(**kw)


def _model_config(raw: Any, err, inherited: Collection[str] = ()) -> ModelConfig:
    """The model's kind and its parameters; every kind's table is checked, and one of another kind than the
    experiment's is allowed only when it came from a base (``inherited``)."""
    if not isinstance(raw, dict):
        raise err("[model]", "must be a table")
    kind = raw.get("kind", "logreg")
    if kind not in MODEL_KINDS:
        raise err("model.kind", f"{kind!r} is not one of {', '.join(MODEL_KINDS)}")
    params: dict[str, Any] = {}
    for k, v in raw.items():
        if k == "kind":
            continue
        if k not in MODEL_KINDS:
            raise err(
                f"model.{k}",
                f"unknown key: the parameters of {kind} go in a [model.{kind}] table "
                f"(known: {', '.join(f.name for f in fields(MODEL_PARAMS[kind])) or 'none'})",
            )
        if k != kind and k not in inherited:
            raise err(
                f"[model.{k}]",
                f"parameters of {k}, but model.kind is {kind!r} (only a base may hold other kinds' tables)",
            )
        if not isinstance(v, dict):
            raise err(f"[model.{k}]", "must be a table")
        params[k] = _typed(MODEL_PARAMS[k], v, f"model.{k}", err)
        _check_params(params[k], f"model.{k}", err)
    return ModelConfig(kind, params[kind] if kind in params else MODEL_PARAMS[kind]())


def _check_params(p: Any, where: str, err) -> None:
    """The values of one kind's parameters (``p``, a MODEL_PARAMS dataclass) in their ranges."""
    for k in ("C", "learning_rate", "tol"):
        if hasattr(p, k) and getattr(p, k) <= 0:
            raise err(f"{where}.{k}", "must be positive")
    for k in ("max_iter", "max_leaf_nodes", "max_dense_features"):
        if hasattr(p, k) and getattr(p, k) < 1:
            raise err(f"{where}.{k}", "must be at least 1")
    if hasattr(p, "calibration_folds") and p.calibration_folds < 2:
        raise err(f"{where}.calibration_folds", "must be at least 2")
    if hasattr(p, "calibration") and p.calibration not in ("sigmoid", "isotonic"):
        raise err(f"{where}.calibration", f"{p.calibration!r} is not 'sigmoid' or 'isotonic'")
    if hasattr(p, "class_weight") and p.class_weight not in ("balanced", "none"):
        raise err(f"{where}.class_weight", f"{p.class_weight!r} is not 'balanced' or 'none'")
    if hasattr(p, "confidence") and not 0 < p.confidence <= 1:
        raise err(f"{where}.confidence", "must be in (0, 1]")
    for k in ("n_neighbors", "n_components", "min_df", "rationale_sentences"):
        if hasattr(p, k) and getattr(p, k) < 1:
            raise err(f"{where}.{k}", "must be at least 1")
    weights = [
        getattr(p, k) for k in ("summary_weight", "item_weight", "request_weight", "claims_weight") if hasattr(p, k)
    ]
    if any(w < 0 for w in weights) or (weights and not any(weights)):
        raise err(where, "the block weights must be non-negative and not all zero")


def parse_experiment(
    doc: dict[str, Any], path: str = "<experiment>", text: str = "", inherited_kinds: Collection[str] = ()
) -> Experiment:
    """An :class:`Experiment` from a TOML document (bases already merged); errors name ``path`` and the key.

    ``inherited_kinds``: the kinds whose ``[model.<kind>]`` table came from a base only (checked, and ignored
    unless it is the experiment's kind).
    """

    def err(key: str, msg: str) -> ExperimentError:
        return ExperimentError(f"{path}: {key}: {msg}")

    unknown = sorted(set(doc) - set(_SECTIONS) - {"experiment", "model"})
    if unknown:
        known = ", ".join(f"[{s}]" for s in ("experiment", *_SECTIONS, "model"))
        raise err(f"[{unknown[0]}]", f"unknown section (known: {known})")
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
    for name, cls in _SECTIONS.items():
        raw = doc.get(name, {})
        if not isinstance(raw, dict):
            raise err(f"[{name}]", "must be a table")
        sections[name] = _typed(cls, raw, name, err)
    sections["model"] = _model_config(doc.get("model", {}), err, inherited_kinds)
    exp = Experiment(
        name=head["name"],
        view=head["view"],
        target=head["target"],
        description=head.get("description", ""),
        path=path,
        text=text,
        **sections,
    )
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
    if m.kind == "keyword_rule" and (exp.target != "outcome" or exp.view != "rationale"):
        raise err(
            "model.kind",
            "keyword_rule reads the rationale for the outcome: it needs target = 'outcome' and view = 'rationale'",
        )
    if m.kind == "precedents" and (exp.target != "outcome" or exp.view != "case"):
        raise err(
            "model.kind",
            "precedents count the decisions of decided items like the case: it needs target = 'outcome' and "
            "view = 'case'",
        )
    if m.kind == "claims_copy" and exp.target == "outcome":
        raise err("model.kind", "claims_copy copies the claims administrator's guideline: it needs a guideline target")
    if f.max_features < 1:
        raise err("features.max_features", "must be at least 1")
    if f.min_df < 1:
        raise err("features.min_df", "must be at least 1")
    if f.word_ngrams is True or f.char_ngrams is True:
        raise err(
            "features.word_ngrams" if f.word_ngrams is True else "features.char_ngrams",
            "give [low, high] n-gram sizes, or false",
        )
    if f.guideline_mentions and exp.view != "rationale":
        raise err("features.guideline_mentions", "reads the rationale: it needs view = 'rationale'")
    if m.kind in LEARNED_KINDS and not (
        f.word_ngrams or f.char_ngrams or f.lexicon or f.structured or f.treatment_class or f.guideline_mentions
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
        raise err(
            "registry.primary_metric",
            f"{r.primary_metric!r} is not one of {', '.join(allowed_metrics)} (the {exp.target} metrics)",
        )
    if r.name is not None and not r.name.strip():
        raise err("registry.name", "must not be empty")


def _merged(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``base``, table by table (a key of the child replaces the base's)."""
    out = dict(base)
    for k, v in child.items():
        out[k] = _merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    if not path.is_file():
        raise ExperimentError(f"{path}: no such experiment file")
    text = path.read_text(encoding="utf-8")
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        raise ExperimentError(f"{path}: not valid TOML ({e})") from None


def _kind_tables(doc: dict[str, Any]) -> set[str]:
    """The model kinds whose parameter table ``doc`` holds."""
    model = doc.get("model")
    return {k for k in model if k in MODEL_KINDS} if isinstance(model, dict) else set()


def read_experiment_document(path: str | Path, _seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], str, set[str]]:
    """The TOML document of an experiment file with its ``extends`` chain merged in, the texts read, and the
    kinds whose ``[model.<kind>]`` table only its bases write."""
    path = Path(path)
    if path.resolve() in _seen:
        raise ExperimentError(f"{path}: experiment.extends: a loop ({' -> '.join(str(p) for p in (*_seen, path))})")
    doc, text = _read_toml(path)
    extends = doc.get("experiment", {}).get("extends") if isinstance(doc.get("experiment"), dict) else None
    if extends is None:
        return doc, text, set()
    if not isinstance(extends, str) or not extends:
        raise ExperimentError(f"{path}: experiment.extends: must be a file name")
    base_path = path.parent / extends
    if not base_path.is_file():
        raise ExperimentError(f"{path}: experiment.extends: no such file {base_path}")
    base, base_text, _ = read_experiment_document(base_path, (*_seen, path.resolve()))
    merged = _merged(base, doc)
    merged["experiment"].pop("extends", None)
    return merged, f"# {base_path.name}\n{base_text}\n# {path.name}\n{text}", _kind_tables(base) - _kind_tables(doc)


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file (with the files it extends)."""
    doc, text, inherited = read_experiment_document(path)
    return parse_experiment(doc, str(path), text, inherited)
