"""The one error policy: what a user can cause is a :class:`UserError`, reported in one line.

The command line prints ``imrml COMMAND: error: <message>`` and exits 2 for a
UserError (and for a missing or unreadable file); anything else is a bug and
keeps its traceback. Messages name the file (and the key, row or limit) they
are about. Credentials in URIs never reach a message (:func:`redact`).
"""

from __future__ import annotations

import re


class UserError(ValueError):
    """Bad input, a bad file or a bad setting: the message is the one line the user sees."""


_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@\s:]+)(?::[^/@\s]*)?@")


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` replaced by ``***``."""
    return _CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{m.group('user')}:***@", str(text))
