"""The labels summary (``imrml labels``): label counts, how every citation normalized and what did not, and
the fields read at parse time: reviewer specialties and states outside their vocabularies, requests left
unmatched, and rationale verdicts that contradict the stated decision."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..records.schema import Citation, ItemRecord
from .labels import FAMILIES, LABEL_FIELDS, clean_text, normalize_citation, page_span
from .specialties import state_code, vocabulary_kind

MAX_EXAMPLES = 3


@dataclass
class LabelSummary:
    """Counts of labels and of normalized citations, and the citations left without a topic."""

    items: int = 0
    labels: dict[str, Counter] = field(default_factory=dict)  # label field -> value counts
    citations: Counter = field(default_factory=Counter)  # side -> citation count
    families: Counter = field(default_factory=Counter)
    guidelines: Counter = field(default_factory=Counter)
    topics: Counter = field(default_factory=Counter)  # topic (None shown as "(none)")
    # reason -> count, and reason -> a few example citations (family: text)
    missing: Counter = field(default_factory=Counter)
    missing_examples: dict[str, list[str]] = field(default_factory=dict)
    unmapped_sections: Counter = field(default_factory=Counter)  # extra sections of mapped citations
    paragraphs_without_citation: int = 0
    # family -> [citations, with a topic, with a topic from the citation itself (not the item)]
    coverage: dict[str, list[int]] = field(default_factory=dict)
    topic_sources: Counter = field(default_factory=Counter)
    # per letter: normalized specialties by kind ("specialty", "subspecialty", "profession", "unknown"),
    # and the names and states left verbatim
    specialty_kinds: Counter = field(default_factory=Counter)
    unknown_specialties: Counter = field(default_factory=Counter)
    unknown_states: Counter = field(default_factory=Counter)
    # requests: "medication", "medication with a generic", "service", "service with a type", ...
    requests: Counter = field(default_factory=Counter)
    unmatched_requests: list[str] = field(default_factory=list)  # a few examples
    verdicts: Counter = field(default_factory=Counter)  # rationale_verdict values ("(none)" when not read)
    disagreements: list[str] = field(default_factory=list)  # "case_id item n: stated X, rationale reads y"

    def topic_rate(self, family: str, from_citation_only: bool = False) -> float | None:
        """Share of the family's citations with a topic (optionally: not taken from the item)."""
        total, with_topic, own = self.coverage.get(family, [0, 0, 0])
        if not total:
            return None
        return (own if from_citation_only else with_topic) / total

    def table(self) -> str:
        return format_summary(self)

    def __str__(self) -> str:
        return format_summary(self)


def summarize_labels(records: Iterable[ItemRecord]) -> LabelSummary:
    """Summarize labelled records (their label fields) and their citations (normalized anew)."""
    s = LabelSummary(labels={f: Counter() for f in LABEL_FIELDS})
    letters_seen: set[tuple[str, str]] = set()
    for rec in records:
        s.items += 1
        if (rec.source_file, rec.case_id) not in letters_seen:
            letters_seen.add((rec.source_file, rec.case_id))
            _count_reviewer(s, rec)
        _count_request(s, rec)
        s.verdicts[_show(rec.rationale_verdict)] += 1
        if rec.verdict_disagrees:
            s.disagreements.append(
                f"{rec.case_id} item {rec.item_index}: stated {rec.decision}, rationale reads {rec.rationale_verdict}"
            )
        for f in LABEL_FIELDS:
            s.labels[f][_show(getattr(rec, f))] += 1
        for side, cites, text in (
            ("reviewer", rec.reviewer_guideline, rec.reviewer_guideline_text),
            ("claims", rec.claims_guideline, rec.claims_guideline_text),
        ):
            if not cites and (text or "").strip():
                s.paragraphs_without_citation += 1
            for c in cites:
                n = normalize_citation(c, rec.item)
                s.citations[side] += 1
                s.families[n.family] += 1
                s.guidelines[n.guideline] += 1
                s.topics[_show(n.topic)] += 1
                s.topic_sources[_show(n.topic_source)] += 1
                cov = s.coverage.setdefault(n.family, [0, 0, 0])
                cov[0] += 1
                cov[1] += n.has_topic
                cov[2] += n.has_topic and n.topic_source != "item"
                for sec in n.unmapped_sections:
                    s.unmapped_sections[clean_text(sec)] += 1
                if n.reason:
                    key = f"{n.family}: {n.reason}"
                    s.missing[key] += 1
                    ex = s.missing_examples.setdefault(key, [])
                    example = clean_text(c.text) or _describe(c)
                    if example not in ex and len(ex) < MAX_EXAMPLES:
                        ex.append(example)
    return s


