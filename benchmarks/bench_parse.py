"""Parsing speed, parallel speed-up, the corpus's reruns, memory and the small-input break-even.

Every row names its data: the 120 real letters of ../shared/data/dwc-letters, or generated PDF letters
(``imrml synth --format pdf``, made once into data/bench-parse/, git-ignored).

* PDF letters/s with --jobs 1 and --jobs 2 (the parse job writing Parquet, as ``imrml parse -o`` does), and the
  speed-up (target >= 1.8 on 2 cores), on the real letters and on 10,000 generated ones;
* time per letter with --jobs 1 against pypdfium2's bare text extraction of the same files in one process
  (target < 1.5x), and the parser alone on text already in memory (target >= 500 letters/s);
* the corpus (the ``imrml parse`` command, in a fresh process): building it from 10,000 letters, a rerun over
  the unchanged folder (target < 5 s), adding 100 letters (target: parses 100);
* peak RSS of the parsing process at 1,000 and 10,000 letters (target: 10,000 within 1.2x of 1,000). A
  worker's is bounded per file by --max-memory-mb and it is replaced every 1,000 files; the kernel's count of it
  is no help here, as a worker started late inherits its parent's peak as its own starting peak;
* the small-input break-even: 1 to 100 letters in process, in one worker, in two.

    python benchmarks/bench_parse.py [--letters 10000]

Run it alone on the machine: the measurements are of time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium
from _common import ROOT, SHARED, best_of, imrml, save

from imrml.jobs.parse import parse_to_file
from imrml.letters.extract import letter_text
from imrml.letters.limits import DEFAULT_LIMITS
from imrml.letters.parse import parse_text
from imrml.letters.pool import ParsePool
from imrml.letters.worker import Task, outcome
from imrml.records.tables import find_inputs
from imrml.synth.corpus import write_corpus

WORK = ROOT / "data" / "bench-parse"


def bare_extract(files: list[Path]) -> None:
    """pypdfium2 alone: every page's text, one process."""
    for f in files:
        doc = pdfium.PdfDocument(str(f))
        for i in range(len(doc)):
            doc[i].get_textpage().get_text_bounded()
        doc.close()


def generated(n: int, seed: int, name: str) -> Path:
    """A folder of ``n`` generated PDF letters, made once."""
    out = WORK / name
    if not (out / "truth.jsonl").exists():
        print(f"generating {n} PDF letters into {out} ...", file=sys.stderr)
        write_corpus(out, n=n, seed=seed, fmt="pdf", progress=sys.stderr.isatty())
    return out / "letters"


