"""Normalize guideline citations into labels a classifier can learn.

Every parsed :class:`~imrml.records.schema.Citation` is normalized at three levels:

- ``family``: MTUS, ODG, other (non-MTUS ACOEM and every other source) or none;
- ``guideline``: e.g. "MTUS Chronic Pain", "MTUS Low Back", "ODG Pain";
- ``topic``: one of :data:`TOPICS`, :data:`UNMAPPED`, or None when the citation
  names nothing topical.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..records.schema import Citation, ItemRecord
from .citations import parse_guideline_paragraph
from .datafiles import DATA_DIR, read_data_csv

# The families a citation normalizes to. "other" holds non-MTUS ACOEM and every
# other source (UpToDate, journals, URLs, fee schedules): the "ACOEM/other".
FAMILIES = ("MTUS", "ODG", "other", "none")

# Canonical topic names. Others (synth, features) import these exact strings.
TOPICS = (
    "Opioids",
    "Benzodiazepines",
    "Muscle relaxants",
    "Anti-epilepsy drugs",
    "NSAIDs",
    "Topical analgesics",
    "Antidepressants",
    "Other medications",
    "Imaging/special studies",
    "Electrodiagnostic studies",
    "Physical medicine",
    "Chiropractic/manipulation",
    "Acupuncture",
    "Injections",
    "Surgery",
    "DME",
    "TENS/electrical stimulation",
    "Programs",
    "Labs/drug testing",
    "Psychological treatment",
    "Home health/facility care",
    "Office visits/consultations",
    "General approach",
)

# The label fields of a record, filled by label_item.
LABEL_FIELDS = ("guideline_family", "guideline_topic", "claims_guideline_family", "claims_guideline_topic")
# What the labels are made from: each side's citations and its paragraph as written.
GUIDELINE_FIELDS = ("claims_guideline", "claims_guideline_text", "reviewer_guideline", "reviewer_guideline_text")

# Topic value of a citation whose section/chapter could not be mapped.
UNMAPPED = "unmapped"


# ---------------------------------------------------------------------------
# Data tables (imrml/data/*.csv)
# ---------------------------------------------------------------------------

PAGE_TABLE_PATH = DATA_DIR / "chronic_pain_2009_pages.csv"
KEYWORD_TABLE_PATH = DATA_DIR / "topic_keywords.csv"

GENERAL = "General approach"
FAMILY_ORDER = ("MTUS", "ODG", "other")  # order of families in combined labels and in primary_topic

# Reasons recorded on a NormalizedCitation whose topic is None or UNMAPPED.
REASON_NOTHING_TOPICAL = "no section or pages"


@dataclass(frozen=True)
class PageRange:
    first_page: int
    last_page: int
    topic: str
    section: str

    @property
    def width(self) -> int:
        return self.last_page - self.first_page + 1


@lru_cache(maxsize=1)
def page_table() -> tuple[PageRange, ...]:
    """The 2009 MTUS Chronic Pain page table (imrml/data/chronic_pain_2009_pages.csv)."""
    rows = tuple(
        PageRange(int(r["first_page"]), int(r["last_page"]), r["topic"], r["section"])
        for r in read_data_csv(PAGE_TABLE_PATH)
    )
    for r in rows:
        if r.topic not in TOPICS or r.first_page > r.last_page:
            raise ValueError(f"{PAGE_TABLE_PATH}: bad row {r}")
    return rows


@lru_cache(maxsize=1)
def keyword_table() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Ordered (pattern, topic) rows of imrml/data/topic_keywords.csv; the first match wins."""
    rows = []
    for r in read_data_csv(KEYWORD_TABLE_PATH):
        if r["topic"] not in TOPICS:
            raise ValueError(f"{KEYWORD_TABLE_PATH}: unknown topic {r['topic']!r}")
        rows.append((re.compile(r["pattern"], re.IGNORECASE), r["topic"]))
    return tuple(rows)


