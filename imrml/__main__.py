"""``python -m imrml``: the same as the ``imrml`` command."""

import sys

from .cli import main

sys.exit(main())
