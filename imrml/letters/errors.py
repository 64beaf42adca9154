"""Why a letter file yields no items: one exception, whose message is the one-line reject reason."""

from __future__ import annotations


class LetterError(Exception):
    """A file that yields no items. ``str(err)`` is the one-line reason."""


class LimitExceeded(LetterError):
    """A file rejected because it passed one of the per-file limits (:mod:`imrml.letters.limits`); ``limit``
    names which."""

    def __init__(self, reason: str, limit: str):
        super().__init__(reason)
        self.limit = limit
