"""The feature union a learned classifier reads, built from an experiment's ``[features]``.

Over :class:`~imrml.learn.views.PrepareColumns`' output, every block non-negative:
word n-gram TF-IDF on the view's text, character n-grams on the item as
requested, the review cues, one-hot structured fields, scaled age and days from
injury to UR, the item's treatment class, (in a view that reads them) the
reviewer's specialties and licensure, and (rationale view) the guidelines the
rationale names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MaxAbsScaler, OneHotEncoder

from .cues import LexiconFeatures
from .guideline_mentions import mention_dicts
from .treatments import treatment_classes, treatment_feature_names
from .vectorizers import DistinctTfidfVectorizer, LineCachedTfidfVectorizer


def _split_joined(s: str) -> list[str]:
    """The parts of a "; "-joined list (specialties, licensure), lower case."""
    return [p.strip().lower() for p in s.split(";") if p.strip()]


def _log1p_nonneg(X):
    return np.log1p(np.clip(np.asarray(X, dtype=float), 0, None))


STRUCTURED_CATEGORICAL = (
    "patient_sex",
    "priority",
    "claims_guideline_family",
    "claims_guideline_topic",
    "claims_guideline_sources",
)
STRUCTURED_NUMERIC = ("patient_age", "days_injury_to_ur")


def build_features(
    *,
    word_ngrams: tuple[int, int] | None = (1, 2),
    char_ngrams: tuple[int, int] | None = (3, 5),
    lexicon: bool = True,
    structured: bool = True,
    treatment_class: bool = True,
    guideline_mentions: bool = False,
    max_features: int | None = 50_000,
    min_df: int = 2,
    reviewer: bool = False,
) -> ColumnTransformer:
    """The feature union over :class:`PrepareColumns`' output, every block non-negative.

    ``word_ngrams`` on ``text`` (the view's text columns joined);
    ``char_ngrams`` on ``item_text`` (short, where drug names and spellings vary);
    ``lexicon`` the review cues on ``text``; ``structured`` one-hot
    categorical fields and scaled age and days from injury to UR, and with
    ``reviewer`` (a view that reads the reviewer) the reviewer's specialties and
    licensure; ``treatment_class`` the item's class, one-hot;
    ``guideline_mentions`` the guidelines the rationale names (rationale view only).
    """
    blocks: list[tuple[str, Any, Any]] = []
    if word_ngrams:
        blocks.append(
            (
                "words",
                LineCachedTfidfVectorizer(
                    ngram_range=tuple(word_ngrams),
                    min_df=min_df,
                    max_features=max_features,
                    sublinear_tf=True,
                    strip_accents="unicode",
                    lowercase=True,
                    dtype=np.float32,
                    token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9]+\b",
                ),
                "text",
            )
        )
    if char_ngrams:
        blocks.append(
            (
                "chars",
                DistinctTfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=tuple(char_ngrams),
                    min_df=min_df,
                    max_features=max_features,
                    sublinear_tf=True,
                    lowercase=True,
                    dtype=np.float32,
                ),
                "item_text",
            )
        )
    if lexicon:
        blocks.append(("lexicon", LexiconFeatures(), "text"))
    if treatment_class:
        blocks.append(
            (
                "treatment",
                Pipeline(
                    [
                        ("classify", FunctionTransformer(treatment_classes, feature_names_out=treatment_feature_names)),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                "item_text",
            )
        )
    if guideline_mentions:
        blocks.append(
            (
                "mentions",
                Pipeline(
                    [
                        ("read", FunctionTransformer(mention_dicts, feature_names_out="one-to-one")),
                        ("vectorize", DictVectorizer()),
                    ]
                ),
                "rationale",
            )
        )
    if structured:
        blocks.append(
            ("categorical", OneHotEncoder(handle_unknown="ignore", min_frequency=2), list(STRUCTURED_CATEGORICAL))
        )
        if reviewer:
            for name, column in (("specialty", "reviewer_specialties"), ("licensure", "reviewer_licensure")):
                vectorizer = CountVectorizer(tokenizer=_split_joined, token_pattern=None, lowercase=False, binary=True)
                blocks.append((name, vectorizer, column))
        blocks.append(
            (
                "numeric",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
                        ("log", FunctionTransformer(_log1p_nonneg, feature_names_out="one-to-one")),
                        ("scale", MaxAbsScaler()),
                    ]
                ),
                list(STRUCTURED_NUMERIC),
            )
        )
    if not blocks:
        raise ValueError("no features enabled")
    return ColumnTransformer(blocks, remainder="drop", sparse_threshold=1.0, n_jobs=None)
