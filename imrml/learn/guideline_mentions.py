"""The guidelines a rationale names, as features of the rationale view (``[features] guideline_mentions``).

Each rationale is read by :func:`imrml.letters.mentions.find_mentions` (the citation grammar) into
binary features: the label families it relies on and those it calls silent, the first family it
relies on, the combined family those mentions give (:func:`~imrml.letters.mentions.family_of_mentions`),
the guidelines it names ("MTUS Chronic Pain", "ODG Knee and Leg"), whether it cites pages, and
whether it names no guideline at all. ``DictVectorizer`` (in :mod:`~imrml.learn.features`) learns
the names.
"""

from __future__ import annotations

from ..letters.mentions import family_of_mentions, find_mentions, relied_on_families
from .views import as_texts


def mention_features(rationale: str) -> dict[str, float]:
    """The features of one rationale (only the ones present, each 1.0)."""
    mentions = find_mentions(rationale)
    if not mentions:
        return {"no_mention": 1.0}
    relied = relied_on_families(mentions)
    out = {f"relied={family}": 1.0 for family in relied}
    out.update({f"silent={m.label_family}": 1.0 for m in mentions if m.silent})
    out.update({f"guideline={m.guideline}": 1.0 for m in mentions if m.guideline and not m.silent})
    first = next((m.label_family for m in mentions if not m.silent), None)
    if first is not None:
        out[f"first={first}"] = 1.0
    out[f"rule={family_of_mentions(mentions)}"] = 1.0
    if any(m.pages for m in mentions):
        out["pages"] = 1.0
    return out


def mention_dicts(X) -> list[dict[str, float]]:
    """:func:`mention_features` of every rationale in a column (a frame's first column, a Series or an array)."""
    return [mention_features(text) for text in as_texts(X)]
