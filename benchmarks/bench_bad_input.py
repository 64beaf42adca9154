"""Peak memory and time of ``imrml parse`` on the decompression bombs of issue 12 (target: under 1 GB each).

Each file is built in a temporary folder under /tmp (streamed through zlib: a few MB of memory), parsed by the
``imrml parse`` command in a fresh process with the default limits, and deleted; nothing is kept or committed.

* ``spaces.pdf``: one page whose content stream inflates to 2 GiB of spaces (about 2 MB on disk); before the
  per-file limits it cost 3.2 GB and 5 s, then "no text layer";
* ``textops.pdf``: one page of 1.5 GiB of text operators (a few MB on disk); before, 100 s and 13.9 GB;
* ``items.txt``: a 200 MB text letter whose item blocks repeat (246,000 items); before, 1.48 GB.

The peak RSS is the parsing process's and its largest worker's, each as the kernel counts it (a worker's
starts from its parent's, which it inherits at its start).

    python benchmarks/bench_bad_input.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from _common import ROOT, imrml, save

from imrml.synth.bombs import write_pdf_bomb, write_text_bomb

GIB = 1 << 30
BOMBS = (
    ("spaces.pdf", lambda p: write_pdf_bomb(p, "spaces", 2 * GIB), "2 GiB of spaces on one page"),
    ("textops.pdf", lambda p: write_pdf_bomb(p, "textops", 3 * GIB // 2), "1.5 GiB of text operators on one page"),
    (
        "items.txt",
        lambda p: write_text_bomb(p, (ROOT / "tests" / "fixtures" / "letter_2016.txt").read_text(), 200 << 20),
        "a 200 MiB text letter, its item blocks repeated",
    ),
)


def main() -> None:
    rows = []
    for name, build, what in BOMBS:
        with tempfile.TemporaryDirectory(prefix="imrml-bombs-", dir="/tmp") as tmp:
            bomb = build(Path(tmp) / name)
            size = bomb.stat().st_size
            out = Path(tmp) / "items.jsonl"
            seconds, _, mem = imrml("parse", str(bomb), "-o", str(out), "-q", "--allow-rejects")
            rejects = [json.loads(line) for line in (Path(tmp) / "items.rejects.jsonl").read_text().splitlines()]
        peak = max(mem["self_mb"], mem["workers_mb"])
        rows.append(
            {
                "data": f"{name}: {what} ({size:,} bytes on disk), built in /tmp and deleted",
                "seconds": round(seconds, 2),
                "peak_rss_mb": {"parse process": mem["self_mb"], "largest worker": mem["workers_mb"]},
                "reason": rejects[0]["reason"] if rejects else "(not rejected)",
                "target": "peak RSS < 1,024 MB",
                "meets_target": peak < 1024,
            }
        )
    save("bad_input", {"rows": rows})


if __name__ == "__main__":
    main()
