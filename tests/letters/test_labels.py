"""Labels: citation normalization (family, guideline, topic), item labels, summary, command."""

from __future__ import annotations

import pytest

from imrml.letters import labels as L
from imrml.letters.batch import parse_paths
from imrml.letters.label_summary import summarize_labels
from imrml.letters.labels import (
    FAMILIES,
    TOPICS,
    UNMAPPED,
    combined_family,
    label_item,
    label_items,
    needs_labels,
    normalize_citation,
    page_table,
    primary_topic,
    topic_for_pages,
    topic_for_text,
)
from imrml.records.schema import Citation, ItemRecord

CP = "Chronic Pain Medical Treatment Guidelines"


def mtus(document=CP, sections=(), pages=(), year=None, text=""):
    return Citation("MTUS", document, year, list(sections), list(pages), text)


def odg(remainder: str | None, year=None):
    return Citation("ODG", "Official Disability Guidelines", year, [remainder] if remainder else [], [], "")


NONE = Citation("none", text="The Expert Reviewer did not cite any medical evidence for its decision.")


def norm(c, item=None):
    n = normalize_citation(c, item)
    return n.family, n.guideline, n.topic


# --- the fixed API -------------------------------------------------------------------------


def test_api_constants():
    assert FAMILIES == ("MTUS", "ODG", "other", "none")
    for name in (
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
    ):
        assert name in TOPICS
    assert UNMAPPED == "unmapped" and UNMAPPED not in TOPICS
    assert len(set(TOPICS)) == len(TOPICS)


def test_data_tables_load_and_use_known_topics():
    rows = page_table()
    assert len(rows) > 40
    assert {r.topic for r in rows} <= set(TOPICS)
    assert all(1 <= r.first_page <= r.last_page <= 127 for r in rows)
    assert {t for _, t in L.keyword_table()} <= set(TOPICS)


# --- each citation style of the issue ------------------------------------------------------


def test_2014_style_section_and_page():
    # "MTUS Chronic Pain Treatment Guidelines Benzodiazepines Page(s): 24"
    n = normalize_citation(mtus(sections=["Benzodiazepines"], pages=[24]))
    assert (n.family, n.guideline, n.topic, n.reason) == ("MTUS", "MTUS Chronic Pain", "Benzodiazepines", None)
    assert n.topic_source == "section"


def test_2016_style_section():
    # "MTUS Chronic Pain Medical Treatment 2009, Section(s): Benzodiazepines"
    assert norm(mtus(sections=["Benzodiazepines"], year=2009)) == ("MTUS", "MTUS Chronic Pain", "Benzodiazepines")
    # "... 2016, Section(s): NSAIDs, Opioids, specific drug list" -> the first section's topic
    assert norm(mtus(sections=["NSAIDs", "Opioids, specific drug list"], year=2016))[2] == "NSAIDs"


@pytest.mark.parametrize(
    "pages, topic",
    [
        (range(63, 67), "Muscle relaxants"),  # "Page(s): 63-66"
        ([24], "Benzodiazepines"),
        (range(74, 83), "Opioids"),  # "Page(s): 74-82"
        ([78, 79], "Opioids"),
        ([99], "Anti-epilepsy drugs"),  # Pregabalin, inside Physical medicine 98-99
        ([19, 20], "Anti-epilepsy drugs"),
        ([49], "Anti-epilepsy drugs"),  # Gabapentin (listed before FRPs on the same page)
        ([107], "Antidepressants"),  # SSRIs, inside Spinal cord stimulators 105-107
        ([67, 68, 69], "NSAIDs"),
        ([111, 112, 113], "Topical analgesics"),
        ([114, 115, 116], "TENS/electrical stimulation"),
        ([122], "Injections"),
        ([58, 59, 60], "Chiropractic/manipulation"),
        ([98, 99], "Physical medicine"),  # 98 and 99 both Physical medicine; 99 AED: tie -> first page's
        ([1, 2, 3], "General approach"),
    ],
)
def test_pages_only_resolved_by_page_table(pages, topic):
    n = normalize_citation(mtus(pages=list(pages)))
    assert (n.guideline, n.topic, n.topic_source, n.reason) == ("MTUS Chronic Pain", topic, "pages", None)