def page_topic(page: int) -> PageRange | None:
    """The narrowest page-table range holding ``page`` (ties: the row listed first), or None."""
    best: PageRange | None = None
    for r in page_table():
        if r.first_page <= page <= r.last_page and (best is None or r.width < best.width):
            best = r
    return best


def topic_for_pages(pages: list[int]) -> str | None:
    """Topic of a multi-page citation: the topic covering most of its pages (ties: the first page's).

    Pages outside the table are ignored; None when no page is in the table.
    """
    topics = [r.topic for r in map(page_topic, pages) if r is not None]
    if not topics:
        return None
    counts = Counter(topics)
    top = max(counts.values())
    return next(t for t in topics if counts[t] == top)


@lru_cache(maxsize=16384)
def topic_for_text(text: str) -> str | None:
    """The topic of a section name or citation text by the keyword table, or None (cached: letters cite the same
    sections again and again, and the table is tried row by row)."""
    text = clean_text(text)
    if not text:
        return None
    for pattern, topic in keyword_table():
        if pattern.search(text):
            return topic
    return None


def clean_text(text: str) -> str:
    text = text.replace("\u00ae", " ").replace("\u2122", " ").replace("\u2019", "'")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\u00ad]", "", text)  # control characters, soft hyphens of PDF text
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------
# Guidelines
# ---------------------------------------------------------------------------

# MTUS documents (the parser's canonical names, or any spelling) -> guideline label.
_MTUS_GUIDELINES = (
    (r"chronic pain", "MTUS Chronic Pain"),
    (r"low back", "MTUS Low Back"),
    (r"neck", "MTUS Neck and Upper Back"),
    (r"shoulder", "MTUS Shoulder"),
    (r"elbow", "MTUS Elbow"),
    (r"forearm|wrist|hand", "MTUS Forearm, Wrist, and Hand"),
    (r"knee", "MTUS Knee"),
    (r"ankle|foot", "MTUS Ankle and Foot"),
    (r"general approach", "MTUS General Approaches"),
    (r"acupuncture", "MTUS Acupuncture"),
    (r"post-?\s?surgical", "MTUS Postsurgical"),
    (r"opioid", "MTUS Opioids"),
    (r"stress", "MTUS Stress-Related Conditions"),
    (r"\beye\b", "MTUS Eye"),
)

# MTUS documents about one topic: every citation of them has that topic, whatever its section says
# (the 2017 Opioids guideline's sections are numbers; the Postsurgical guideline's sections are body
# parts, and it is a guideline of postsurgical physical medicine).
_DOCUMENT_TOPICS = {
    "MTUS Acupuncture": "Acupuncture",
    "MTUS Opioids": "Opioids",
    "MTUS Postsurgical": "Physical medicine",
}

# ODG chapters: found anywhere in the citation's text; the earliest one names the guideline.
_ODG_CHAPTERS = (
    (r"\b(chronic )?pain\b(?! ?/)", "ODG Pain"),
    (r"low(er)? back|lumbar", "ODG Low Back"),
    (r"neck", "ODG Neck and Upper Back"),
    (r"shoulder", "ODG Shoulder"),
    (r"elbow", "ODG Elbow"),
    (r"carpal tunnel", "ODG Carpal Tunnel Syndrome"),
    (r"forearm|wrist|\bhand\b", "ODG Forearm, Wrist, and Hand"),
    (r"knee", "ODG Knee and Leg"),
    (r"\bhips?\b", "ODG Hip and Pelvis"),
    (r"ankle|\bfoot\b", "ODG Ankle and Foot"),
    (r"\bhead\b", "ODG Head"),
    (r"mental illness|\bstress\b", "ODG Mental Illness and Stress"),
    (r"\beye\b", "ODG Eye"),
    (r"preface", "ODG Preface"),
)
# Words of an ODG citation that are not topical (chapter wrappers, versions, dates).
_ODG_NOISE = re.compile(
    r"\((updated|acute|chronic|online|web|version|\d+(th|st|nd|rd)? annual)[^)]*\)|"
    r"work loss data institute|\b\d+(th|st|nd|rd)?\b|[&/(),:;.-]|"
    r"\b(chapters?|sections?|guidelines?|official disability|odg|topic|procedures|and|the|of|"
    r"thoracic|leg|pelvis|upper|low|lower|back|lumbar|syndrome|illness|disorders?|complaints|web|acute|chronic|online|version|edition|annual|updated)\b",
    re.IGNORECASE,
)


