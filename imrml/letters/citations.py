"""Raw guideline paragraph -> list of Citation.

Letters of every generation cite guidance in a small grammar:

* 2014-2017: "Decision based on MTUS <document> [<year>][, Section(s): a, b][, and <document> ...]."
  or the 2014 form "Decision based on MTUS Chronic Pain Treatment Guidelines <section> Page(s): 63-66.",
  then optionally "Decision based on Non-MTUS Citation <ODG / ACOEM / other source>."
* 2013: "The Expert Reviewer based his/her decision on the MTUS Chronic Pain Medical Treatment
  Guidelines (2009), Opioids, pages 74-96, which is part of the MTUS."
* no citation: "... did not cite any medical evidence for its decision."

MTUS documents are canonicalized (the same guideline is named several ways across
years); everything else is kept as written in ``Citation.text`` and ``sections``.
Normalizing sections into topics is the labels step's job, not this module's.
"""

from __future__ import annotations

import re

from ..records.schema import Citation

# canonical MTUS document -> pattern for the ways letters name it
MTUS_DOCUMENTS: dict[str, str] = {
    "Chronic Pain Medical Treatment Guidelines": r"Chronic\s+Pain(?:\s+Medical)?\s+Treatment(?:\s+Guidelines?)?",
    "Acupuncture Medical Treatment Guidelines": r"Acupuncture(?:\s+Medical)?\s+Treatment(?:\s+Guidelines?)?",
    "Postsurgical Treatment Guidelines": r"Post-?\s*surgical\s+Treatment(?:\s+Guidelines?)?",
    "Opioids Treatment Guidelines": r"Opioids?\s+Treatment(?:\s+Guidelines?)?",
    "Low Back Complaints": r"Low\s+Back\s+Complaints",
    "Neck and Upper Back Complaints": r"Neck\s+and\s+Upper\s+Back\s+Complaints",
    "Shoulder Complaints": r"Shoulder\s+Complaints",
    "Elbow Complaints": r"Elbow(?:\s+Disorders|\s+Complaints)",
    "Forearm, Wrist, and Hand Complaints": r"Forearm,?\s+Wrist,?\s+(?:and|&)\s+Hand\s+Complaints",
    "Knee Complaints": r"Knee\s+Complaints",
    "Ankle and Foot Complaints": r"Ankle\s+and\s+Foot\s+Complaints",
    "General Approaches": r"General\s+Approach(?:es)?",
    "Stress-Related Conditions": r"Stress[-\s]Related\s+Conditions",
    "Eye": r"Eye(?:\s+Complaints)?",
}
_DOC_ALTERNATION = "|".join(f"(?:{p})" for p in MTUS_DOCUMENTS.values())
_DOC_RES = [(name, re.compile(rf"^(?:{p})\b", re.I)) for name, p in MTUS_DOCUMENTS.items()]
# a chained document starts after ", and " (or " and ") and is a known MTUS document
_CHAIN_SPLIT = re.compile(rf",?\s+and\s+(?=(?:{_DOC_ALTERNATION})\b)", re.I)

# ACOEM 2nd edition chapters adopted as the MTUS body-part guidelines (2013 letters cite them by chapter)
ACOEM_CHAPTERS = {
    8: "Neck and Upper Back Complaints",
    9: "Shoulder Complaints",
    10: "Elbow Complaints",
    11: "Forearm, Wrist, and Hand Complaints",
    12: "Low Back Complaints",
    13: "Knee Complaints",
    14: "Ankle and Foot Complaints",
    15: "Stress-Related Conditions",
    16: "Eye",
}

NO_CITATION_RE = re.compile(r"did\s+not\s+(?:cite|provide)\s+any\s+(?:medical\s+evidence|evidentiary\s+basis)", re.I)
_DECISION_BASED = re.compile(r"Decision\s+based\s+on\s+", re.I)
_NON_MTUS = re.compile(r"^Non-?\s*MTUS(?:\s+Citation)?\s*:?\s*", re.I)
ODG_NAME = re.compile(r"Official\s+Disability\s+Guidelines?|\bODG\b", re.I)
_ACOEM = re.compile(r"^(?:the\s+)?(?:ACOEM|American\s+College\s+of\s+Occupational)", re.I)
_PAGES = re.compile(r"\bPage\(s\)\s*:?\s*(?P<pages>[\d\s,\-–&and]+?)\s*\.?\s*$", re.I)
PAGES_IN_PROSE = re.compile(
    r"\b(?:pages?|pg\.?|p\.)\s*(?P<pages>\d+(?:\s*[-–]\s*\d+)?(?:\s*(?:,|and|&)\s*\d+(?:\s*[-–]\s*\d+)?)*)", re.I
)
_SECTIONS = re.compile(r"^,?\s*Section\(s\)\s*:\s*", re.I)
_YEAR = re.compile(r"^,?\s*\(?((?:19|20)\d\d)\)?")
MAX_PAGE_SPAN = 300


def _norm(s: str) -> str:
    return " ".join(s.split())