def test_page_table_rules():
    assert L.page_topic(94).topic == "Labs/drug testing"  # narrowest range wins inside Opioids 74-96
    assert topic_for_pages([91, 92, 93, 94, 95, 96]) == "Opioids"  # most pages
    assert topic_for_pages([41, 64]) == "Muscle relaxants"  # "Cyclobenzaprine (Flexeril) Page(s): 41, 64"
    assert topic_for_pages([24, 63, 64]) == "Muscle relaxants"
    assert topic_for_pages([24, 63]) == "Benzodiazepines"  # tie -> the first page's topic
    assert topic_for_pages([500]) is None
    n = normalize_citation(mtus(pages=[500, 501]))
    assert n.topic == UNMAPPED and n.reason == "pages 500-501 not in page table"


def test_section_beats_pages_and_2013_style():
    # 2013: "MTUS Chronic Pain Medical Treatment Guidelines (2009), Opioids, pages 74-96"
    n = normalize_citation(mtus(sections=["Opioids"], pages=list(range(74, 97)), year=2009))
    assert (n.topic, n.topic_source) == ("Opioids", "section")
    # the page table is the 2009 edition's: other editions' pages are not looked up
    n = normalize_citation(mtus(pages=[24], year=2016))
    assert n.topic == UNMAPPED and "page table" in n.reason
    n = normalize_citation(mtus(document="Low Back Complaints", pages=[301], year=2004))
    assert n.topic == UNMAPPED and "MTUS Low Back" in n.reason


def test_odg_citation():
    # "Non-MTUS Citation Official Disability Guidelines (ODG), Chronic Pain Chapter, Benzodiazepines"
    assert norm(odg("Chronic Pain Chapter, Benzodiazepines")) == ("ODG", "ODG Pain", "Benzodiazepines")
    assert norm(odg("Pain, Anxiety medications in chronic pain")) == ("ODG", "ODG Pain", "Other medications")
    assert norm(odg("Low back chapter - MRIs (magnetic resonance imaging)")) == (
        "ODG",
        "ODG Low Back",
        "Imaging/special studies",
    )
    assert norm(odg("Knee & Leg, Durable medical equipment (DME)")) == ("ODG", "ODG Knee and Leg", "DME")
    assert norm(odg("Neck and Upper Back Chapter, Manipulation")) == (
        "ODG",
        "ODG Neck and Upper Back",
        "Chiropractic/manipulation",
    )
    assert norm(odg("Shoulder (Acute and Chronic), Postoperative abduction pillow sling"))[1:] == (
        "ODG Shoulder",
        "DME",
    )
    assert norm(odg("Physical Therapy Guidelines")) == ("ODG", "ODG", "Physical medicine")
    assert norm(odg("Pain Section/Voltaren\u00ae Gel (diclofenac) Topic"))[2] == "Topical analgesics"
    assert norm(odg("Pain Chapter (Online version) Diclofenac"))[2] == "NSAIDs"


@pytest.mark.parametrize(
    "remainder, guideline",
    [
        ("Low Back Chapter", "ODG Low Back"),
        ("Low Back - Lumbar & Thoracic (Acute & Chronic) Chapter (Online Version)", "ODG Low Back"),
        ("Neck and Upper Back, Low Back", "ODG Neck and Upper Back"),
        (
            "Work Loss Data Institute (21th Annual Edition), 2016, Neck and Upper Back (Acute & Chronic) Chapter",
            "ODG Neck and Upper Back",
        ),
        (None, "ODG"),
    ],
)
def test_odg_chapter_only_has_no_topic(remainder, guideline):
    n = normalize_citation(odg(remainder))
    assert (n.family, n.guideline, n.topic, n.reason) == ("ODG", guideline, None, "no section or pages")


def test_mtus_body_part_chapter():
    # "MTUS Low Back Complaints 2004, Section(s): Special Studies"
    assert norm(mtus("Low Back Complaints", ["Special Studies"], year=2004)) == (
        "MTUS",
        "MTUS Low Back",
        "Imaging/special studies",
    )
    assert norm(mtus("Neck and Upper Back Complaints", ["Physical Methods"]))[1:] == (
        "MTUS Neck and Upper Back",
        "Physical medicine",
    )
    assert norm(mtus("Shoulder Complaints", ["Surgical Considerations"]))[1:] == ("MTUS Shoulder", "Surgery")
    for general in ("Initial Care", "Inital Care", "Summary", "Work-Relatedness", "Follow-up Visits"):
        assert norm(mtus("Knee Complaints", [general]))[1:] == ("MTUS Knee", "General approach")
    # a specific section beats a general one, wherever it is listed
    assert norm(mtus("Low Back Complaints", ["Initial Care", "Physical Methods", "Summary"]))[2] == (
        "Physical medicine"
    )
    assert norm(mtus("Forearm, Wrist, and Hand Complaints", ["Diagnostic Criteria", "Special Studies"]))[1:] == (
        "MTUS Forearm, Wrist, and Hand",
        "Imaging/special studies",
    )


