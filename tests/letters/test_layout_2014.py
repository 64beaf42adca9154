"""The 2014/2016 layout's item headings."""

import pytest

from imrml.letters.layout_2014 import parse_item_blocks, split_item_header


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Lyrica 150mg #90: Upheld", ("Lyrica 150mg #90", None, "Upheld")),
        ("Cream base: Overturned", ("Cream base", None, "Overturned")),
        ("X-ray of the pelvis: Withdrawn", ("X-ray of the pelvis", None, "Withdrawn")),  # other verbs verbatim
        (
            "A #60 was the original request. A #20 was authorized by the Claims Administrator. The remaining "
            "IMR eligible portion of the original request, A #40 is: Upheld",
            ("A #40", "A #60", "Upheld"),
        ),
    ],
)
def test_item_heading_split(header, expected):
    assert split_item_header(header) == expected


def test_an_item_heading_wrapped_after_its_date_of_service_label_stays_whole():
    """A heading that wraps right after "DOS:" is one item, not a date-only item (the wrap ends in a colon)."""
    body = [
        "Decision rationale: The gel is not supported for the spine. The request is not medically necessary.",
        "Ketoprofen cream apply twice a day to the low back, #120 grams with 1 refill, DOS: ",
        "03/14/2016: Upheld",
        "Claims Administrator guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009.",
        "MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2009.",
        "Decision rationale: Topical ketoprofen is not approved. The request is not medically necessary.",
    ]
    (block,) = parse_item_blocks(body)
    assert block.item == "Ketoprofen cream apply twice a day to the low back, #120 grams with 1 refill, DOS: 03/14/2016"
    assert block.decision == "Upheld"
