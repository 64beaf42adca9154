"""The promote job: move a registered model's champion alias when the candidate is better (``imrml promote``)."""

from __future__ import annotations

from ..mlops.registry import promote
from ..mlops.tracking import configure_tracking


def promote_command(model: str, version: str | None = None) -> int:
    configure_tracking()
    _, message = promote(model, version)
    print(message)
    return 0
