"""Shared test fixtures: where the real letters of ../shared are, and the rule for when they are absent."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IMRML_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "seeds"
DWC = SHARED / "data" / "dwc-letters"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require_shared(path: Path) -> Path:
    """Return ``path``; skip the test when it is absent, or fail when IMRML_REQUIRE_SHARED=1."""
    if not path.exists():
        msg = f"{path} is absent (real letters from ../shared)"
        if os.environ.get("IMRML_REQUIRE_SHARED") == "1":
            pytest.fail(msg + " and IMRML_REQUIRE_SHARED=1")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return require_shared(SEEDS)


@pytest.fixture(scope="session")
def dwc_dir() -> Path:
    return require_shared(DWC)
