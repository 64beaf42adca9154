"""Items as requested read into fields, on requests written for these tests."""

import pytest

from imrml.letters.requested import drug_table, find_drugs, parse_request


def test_drug_table_maps_brands_to_generics_with_classes():
    table = drug_table()
    assert len(table) > 300
    assert table["norco"].generic == "hydrocodone/acetaminophen"
    assert table["klonopin"].generic == "clonazepam"
    assert table["lyrica"].generic == "pregabalin"
    assert table["fexmid"].drug_class == "muscle relaxants"
    assert table["ambien"].drug_class == "sleep aids"


def test_medication_fields():
    r = parse_request("Norco 7.5/325mg #90 one tablet Q6 hours PRN")
    assert r.kind == "medication" and r.matched
    assert (r.generic, r.drug_class) == ("hydrocodone/acetaminophen", "opioids")
    assert (r.strength, r.quantity, r.frequency) == ("7.5/325 mg", "90", "q6h PRN")
    assert r.record_fields()["drug_generic"] == "hydrocodone/acetaminophen"


@pytest.mark.parametrize(
    ("text", "generic", "cls"),
    [
        ("Lyrica 75mg #60", "pregabalin", "anticonvulsants"),
        ("Klonopin 1mg #30", "clonazepam", "benzodiazepines"),
        ("Fexmid 7.5mg #60", "cyclobenzaprine", "muscle relaxants"),
        ("Prilosec 20 mg #30", "omeprazole", "proton pump inhibitors"),
        ("Ambien 5mg #15 at bedtime", "zolpidem", "sleep aids"),
        ("Cymbalta 60mg #30 daily", "duloxetine", "antidepressants"),
        ("Ultram ER 100mg #30", "tramadol", "opioids"),
        ("Retrospective request for Flexeril 10mg #20 (DOS 3/4/15)", "cyclobenzaprine", "muscle relaxants"),
        ("Gabapentin 6%/Ketoprofen 10% in cream base 120g", "gabapentin/ketoprofen", "topical compounds"),
        ("Diclofenac 3% gel", "diclofenac", "topical analgesics"),
        ("Hydrocodne/APAP 10/325 #60", "hydrocodone/acetaminophen", "opioids"),
        ("Soma (carisoprodol) 350mg #30", "carisoprodol", "muscle relaxants"),
    ],
)
def test_generic_and_class(text, generic, cls):
    r = parse_request(text)
    assert (r.kind, r.generic, r.drug_class) == ("medication", generic, cls)


def test_frequencies_and_quantities():
    assert parse_request("Naproxen 550mg twice daily #60").frequency == "BID"
    assert parse_request("Voltaren gel 1% four times a day, #100 grams").quantity == "100 g"
    assert parse_request("Klonopin .5 #30").strength == ".5"


def test_unknown_drug_is_an_unmatched_medication_that_keeps_what_it_can():
    r = parse_request("Zyxorin 25mg #30")
    assert (r.kind, r.generic, r.strength, r.matched) == ("medication", None, "25 mg", False)


@pytest.mark.parametrize(
    ("text", "stype", "parts", "sessions"),
    [
        ("Physical therapy 2x4 lumbar spine", "physical therapy", ["lumbar spine"], 8),
        ("Physical therapy 3 times a week for 4 weeks for the left knee", "physical therapy", ["knee"], 12),
        ("Occupational therapy 2-3 times per week for 4 weeks, both hands", "occupational therapy", ["hand"], 12),
        ("Chiropractic manipulation 6 visits, cervical spine", "chiropractic", ["cervical spine"], 6),
        ("Acupuncture x 8 sessions for the low back", "acupuncture", ["lumbar spine"], 8),
        ("MRI of the lumbar spine without contrast", "MRI", ["lumbar spine"], None),
        ("CT scan of the right wrist", "CT", ["wrist"], None),
        ("X-rays of the left ankle, 3 views", "x-ray", ["ankle"], None),
        ("EMG/NCV bilateral upper extremities", "EMG/NCV", ["upper extremities"], None),
        ("Right L4-5 transforaminal epidural steroid injection", "injection", ["lumbar spine"], None),
        ("Left knee arthroscopy with partial meniscectomy", "surgery", ["knee"], None),
        ("Lumbar brace purchase", "DME", ["lumbar spine"], None),
        ("Orthopedic surgeon consultation for the right shoulder", "consultation", ["shoulder"], None),
        ("Urine drug screen", "lab test", [], None),
        ("Associated surgical service: cold therapy unit rental for 7 days", "DME", [], None),
    ],
)
def test_services(text, stype, parts, sessions):
    r = parse_request(text)
    assert r.kind == "service" and r.matched
    assert (r.service_type, r.body_parts, r.sessions) == (stype, parts, sessions)


def test_a_drug_given_by_injection_is_a_service():
    r = parse_request("Toradol 60mg IM injection")
    assert (r.kind, r.service_type, r.generic) == ("service", "injection", "ketorolac")


def test_a_request_naming_no_service_is_unmatched():
    r = parse_request("11/11/2016")
    assert (r.kind, r.service_type, r.matched) == ("service", None, False)


def test_typos_are_matched_only_on_long_words():
    assert [d.generic for _, d in find_drugs("Lorazepan 1mg")] == ["lorazepam"]
    assert find_drugs("Physical therapy") == []


@pytest.mark.shared
def test_real_letters_requests(dwc_items):
    """Medications with a generic (target >= 95%), services with a type and with a type and a body part."""
    meds = [r for r in dwc_items if r.request_kind == "medication"]
    services = [r for r in dwc_items if r.request_kind == "service"]
    with_generic = [r for r in meds if r.drug_generic]
    typed = [r for r in services if r.service_type]
    typed_and_sited = [r for r in typed if r.body_parts]
    print(f"\nmedications with a generic: {len(with_generic)}/{len(meds)}")
    print(f"services with a type: {len(typed)}/{len(services)}; with a type and a body part: {len(typed_and_sited)}")
    print("services without a body part:", sorted({r.item for r in typed if not r.body_parts}))
    assert len(meds) >= 40 and len(meds) + len(services) == len(dwc_items)
    assert len(with_generic) / len(meds) >= 0.95, [r.item for r in meds if not r.drug_generic]
    assert len(typed) / len(services) >= 0.95, [r.item for r in services if not r.service_type]
    # every imaging and electrodiagnostic request names its site
    imaging = [r for r in typed if r.service_type in ("MRI", "CT", "x-ray", "EMG/NCV")]
    assert imaging and all(r.body_parts for r in imaging), [r.item for r in imaging if not r.body_parts]
    assert len(typed_and_sited) / len(services) >= 0.6