def expand_pages(spec: str) -> list[int]:
    """'63-66' -> [63, 64, 65, 66]; '41, 64' -> [41, 64]; '19-20 and 99' -> [19, 20, 99]."""
    pages: list[int] = []
    for part in re.split(r"\s*(?:,|;|&|\band\b)\s*", spec):
        m = re.fullmatch(r"(\d+)\s*(?:[-–]\s*(\d+))?", part.strip())
        if not m:
            continue
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if hi < lo or hi - lo > MAX_PAGE_SPAN:
            hi = lo
        pages.extend(p for p in range(lo, hi + 1) if p not in pages)
    return pages


# Section titles with a comma before a capital (so the lowercase rule below cannot
# tell them from two sections), as the MTUS names them.
_COMMA_TITLES = re.compile(r"NSAIDs\s*,\s*GI symptoms|Forearm\s*,\s*Wrist\s*,?\s*(?:&|and)\s*Hand", re.I)
_COMMA_KEPT = "\x00"


def split_sections(spec: str) -> list[str]:
    """Split 'A, B, c d' on commas; a piece starting lowercase continues the previous one.

    Known titles with a comma before a capital ("NSAIDs, GI symptoms & cardiovascular
    risk", "Forearm, Wrist, & Hand") stay whole.
    """
    spec = spec.strip().rstrip(".").strip()
    if not spec:
        return []
    spec = _COMMA_TITLES.sub(lambda m: m.group().replace(",", _COMMA_KEPT), spec)
    out: list[str] = []
    for piece in (p.strip() for p in spec.split(",")):
        if not piece:
            continue
        if out and (piece[0].islower() or piece[0] in "(&"):
            out[-1] = f"{out[-1]}, {piece}"
        else:
            out.append(piece)
    return [s.replace(_COMMA_KEPT, ",") for s in out]


def canonical_mtus_document(name: str) -> tuple[str, str]:
    """Return (canonical document, rest of the string after the document's name)."""
    for canonical, rx in _DOC_RES:
        m = rx.match(name)
        if m:
            return canonical, name[m.end() :]
    # unknown document: everything up to a year or a Section(s)/Page(s) marker
    m = re.search(r"\s(?:19|20)\d\d\b|,?\s*Section\(s\)|\s*Page\(s\)|[.,]\s*$", name)
    cut = m.start() if m else len(name)
    return name[:cut].strip(" ,.") or name.strip(" ,."), name[cut:]


def parse_mtus(spec: str) -> list[Citation]:
    """'Low Back Complaints 2004, Section(s): X, and Chronic Pain ... 2016' -> one Citation per document."""
    out = []
    for chunk in _CHAIN_SPLIT.split(spec.strip()):
        chunk = chunk.strip()
        if not chunk:
            continue
        document, rest = canonical_mtus_document(chunk)
        year = None
        m = _YEAR.match(rest.strip())
        if m:
            year = int(m.group(1))
            rest = re.sub(r"^\s*Guidelines?\b", "", rest.strip()[m.end() :])
        rest = rest.strip()
        sections: list[str] = []
        pages: list[int] = []
        pm = _PAGES.search(rest)
        if pm:
            pages = expand_pages(pm.group("pages"))
            rest = rest[: pm.start()].strip()
        sm = _SECTIONS.match(rest)
        if sm:
            sections = split_sections(rest[sm.end() :])
        else:
            # 2014 form: the section is written straight after the document's name
            section = rest.strip(" ,.;:")
            if section:
                sections = [section]
        out.append(Citation("MTUS", document, year, sections, pages, text=_norm(f"MTUS {chunk}")))
    return out


def parse_non_mtus(spec: str) -> Citation:
    spec = _norm(spec).strip().rstrip(".").strip()
    if _ACOEM.match(spec):
        rest = re.sub(
            r"^(?:the\s+)?(?:ACOEM|American\s+College\s+of\s+Occupational\s+and\s+Environmental\s+Medicine(?:\s*\(ACOEM\))?)\s*[:,\-]?\s*",
            "",
            spec,
            flags=re.I,
        )
        return Citation("ACOEM", "ACOEM", None, [rest] if rest else [], [], text=spec)
    m = ODG_NAME.search(spec)
    if m:
        rest = spec[m.end() :]
        rest = re.sub(r"^\s*\(ODG\)", "", rest)
        year = None
        ym = re.match(r"^\s*,\s*((?:19|20)\d\d)\s*(?=,|$)", rest)
        if ym:
            year = int(ym.group(1))
            rest = rest[ym.end() :]
        rest = rest.strip(" ,:;-/.")
        return Citation("ODG", "Official Disability Guidelines", year, [rest] if rest else [], [], text=spec)
    return Citation("other", spec, None, [], [], text=spec)


