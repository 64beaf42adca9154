"""The synth job: write a generated corpus and say what it holds (``imrml synth``)."""

from __future__ import annotations

import sys

from ..synth.corpus import write_corpus


def synth_command(n: int, seed: int, output: str, fmt: str = "txt", overturn_rate: float = 0.10) -> int:
    info = write_corpus(output, n, seed, fmt=fmt, overturn_rate=overturn_rate, progress=sys.stderr.isatty())
    tpl = ", ".join(f"{k}: {v}" for k, v in info.templates.items())
    print(
        f"wrote {info.n_letters} letters ({tpl}) with {info.n_items} items, "
        f"{info.overturn_rate:.1%} overturned, to {info.letters_dir} and {info.truth_path} "
        f"in {info.seconds:.1f} s"
    )
    return 0
