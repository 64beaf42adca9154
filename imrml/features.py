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

import functools
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


# ---------------------------------------------------------------- word n-grams, each line analyzed once

class LineCachedTfidfVectorizer(TfidfVectorizer):
    """A :class:`~sklearn.feature_extraction.text.TfidfVectorizer` that works line by line.

    Every item of a letter repeats the letter's case summary, so the same lines
    recur in neighbouring documents. Each distinct line is preprocessed,
    tokenized, turned into n-grams and (when transforming) looked up in the
    vocabulary once per call, through a bounded cache; a document's n-grams
    are its lines' n-grams plus those spanning line ends. That is exactly the
    stock analyzer's multiset of n-grams (a newline is never inside a token),
    so the features are the same, computed about twice as fast on letters.
    Settings that could make lines interact (a custom analyzer, preprocessor or
    tokenizer, a token pattern that lets tokens run across lines) fall back to
    the stock code.
    """

    _CACHE_LINES = 4096

    def _line_ngrams(self, vocabulary: dict[str, int] | None = None):
        """A :class:`_LineNgrams` for this vectorizer's settings, or None when lines could interact."""
        if self.analyzer != "word" or self.preprocessor is not None or self.tokenizer is not None:
            return None
        tokenize = self.build_tokenizer()
        probe = "Ab\ncd 12\n34 e-\nf g.\n\nh"
        if tokenize(probe) != [t for line in probe.split("\n") for t in tokenize(line)]:
            return None
        return _LineNgrams(self, self._CACHE_LINES, vocabulary)

    def build_analyzer(self):
        lines = self._line_ngrams()
        if lines is None:
            return super().build_analyzer()

        def analyze(doc) -> list[str]:
            tokens, grams, starts = lines.split(self.decode(doc))
            return grams + lines.spanning(tokens, starts)
        return analyze

    def _count_vocab(self, raw_documents, fixed_vocab):
        # Transforming (fixed vocabulary): count from each line's cached vocabulary indices.
        lines = self._line_ngrams(self.vocabulary_) if fixed_vocab else None
        if lines is None:
            return super()._count_vocab(raw_documents, fixed_vocab)
        vocabulary = self.vocabulary_
        j_indices: list[int] = []
        indptr = [0]
        for doc in raw_documents:
            tokens, known, starts = lines.split(self.decode(doc))
            j_indices += known
            j_indices += [vocabulary[g] for g in lines.spanning(tokens, starts) if g in vocabulary]
            indptr.append(len(j_indices))
        index_dtype = np.int64 if len(j_indices) > np.iinfo(np.int32).max else np.int32
        X = sp.csr_matrix(
            (np.ones(len(j_indices), dtype=self.dtype), np.asarray(j_indices, dtype=index_dtype),
             np.asarray(indptr, dtype=index_dtype)),
            shape=(len(indptr) - 1, len(vocabulary)),
        )
        X.sum_duplicates()  # repeated indices add up to counts, indices sorted as the stock code leaves them
        return vocabulary, X


class DistinctTfidfVectorizer(TfidfVectorizer):
    """A :class:`~sklearn.feature_extraction.text.TfidfVectorizer` that transforms each distinct document once.

    For short documents that recur, like the item as requested ("Norco 10/325 mg
    #90" in thousands of letters): the rows of repeated documents are copies of
    one computed row, so the matrix is exactly the stock one.
    """

    def transform(self, raw_documents):
        if isinstance(raw_documents, str):
            return super().transform(raw_documents)  # the stock error for a lone string
        docs = list(raw_documents)
        codes, distinct = pd.factorize(pd.Series(docs, dtype=object), use_na_sentinel=False)
        if len(distinct) == len(docs):
            return super().transform(docs)
        return super().transform(list(distinct))[codes]


