"""The one error policy: what a user can cause is a :class:`UserError`, reported in one line.

The command line prints ``imrml COMMAND: error: <message>`` and exits 2 for a
UserError (and for a missing or unreadable file); anything else is a bug and
keeps its traceback. Messages name the file (and the key, row or limit) they
are about. Credentials in URIs never reach a message (:func:`redact`).
"""

from __future__ import annotations

import contextlib
import re
import sys


class UserError(ValueError):
    """Bad input, a bad file or a bad setting: the message is the one line the user sees."""


# The password runs to the last "@" before the host: an unencoded "@" in it (which RFC 3986 forbids, but
# people type) must not leave its tail in the message.
_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@\s:]*)(?P<password>:[^/\s]*)?@")


def redact(text: str) -> str:
    """``text`` with the credentials of every URI masked: ``scheme://user:password@host`` keeps its user
    (``user:***@host``); ``scheme://token@host`` has nothing but a user, which is then the secret (a token
    passed as the user name, as GitHub's and many servers' URIs carry one), so it goes whole (``***@host``)."""
    return _CREDENTIALS.sub(_masked, str(text))


def _masked(m: re.Match) -> str:
    if m.group("password") is None:
        return f"{m.group('scheme')}***@"
    return f"{m.group('scheme')}{m.group('user')}:***@"


class RedactingStream:
    """A text stream that redacts credentials from everything written through it: prints, log lines (MLflow's
    loggers write to ``sys.stderr`` as it is when they write), warnings, tracebacks, MLflow's run links."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(redact(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)


@contextlib.contextmanager
def redacted_output():
    """``sys.stdout`` and ``sys.stderr`` redacted while the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (s if isinstance(s, RedactingStream) else RedactingStream(s) for s in saved)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
