"""Generation speed of the letter generator (issue 4), one core.

* txt: write_corpus of 10,000 letters as text files plus truth.jsonl (target: under 60 s);
* pdf: write_corpus of 500 letters as PDF files (reported, no target).
"""

import shutil
import tempfile
import time
from pathlib import Path

from _common import save

from imrml.synth.corpus import write_corpus

N_TXT = 10_000
N_PDF = 500


def timed(n: int, fmt: str) -> tuple[float, int]:
    out = Path(tempfile.mkdtemp(prefix=f"bench-synth-{fmt}-"))
    try:
        t0 = time.perf_counter()
        info = write_corpus(out, n, seed=0, fmt=fmt)
        return time.perf_counter() - t0, info.n_items
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    t_txt, items = timed(N_TXT, "txt")
    t_pdf, _ = timed(N_PDF, "pdf")
    result = {
        "data": f"{N_TXT} generated letters ({items} items) as txt, {N_PDF} as pdf, seed 0",
        "txt_seconds": round(t_txt, 2),
        "txt_letters_per_s": round(N_TXT / t_txt, 1),
        "pdf_letters_per_s": round(N_PDF / t_pdf, 1),
        "targets": {"txt_seconds": "< 60 for 10,000 letters"},
    }
    result["meets_targets"] = t_txt < 60
    save("synth", result)


if __name__ == "__main__":
    main()
