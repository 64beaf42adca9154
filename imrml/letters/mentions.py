"""The guidelines a reviewer names inside a rationale ("According to MTUS guidelines", "ODG states",
"page 24 of the MTUS Chronic Pain Medical Treatment Guidelines", "ACOEM recommends").

IMR letters carry the reviewer's guideline twice: as formal citations in the "MAXIMUS guideline"
paragraph (:mod:`~imrml.letters.citations`), and informally inside the rationale. This module reads
the second with the same grammar: the MTUS documents and ACOEM chapters of
:mod:`~imrml.letters.citations`, its page spans, and the guideline names of
:mod:`~imrml.letters.labels` ("MTUS Chronic Pain", "ODG Knee and Leg"). Every :class:`Mention` has a
family (MTUS, ODG, ACOEM, other), the guideline where the text names one, the pages it states, and
whether its sentence calls the guideline *silent* on the request ("The CA MTUS does not address
...", which is why a reviewer turns to ODG).

ACOEM needs care: the MTUS of 2004-2016 adopted the body-part chapters of ACOEM's *second*
edition, so "ACOEM Guidelines state ..." in a rationale under an MTUS citation means the MTUS; the
*third* edition ("Low Back Disorders", "Hip and Groin", 2008 on) is a non-MTUS source.
:attr:`Mention.acoem_in_mtus` records which is meant, and :attr:`Mention.label_family` folds each
mention into the label families (MTUS, ODG, other).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .citations import ACOEM_CHAPTERS, MTUS_DOCUMENTS, ODG_NAME, PAGES_IN_PROSE, expand_pages
from .labels import FAMILY_ORDER, mtus_guideline, odg_guideline
from .verdict import sentences

FAMILIES = ("MTUS", "ODG", "ACOEM", "other")

_FAMILY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "MTUS",
        re.compile(
            r"\b(?:CA[- ]?|Cal[- ]?|California\s+)?MTUS\b|Medical Treatment Utilization Schedule|\bCPMTG\b|"
            + MTUS_DOCUMENTS["Chronic Pain Medical Treatment Guidelines"],
            re.I,
        ),
    ),
    ("ODG", ODG_NAME),
    (
        "ACOEM",
        re.compile(
            r"\bACOEM\b|American College of Occupational and Environmental Medicine|"
            r"Occupational Medicine Practice Guidelines",
            re.I,
        ),
    ),
    (
        "other",
        re.compile(
            r"\bUp\s?To\s?Date\b|\bMedscape\b|\bFDA\b(?![- ]+approv)|Food and Drug Administration|\bpackage insert\b|"
            r"prescribing information|\bAAOS\b|American Academy of Orthopa?edic Surgeons|"
            r"ACR Appropriateness|American College of Radiology|Centers for Medicare|\bCMS\b|"
            r"\bAMA Guides\b|\bCochrane\b|National Guideline Clearinghouse|Work Loss Data Institute|"
            r"\bMilliman\b|\bInterQual\b|American Academy of Neurology|\bAANEM\b|"
            r"American Society of (?:Anesthesiologists|Interventional Pain Physicians)|\bASIPP\b|"
            r"North American Spine Society|\bNASS\b|American Pain Society|\bCDC\b|"
            r"Medical Board of California|Drugs\.com|\bLexicomp\b|\bMicromedex\b|Physicians' Desk Reference|"
            r"\bPubMed\b|\bet al\b",
            re.I,
        ),
    ),
)

# MTUS documents as the citation grammar names them; a lone "eye" in a rationale is anatomy, not the guideline.
_DOCUMENTS = tuple(
    (name, re.compile(rf"\b(?:{pattern})\b", re.I)) for name, pattern in MTUS_DOCUMENTS.items() if name != "Eye"
)
_CHAPTER = re.compile(r"\b(?:Chapter|Ch\.?)\s*(\d{1,2})\b|\bTable\s+(\d{1,2})-\d+", re.I)

_ODG_CHAPTERS = (
    r"Low Back|Neck and Upper Back|Neck|Shoulder|Knee(?: (?:&|and) Leg)?|Pain(?: \(Chronic\))?|Chronic Pain|"
    r"Ankle(?: (?:&|and) Foot)?|Hip(?: (?:&|and) Pelvis)?|Elbow|Forearm,? Wrist,? (?:&|and) Hand|Head|"
    r"Mental Illness(?: (?:&|and) Stress)?|Carpal Tunnel Syndrome"
)
_ODG_CHAPTER_AFTER = re.compile(r"^[\s,()ODG]{0,12}(" + _ODG_CHAPTERS + r")\b", re.I)
_ODG_CHAPTER_BEFORE = re.compile(r"(" + _ODG_CHAPTERS + r")\s+(?:Chapter|section)\s+of\s+(?:the\s+)?$", re.I)

# Signs that a non-MTUS ACOEM (3rd edition, 2008 on) is meant; the MTUS has no hip chapter.
_ACOEM_3RD = re.compile(
    r"third edition|3rd ed|Practice Guidelines,? (?:3rd|third)|ACOEM,? 20(?:08|09|1\d)|"
    r"(?:Back|Spine|Shoulder|Elbow|Forearm|Knee|Foot) Disorders|Hip and Groin|\bhips?\b|groin|"
    r"Chronic Pain Chapter|Non-?MTUS|outside (?:of )?(?:the )?MTUS",
    re.I,
)
# Signs of the MTUS-adopted 2nd edition: its chapter numbers, tables and "Complaints" titles.
_ACOEM_2ND = re.compile(r"\bComplaints\b|\bChapter\s+(?:[5-9]|1[0-5])\b|\bTable\s+(?:[5-9]|1[0-5])-\d|\bMTUS\b", re.I)

_SILENT = re.compile(
    r"\bsilent\b|\b(?:does|do|did)\s+not\s+(?:specifically\s+|directly\s+|adequately\s+)?"
    r"(?:address|discuss|mention|comment|cover)|\bnot\s+(?:specifically\s+)?addressed\b|"
    r"\bno\s+(?:specific\s+)?(?:recommendations?|guidance|guidelines?)\s+(?:for|on|regarding|about)\b|"
    r"\b(?:does|do) not apply\b",
    re.I,
)
# The text between two mentions that name one subject ("MTUS/ACOEM", "MTUS 2016 Chronic Pain
# Guidelines and ACOEM guidelines do not address ..."): short, verbless, ending in and/or/slash.
_JOINED = re.compile(
    r"^(?:(?!\b(?:is|are|was|were|states?|recommends?|notes?|indicates?|supports?|says?)\b)[^.;:(]){0,50}?"
    r"(?:\band\b|\bor\b|/|&|,)\s*(?:the\s+)?(?:CA\s+|California\s+)?$|^\s*$",
    re.I,
)
_SEGMENT_END = re.compile(r";|\bhowever\b|\bbut\b|\bso\b|\btherefore\b|\bthus\b", re.I)


@dataclass(frozen=True)
class Mention:
    """One guideline named in a rationale."""

    family: str  # one of FAMILIES
    text: str  # the words that named it
    start: int  # offset in the rationale (whitespace collapsed)
    guideline: str | None = None  # in the labels' vocabulary ("MTUS Low Back", "ODG Pain", "ACOEM") when named
    pages: tuple[int, ...] = ()
    silent: bool = False  # the sentence says this guideline does not address the request
    acoem_in_mtus: bool | None = None  # ACOEM only: the MTUS-adopted 2nd edition (True) or not

    @property
    def label_family(self) -> str:
        """The label family: MTUS, ODG or other (non-MTUS ACOEM and the rest)."""
        if self.family == "ACOEM":
            return "MTUS" if self.acoem_in_mtus else "other"
        return self.family


def _guideline(family: str, sentence: str, start: int, end: int, acoem_in_mtus: bool | None) -> str | None:
    after = sentence[end : end + 90]
    near = sentence[max(0, start - 60) : end + 90]
    if family == "MTUS" or (family == "ACOEM" and acoem_in_mtus):
        document = next((name for name, rx in _DOCUMENTS if rx.search(near)), None)
        if document is None:
            m = _CHAPTER.search(after) or _CHAPTER.search(near)
            document = ACOEM_CHAPTERS.get(int(m.group(1) or m.group(2))) if m else None
        return mtus_guideline(document) if document else None
    if family == "ODG":
        m = _ODG_CHAPTER_AFTER.search(after) or _ODG_CHAPTER_BEFORE.search(sentence[:start])
        return odg_guideline(m.group(1)) if m else None
    return "ACOEM" if family == "ACOEM" else None


def _acoem_in_mtus(sentence: str, start: int, end: int) -> bool:
    if _ACOEM_2ND.search(sentence[max(0, start - 25) : end + 60]):
        return True
    # the MTUS body-part chapters are ACOEM's: the usual meaning in 2013-2017 letters
    return not _ACOEM_3RD.search(sentence[max(0, start - 80) : end + 100])


def _silent(sentence: str, start: int, stop: int | None = None) -> bool:
    """Whether the clause that starts with the mention (up to the next mention) calls it silent."""
    tail = sentence[start:stop]
    cut = _SEGMENT_END.search(tail, 1)
    return bool(_SILENT.search(tail[: cut.start()] if cut else tail))


def _spans(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, family) of the guideline names in one sentence, in order; "Official Disability
    Guidelines (ODG)" is one."""
    spans: list[tuple[int, int, str]] = []
    for family, rx in _FAMILY_PATTERNS:
        for m in rx.finditer(sentence):
            if not any(s <= m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), family))
    merged: list[tuple[int, int, str]] = []
    for s, e, family in sorted(spans):
        if merged and merged[-1][2] == family and s - merged[-1][1] <= 3:
            merged[-1] = (merged[-1][0], e, family)
        else:
            merged.append((s, e, family))
    return merged


