"""The 2014/2016 layout's item headings."""

import pytest

from imrml.letters.layout_2014 import split_item_header


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