def mtus_guideline(document: str | None) -> str:
    """Guideline label of an MTUS document, e.g. "Low Back Complaints" -> "MTUS Low Back"."""
    doc = clean_text(document or "")
    if not doc:
        return "MTUS"
    for pattern, label in _MTUS_GUIDELINES:
        if re.search(pattern, doc, re.IGNORECASE):
            return label
    return f"MTUS {doc}"


def odg_guideline(text: str) -> str:
    """Guideline label of the ODG chapter ``text`` names ("Knee & Leg" -> "ODG Knee and Leg"); "ODG" when none."""
    return _odg_chapter(clean_text(text))[0]


def _odg_chapter(text: str) -> tuple[str, tuple[int, int] | None]:
    best: tuple[int, str, tuple[int, int]] | None = None
    for pattern, label in _ODG_CHAPTERS:
        m = re.search(pattern, text, re.IGNORECASE)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), label, m.span())
    return ("ODG", None) if best is None else (best[1], best[2])


# ---------------------------------------------------------------------------
# Citations
# ---------------------------------------------------------------------------


@dataclass
class NormalizedCitation:
    """A citation at three levels, and why its topic is missing when it is.

    ``topic`` is one of TOPICS, UNMAPPED (something topical was cited that the tables do not
    know; ``reason`` says what), or None (nothing topical was cited, e.g. a guideline named
    without section or pages, or "did not cite any medical evidence").
    ``topic_source`` says where the topic came from: "document" (a guideline about one topic),
    "section", "pages" (the 2009 Chronic Pain page table), "text" (keywords of an ODG or other
    citation), or "item" (the disputed item's text, used only when the citation itself names
    nothing topical and an item was given). ``unmapped_sections`` lists sections of a citation
    that did not map even though another section of it did.
    """

    family: str
    guideline: str
    topic: str | None
    reason: str | None
    unmapped_sections: list[str] = field(default_factory=list)
    topic_source: str | None = None

    @property
    def has_topic(self) -> bool:
        return self.topic is not None and self.topic != UNMAPPED


def citation_family(source: str | None) -> str:
    """Family of a Citation.source: MTUS, ODG, other (ACOEM and every other source) or none."""
    if source == "MTUS":
        return "MTUS"
    if source == "ODG":
        return "ODG"
    if source in (None, "", "none"):
        return "none"
    return "other"


def _topic_of_sections(sections: list[str]) -> tuple[str | None, list[str]]:
    """First specific topic among ``sections`` (else General approach), and the unmapped sections."""
    topics = [(s, topic_for_text(s)) for s in sections if clean_text(s)]
    unmapped = [s for s, t in topics if t is None]
    specific = next((t for _, t in topics if t is not None and t != GENERAL), None)
    if specific is None and any(t == GENERAL for _, t in topics):
        specific = GENERAL
    return specific, unmapped


def normalize_citation(c: Citation, item: str | None = None) -> NormalizedCitation:
    """Normalize one parsed citation to family, guideline and topic.

    MTUS: guideline from the document; topic from the document when the document is about one
    topic (Acupuncture, Opioids, Postsurgical), else from the sections by the keyword table
    (a specific topic beats "General approach"), else from the pages by the 2009 Chronic Pain page
    table. ODG: guideline from the chapter named in the text, topic from the rest of the text.
    Other (ACOEM, UpToDate, ...): guideline "ACOEM" or "Other", topic from the text's keywords.

    A citation naming nothing topical (e.g. "MTUS Low Back Complaints 2004." alone, the usual
    claims-administrator form) gets topic None with reason "no section or pages"; when ``item``
    (the disputed item, e.g. "MRI of the lumbar spine") is given, its topic is taken from the
    item's text instead (``topic_source="item"``), the subject the guideline was cited for.
    A "none" citation (no medical evidence cited) never takes a topic.
    """
    family = citation_family(c.source)
    if family == "none":
        return NormalizedCitation("none", "none", None, None)
    if family == "MTUS":
        n = _normalize_mtus(c)
    elif family == "ODG":
        n = _normalize_odg(c)
    else:
        n = _normalize_other(c)
    if n.topic is None and n.reason == REASON_NOTHING_TOPICAL and item:
        topic = topic_for_text(item)
        if topic is not None:
            return NormalizedCitation(n.family, n.guideline, topic, None, topic_source="item")
    return n


