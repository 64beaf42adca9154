"""Read the reviewer's own conclusion from a rationale: upheld, overturned, partial or unclear.

Each IMR item carries a stated decision (Upheld: the utilization-review denial stands;
Overturned: the treatment is authorized) and the reviewer's rationale, which nearly always ends by
saying whether the request "is (not) medically necessary". :func:`rationale_verdict` reads that
conclusion independently of the stated decision, so that the two can be checked against each
other (a parse error, a mislabelled item, or a rationale about another item shows as a mismatch).

How: the rationale is cut into sentences, and the last sentence holding a conclusion phrase
decides. Phrases of necessity/certification ("is not medically necessary", "non-certified",
"medical necessity has not been established", "I am reversing the prior decision") are looked for
first, from the end; only when none is present anywhere do weaker phrases ("is not recommended",
"is indicated", "is not supported") decide. A sentence that holds both polarities joined by "but",
"however" or "while", or that says "partially certified", reads as partial ("the request was
modified to ..." tells what utilization review did, not the reviewer's verdict).

The same reader serves the parser (``rationale_verdict`` on every item, checked against the stated
decision) and the ``keyword_rule`` baseline (outcome from the rationale).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERDICTS = ("upheld", "overturned", "partial", "unclear")

_ABBREV = "".join(
    rf"(?<!\b{a}\.)" for a in ("Dr", "Mr", "Ms", "vs", "e.g", "i.e", "No", "pg", "p", "al", "Fig", "approx")
)
_SENTENCE_END = re.compile(r"(?<=[.!?])" + _ABBREV + r"[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """Split a rationale into sentences (abbreviations such as "Dr." and "e.g." do not end one)."""
    flat = " ".join((text or "").split())
    return [s.strip() for s in _SENTENCE_END.split(flat) if s.strip()]


# Negation of the verb phrase just before the conclusion word.
_NEG = re.compile(
    r"\b(?:not|n't|never|no longer|neither|nor|cannot)\b|\bun(?=medically|necessary|supported|warranted)", re.I
)

# Strong cues: the necessity/certification conclusion itself.
_NECESSARY = re.compile(
    r"medically\s+(?:necessary|indicated|appropriate|reasonable)"
    r"|medical\s+necessity(?!\s+(?:decision|determination|review|criteria))",
    re.I,
)
_UNNECESSARY = re.compile(
    r"medically\s+unnecessary|non-?\s?certif\w*|\bdenied\b|\bdeny\b"
    r"|\bdenial (?:is|was|should be) (?:upheld|maintained)|\buph[eo]ld\w*",
    re.I,
)
_CERTIFIED = re.compile(
    r"\b(?:is|are|was|be|been|hereby)\s+(?:\w+\s+)?(?:certified|approved|authorized|overturned)\b|\bcertify\b|\boverturn\w*|"
    r"\brevers(?:e|ed|ing)\s+(?:the\s+)?(?:prior|previous|UR|utilization review|adverse|original)",
    re.I,
)
# A partial verdict must be the reviewer's own; "UR modified the request to ..." is history.
_PARTIAL = re.compile(
    r"\b(?:is|are|be)\s+partial(?:ly)?\s+(?:certif|approv|authoriz|medically necessary)\w*"
    r"|\b(?:certified|necessary) in part\b",
    re.I,
)
# "medical necessity" counts only with a verdict predicate after it ("has not been established").
_NOUN_PREDICATE = re.compile(
    r"[^,;]{0,50}?\b(?:is|are|was|were|has|have|had)\s+(?:\w+\s+)?(?:not\s+|n't\s+|never\s+|yet to be\s+)?(?:been\s+)?"
    r"(?:established|met|supported|demonstrated|shown|substantiated|documented|proven|lacking|absent|unclear)\b",
    re.I,
)
_NOUN_NEG = re.compile(r"\b(?:no|lack|lacks|lacking|absence|without|insufficient|fail\w*|unable|not)\b", re.I)

# Weak cues: what the guideline or the reviewer recommends.
_WEAK = re.compile(
    r"\b(?:recommended|indicated|supported|warranted|appropriate|reasonable|justified|substantiated)\b", re.I
)

_CONTRAST = re.compile(r"\b(?:but|however|while|whereas|although)\b", re.I)


def _clause_before(sentence: str, end: int) -> str:
    """The clause that leads up to position ``end``: from the last comma that starts a clause with
    its own verb, or the last semicolon/colon/contrast word, and at most 80 characters."""
    head = sentence[:end]
    cut = max(head.rfind(";"), head.rfind(":"))
    for m in _CONTRAST.finditer(head):
        cut = max(cut, m.end())
    for m in re.finditer(r",", head):
        rest = head[m.end() :]
        if re.search(r"\b(?:is|are|was|were|be|been|being|would|will|should|remains?)\b", rest):
            cut = max(cut, m.end())
    return head[max(cut + 1, end - 80, 0) :]


def _polarities(sentence: str, strong: bool) -> list[str]:
    """Polarities ("upheld"/"overturned") of the conclusion phrases in one sentence, in order."""
    out: list[tuple[int, str]] = []
    if strong:
        for m in _UNNECESSARY.finditer(sentence):
            out.append((m.start(), "upheld"))
        for m in _NECESSARY.finditer(sentence):
            clause = _clause_before(sentence, m.start())
            negated = bool(_NEG.search(clause))
            if m.group(0).lower().startswith("medical "):
                # The noun counts only with a verdict predicate: "medical necessity (of this
                # request) has (not) been established", "fails to establish medical necessity".
                after = sentence[m.end() : m.end() + 70]
                pred_after = _NOUN_PREDICATE.match(after)
                pred_before = re.search(
                    r"\b(?:establish|support|demonstrate|substantiate|show|prove|meet)\w*\s+(?:the\s+)?$"
                    r"|\b(?:is|are|was|were|be)\s+(?:not\s+)?(?:a\s+)?$",
                    clause,
                    re.I,
                )
                if not (pred_after or pred_before):
                    continue
                if pred_after:
                    negated = bool(_NEG.search(pred_after.group(0))) or bool(_NOUN_NEG.search(clause))
                else:
                    negated = negated or bool(_NOUN_NEG.search(clause))
            out.append((m.start(), "upheld" if negated else "overturned"))
        for m in _CERTIFIED.finditer(sentence):
            clause = _clause_before(sentence, m.end())
            out.append((m.start(), "upheld" if _NEG.search(clause) else "overturned"))
    else:
        for m in _WEAK.finditer(sentence):
            clause = _clause_before(sentence, m.start())
            out.append((m.start(), "upheld" if _NEG.search(clause) else "overturned"))
    return [p for _, p in sorted(out)]


@dataclass(frozen=True)
class Verdict:
    """The verdict, the sentence it was read from, and whether a strong cue decided it."""

    verdict: str
    sentence: str | None
    strong: bool


def read_verdict(rationale: str) -> Verdict:
    """The reviewer's conclusion in ``rationale`` with the sentence that carries it."""
    sents = sentences(rationale)
    for strong in (True, False):
        for s in reversed(sents):
            if _PARTIAL.search(s) and strong:
                return Verdict("partial", s, strong)
            pols = _polarities(s, strong)
            if not pols:
                continue
            if len(set(pols)) == 1:
                return Verdict(pols[0], s, strong)
            if _CONTRAST.search(s):
                return Verdict("partial", s, strong)
            return Verdict(pols[-1], s, strong)  # the sentence's last word on it
    return Verdict("unclear", None, False)


def rationale_verdict(rationale: str) -> str:
    """One of :data:`VERDICTS` ("upheld" = the denial stands).

    >>> rationale_verdict("Guidelines allow 10 visits. The request is not medically necessary.")
    'upheld'
    >>> rationale_verdict("Red flags are documented. Therefore the MRI is medically necessary and appropriate.")
    'overturned'
    """
    return read_verdict(rationale).verdict


def disagrees(verdict: str | None, decision: str | None) -> bool:
    """Whether a rationale verdict contradicts a stated decision ("Upheld"/"Overturned").

    An unclear verdict contradicts nothing; a partial one contradicts both (an IMR item is decided
    whole), as does any verdict beside a decision word other than Upheld or Overturned.

    >>> disagrees("upheld", "Upheld"), disagrees("partial", "Overturned"), disagrees("unclear", "Upheld")
    (False, True, False)
    """
    if verdict in (None, "unclear") or decision is None:
        return False
    return decision.strip().lower() != verdict