def linked_folder(files: list[Path], folder: Path) -> Path:
    """A folder holding hard links to ``files`` (no copies)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for f in files:
        os.link(f, folder / f.name)
    return folder


def timed_parse(files: list[Path], jobs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run = parse_to_file(files, Path(tmp) / "items.parquet", jobs=jobs, progress=False)
        seconds = time.perf_counter() - t0
    assert run.letters + len(run.rejects) == len(files)
    return seconds


def rate_rows(data: str, files: list[Path], repeat: int, against_bare: bool = False) -> list[dict]:
    t1, _ = best_of(lambda: timed_parse(files, 1), repeat)
    t2, _ = best_of(lambda: timed_parse(files, 2), repeat)
    n = len(files)
    rows = [
        {"data": data, "measure": "PDF letters/s, --jobs 1", "value": round(n / t1, 1)},
        {"data": data, "measure": "PDF letters/s, --jobs 2", "value": round(n / t2, 1)},
        {"data": data, "measure": "speed-up of --jobs 2 over --jobs 1", "value": round(t1 / t2, 2), "target": ">= 1.8"},
    ]
    if against_bare:  # at scale the worker's start and its first letters (cold caches) no longer count
        t_bare, _ = best_of(lambda: bare_extract(files), repeat)
        rows.append({"data": data, "measure": "bare pypdfium2 extraction, letters/s", "value": round(n / t_bare, 1)})
        rows.append(
            {
                "data": data,
                "measure": "time per letter, --jobs 1 / bare extraction",
                "value": round(t1 / t_bare, 2),
                "target": "< 1.5",
            }
        )
    return rows


def real_rows(folder: Path) -> list[dict]:
    files = sorted(folder.glob("*.pdf"))
    data = f"{len(files)} real letters, {folder}"
    texts = [(letter_text(f), f.name) for f in files]
    rounds = 10  # the text corpus is small: parse it several times per measurement
    t_text, _ = best_of(lambda: [parse_text(t, n) for _ in range(rounds) for t, n in texts])
    t_bare, _ = best_of(lambda: bare_extract(files))
    t_one, _ = best_of(lambda: timed_parse(files, 1))
    t_in, _ = best_of(lambda: timed_parse(files, 0))
    return [
        *rate_rows(data, files, 3),
        {
            "data": data,
            "measure": "text letters/s, the parser alone",
            "value": round(len(files) * rounds / t_text, 1),
            "target": ">= 500",
        },
        {
            "data": data,
            "measure": "bare pypdfium2 extraction, letters/s (one process)",
            "value": round(len(files) / t_bare, 1),
        },
        {
            "data": data,
            "measure": "time per letter, --jobs 1 / bare extraction",
            "value": round(t_one / t_bare, 2),
            "target": "< 1.5",
        },
        {
            "data": data,
            "measure": "time per letter, in process (--jobs 0) / bare extraction",
            "value": round(t_in / t_bare, 2),
        },
    ]


def real_at_scale_rows(folder: Path, times: int = 10) -> list[dict]:
    """The real letters ``times`` over (links in a temporary folder, read in place): 120 letters are about a second
    of work, in which a worker's start (0.2 s) and its first letters (cold caches) weigh; a real corpus is larger."""
    files = sorted(folder.glob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        links = []
        for copy in range(times):
            (Path(tmp) / str(copy)).mkdir()
            for f in files:
                link = Path(tmp) / str(copy) / f.name
                link.symlink_to(f.resolve())
                links.append(link)
        data = f"the {len(files)} real letters {times} times over ({len(links):,} parses), {folder}"
        return rate_rows(data, links, 2, against_bare=True)


def corpus_rows(letters: Path, extra: Path, n: int) -> list[dict]:
    data = f"{n:,} generated PDF letters (imrml synth --format pdf, seed 0)"
    folder = linked_folder(sorted(letters.glob("*.pdf")), WORK / "corpus-letters")
    corpus = WORK / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    build, _, build_mem = imrml("parse", str(folder), "--corpus", str(corpus), "-q", "--allow-rejects")
    rerun, rerun_out, _ = imrml("parse", str(folder), "--corpus", str(corpus), "-q", "--allow-rejects")
    (folder / "added").mkdir()  # a folder of their own: two seeds may draw the same case number
    for f in sorted(extra.glob("*.pdf")):
        os.link(f, folder / "added" / f.name)
    added, added_out, _ = imrml("parse", str(folder), "--corpus", str(corpus), "-q", "--allow-rejects")
    parsed = int(added_out.split("parsed ", 1)[1].split(" ", 1)[0].replace(",", ""))
    return [
        {
            "data": data,
            "measure": "corpus built (imrml parse, --jobs default), s",
            "value": round(build, 1),
            "peak_rss_mb": build_mem,
        },
        {
            "data": data,
            "measure": "rerun over the unchanged folder, s",
            "value": round(rerun, 2),
            "target": "< 5",
            "said": rerun_out.splitlines()[-2] if rerun_out else "",
        },
        {
            "data": data + " + 100 more (seed 1)",
            "measure": "letters parsed when 100 are added",
            "value": parsed,
            "seconds": round(added, 2),
            "target": "100",
        },
    ]


def memory_rows(letters: list[Path]) -> list[dict]:
    """Peak RSS of `imrml parse -o` at a tenth, three tenths and all of ``letters``. Records go out in chunks of
    1,000 items (about 450 letters; ``imrml.jobs.parse.CHUNK_ITEMS``), so every run here holds a full chunk."""
    rows = {}
    sizes = (len(letters) // 10, 3 * len(letters) // 10, len(letters))
    for n in sizes:
        folder = linked_folder(letters[:n], WORK / f"memory-{n}")
        with tempfile.TemporaryDirectory() as tmp:
            seconds, _, mem = imrml("parse", str(folder), "-o", str(Path(tmp) / "items.parquet"), "-q", "--jobs", "2")
        shutil.rmtree(folder)
        rows[n] = {"seconds": round(seconds, 1), **mem}
    data = "generated PDF letters: " + ", ".join(f"{n:,}" for n in sizes) + " (imrml parse -o items.parquet --jobs 2)"
    return [
        {
            "data": data,
            "measure": "peak RSS of the parsing process, MB",
            "value": {k: v["self_mb"] for k, v in rows.items()},
            "ratio_to_smallest": round(rows[sizes[2]]["self_mb"] / rows[sizes[0]]["self_mb"], 2),
            "ratio_to_middle": round(rows[sizes[2]]["self_mb"] / rows[sizes[1]]["self_mb"], 2),
            "target": "ratio <= 1.2",
        },
    ]


def _in_workers(files: list[Path], jobs: int) -> list:
    with ParsePool(DEFAULT_LIMITS, jobs) as pool:
        return list(pool.parse(Task(str(f), str(f)) for f in files))


def break_even_rows(pdfs: list[Path], texts: list[Path]) -> list[dict]:
    """Wall time of 1..200 letters in process, in one worker, in two (the workers' start included)."""
    out = []
    for kind, files in (("PDF", pdfs), ("text", texts)):
        for n in (1, 10, 25, 50, 100, 200):
            some = files[:n]
            t0, _ = best_of(lambda some=some: [outcome(Task(str(f), str(f)), DEFAULT_LIMITS) for f in some])
            t1, _ = best_of(lambda some=some: _in_workers(some, 1))
            t2, _ = best_of(lambda some=some: _in_workers(some, 2))
            out.append(
                {
                    "data": f"{len(some)} generated {kind} letters",
                    "measure": "seconds: in process / 1 worker / 2 workers",
                    "value": [round(t0, 3), round(t1, 3), round(t2, 3)],
                }
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--letters", type=int, default=10_000)
    args = ap.parse_args()
    real = SHARED / "data" / "dwc-letters"
    if not list(real.glob("*.pdf")):
        sys.exit(f"bench-parse needs the real letters in {real}")
    WORK.mkdir(parents=True, exist_ok=True)
    letters = generated(args.letters, 0, f"pdf-{args.letters}")
    extra = generated(100, 1, "pdf-100-more")
    files = sorted(letters.glob("*.pdf"))
    text_dir = WORK / "text-200"
    if not (text_dir / "truth.jsonl").exists():
        write_corpus(text_dir, n=200, seed=2, fmt="txt")
    rows = [
        *real_rows(real),
        *real_at_scale_rows(real),
        *rate_rows(f"{len(files):,} generated PDF letters (imrml synth --format pdf, seed 0)", files, 1, True),
        *corpus_rows(letters, extra, len(files)),
        *memory_rows(files),
        *break_even_rows(files[:200], find_inputs([text_dir / "letters"])),
    ]
    save("parse", {"machine_note": "2 cores shared with other work: times vary by up to 1.5x", "rows": rows})


if __name__ == "__main__":
    main()