def _normalize_mtus(c: Citation) -> NormalizedCitation:
    guideline = mtus_guideline(c.document)
    sections = [s for s in (c.sections or []) if clean_text(s)]
    pages = list(c.pages or [])
    topic, unmapped = _topic_of_sections(sections)
    if guideline in _DOCUMENT_TOPICS:
        return NormalizedCitation("MTUS", guideline, _DOCUMENT_TOPICS[guideline], None, topic_source="document")
    if topic is not None:
        return NormalizedCitation("MTUS", guideline, topic, None, unmapped, "section")
    if pages:
        if guideline == "MTUS Chronic Pain" and c.year in (None, 2009):
            topic = topic_for_pages(pages)
            if topic is not None:
                return NormalizedCitation("MTUS", guideline, topic, None, unmapped, "pages")
            return NormalizedCitation("MTUS", guideline, UNMAPPED, f"pages {page_span(pages)} not in page table")
        if not sections:
            edition = f" {c.year}" if c.year else ""
            return NormalizedCitation(
                "MTUS", guideline, UNMAPPED, f"pages without a page table for {guideline}{edition}"
            )
    if not sections:
        return NormalizedCitation("MTUS", guideline, None, REASON_NOTHING_TOPICAL)
    if all(re.fullmatch(r"[\d\s.,-]+", s) for s in sections):
        return NormalizedCitation("MTUS", guideline, UNMAPPED, "section is a number, not a name")
    return NormalizedCitation("MTUS", guideline, UNMAPPED, "section not in keyword table")


def page_span(pages: list[int]) -> str:
    return str(pages[0]) if len(pages) == 1 else f"{min(pages)}-{max(pages)}"


def _odg_text(c: Citation) -> str:
    return clean_text(", ".join(s for s in (c.sections or []) if s))


def _normalize_odg(c: Citation) -> NormalizedCitation:
    text = _odg_text(c)
    guideline, span = _odg_chapter(text)
    rest = text if span is None else text[: span[0]] + " " + text[span[1] :]
    topic = topic_for_text(rest)
    if topic is not None:
        return NormalizedCitation("ODG", guideline, topic, None, topic_source="text")
    residue = _ODG_NOISE.sub(" ", rest)
    for pattern, _ in _ODG_CHAPTERS:
        residue = re.sub(pattern, " ", residue, flags=re.IGNORECASE)
    if not re.search(r"[A-Za-z]{2,}", _ODG_NOISE.sub(" ", residue)):
        return NormalizedCitation("ODG", guideline, None, REASON_NOTHING_TOPICAL)
    return NormalizedCitation("ODG", guideline, UNMAPPED, "no topic keyword in ODG text")


def _normalize_other(c: Citation) -> NormalizedCitation:
    parts = [c.document or "", *(c.sections or [])]
    text = clean_text(", ".join(p for p in parts if p)) or clean_text(c.text)
    guideline = "ACOEM" if c.source == "ACOEM" or re.match(r"\s*ACOEM", text, re.IGNORECASE) else "Other"
    if not text:
        return NormalizedCitation("other", guideline, None, REASON_NOTHING_TOPICAL)
    topic = topic_for_text(text)
    if topic is not None:
        return NormalizedCitation("other", guideline, topic, None, topic_source="text")
    return NormalizedCitation("other", guideline, UNMAPPED, "no topic keyword in non-MTUS text")


# ---------------------------------------------------------------------------
# Item labels
# ---------------------------------------------------------------------------