class _LineNgrams:
    """Per-call cache: line -> (its tokens, its n-grams or, with a vocabulary, their vocabulary indices)."""

    def __init__(self, vectorizer: TfidfVectorizer, max_lines: int, vocabulary: dict[str, int] | None = None):
        self.preprocess = vectorizer.build_preprocessor()
        self.tokenize = vectorizer.build_tokenizer()
        self.stop_words = vectorizer.get_stop_words()
        self.word_ngrams = vectorizer._word_ngrams
        min_n, max_n = vectorizer.ngram_range
        self.spanning_sizes = range(max(min_n, 2), max_n + 1)
        self.vocabulary = vocabulary  # given: a line's n-grams are kept as their vocabulary indices
        self.max_lines = max_lines
        self.cache: dict[str, tuple[list[str], list]] = {}

    def line(self, line: str) -> tuple[list[str], list]:
        hit = self.cache.get(line)
        if hit is None:
            tokens = self.tokenize(self.preprocess(line))
            if self.stop_words is not None:
                tokens = [w for w in tokens if w not in self.stop_words]
            grams = self.word_ngrams(tokens)
            if self.vocabulary is not None:
                vocabulary = self.vocabulary
                grams = [vocabulary[g] for g in grams if g in vocabulary]
            if len(self.cache) >= self.max_lines:
                self.cache.clear()
            hit = self.cache[line] = (tokens, grams)
        return hit

    def split(self, doc: str) -> tuple[list[str], list, list[int]]:
        """The document's tokens, its lines' n-grams (or indices), and where each line's tokens start."""
        tokens: list[str] = []
        grams: list = []
        starts: list[int] = []
        for text in doc.split("\n"):
            line_tokens, line_grams = self.line(text)
            if line_tokens and tokens:
                starts.append(len(tokens))
            tokens += line_tokens
            grams += line_grams
        return tokens, grams, starts

    def spanning(self, tokens: list[str], starts: list[int]) -> list[str]:
        """The n-grams that span a line end, each once."""
        grams: list[str] = []
        for n in self.spanning_sizes:
            first = sorted({i for b in starts for i in range(max(0, b - n + 1), b) if i + n <= len(tokens)})
            grams += [" ".join(tokens[i:i + n]) for i in first]
        return grams


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
    """Counts each cue's non-overlapping matches in a lower-cased text, the same counts as ``re.findall``.

    With RE2 (google-re2) one pass of an RE2 set finds the cues present at all,
    and only those are counted, on the text encoded once to UTF-8: about 5x
    faster than RE2 on str (its wrapper converts every match offset) and much
    faster than Python's re. RE2 has no lookbehind, so a cue written
    "(?<!not )X" counts X minus "not X": the same number, since the "not "
    prefix is exactly what the lookbehind excludes. A cue RE2 cannot compile,
    or every cue when RE2 is not installed, runs on Python's re behind a cheap
    substring test (``anchors``).
    """

    def __init__(self, patterns: Sequence[str], anchors: Sequence[Sequence[str]] | None = None):
        self.patterns = list(patterns)
        self.anchors = [tuple(a) for a in anchors] if anchors is not None else [()] * len(self.patterns)
        self._compile()

    def _compile(self) -> None:
        try:
            import re2
        except ImportError:  # no wheel for this platform: Python's re gives the same counts, slower
            re2 = None
        self._fast: dict[int, tuple[Any, Any]] = {}
        self._slow: dict[int, re.Pattern] = {}
        self._set = None
        if re2 is not None:
            prefilter = re2.Set.SearchSet()
            for j, pattern in enumerate(self.patterns):
                body, negated = _split_not_lookbehind(pattern)
                try:
                    self._fast[j] = (re2.compile(body), re2.compile(negated) if negated else None)
                    prefilter.Add(body)
                except re2.error:
                    self._slow[j] = re.compile(pattern)
            if self._fast:
                prefilter.Compile()
                self._set = prefilter
                self._set_index = list(self._fast)  # the set numbers its patterns in the order added
        else:
            self._slow = {j: re.compile(p) for j, p in enumerate(self.patterns)}

    def counts(self, text: str) -> list[tuple[int, int]]:
        """(cue index, count) for each cue found in ``text`` (already lower-cased)."""
        found: list[tuple[int, int]] = []
        if self._set is not None:
            encoded = text.encode("utf-8")
            for k in self._set.Match(encoded) or ():
                j = self._set_index[k]
                plus, minus = self._fast[j]
                n = sum(1 for _ in plus.finditer(encoded))
                if n and minus is not None:
                    n -= sum(1 for _ in minus.finditer(encoded))
                if n:
                    found.append((j, n))
        for j, rx in self._slow.items():
            anchors = self.anchors[j]
            if anchors and not any(a in text for a in anchors):
                continue
            n = len(rx.findall(text))
            if n:
                found.append((j, n))
        return found

    def __getstate__(self):  # compiled RE2 objects do not pickle: keep the patterns, recompile on load
        return {"patterns": self.patterns, "anchors": self.anchors}

    def __setstate__(self, state):
        if "pattern" in state:  # pickled by an earlier imrml: one counter per cue
            state = {"patterns": [state["pattern"]]}
        self.__init__(state["patterns"], state.get("anchors"))


