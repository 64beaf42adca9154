"""IMR final determination letters (PDF or text, every generation) -> one labelled ItemRecord per disputed item.

Each layout module recognises its letters and reads them into :class:`~imrml.letters.text.LetterParts`:

* :mod:`~imrml.letters.layout_2013`: ``2013`` ("MAXIMUS Federal Services, Inc. has determined
  the request for X is (not) medically necessary and appropriate");
* :mod:`~imrml.letters.layout_2014`: ``2014`` (no header block; "HOW THE IMR FINAL
  DETERMINATION WAS MADE", items "X: Upheld") and ``2016`` (the same body under a
  two-column header block);
* :mod:`~imrml.letters.layout_maximus_imr`: ``maximus_imr`` ("MAXIMUS FEDERAL SERVICES, INC.",
  "Independent Medical Review", ..., "IMR DECISION(S) AND RATIONALE(S)");
* :mod:`~imrml.letters.layout_professional_review`: ``professional_review`` ("MEDICAL
  PROFESSIONAL REVIEW", "ISSUE AT DISPUTE:", ..., no per-item verdict line).

A letter no layout recognises is a reject naming the known headings it has and those the
nearest layout lacks.

Public entry point: :func:`parse_letter` (one letter, within the per-file limits);
:mod:`imrml.letters.batch` parses many, with a reject reason for every file that yields no items.
"""

from __future__ import annotations

from pathlib import Path

from ..records.schema import ItemRecord, Letter
from . import layout_2013, layout_2014, layout_maximus_imr, layout_professional_review
from .citations import parse_guideline_paragraph
from .errors import LetterError
from .extract import letter_text, letter_text_of_bytes
from .fields import injury_date_from_summary, parse_patient, parse_reviewer, to_iso_date, ur_date_from_summary
from .headings import unknown_layout_reason
from .labels import label_item
from .limits import DEFAULT_LIMITS, Limits
from .requested import parse_request
from .specialties import normalize_specialties, normalize_states
from .text import clean_lines
from .verdict import disagrees, rationale_verdict

# Tried in order: the two layouts with headings of their own first (a maximus_imr letter may carry the 2013
# items' labels and the 2014 "HOW THE IMR ..." heading), then 2013 (whose letters also have headings the 2014
# layout looks for).
LAYOUTS = (layout_professional_review, layout_maximus_imr, layout_2013, layout_2014)


def recognise(lines: list[str]):
    """(template name, layout module) of the letter, or a LetterError naming the headings it has and lacks."""
    for layout in LAYOUTS:
        template = layout.recognise(lines)
        if template is not None:
            return template, layout
    headings = {layout.__name__.rsplit(".layout_", 1)[-1]: layout.HEADINGS for layout in LAYOUTS}
    raise LetterError(unknown_layout_reason(lines, headings))


def parse_text(text: str, source_file: str = "<text>", limits: Limits = DEFAULT_LIMITS) -> Letter:
    """Parse a letter's text. Raises LetterError with a one-line reason when it yields no items (or more than
    ``limits.max_items``: counted on the item blocks, before any record is built)."""
    if not text.strip():
        raise LetterError("empty file")
    lines = clean_lines(text)
    template, layout = recognise(lines)
    parts = layout.read(lines)
    if not parts.blocks:
        raise LetterError("IMR letter with no parseable disputed items")
    if len(parts.blocks) > limits.max_items:
        raise limits.exceeded("max_items", f"{len(parts.blocks):,} items")
    header, summary = parts.header, parts.summary
    specialties, states = parse_reviewer(parts.reviewer_text)
    specialties_normalized = normalize_specialties(specialties).names
    states_normalized = normalize_states(states).codes
    age, sex = parse_patient(summary)
    stem = Path(source_file).stem if source_file not in ("", "<text>") else None
    case_id = header.get("case_number", "").split()[0] if header.get("case_number") else (stem or "unknown")
    priority = header.get("priority")
    records = []
    for n, b in enumerate(parts.blocks, 1):
        item = " ".join(b.item.split())
        verdict = rationale_verdict(b.rationale)
        records.append(
            label_item(
                ItemRecord(
                    source_file=source_file,
                    case_id=case_id,
                    template=template,
                    decision_date=to_iso_date(header.get("decision_date")),
                    date_assigned=to_iso_date(header.get("date_assigned")),
                    ur_denial_date=to_iso_date(header.get("ur_denial_date")) or ur_date_from_summary(summary),
                    application_received=to_iso_date(header.get("application_received")),
                    date_of_injury=to_iso_date(header.get("date_of_injury")) or injury_date_from_summary(summary),
                    priority=priority.split()[0] if priority else None,
                    reviewer_specialties=list(specialties),
                    reviewer_licensure=list(states),
                    reviewer_specialties_normalized=list(specialties_normalized),
                    reviewer_licensure_normalized=list(states_normalized),
                    patient_age=age,
                    patient_sex=sex,
                    case_summary=summary,
                    item_index=n,
                    item=item,
                    original_request=b.original_request,
                    **parse_request(item).record_fields(),
                    decision=b.decision,
                    claims_guideline_text=b.claims_text,
                    reviewer_guideline_text=b.reviewer_text,
                    claims_guideline=parse_guideline_paragraph(b.claims_text),
                    reviewer_guideline=parse_guideline_paragraph(b.reviewer_text),
                    rationale=b.rationale,
                    rationale_verdict=verdict,
                    verdict_disagrees=disagrees(verdict, b.decision),
                )
            )
        )
    return Letter(source_file=source_file, case_id=case_id, template=template, items=records)


def parse_letter(path_or_text: str | Path, source_file: str | None = None, limits: Limits = DEFAULT_LIMITS) -> Letter:
    """Parse one letter: a path to a .pdf/.txt file, or the letter's text itself, within ``limits``.

    Raises :class:`imrml.letters.errors.LetterError` with a one-line reason if it yields no items. The time
    and memory limits hold only between pages here; :mod:`imrml.letters.pool` holds them for any file.
    """
    if isinstance(path_or_text, Path) or (
        "\n" not in path_or_text and len(path_or_text) < 4096 and Path(path_or_text).suffix.lower() in (".pdf", ".txt")
    ):
        path = Path(path_or_text)
        return parse_text(letter_text(path, limits), source_file=source_file or path.name, limits=limits)
    return parse_text(path_or_text, source_file=source_file or "<text>", limits=limits)


def parse_bytes(data: bytes, source_file: str, limits: Limits = DEFAULT_LIMITS) -> Letter:
    """Parse one letter file's contents (``source_file`` names it; its suffix says whether it is a PDF)."""
    return parse_text(letter_text_of_bytes(data, source_file, limits), source_file=source_file, limits=limits)