def test_no_evidence_cited():
    n = normalize_citation(NONE)
    assert (n.family, n.guideline, n.topic, n.reason) == ("none", "none", None, None)
    assert normalize_citation(NONE, item="Norco 10/325 #90").topic is None  # never from the item


def test_nothing_topical_gets_none_then_item_fallback():
    n = normalize_citation(mtus())  # "MTUS Chronic Pain Medical Treatment Guidelines." alone
    assert (n.family, n.guideline, n.topic, n.reason) == ("MTUS", "MTUS Chronic Pain", None, "no section or pages")
    n = normalize_citation(mtus("Low Back Complaints", year=2004), item="MRI of the lumbar spine")
    assert (n.topic, n.topic_source, n.reason) == ("Imaging/special studies", "item", None)
    n = normalize_citation(odg("Pain Chapter"), item="Norco 10/325mg #90")
    assert (n.guideline, n.topic, n.topic_source) == ("ODG Pain", "Opioids", "item")
    # an item the table cannot read leaves the citation as it was
    n = normalize_citation(mtus(), item="Sit-stand workstation")
    assert (n.topic, n.reason) == (None, "no section or pages")
    # the item is never used when the citation names a section
    assert normalize_citation(mtus(sections=["Benzodiazepines"]), item="MRI lumbar").topic == "Benzodiazepines"


def test_documents_about_one_topic():
    assert norm(mtus("Acupuncture Medical Treatment Guidelines", year=2007)) == (
        "MTUS",
        "MTUS Acupuncture",
        "Acupuncture",
    )
    assert norm(mtus("Opioids Treatment Guidelines", ["3"], year=2017)) == ("MTUS", "MTUS Opioids", "Opioids")
    assert norm(mtus("Postsurgical Treatment Guidelines", ["Shoulder"]))[1:] == (
        "MTUS Postsurgical",
        "Physical medicine",
    )


@pytest.mark.parametrize(
    "section, topic",
    [
        ("Muscle relaxants (for pain)", "Muscle relaxants"),
        ("MUSCLE RELAXANTS", "Muscle relaxants"),
        ("Cyclobenzaprine (Flexeril)", "Muscle relaxants"),
        ("Baclofen (Lioresal", "Muscle relaxants"),
        ("Opioids, criteria for use", "Opioids"),
        ("Criteria for use of opioids", "Opioids"),
        ("On-going management of opioid use", "Opioids"),
        ("Norco", "Opioids"),
        ("Non-steroidal anti-inflammatory drugs", "NSAIDs"),
        ("NSAIDs (non-steroidal anti-inflammatory drugs)", "NSAIDs"),
        ("GI symptoms & cardiovascular risk", "NSAIDs"),
        ("Voltaren", "NSAIDs"),
        ("Voltaren gel", "Topical analgesics"),
        ("Lidoderm (lidocaine patch)", "Topical analgesics"),
        ("Flector patch (diclofenac epolamine)", "Topical analgesics"),
        ("Compound drugs", "Topical analgesics"),
        ("Lyrica", "Anti-epilepsy drugs"),
        ("Anti-epilepsy drugs", "Anti-epilepsy drugs"),
        ("Antiepilepsy drugs (AEDs)", "Anti-epilepsy drugs"),
        ("Selective serotonin and norepinephrine reuptake inhibitors", "Antidepressants"),
        ("Proton Pump Inhibitors (PPIs)", "Other medications"),
        ("Antiemetics (for opioid nausea)", "Other medications"),
        ("Electrodiagnostic testing (EMG/NCS)", "Electrodiagnostic studies"),
        ("Electro\x02diagnostic testing (EMG/NCS)", "Electrodiagnostic studies"),  # control char of PDF text
        ("TENS, chronic pain (transcutaneous electrical nerve stimulation)", "TENS/electrical stimulation"),
        ("Manual therapy & manipulation", "Chiropractic/manipulation"),
        ("Physical medicine treatment", "Physical medicine"),
        ("Ultrasound, therapeutic", "Physical medicine"),
        ("Facet blocks", "Injections"),
        ("Epidural steroid injections (ESIs)", "Injections"),
        ("Home health services", "Home health/facility care"),
        ("Office visits", "Office visits/consultations"),
        ("Drug testing", "Labs/drug testing"),
        ("Psychological evaluations", "Psychological treatment"),
        ("Functional restoration programs (FRPs)", "Programs"),
        ("Durable medical equipment (DME)", "DME"),
        ("Thermography (infrared stress thermography)", "Imaging/special studies"),
        ("On-going management", "Opioids"),  # "Opioids, On-going management" split by the parser
        ("Cognitive therapy for depression", "Psychological treatment"),
    ],
)
def test_section_variants(section, topic):
    assert topic_for_text(section) == topic
    assert normalize_citation(mtus(sections=[section])).topic == topic


