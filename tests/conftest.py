"""Shared test fixtures: where the real letters of ../shared are, and the rule for when they are absent."""

import contextlib
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


@contextlib.contextmanager
def own_tracking_store(home: Path, chdir: bool = False):
    """IMRML_HOME at ``home`` (a sqlite store and artifacts of its own), no MLflow URI from outside; yields the
    MonkeyPatch for more settings."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMRML_HOME", str(home))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
        if chdir:
            mp.chdir(home)
        yield mp