def _normalized(
    citations: Iterable[Citation | NormalizedCitation], item: str | None = None
) -> list[NormalizedCitation]:
    return [c if isinstance(c, NormalizedCitation) else normalize_citation(c, item) for c in citations]


def combined_family(citations: Iterable[Citation | NormalizedCitation]) -> str:
    """The families of an item's citations as one class: "MTUS", "ODG", "MTUS+ODG", "MTUS+other", ...

    Fixed order MTUS, ODG, other; "none" when no citation has another family (including an empty
    list: a guideline paragraph from which no citation was parsed).
    """
    present = {n.family for n in _normalized(citations)}
    parts = [f for f in FAMILY_ORDER if f in present]
    return "+".join(parts) if parts else "none"


def primary_topic(citations: Iterable[Citation | NormalizedCitation]) -> str | None:
    """The item's primary topic among its citations' topics.

    A specific topic beats "General approach"; a topic the citation states beats one taken from
    the item; then MTUS beats ODG beats other (the MTUS is the presumptively correct standard in
    California and reviewers turn to ODG and others where it is silent); then the first citation
    as written. UNMAPPED when citations named something topical but none mapped; None when no
    citation named anything topical.
    """
    norms = _normalized(citations)
    ranked = [
        (
            (
                n.topic == GENERAL,
                n.topic_source == "item",
                FAMILY_ORDER.index(n.family) if n.family in FAMILY_ORDER else 9,
                i,
            ),
            n.topic,
        )
        for i, n in enumerate(norms)
        if n.has_topic
    ]
    if ranked:
        return min(ranked)[1]
    if any(n.topic == UNMAPPED for n in norms):
        return UNMAPPED
    return None


def _side_labels(citations: list[Citation], text: str, item: str) -> tuple[str | None, str | None]:
    if not citations and not (text or "").strip():
        return None, None  # no guideline paragraph at all (e.g. before review)
    norms = _normalized(citations, item)
    return combined_family(norms), primary_topic(norms)


def cited(citations: list[Citation], text: str | None) -> list[Citation]:
    """A side's citations: as the record carries them, else read from its paragraph (a table of cases before
    review may give only the claims administrator's guideline as written; a parsed letter always carries both)."""
    if citations or not (text or "").strip():
        return citations
    return parse_guideline_paragraph(text)


def label_item(rec: ItemRecord) -> ItemRecord:
    """Fill ``rec``'s four label fields in place and return ``rec`` (so both styles work:
    ``label_item(rec)`` and ``rec = label_item(rec)``). Labelling twice gives the same labels.

    A side (reviewer or claims administrator) with neither citations nor paragraph text gets
    None labels: a pre-review case has no reviewer guideline. A side with text and no citations gets
    its citations read from the text first (:func:`cited`). Citations naming nothing topical
    take their topic from the item's text (see :func:`normalize_citation`).
    """
    rec.reviewer_guideline = cited(rec.reviewer_guideline, rec.reviewer_guideline_text)
    rec.claims_guideline = cited(rec.claims_guideline, rec.claims_guideline_text)
    fam, topic = _side_labels(rec.reviewer_guideline, rec.reviewer_guideline_text, rec.item)
    cfam, ctopic = _side_labels(rec.claims_guideline, rec.claims_guideline_text, rec.item)
    rec.guideline_family, rec.guideline_topic = fam, topic
    rec.claims_guideline_family, rec.claims_guideline_topic = cfam, ctopic
    return rec


def needs_labels(row: Mapping[str, Any]) -> bool:
    """Whether a record read from a table (a record dict) was never labelled: it carries a guideline of either side
    but none of the four label fields. A row with any label is taken as labelled, so records are labelled once."""
    has_guideline = any(row.get(k) for k in GUIDELINE_FIELDS)
    return has_guideline and all(row.get(k) is None for k in LABEL_FIELDS)


def label_items(records: Iterable[ItemRecord]) -> list[ItemRecord]:
    """:func:`label_item` over records (filled in place); returns them as a list."""
    return [label_item(r) for r in records]