def test_unmapped_stays_visible():
    n = normalize_citation(mtus("Elbow Complaints", ["Radial Head Fracture"]))
    assert (n.topic, n.reason) == (UNMAPPED, "section not in keyword table")
    n = normalize_citation(mtus("Elbow Complaints", ["326"]))
    assert (n.topic, n.reason) == (UNMAPPED, "section is a number, not a name")
    n = normalize_citation(mtus("Elbow Complaints", ["Recommendations", "Radial Head Fracture"]))
    assert (n.topic, n.unmapped_sections) == ("General approach", ["Radial Head Fracture"])
    n = normalize_citation(odg("Pain, Quantum healing crystals"))
    assert (n.guideline, n.topic, n.reason) == ("ODG Pain", UNMAPPED, "no topic keyword in ODG text")


def test_other_sources():
    acoem = Citation("ACOEM", "ACOEM", None, ["Low back disorders, diagnostic recommendations, MRI"])
    assert norm(acoem) == ("other", "ACOEM", "Imaging/special studies")
    uptodate = Citation("other", "Sildenafil: Drug information, accessed from UpToDate.com on 12/17/2016")
    assert norm(uptodate) == ("other", "Other", "Other medications")
    n = normalize_citation(Citation("other", "Centers for Medicare and Medicaid services, Physician Fee Schedule"))
    assert (n.family, n.topic) == ("other", UNMAPPED)
    assert normalize_citation(Citation("Cochrane", "a review")).family == "other"  # unknown source: other


# --- item labels -----------------------------------------------------------------------------


def test_combined_family():
    a, b, c = mtus(sections=["Opioids"]), odg("Pain, Opioids"), Citation("ACOEM", "ACOEM")
    assert combined_family([a]) == "MTUS"
    assert combined_family([b, a]) == "MTUS+ODG"  # fixed order, not citation order
    assert combined_family([c, a, NONE]) == "MTUS+other"
    assert combined_family([a, b, c]) == "MTUS+ODG+other"
    assert combined_family([NONE]) == "none"
    assert combined_family([]) == "none"


def test_primary_topic():
    # MTUS beats ODG even when ODG is cited first
    assert primary_topic([odg("Low Back Chapter, MRI"), mtus("Low Back Complaints", ["Physical Methods"])]) == (
        "Physical medicine"
    )
    # a specific topic beats "General approach", whatever the family
    assert primary_topic([mtus("Low Back Complaints", ["Initial Care"]), odg("Low Back, MRI")]) == (
        "Imaging/special studies"
    )
    # within a family, the first as written
    assert primary_topic([mtus(sections=["Benzodiazepines"]), mtus(sections=["Opioids"])]) == "Benzodiazepines"
    assert primary_topic([mtus("Elbow Complaints", ["Radial Head Fracture"])]) == UNMAPPED
    assert primary_topic([mtus(), NONE]) is None
    assert primary_topic([]) is None


def record(**kw) -> ItemRecord:
    base = {"source_file": "x.txt", "case_id": "CM16-0000001", "template": "2016", "item": "Norco 10/325mg #90"}
    base.update(kw)
    return ItemRecord(**base)


def test_label_item_fills_in_place():
    rec = record(
        decision="Upheld",
        reviewer_guideline_text="Decision based on MTUS ...",
        reviewer_guideline=[odg("Pain, Opioids"), mtus(pages=[78, 79])],
        claims_guideline_text="Decision based on MTUS Chronic Pain Treatment Guidelines.",
        claims_guideline=[mtus()],
    )
    before = rec.to_dict()
    out = label_item(rec)
    assert out is rec  # filled in place (synth calls it for the side effect) and returned
    assert (out.guideline_family, out.guideline_topic) == ("MTUS+ODG", "Opioids")
    assert (out.claims_guideline_family, out.claims_guideline_topic) == ("MTUS", "Opioids")  # from the item
    changed = {k for k, v in rec.to_dict().items() if before[k] != v}
    assert changed == set(L.LABEL_FIELDS)  # nothing but the labels
    assert label_item(rec).to_dict() == rec.to_dict()  # labelling again changes nothing


