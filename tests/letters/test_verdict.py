"""The reviewer's conclusion read from a rationale, on rationales written for these tests."""

import pytest

from imrml.letters.verdict import disagrees, rationale_verdict, read_verdict, sentences


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        (
            "Guidelines allow up to 10 visits. Eighteen were asked for. The request is not medically necessary.",
            "upheld",
        ),
        ("No red flags are found. Therefore, the MRI is determined to not be medically necessary.", "upheld"),
        ("The worker improved. The request is medically necessary and appropriate.", "overturned"),
        ("Criteria are met. As such, the request is certified.", "overturned"),
        ("Criteria are not met. The request is non-certified.", "upheld"),
        ("Medical necessity has not been established.", "upheld"),
        ("Given the documented radiculopathy, medical necessity has been established.", "overturned"),
        ("The request is partially certified for 6 of the 12 sessions.", "partial"),
        ("The first injection is medically necessary, but the repeat injection is not medically necessary.", "partial"),
        ("Long-term use of this drug is not recommended.", "upheld"),
        ("This drug is recommended as a first-line option for nerve pain.", "overturned"),
        ("The worker has a history of back pain.", "unclear"),
        ("", "unclear"),
        (
            "Although the worker has not responded to therapy, the surgery asked for is medically necessary.",
            "overturned",
        ),
        ("I am reversing the prior utilization review decision.", "overturned"),
        ("The shoulder MRI is not a medical necessity at this time.", "upheld"),
        (
            "Utilization review modified the request to 4 visits. The 4 remaining visits are not medically necessary.",
            "upheld",
        ),
    ],
)
def test_verdicts(text, verdict):
    assert rationale_verdict(text) == verdict


def test_advice_after_the_conclusion_is_skipped():
    text = (
        "The request is not medically necessary. This medical necessity decision should not be read as "
        "advice to stop the drug at once. The prescriber may taper it over several weeks."
    )
    v = read_verdict(text)
    assert v.verdict == "upheld" and v.sentence.startswith("The request is not")


def test_sentences_keep_abbreviations_whole():
    assert sentences("Per Dr. Lee, e.g. rest. The request is certified.") == [
        "Per Dr. Lee, e.g. rest.",
        "The request is certified.",
    ]


@pytest.mark.parametrize(
    ("verdict", "decision", "expected"),
    [
        ("upheld", "Upheld", False),
        ("overturned", "Upheld", True),
        ("partial", "Overturned", True),
        ("unclear", "Upheld", False),
        ("upheld", None, False),
        ("upheld", "Withdrawn", True),
    ],
)
def test_disagrees(verdict, decision, expected):
    assert disagrees(verdict, decision) is expected


@pytest.mark.shared
def test_real_letters_rationale_verdict_agrees_with_the_stated_decision(dwc_items):
    """Target: >= 99% of the real items; each disagreement is listed."""
    disagreeing = [
        f"{r.case_id} item {r.item_index}: stated {r.decision}, rationale reads {r.rationale_verdict}: "
        f"{(read_verdict(r.rationale).sentence or '')[:160]!r}"
        for r in dwc_items
        if r.rationale_verdict != (r.decision or "").lower()
    ]
    print(f"\nagree: {len(dwc_items) - len(disagreeing)}/{len(dwc_items)}")
    print("\n".join(disagreeing) or "no disagreement")
    assert (len(dwc_items) - len(disagreeing)) / len(dwc_items) >= 0.99, "\n".join(disagreeing)
    assert sum(r.verdict_disagrees for r in dwc_items) <= len(disagreeing)