def parse_guideline_paragraph(text: str) -> list[Citation]:
    """Parse a "Claims Administrator guideline:" / "MAXIMUS guideline:" paragraph (any generation)."""
    text = _norm(text)
    if not text:
        return []
    if NO_CITATION_RE.search(text) and not _DECISION_BASED.search(text):
        return [Citation("none", text=text)]
    if _DECISION_BASED.search(text):
        out: list[Citation] = []
        for seg in _DECISION_BASED.split(text)[1:]:
            seg = seg.strip()
            nm = _NON_MTUS.match(seg)
            if nm:
                out.append(parse_non_mtus(seg[nm.end() :]))
            elif re.match(r"^(?:the\s+)?MTUS\b", seg, re.I):
                out.extend(parse_mtus(re.sub(r"^(?:the\s+)?MTUS\s*(?:\(|,)?\s*", "", seg, flags=re.I).rstrip(".")))
            elif seg:
                out.append(parse_non_mtus(seg))
        return out
    return parse_2013_paragraph(text)


_BASED_2013 = re.compile(r"based\s+(?:its|his/her|his|her|their)\s+decision\s+on\s+(?:the\s+)?", re.I)
_PART_OF_MTUS = re.compile(
    r",?\s*which\s+(?:is|are)\s+(?P<neg>not\s+)?part\s+of\s+(?:the\s+)?MTUS[.,;]?\s*(?:and\s+(?:on\s+)?(?:the\s+)?)?",
    re.I,
)


# "..., and the Official Disability Guidelines (ODG), ..." chains a second source
_AND_THE = re.compile(
    r",?\s+and\s+(?:on\s+)?the\s+(?=MTUS\b|Official\s+Disability|ODG\b|ACOEM\b|American\s+College)", re.I
)


def parse_2013_paragraph(text: str) -> list[Citation]:
    """'The Expert Reviewer based his/her decision on the MTUS ... (2009), Opioids, pages 74-96, which is part of
    the MTUS.'

    Without the "based ... decision on" preamble (the professional-review letters list the guidelines, then
    say why), the guidelines are those each closed by "which is (not) part of the MTUS"; the text after the
    last one is the reviewer's reason, not a citation.
    """
    m = _BASED_2013.search(text)
    listed = m is None and _PART_OF_MTUS.search(text) is not None
    if m is None and not listed:
        return [parse_non_mtus(text)] if text.strip(" .") else []
    body = text[m.end() :] if m else text
    out: list[Citation] = []
    pos = 0
    pieces: list[tuple[str, bool | None]] = []
    for pm in _PART_OF_MTUS.finditer(body):
        pieces.append((body[pos : pm.start()], pm.group("neg") is None))
        pos = pm.end()
    tail = body[pos:].strip(" .")
    if tail and not listed:  # a listed paragraph ends with the reviewer's reason, not with a guideline
        pieces.append((tail, None))
    split = []
    for piece, in_mtus in pieces:
        split.extend((sub, in_mtus) for sub in _AND_THE.split(piece))
    for piece, in_mtus in split:
        piece = piece.strip(" .;,")
        piece = re.sub(r"^(?:the\s+)", "", piece, flags=re.I)
        if not piece:
            continue
        out.append(_citation_2013(piece, in_mtus))
    return out


def _citation_2013(piece: str, in_mtus: bool | None) -> Citation:
    text = _norm(piece)
    piece = re.sub(r"^MTUS\s*[,:/-]\s*(?=ACOEM|American\s+College)", "", piece)  # "MTUS, ACOEM ... Chapter 9"
    pages: list[int] = []
    pm = PAGES_IN_PROSE.search(piece)
    if pm:
        pages = expand_pages(pm.group("pages"))
        piece = (piece[: pm.start()] + piece[pm.end() :]).strip(" ,.")
    chapter = re.search(r"Chapter\s+(\d+)", piece, re.I)
    if _ACOEM.match(piece) and chapter and in_mtus is not False and int(chapter.group(1)) in ACOEM_CHAPTERS:
        year_m = re.search(r"\((\d{4})\)", piece)
        rest = piece[chapter.end() :].strip(" ,.")
        document = ACOEM_CHAPTERS[int(chapter.group(1))]
        rest = re.sub(rf"^{MTUS_DOCUMENTS[document]}\s*,?\s*", "", rest, flags=re.I)
        rest = re.sub(
            r"^(?:Low Back|Neck and Upper Back|Shoulder|Elbow|Knee|Ankle and Foot)\s*,?\s*", "", rest, flags=re.I
        )
        return Citation(
            "MTUS", document, int(year_m.group(1)) if year_m else None, split_sections(rest), pages, text=text
        )
    if re.match(r"^MTUS\b", piece):
        spec = re.sub(r"^MTUS\s*", "", piece)
        document, rest = canonical_mtus_document(spec)
        year = None
        ym = re.match(r"^\s*\(?((?:19|20)\d\d)\)?", rest)
        if ym:
            year = int(ym.group(1))
            rest = rest[ym.end() :]
        return Citation("MTUS", document, year, split_sections(rest.strip(" ,.")), pages, text=text)
    c = parse_non_mtus(piece)
    c.text = text
    if pages and not c.pages:
        c.pages = pages
    return c