def find_mentions(rationale: str) -> list[Mention]:
    """Every guideline mention in ``rationale``, in order.

    >>> [(m.family, m.guideline, m.pages) for m in find_mentions(
    ...     "Per page 24 of the MTUS Chronic Pain Medical Treatment Guidelines, X is not recommended.")]
    [('MTUS', 'MTUS Chronic Pain', (24,))]
    >>> [m.family for m in find_mentions("ODG states that Y is recommended.")]
    ['ODG']
    """
    out: list[Mention] = []
    offset = 0
    flat = " ".join((rationale or "").split())
    for sent in sentences(flat):
        base = max(flat.find(sent, offset), 0)
        offset = base + len(sent)
        spans = _spans(sent)
        pages: dict[int, list[int]] = {i: [] for i in range(len(spans))}
        for pm in PAGES_IN_PROSE.finditer(sent) if spans else ():
            nearest = min(
                range(len(spans)), key=lambda i: min(abs(pm.start() - spans[i][1]), abs(spans[i][0] - pm.end()))
            )
            pages[nearest].extend(expand_pages(pm.group("pages")))
        for i, (s, e, family) in enumerate(spans):
            j = i + 1  # "MTUS/ACOEM", "MTUS and ACOEM guidelines do not address": one subject
            while j < len(spans) and _JOINED.match(sent[spans[j - 1][1] : spans[j][0]]):
                j += 1
            in_mtus = _acoem_in_mtus(sent, s, e) if family == "ACOEM" else None
            out.append(
                Mention(
                    family=family,
                    text=sent[s:e],
                    start=base + s,
                    guideline=_guideline(family, sent, s, e, in_mtus),
                    pages=tuple(dict.fromkeys(pages[i])),
                    silent=_silent(sent, s, spans[j][0] if j < len(spans) else None),
                    acoem_in_mtus=in_mtus,
                )
            )
    return out


def relied_on_families(mentions: list[Mention]) -> list[str]:
    """The label families of the mentions not called silent, in FAMILY_ORDER."""
    named = {m.label_family for m in mentions if not m.silent}
    return [f for f in FAMILY_ORDER if f in named]


def family_of_mentions(mentions: list[Mention], default: str = "MTUS") -> str:
    """The combined family label of a rationale's mentions.

    The label families the rationale relies on, in FAMILY_ORDER. When it names only guidelines it
    calls silent: ODG if the MTUS is silent, "other" if the ODG is silent too. ``default`` when it
    names none (most letters of 2016-2017 cite the MTUS).
    """
    families = relied_on_families(mentions)
    if not families:
        silent = {m.label_family for m in mentions if m.silent}
        if "MTUS" in silent:  # the MTUS is said not to address it: the reviewer went outside it
            return "other" if "ODG" in silent else "ODG"
    return "+".join(families) if families else default
