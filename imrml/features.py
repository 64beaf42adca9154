"""From item records to the feature matrix a classifier learns from (issue 5).

One fitted scikit-learn :class:`~sklearn.pipeline.Pipeline` goes from a pandas
DataFrame of item records to predictions. Its head is the *view*:

- ``case``: only what exists before review (:data:`CASE_COLUMNS`): the case
  summary, the item as requested, the claims administrator's guideline and its
  labels, the reviewer's specialty, the patient's age and sex, the priority and
  the dates that give the time from injury to UR. Never the rationale, the
  decision or the reviewer's guideline.
- ``rationale``: the same plus the reviewer's rationale (:data:`RATIONALE_COLUMNS`).

:class:`ColumnSelector` keeps exactly the view's columns (adding any that are
missing as empty), so whatever else the input frame holds never reaches a
feature. :func:`build_features` then makes the feature union: word and
character n-gram TF-IDF, a lexicon of review cues, one-hot structured fields,
and the item's treatment class.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import is_dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, OneHotEncoder

from .schema import POST_DECISION_FIELDS

# ---------------------------------------------------------------- the frame

TEXT_FIELDS = (
    "case_summary", "item", "original_request", "claims_guideline_text", "reviewer_guideline_text", "rationale",
)
LIST_FIELDS = ("reviewer_specialties", "reviewer_licensure")
CITATION_FIELDS = ("claims_guideline", "reviewer_guideline")
NUMERIC_FIELDS = ("patient_age", "item_index")

# Pre-review columns: the only ones the case view reads.
CASE_COLUMNS: tuple[str, ...] = (
    "case_summary",
    "item",
    "original_request",
    "claims_guideline_text",
    "claims_guideline_sources",
    "claims_guideline_family",
    "claims_guideline_topic",
    "reviewer_specialties",
    "patient_age",
    "patient_sex",
    "priority",
    "date_of_injury",
    "ur_denial_date",
)
# The rationale view adds the reviewer's rationale (never the decision, the
# reviewer's guideline or the labels made from it).
RATIONALE_COLUMNS: tuple[str, ...] = CASE_COLUMNS + ("rationale",)
VIEW_COLUMNS: dict[str, tuple[str, ...]] = {"case": CASE_COLUMNS, "rationale": RATIONALE_COLUMNS}
DEFAULT_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "case": ("case_summary", "item", "original_request", "claims_guideline_text"),
    "rationale": ("rationale", "item", "original_request"),
}
NUMERIC_COLUMNS = ("patient_age",)
ID_COLUMNS = ("source_file", "case_id", "item_index")

assert not set(CASE_COLUMNS) & set(POST_DECISION_FIELDS)
assert not (set(RATIONALE_COLUMNS) - {"rationale"}) & set(POST_DECISION_FIELDS)


def _sources(citations: Any) -> str | None:
    if citations is None or (isinstance(citations, float) and math.isnan(citations)):
        return None
    if isinstance(citations, str):  # already flattened
        return citations
    out = []
    for c in citations:
        s = c.get("source") if isinstance(c, dict) else getattr(c, "source", None)
        if s and s not in out:
            out.append(s)
    return "+".join(sorted(out)) if out else "none"


def _joined(values: Any) -> str:
    if values is None or (isinstance(values, float) and math.isnan(values)):
        return ""
    if isinstance(values, str):
        return values
    return "; ".join(str(v) for v in values if v)


def records_to_frame(records: Iterable[Any] | pd.DataFrame) -> pd.DataFrame:
    """A flat DataFrame, one row per item, from ItemRecords, dicts or a frame of them.

    Scalar fields are kept; reviewer specialties and licensure are joined with
    "; "; each citation list becomes ``<list>_sources`` ("MTUS+ODG", "none")
    and the list itself is dropped (its text and labels are already columns).
    Calling it on its own output returns an equal frame.
    """
    if isinstance(records, pd.DataFrame):
        df = records.copy()
    else:
        rows = []
        for r in records:
            # a shallow copy: asdict() deep-copies every citation and is slow on 100,000 items
            rows.append(dict(r.__dict__) if is_dataclass(r) else dict(r))
        df = pd.DataFrame(rows)
    for col in CITATION_FIELDS:
        if col in df.columns:
            df[f"{col}_sources"] = [_sources(v) for v in df[col]]
            df = df.drop(columns=[col])
    for col in LIST_FIELDS:
        if col in df.columns:
            df[col] = [_joined(v) for v in df[col]]
    for col in TEXT_FIELDS:
        if col in df.columns:
            df[col] = df[col].where(df[col].notna(), "").astype(str)
    if "patient_age" in df.columns:
        df["patient_age"] = pd.to_numeric(df["patient_age"], errors="coerce").astype(float)
    return df.reset_index(drop=True)


def days_between(start: Any, end: Any) -> float:
    """Days from ISO date ``start`` to ``end``, NaN when either is missing or bad."""
    try:
        return float((date.fromisoformat(str(end)[:10]) - date.fromisoformat(str(start)[:10])).days)
    except (TypeError, ValueError):
        return float("nan")


# ---------------------------------------------------------------- the view


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


class ColumnSelector(TransformerMixin, BaseEstimator):
    """Keep exactly ``columns`` of a record frame, adding missing ones as empty.

    This is the view: anything else in the input (the rationale for the case
    view, the decision, the reviewer's guideline, the labels) is dropped here,
    before any feature sees the row.
    """

    def __init__(self, columns: Sequence[str] = CASE_COLUMNS):
        self.columns = columns

    def fit(self, X, y=None):
        self.columns_ = list(self.columns)
        return self

    def transform(self, X):
        X = records_to_frame(X) if not isinstance(X, pd.DataFrame) else X
        out = {}
        for col in self.columns_:
            if col in X.columns:
                out[col] = X[col].to_numpy()
            elif col in NUMERIC_COLUMNS:
                out[col] = np.full(len(X), np.nan)
            else:
                out[col] = np.full(len(X), "", dtype=object)
        return pd.DataFrame(out, index=range(len(X)))

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.columns_, dtype=object)


class PrepareColumns(TransformerMixin, BaseEstimator):
    """Derive the columns the features read from the view's columns.

    ``text`` joins ``text_columns``; ``item_text`` is the item as requested
    (and the original request); ``days_injury_to_ur`` is the time from injury
    to the UR denial; categorical columns get "" for missing.
    """

    def __init__(self, text_columns: Sequence[str] = DEFAULT_TEXT_COLUMNS["case"]):
        self.text_columns = text_columns

    def fit(self, X, y=None):
        missing = [c for c in self.text_columns if c not in X.columns]
        if missing:
            raise ValueError(f"text columns {missing} are not in the view's columns {list(X.columns)}")
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        out = pd.DataFrame(index=X.index)
        parts = [X[c].fillna("").astype(str) for c in self.text_columns]
        out["text"] = parts[0].str.cat(parts[1:], sep="\n") if len(parts) > 1 else parts[0]
        item = X["item"].fillna("").astype(str) if "item" in X else pd.Series("", index=X.index)
        orig = X["original_request"].fillna("").astype(str) if "original_request" in X else ""
        out["item_text"] = item.str.cat(orig, sep=" ") if isinstance(orig, pd.Series) else item
        for col in X.columns:
            if col in self.text_columns or col in ("item", "original_request", "date_of_injury", "ur_denial_date"):
                continue
            if col in NUMERIC_COLUMNS:
                out[col] = pd.to_numeric(X[col], errors="coerce").astype(float)
            else:
                out[col] = ["" if _is_missing(v) else str(v) for v in X[col]]
        if "date_of_injury" in X and "ur_denial_date" in X:
            out["days_injury_to_ur"] = [
                days_between(a, b) for a, b in zip(X["date_of_injury"], X["ur_denial_date"], strict=True)
            ]
        return out


# ---------------------------------------------------------------- lexicon of review cues

# Phrases reviewers use when weighing a request. Each cue counts its matches in
# the lower-cased text (so the patterns are lower case and need no IGNORECASE,
# which makes Python's re several times faster).
LEXICON: dict[str, str] = {
    "functional_improvement": r"functional (?:improvement|gains?|benefit|restoration)|improve(?:d|ments?) in (?:function|activities)",
    "no_functional_improvement": r"(?:no|without|lack of|absence of|failed to (?:demonstrate|show)|did not (?:demonstrate|show))\s+(?:\w+\s+){0,3}(?:functional improvement|improvement in function|benefit)",
    "long_term_use": r"long[- ]term (?:use|usage)|chronic (?:use|usage)|(?:ongoing|continued|prolonged|extended) use|since at least",
    "red_flags": r"red[- ]flags?|progressive neurologic|cauda equina|fracture|tumou?r|infection",
    "failed_conservative_care": r"fail(?:ed|ure of)\s+(?:\w+\s+){0,2}(?:conservative|first[- ]line|non-?operative)|conservative (?:care|treatment|therapy|measures) (?:has|have|had) failed|exhausted",
    "no_documentation": r"no (?:clear |explicit |)(?:documentation|mention|evidence|discussion) of|not (?:clearly |)documented|lack(?:ed)? of documentation|did not (?:document|describe|outline|establish)|little-to-no discussion",
    "work_status": r"return(?:ed|ing)? to work|off of work|total temporary disability|work status|working|modified duty",
    "pain_reduction": r"pain (?:relief|reduction)|reduc(?:ed|tion) in pain|analgesi[ac]|pain scores?",
    "drug_monitoring": r"urine drug|drug (?:screen|test)|aberrant|opioid agreement|pain contract|cures report",
    "not_recommended": r"not (?:recommended|indicated|supported|endorsed|approved|appropriate)",
    "recommended": r"(?<!not )(?:is|are) (?:recommended|indicated|supported|endorsed|appropriate)",
    "not_medically_necessary": r"not (?:medically necessary|necessary)",
    "medically_necessary": r"(?<!not )medically necessary",
    "wean_taper": r"\bwean|\btaper|discontinu",
    "trial": r"\btrial\b",
    "quantity_exceeds": r"exceed(?:s|ed|ing)?|in excess of|more than|beyond",
    "guideline_mtus": r"\bmtus\b|\bacoem\b|chronic pain medical treatment guidelines?",
    "guideline_odg": r"\bodg\b|official disability guidelines?",
    "surgery_considered": r"surg(?:ery|ical)|operative",
    "psychological": r"depress|anxiety|psycholog|psychiatr",
}


# Substrings one of which every match of a cue contains: a text without any of
# them skips that cue's regex (a fast C-level "in" test instead of a scan).
LEXICON_ANCHORS: dict[str, tuple[str, ...]] = {
    "functional_improvement": ("functional", "improve"),
    "no_functional_improvement": ("functional improvement", "improvement in function", "benefit"),
    "long_term_use": ("long", "chronic", " use", "since at least"),
    "red_flags": ("red", "neurologic", "cauda", "fracture", "tumo", "infection"),
    "failed_conservative_care": ("fail", "exhausted"),
    "no_documentation": ("no ", "not ", "lack", "did not", "little-to-no"),
    "work_status": ("work", "total temporary", "modified duty"),
    "pain_reduction": ("pain", "analgesi"),
    "drug_monitoring": ("drug", "aberrant", "agreement", "contract", "cures"),
    "not_recommended": ("not ",),
    "recommended": (" is ", " are "),
    "not_medically_necessary": ("not necessary", "not medically necessary"),
    "medically_necessary": ("medically necessary",),
    "wean_taper": ("wean", "taper", "discontinu"),
    "trial": ("trial",),
    "quantity_exceeds": ("exceed", "excess", "more than", "beyond"),
    "guideline_mtus": ("mtus", "acoem", "chronic pain medical"),
    "guideline_odg": ("odg", "official disability"),
    "surgery_considered": ("surg", "operative"),
    "psychological": ("depress", "anxiety", "psych"),
}


class CueCounter:
    """Counts non-overlapping matches of one cue, with RE2 when it can (linear-time, ~5x faster here).

    RE2 has no lookbehind, so a cue written "(?<!not )X" counts X minus "not X": the
    same number, since the "not " prefix is exactly what the lookbehind excludes.
    Patterns RE2 cannot compile run on Python's re. Either way the counts equal re's.
    """

    def __init__(self, pattern: str):
        self.pattern = pattern
        self._plus, self._minus = _compile_counting(pattern)

    def count(self, text: str) -> int:
        n = len(self._plus.findall(text))
        if n and self._minus is not None:
            n -= len(self._minus.findall(text))
        return n

    def __getstate__(self):  # compiled RE2 objects do not pickle: keep the pattern, recompile on load
        return {"pattern": self.pattern}

    def __setstate__(self, state):
        self.__init__(state["pattern"])


_NOT_LOOKBEHIND = "(?<!not )"


def _compile_counting(pattern: str):
    try:
        import re2
    except ImportError:  # no wheel for this platform: Python's re gives the same counts, slower
        return re.compile(pattern), None
    body, negated = pattern, None
    if pattern.startswith(_NOT_LOOKBEHIND) and "(?<" not in pattern[len(_NOT_LOOKBEHIND):]:
        body = pattern[len(_NOT_LOOKBEHIND):]
        negated = f"not (?:{body})"
    try:
        return re2.compile(body), (re2.compile(negated) if negated else None)
    except re2.error:
        return re.compile(pattern), None


def compile_cue(pattern: str) -> CueCounter:
    return CueCounter(pattern)


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """log(1 + count) of each review cue of :data:`LEXICON` in a text column (matched lower-cased)."""

    def __init__(self, lexicon: dict[str, str] | None = None):
        self.lexicon = lexicon

    def fit(self, X, y=None):
        lex = self.lexicon if self.lexicon is not None else LEXICON
        self.names_ = list(lex)
        self.patterns_ = [compile_cue(p) for p in lex.values()]
        self.anchors_ = [LEXICON_ANCHORS.get(k, ()) if self.lexicon is None else () for k in lex]
        return self

    def transform(self, X):
        texts = _as_texts(X)
        out = np.zeros((len(texts), len(self.patterns_)), dtype=np.float32)
        for i, t in enumerate(texts):
            t = t.lower()
            for j, (pat, anchors) in enumerate(zip(self.patterns_, self.anchors_, strict=True)):
                if anchors and not any(a in t for a in anchors):
                    continue
                n = pat.count(t)
                if n:
                    out[i, j] = math.log1p(n)
        return sp.csr_matrix(out)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.names_, dtype=object)


def _as_texts(X) -> list[str]:
    if isinstance(X, pd.DataFrame):
        X = X.iloc[:, 0]
    if isinstance(X, pd.Series):
        return X.fillna("").astype(str).tolist()
    return ["" if _is_missing(x) else str(x) for x in np.asarray(X).ravel()]


# ---------------------------------------------------------------- the item's treatment class

# First match wins: order puts the specific before the general (a lidocaine
# patch is topical, not an injection; Butrans is an opioid, not a patch).
TREATMENT_CLASSES: tuple[tuple[str, str], ...] = (
    ("Opioids", r"norco|hydrocodone|oxycodone|oxycontin|percocet|tramadol|ultram|ultracet|morphine|ms contin|fentanyl|duragesic|opana|oxymorphone|methadone|nucynta|tapentadol|buprenorphine|suboxone|butrans|dilaudid|hydromorphone|codeine|tylenol (?:#|no\.?)\s*3|vicodin|opioid|kadian|hysingla|zohydro"),
    ("TENS/electrical stimulation", r"\btens\b|interferential|electrical (?:muscle |nerve |)stim|h-wave|neuromuscular (?:electrical )?stim|spinal cord stim|\bnmes\b"),
    ("Labs/drug testing", r"urine|drug (?:screen|test)|toxicology|\blabs?\b|laboratory|blood (?:test|work)|\bcbc\b|panel|genetic|cytokine"),
    ("Electrodiagnostic studies", r"\bemg\b|\bncv\b|\bncs\b|nerve conduction|electromyogra|electrodiagnostic"),
    ("Imaging/special studies", r"\bmri\b|magnetic resonance|\bct\b|cat scan|x-?rays?|radiograph|bone scan|ultrasound|sonogra|imaging|arthrogram|myelogram|discogram"),
    ("Topical analgesics", r"topical|cream|ointment|\bgel\b|lidoderm|lidocaine|terocin|flector|capsaicin|menthoderm|compound|dendracin|patch(?:es)?"),
    ("Benzodiazepines", r"klonopin|clonazepam|xanax|alprazolam|valium|diazepam|ativan|lorazepam|restoril|temazepam|benzodiazepine"),
    ("Muscle relaxants", r"\bsoma\b|carisoprodol|flexeril|cyclobenzaprine|fexmid|amrix|zanaflex|tizanidine|skelaxin|metaxalone|robaxin|methocarbamol|baclofen|norflex|orphenadrine|muscle relaxant"),
    ("Anti-epilepsy drugs", r"lyrica|pregabalin|neurontin|gabapentin|gralise|topamax|topiramate|tegretol|carbamazepine|lamotrigine|anticonvulsant"),
    ("NSAIDs", r"naproxen|anaprox|nalfon|fenoprofen|ibuprofen|motrin|celebrex|celecoxib|meloxicam|mobic|diclofenac|voltaren|relafen|nabumetone|etodolac|ketorolac|toradol|indomethacin|\bnsaids?\b|daypro|oxaprozin"),
    ("Antidepressants", r"cymbalta|duloxetine|elavil|amitriptyline|nortriptyline|trazodone|desyrel|wellbutrin|bupropion|zoloft|sertraline|prozac|fluoxetine|effexor|venlafaxine|lexapro|escitalopram|celexa|citalopram|antidepressant"),
    ("Psychological treatment", r"psycholog|psychiatr|psychotherap|cognitive behavio|\bcbt\b|biofeedback|counsel"),
    ("Programs", r"functional restoration|work hardening|work conditioning|\bprogram\b|detox|weight loss|gym|pool membership|\bhelp\b program"),
    ("Chiropractic/manipulation", r"chiropract|manipulation|manual therapy|adjustment"),
    ("Acupuncture", r"acupuncture"),
    ("Physical medicine", r"physical therapy|\bpt\b|physiotherapy|occupational therapy|aquatic|aqua therapy|massage|home exercise|therapeutic exercise"),
    ("Injections", r"inject|epidural|\besi\b|facet|\bblock\b|trigger point|radiofrequency|rhizotomy|ablation|botox|botulinum|\bprp\b|platelet|cortisone|synvisc|viscosupplement|hyaluron"),
    ("Surgery", r"surgery|surgical|arthroscop|fusion|discectomy|laminectomy|laminotomy|foraminotomy|replacement|arthroplasty|repair|release|decompression|ectomy\b|plasty\b|otomy\b"),
    ("DME", r"brace|\bcane\b|walker|wheelchair|\bbed\b|cushion|pillow|orthotic|orthosis|splint|cold therapy|hot/cold|cryotherapy|\bunit\b|equipment|\bdme\b|lumbar support|\bchair\b|scooter|mattress|compression|sling|immobiliz"),
    ("Home health/facility care", r"home health|nursing|skilled|assisted living|facility|inpatient|hospital|transportation|\baide\b|housekeeping"),
    ("Office visits/consultations", r"consult|follow[- ]?up|office visit|referral|evaluation|pain management|specialist|re-?evaluation|visit"),
    ("Other medications", r"\bmg\b|tablets?|capsules?|omeprazole|prilosec|protonix|pantoprazole|ranitidine|ambien|zolpidem|lunesta|sonata|medication|prescription|refill"),
)
UNKNOWN_CLASS = "unknown"
_TREATMENT_RES = [(name, re.compile(p, re.IGNORECASE)) for name, p in TREATMENT_CLASSES]


def treatment_class(item: str | None) -> str:
    """The treatment class of an item as requested, e.g. "Norco 10/325 mg #90" -> "Opioids"."""
    if not item:
        return UNKNOWN_CLASS
    for name, rx in _TREATMENT_RES:
        if rx.search(item):
            return name
    return UNKNOWN_CLASS


def _treatment_classes(X) -> np.ndarray:
    return np.asarray([[treatment_class(t)] for t in _as_texts(X)], dtype=object)


def _treatment_names(transformer, input_features):
    return np.asarray(["treatment_class"], dtype=object)


def _split_specialties(s: str) -> list[str]:
    return [p.strip().lower() for p in s.split(";") if p.strip()]


def _log1p_nonneg(X):
    return np.log1p(np.clip(np.asarray(X, dtype=float), 0, None))


# ---------------------------------------------------------------- the feature union

STRUCTURED_CATEGORICAL = (
    "patient_sex", "priority", "claims_guideline_family", "claims_guideline_topic", "claims_guideline_sources",
)
STRUCTURED_NUMERIC = ("patient_age", "days_injury_to_ur")


def build_features(
    *,
    word_ngrams: tuple[int, int] | None = (1, 2),
    char_ngrams: tuple[int, int] | None = (3, 5),
    lexicon: bool = True,
    structured: bool = True,
    treatment_class: bool = True,
    max_features: int | None = 50_000,
    min_df: int = 2,
) -> ColumnTransformer:
    """The feature union over :class:`PrepareColumns`' output, every block non-negative.

    ``word_ngrams`` on ``text`` (the view's text columns joined);
    ``char_ngrams`` on ``item_text`` (short, where drug names and spellings vary);
    ``lexicon`` the review cues on ``text``; ``structured`` one-hot
    categorical fields, reviewer specialties, and scaled age and days from
    injury to UR; ``treatment_class`` the item's class, one-hot.
    """
    blocks: list[tuple[str, Any, Any]] = []
    if word_ngrams:
        blocks.append((
            "words",
            TfidfVectorizer(
                ngram_range=tuple(word_ngrams), min_df=min_df, max_features=max_features, sublinear_tf=True,
                strip_accents="unicode", lowercase=True, dtype=np.float32,
                token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9]+\b",
            ),
            "text",
        ))
    if char_ngrams:
        blocks.append((
            "chars",
            TfidfVectorizer(
                analyzer="char_wb", ngram_range=tuple(char_ngrams), min_df=min_df,
                max_features=max_features, sublinear_tf=True, lowercase=True, dtype=np.float32,
            ),
            "item_text",
        ))
    if lexicon:
        blocks.append(("lexicon", LexiconFeatures(), "text"))
    if treatment_class:
        blocks.append((
            "treatment",
            Pipeline([
                ("classify", FunctionTransformer(_treatment_classes, feature_names_out=_treatment_names)),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]),
            "item_text",
        ))
    if structured:
        blocks.append(("categorical", OneHotEncoder(handle_unknown="ignore", min_frequency=2), list(STRUCTURED_CATEGORICAL)))
        blocks.append((
            "specialty",
            CountVectorizer(tokenizer=_split_specialties, token_pattern=None, lowercase=False, binary=True),
            "reviewer_specialties",
        ))
        blocks.append((
            "numeric",
            Pipeline([
                ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                ("log", FunctionTransformer(_log1p_nonneg, feature_names_out="one-to-one")),
                ("scale", MaxAbsScaler()),
            ]),
            list(STRUCTURED_NUMERIC),
        ))
    if not blocks:
        raise ValueError("no features enabled")
    return ColumnTransformer(blocks, remainder="drop", sparse_threshold=1.0, n_jobs=None)


def view_head(view: str, text_columns: Sequence[str] | None = None) -> list[tuple[str, Any]]:
    """The first two pipeline steps of a view: select its columns, derive the feature columns."""
    if view not in VIEW_COLUMNS:
        raise ValueError(f"unknown view {view!r}: expected one of {sorted(VIEW_COLUMNS)}")
    cols = VIEW_COLUMNS[view]
    text_columns = tuple(text_columns) if text_columns else DEFAULT_TEXT_COLUMNS[view]
    bad = [c for c in text_columns if c not in cols]
    if bad:
        raise ValueError(f"text columns {bad} are not in the {view} view (its columns: {list(cols)})")
    return [("view", ColumnSelector(cols)), ("prepare", PrepareColumns(text_columns))]