_NOT_LOOKBEHIND = "(?<!not )"


def _split_not_lookbehind(pattern: str) -> tuple[str, str | None]:
    """("X", "not (?:X)") for a pattern "(?<!not )X", else (pattern, None)."""
    if pattern.startswith(_NOT_LOOKBEHIND) and "(?<" not in pattern[len(_NOT_LOOKBEHIND):]:
        body = pattern[len(_NOT_LOOKBEHIND):]
        return body, f"not (?:{body})"
    return pattern, None


class LexiconFeatures(TransformerMixin, BaseEstimator):
    """log(1 + count) of each review cue of :data:`LEXICON` in a text column (matched lower-cased)."""

    def __init__(self, lexicon: dict[str, str] | None = None):
        self.lexicon = lexicon

    def fit(self, X, y=None):
        lex = self.lexicon if self.lexicon is not None else LEXICON
        self.names_ = list(lex)
        anchors = [LEXICON_ANCHORS.get(k, ()) if self.lexicon is None else () for k in lex]
        self.counter_ = CueCounter(list(lex.values()), anchors)
        return self

    def transform(self, X):
        texts = _as_texts(X)
        out = np.zeros((len(texts), len(self.names_)), dtype=np.float32)
        counter = self.counter_
        for i, t in enumerate(texts):
            for j, n in counter.counts(t.lower()):
                out[i, j] = math.log1p(n)
        return sp.csr_matrix(out)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.names_, dtype=object)

    def __setstate__(self, state):
        super().__setstate__(state)
        if "counter_" not in self.__dict__ and "patterns_" in self.__dict__:  # a model registered by an earlier imrml
            patterns = [c.patterns[0] for c in self.__dict__.pop("patterns_")]
            self.counter_ = CueCounter(patterns, self.__dict__.pop("anchors_", None))


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


def _first_match_finder(patterns: Sequence[str]):
    """A function: lower-cased text -> index of the first of ``patterns`` (in order) found in it, or None.

    One pass of an RE2 set over the text when google-re2 is installed (the set
    reports every pattern found; the smallest index is the first in order),
    else Python's re tries them one after another.
    """
    try:
        import re2

        found = re2.Set.SearchSet()
        for pattern in patterns:
            found.Add(pattern)
        found.Compile()
    except ImportError:  # no wheel for this platform
        found = None
    except re2.error:  # a pattern RE2 cannot compile
        found = None
    if found is not None:
        def first_in_set(text: str) -> int | None:
            hits = found.Match(text.encode("utf-8"))
            return min(hits) if hits else None
        return first_in_set
    compiled = [re.compile(p) for p in patterns]

    def first_in_order(text: str) -> int | None:
        return next((k for k, rx in enumerate(compiled) if rx.search(text)), None)
    return first_in_order


_first_treatment = _first_match_finder([p for _, p in TREATMENT_CLASSES])


@functools.lru_cache(maxsize=1 << 16)  # the same requests ("Norco 10/325 mg #90") recur across letters
def treatment_class(item: str | None) -> str:
    """The treatment class of an item as requested, e.g. "Norco 10/325 mg #90" -> "Opioids"."""
    if not item:
        return UNKNOWN_CLASS
    k = _first_treatment(item.lower())
    return UNKNOWN_CLASS if k is None else TREATMENT_CLASSES[k][0]


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
            LineCachedTfidfVectorizer(
                ngram_range=tuple(word_ngrams), min_df=min_df, max_features=max_features, sublinear_tf=True,
                strip_accents="unicode", lowercase=True, dtype=np.float32,
                token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9]+\b",
            ),
            "text",
        ))
    if char_ngrams:
        blocks.append((
            "chars",
            DistinctTfidfVectorizer(
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