def test_label_item_pre_review_and_none():
    pre = label_item(record(claims_guideline_text="x", claims_guideline=[mtus(sections=["Opioids"])]))
    assert (pre.guideline_family, pre.guideline_topic) == (None, None)
    assert (pre.claims_guideline_family, pre.claims_guideline_topic) == ("MTUS", "Opioids")
    none = label_item(record(reviewer_guideline_text=NONE.text, reviewer_guideline=[NONE]))
    assert (none.guideline_family, none.guideline_topic) == ("none", None)
    assert (none.claims_guideline_family, none.claims_guideline_topic) == (None, None)
    # a paragraph from which nothing was parsed is labelled "none", and counted in the summary
    empty = label_item(record(reviewer_guideline_text="The Expert Reviewer based their decision on ..."))
    assert empty.guideline_family == "none"
    assert summarize_labels([empty]).paragraphs_without_citation == 1


# --- real letters ----------------------------------------------------------------------------


def _real_records(seeds_dir, dwc_dir):
    paths = sorted(seeds_dir.glob("*.txt")) + sorted(dwc_dir.glob("*.pdf"))
    return paths, parse_paths(paths).records


def test_real_letters_every_citation_normalizes(seeds_dir, dwc_dir):
    paths, recs = _real_records(seeds_dir, dwc_dir)
    assert len(paths) >= 125 and len(recs) >= len(paths)
    labelled = label_items(recs)
    s = summarize_labels(labelled)
    n = sum(s.citations.values())
    assert n > 500
    assert sum(s.families.values()) == n and set(s.families) <= set(FAMILIES)  # every citation has a family
    for fam in ("MTUS", "ODG"):
        assert s.coverage[fam][0] > 50
        assert s.topic_rate(fam) >= 0.95, (fam, s.coverage[fam], s.table())
    # the reviewer's labels come from what the reviewer cited, not from the item
    own = {"MTUS": [0, 0], "ODG": [0, 0]}
    for r in recs:
        for c in r.reviewer_guideline:
            nc = normalize_citation(c)
            if nc.family in own:
                own[nc.family][0] += 1
                own[nc.family][1] += nc.has_topic
    for fam, (total, ok) in own.items():
        assert ok / total >= 0.95, (fam, total, ok)
    # every item with a reviewer paragraph has a reviewer family; topics are known names or visible
    for r in labelled:
        assert r.guideline_family is not None
        assert r.guideline_topic in (*TOPICS, UNMAPPED, None)
        assert r.guideline_topic is not None or r.guideline_family == "none"


def test_real_seed_pages_only_citations_use_page_table(seeds_dir):
    recs = parse_paths(sorted(seeds_dir.glob("*.txt"))).records
    pages_only = [
        c
        for r in recs
        for c in r.reviewer_guideline + r.claims_guideline
        if c.source == "MTUS" and c.pages and not c.sections
    ]
    assert len(pages_only) >= 4
    for c in pages_only:
        n = normalize_citation(c)
        assert n.topic_source == "pages" and n.topic in TOPICS, c


def test_a_row_is_labelled_once():
    cited = {"source": "MTUS", "document": "Chronic Pain Medical Treatment Guidelines", "sections": ["Opioids"]}
    fresh = {"case_id": "CM1", "item": "Norco", "claims_guideline": [cited]}
    assert needs_labels(fresh)
    labelled = label_item(ItemRecord.from_dict({"source_file": "", "template": "", **fresh})).to_dict()
    assert labelled["claims_guideline_family"] == "MTUS" and not needs_labels(labelled)
    # a label given with the row is kept (no relabelling); a row with no guideline has nothing to label
    assert not needs_labels({**fresh, "claims_guideline_family": "ODG"})
    assert not needs_labels({"case_id": "CM1", "item": "Norco", "claims_guideline": []})


def test_a_side_given_only_as_written_gets_its_citations_read_from_the_text():
    """A table of cases before review may carry the claims administrator's guideline as written and no citations."""
    text = "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Opioids, criteria for use."
    rec = label_item(ItemRecord("t.jsonl", "CM1", "", item="Norco 10/325mg #60", claims_guideline_text=text))
    assert [c.source for c in rec.claims_guideline] == ["MTUS"]
    assert (rec.claims_guideline_family, rec.claims_guideline_topic) == ("MTUS", "Opioids")
    assert rec.reviewer_guideline == [] and rec.guideline_family is None  # before review: nothing to read