def _count_reviewer(s: LabelSummary, rec: ItemRecord) -> None:
    for name in rec.reviewer_specialties_normalized:
        kind = vocabulary_kind(name) or "unknown"
        s.specialty_kinds[kind] += 1
        if kind == "unknown":
            s.unknown_specialties[name] += 1
    s.unknown_states.update(v for v in rec.reviewer_licensure_normalized if state_code(v) != v)


def _count_request(s: LabelSummary, rec: ItemRecord) -> None:
    kind = rec.request_kind or "(not read)"
    s.requests[kind] += 1
    if rec.request_kind == "medication":
        s.requests["medication with a generic"] += bool(rec.drug_generic)
        matched = bool(rec.drug_generic)
    else:
        s.requests["service with a type"] += bool(rec.service_type)
        s.requests["service with a type and a body part"] += bool(rec.service_type and rec.body_parts)
        matched = bool(rec.service_type)
    if not matched:
        s.requests["unmatched"] += 1
        if len(s.unmatched_requests) < MAX_EXAMPLES * 3:
            s.unmatched_requests.append(rec.item)


def _show(v: str | None) -> str:
    return "(none)" if v is None else v


def _describe(c: Citation) -> str:
    bits = [c.source, c.document or "", ", ".join(c.sections or [])]
    if c.pages:
        bits.append(f"pages {page_span(c.pages)}")
    return " | ".join(b for b in bits if b)


def _counts(title: str, counter: Counter, total: int | None = None) -> list[str]:
    lines = [title]
    total = total if total is not None else sum(counter.values())
    width = max((len(k) for k in counter), default=0)
    for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        pct = f"{100 * n / total:5.1f}%" if total else ""
        lines.append(f"  {key:<{width}}  {n:>6}  {pct}")
    if not counter:
        lines.append("  (nothing)")
    return lines


def format_summary(s: LabelSummary) -> str:
    """The printable summary: label counts, citation levels, topic coverage, what did not normalize."""
    out = [f"items: {s.items}"]
    for f in LABEL_FIELDS:
        out += _counts(f"\n{f}:", s.labels.get(f, Counter()), s.items)
    n_cit = sum(s.citations.values())
    out.append(f"\ncitations: {n_cit} (reviewer {s.citations['reviewer']}, claims {s.citations['claims']})")
    out += _counts("\ncitation family:", s.families, n_cit)
    out += _counts("\ncitation guideline:", s.guidelines, n_cit)
    out += _counts("\ncitation topic:", s.topics, n_cit)
    out += _counts("\ncitation topic source:", s.topic_sources, n_cit)
    out.append("\ncitations with a topic, per family (all; from the citation itself, not the item):")
    for fam in FAMILIES:
        total, ok, own = s.coverage.get(fam, [0, 0, 0])
        if total:
            out.append(f"  {fam:<6} {ok:>5} / {total:<5} {100 * ok / total:5.1f}%   {own:>5} {100 * own / total:5.1f}%")
    out.append(f"\ncitations without a topic, by reason: {sum(s.missing.values())}")
    for key, n in sorted(s.missing.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"  {n:>6}  {key}")
        for ex in s.missing_examples.get(key, []):
            out.append(f"          e.g. {ex[:110]}")
    if s.unmapped_sections:
        out += _counts("\nunmapped extra sections of citations that did get a topic:", s.unmapped_sections)
    if s.paragraphs_without_citation:
        out.append(f"\nguideline paragraphs with no parsed citation (labelled 'none'): {s.paragraphs_without_citation}")
    out += _counts("\nreviewer specialties, per letter, by vocabulary:", s.specialty_kinds)
    if s.unknown_specialties:
        out += _counts("specialties left verbatim (in no vocabulary):", s.unknown_specialties)
    if s.unknown_states:
        out += _counts("licensure states left verbatim (no two-letter code):", s.unknown_states)
    out += _counts("\nrequests read into fields:", s.requests, s.items)
    for ex in s.unmatched_requests:
        out.append(f"  unmatched, e.g. {ex[:110]}")
    out += _counts("\nrationale verdicts:", s.verdicts, s.items)
    out.append(f"verdicts that contradict the stated decision: {len(s.disagreements)}")
    out += [f"  {d}" for d in s.disagreements]
    return "\n".join(out)
