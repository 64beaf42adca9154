"""Per-file limits: each reason names the limit's flag and what was measured."""

import pytest

from imrml.letters.limits import DEFAULT_LIMITS, LIMIT_NAMES, Limits


def test_every_reason_names_its_flag_and_the_limit():
    limits = Limits(max_bytes=1_000, max_pages=3, max_chars=2_500, max_items=4, max_seconds=1.5, max_memory_mb=64)
    assert (
        limits.reason("max_bytes", "1,200 bytes") == "file larger than the 1,000-byte limit (--max-bytes; 1,200 bytes)"
    )
    assert limits.reason("max_seconds") == "took longer than the 1.5-second limit (--max-seconds)"
    for name in LIMIT_NAMES:
        err = limits.exceeded(name, "measured")
        assert f"--{name.replace('_', '-')}; measured)" in str(err) and err.limit == name


def test_defaults_are_far_above_every_real_letter():
    # the largest of the 120 real letters: 50,914 bytes, 10 pages, 27,262 characters, 21 items
    d = DEFAULT_LIMITS
    assert (d.max_bytes, d.max_pages, d.max_chars, d.max_items) >= (50 * 50_914, 10 * 10, 50 * 27_262, 40 * 21)


def test_a_limit_must_be_positive_and_survives_json():
    with pytest.raises(ValueError, match="max_pages must be positive"):
        Limits(max_pages=0)
    limits = Limits(max_chars=10, max_seconds=0.5)
    assert Limits.from_json(limits.to_json()) == limits
