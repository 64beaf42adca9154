"""The corpus job (``imrml parse LETTERS --corpus DIR``): bring a corpus up to date with letter folders.

Only what is new or changed is parsed. A file whose size and modification time match its index row, read by
the same parser, is not even opened; any other file is hashed (SHA-256), and its content decides: the same
content as its row's (touched, not changed) stays; the same content as another file of the corpus is one
letter, recorded as a duplicate of it; anything else is parsed. A file that cannot be read (no permission) is
rejected with the reason, and looked at again by every run until it can be (a chmod leaves its time as it
was). A new parser version (:mod:`imrml.letters.version`) parses every letter again, and the run says so. A
file rejected for a per-file limit is tried again when the limits differ. Files gone from the folders stay in
the corpus unless ``prune`` removes them. What the folders hold that cannot be searched (an unreadable
folder, a dangling link, a special file) is not in the index, which keeps files; each run lists its own in
``rejects.jsonl`` with the index's rejects.

Parsed letters are committed in batches (:class:`~imrml.records.corpus.Corpus`): a killed run loses at most
the batch in flight, and the next run parses exactly the letters not committed.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..letters.batch import iter_outcomes
from ..letters.limits import DEFAULT_LIMITS, Limits
from ..letters.version import parser_version
from ..records.corpus import (
    DUPLICATE,
    HASH_COLUMN,
    PARSED,
    PENDING,
    REJECTED,
    Corpus,
    Entry,
    partition_of,
    write_report,
)
from ..records.schema import Reject
from ..records.tables import find_inputs
from .preflight import check_inputs
from .rejects import SHOWN

COMMIT_LETTERS = 1_000  # letters per transaction: what a killed run can lose, and the size of new parts
COMMIT_ITEMS = 20_000
MAX_PARTS = 8  # parts a partition may have before a run merges them into one


@dataclass
class Found:
    """A letter file on disk."""

    key: str  # its path relative to the corpus folder: the index's key
    file: Path  # as named from the command line
    size: int
    mtime_ns: int
    sha256: str = ""  # once hashed; stays empty for a file that could not be read
    unreadable: str | None = None  # why it could not be read (hashed), if so


@dataclass
class Plan:
    """What a run will do, decided before any letter is parsed."""

    parse: list[Found] = field(default_factory=list)
    settled: list[Entry] = field(default_factory=list)  # index rows to write without parsing (touched, duplicates)
    unreadable: list[Entry] = field(default_factory=list)  # files that could not be read: rejected, in settled too
    remove: set[str] = field(default_factory=set)  # content hashes whose items leave the corpus
    requeue: list[str] = field(default_factory=list)  # entries whose items are removed, to be parsed again
    forget: list[str] = field(default_factory=list)  # entries pruned
    missing: list[str] = field(default_factory=list)  # entries whose files are gone, kept (no prune)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # new, changed, stale, ...
    stale_version: str | None = None  # the older parser version found in the index, if any


@dataclass
class RunResult:
    plan: Plan
    parsed: int = 0
    items: int = 0
    rejected: list[Entry] = field(default_factory=list)
    duplicates: list[Entry] = field(default_factory=list)
    removed_items: int = 0
    merged: int = 0
    seconds: float = 0.0
    unsearchable: list[Reject] = field(default_factory=list)  # found in the folders but not searchable: not indexed
    totals: dict[str, int] = field(default_factory=dict)  # the corpus after the run: files by status, items
    owners: dict[str, str] = field(default_factory=dict)  # index key -> source file, of the duplicates' originals


def scan(roots: list[str], corpus_dir: Path, unsearchable: list[Reject]) -> dict[str, Found]:
    """Every letter file under ``roots``, keyed by its path relative to the corpus folder; what cannot be
    searched (an unreadable folder, a dangling link) goes to ``unsearchable``."""
    base = os.path.abspath(corpus_dir)
    found = {}
    for f in find_inputs(roots, rejects=unsearchable):
        try:
            st = f.stat()
        except OSError:
            continue  # vanished since it was listed
        key = os.path.relpath(os.path.abspath(f), base)
        found[key] = Found(key, f, st.st_size, st.st_mtime_ns)
    return found


def content_hash(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def hash_or_reason(found: Found) -> None:
    """Set the file's content hash, or (a file it may not read, a read error) why it could not be read: the
    reject reason a parse gives such a file (:func:`imrml.letters.worker.outcome`)."""
    try:
        found.sha256 = content_hash(found.file)
    except OSError as e:
        found.unreadable = f"cannot read: {e.strerror or e}"


def under(key: str, roots: list[str], corpus_dir: Path) -> bool:
    """True when the indexed file ``key`` lies under one of ``roots`` (what a run may prune)."""
    target = os.path.normpath(os.path.join(os.path.abspath(corpus_dir), key))
    for root in map(os.path.abspath, roots):
        if target == root or target.startswith(root.rstrip(os.sep) + os.sep):
            return True
    return False


def needs_look(entry: Entry | None, found: Found, version: str, limits_json: str) -> bool:
    """False when the index row already says all there is to say about the file: same size and time, and
    (for a letter parsed or rejected) the same parser, and for a limit reject the same limits."""
    if entry is None or (entry.size, entry.mtime_ns) != (found.size, found.mtime_ns):
        return True
    if is_unreadable(entry):  # its permission may have changed, which leaves its time as it was
        return True
    if entry.status == DUPLICATE:
        return False
    if entry.status == PENDING or entry.parser_version != version:
        return True
    return entry.status == REJECTED and entry.limit_name is not None and entry.limits != limits_json


def is_unreadable(entry: Entry) -> bool:
    """True for an index row of a file rejected because it could not be read (it has no content hash)."""
    return entry.status == REJECTED and not entry.sha256


def same_letter(entry: Entry, found: Found, version: str, limits_json: str) -> bool:
    """True when a file looked at holds what its index row says (only its time or size on disk moved)."""
    if entry.sha256 != found.sha256:
        return False
    if entry.status == DUPLICATE:
        return True
    if entry.parser_version != version:
        return False
    return entry.status == PARSED or (
        entry.status == REJECTED and (entry.limit_name is None or entry.limits == limits_json)
    )


def plan_run(
    corpus: Corpus, roots: list[str], version: str, limits: Limits, prune: bool, found: dict[str, Found]
) -> Plan:
    """Decide what to parse, what to remove, what to record as it is."""
    plan = Plan()
    entries = corpus.entries()
    limits_json = limits.to_json()
    look = [f for k, f in sorted(found.items()) if needs_look(entries.get(k), f, version, limits_json)]
    for f in look:
        hash_or_reason(f)
    plan.counts["unchanged"] = len(found) - len(look)
    plan_gone(plan, entries, found, roots, corpus.root, prune)
    claims = plan_looked_at(plan, entries, look, version, limits_json)
    plan_owners(plan, entries, found, claims, version)
    return plan


def plan_gone(
    plan: Plan, entries: dict[str, Entry], found: dict[str, Found], roots: list[str], root: Path, prune: bool
) -> None:
    """Files of the corpus gone from the folders given: pruned (their items removed) or only counted."""
    for key, e in sorted(entries.items()):
        if key in found or not under(key, roots, root):
            continue
        if not prune:
            plan.missing.append(key)
            continue
        plan.forget.append(key)
        if e.status == PARSED:
            plan.remove.add(e.sha256)


def plan_looked_at(
    plan: Plan, entries: dict[str, Entry], look: list[Found], version: str, limits_json: str
) -> list[tuple[int, Found]]:
    """Files that were looked at: rejected when they could not be read, only re-timed (settled), or claims on
    their content (new, changed, read by an older parser, rejected under other limits, or left pending by a run
    that stopped); the old items of a changed or unreadable file go. A claim is (0, file) for a file that held
    its content before, so that it keeps it; else (1, file)."""
    claims = []
    for f in look:
        e = entries.get(f.key)
        if f.unreadable is not None:
            plan_unreadable(plan, e, f, version)
            continue
        if e is not None and same_letter(e, f, version, limits_json):
            plan.settled.append(replace(e, size=f.size, mtime_ns=f.mtime_ns))
            plan.counts["touched"] += 1
            continue
        plan.counts[change_kind(e, f, version)] += 1
        if e is not None and e.parser_version != version and e.status in (PARSED, REJECTED):
            plan.stale_version = e.parser_version
        if e is not None and e.status == PARSED:
            plan.remove.add(e.sha256)
            plan.requeue.append(e.path)
        claims.append((0 if e is not None and e.status in (PARSED, REJECTED, PENDING) else 1, f))
    return claims


def plan_unreadable(plan: Plan, entry: Entry | None, found: Found, version: str) -> None:
    """A file that could not be read: rejected with the reason; the items it had go (what it holds now is
    unknown), and it holds no content, so that a duplicate of what it held stands for it."""
    plan.counts[change_kind(entry, found, version)] += 1
    if entry is not None and entry.status == PARSED:
        plan.remove.add(entry.sha256)
        plan.requeue.append(entry.path)
    rejected = new_entry(found, version, REJECTED, reason=found.unreadable)
    plan.settled.append(rejected)
    plan.unreadable.append(rejected)


def change_kind(entry: Entry | None, found: Found, version: str) -> str:
    """Why a file is looked at again, as the summary counts it."""
    if entry is None:
        return "new"
    if is_unreadable(entry) or found.unreadable is not None:  # no two hashes to compare: size and time tell
        if (entry.size, entry.mtime_ns) != (found.size, found.mtime_ns):
            return "changed"
    elif entry.sha256 != found.sha256:
        return "changed"
    if entry.status == PENDING:
        return "resumed"
    return "stale" if entry.parser_version != version else "retried"


def plan_owners(
    plan: Plan, entries: dict[str, Entry], found: dict[str, Found], claims: list[tuple[int, Found]], version: str
) -> None:
    """Who holds each content: the rows that stay, then the claims in order (a duplicate whose original leaves
    claims too). A claim on a content already held is a duplicate of its holder; any other is parsed."""
    leaving = set(plan.forget) | set(plan.requeue) | {f.key for _, f in claims} | {e.path for e in plan.unreadable}
    owners = {
        e.sha256: k
        for k, e in sorted(entries.items())
        if e.status in (PARSED, REJECTED) and e.sha256 and k not in leaving  # an unreadable file holds no content
    }
    for k, e in sorted(entries.items()):
        if e.status == DUPLICATE and k in found and k not in leaving and owners.get(e.sha256) != e.duplicate_of:
            found[k].sha256 = e.sha256
            claims.append((1, found[k]))
    for _, f in sorted(claims, key=lambda c: (c[0], c[1].key)):
        owner = owners.get(f.sha256)
        if owner is not None and owner != f.key:
            plan.settled.append(new_entry(f, version, DUPLICATE, duplicate_of=owner))
        else:
            owners[f.sha256] = f.key
            plan.parse.append(f)
    plan.parse.sort(key=lambda f: f.key)


def new_entry(f: Found, version: str, status: str, **kw) -> Entry:
    return Entry(
        path=f.key,
        source_file=str(f.file),
        size=f.size,
        mtime_ns=f.mtime_ns,
        sha256=f.sha256,
        parser_version=version,
        status=status,
        **kw,
    )


def update_corpus(
    roots: list[str],
    corpus_dir: str | Path,
    jobs: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    prune: bool = False,
    progress: bool = True,
    commit_letters: int = COMMIT_LETTERS,
) -> RunResult:
    """Bring the corpus at ``corpus_dir`` up to date with the letters under ``roots``; letters are committed
    ``commit_letters`` at a time (what a killed run can lose)."""
    t0 = time.perf_counter()
    corpus_dir = Path(corpus_dir)
    version = parser_version()
    with Corpus(corpus_dir) as corpus:
        unsearchable: list[Reject] = []
        found = scan(roots, corpus_dir, unsearchable)
        plan = plan_run(corpus, roots, version, limits, prune, found)
        result = RunResult(plan, rejected=list(plan.unreadable), unsearchable=unsearchable)
        result.removed_items = corpus.remove_letters(plan.remove, plan.requeue, plan.forget)
        with corpus.transaction():
            corpus.put(plan.settled)
        result.duplicates = [e for e in plan.settled if e.status == DUPLICATE]
        touched = parse_into(corpus, plan.parse, version, limits, jobs, progress, result, commit_letters)
        result.merged = corpus.compact(touched, MAX_PARTS)
        result.totals = corpus.counts()
        result.owners = write_reports(corpus, unsearchable)
    result.seconds = time.perf_counter() - t0
    return result


def parse_into(
    corpus: Corpus,
    todo: list[Found],
    version: str,
    limits: Limits,
    jobs: int | None,
    progress: bool,
    result: RunResult,
    commit_letters: int,
) -> set[str]:
    """Parse ``todo`` into the corpus, committing every ``commit_letters`` letters; the partitions written to."""
    rows: dict[str, list[dict]] = defaultdict(list)
    entries: list[Entry] = []
    touched: set[str] = set()
    n_rows = 0

    def commit() -> None:
        nonlocal rows, entries, n_rows
        written = corpus.write_parts(rows)
        for e in entries:
            if e.status == PARSED:
                e.part = written[e.part].name
        corpus.publish(list(written.values()), entries)
        touched.update(written)
        rows, entries, n_rows = defaultdict(list), [], 0

    by_file = {f.file: f for f in todo}
    limits_json = limits.to_json()
    for path, outcome in iter_outcomes([f.file for f in todo], jobs, limits, progress):
        f = by_file[path]
        if outcome.kind == "ok":
            items = outcome.value.items
            partition = partition_of(items[0].decision_date)
            rows[partition].extend({**r.to_dict(), HASH_COLUMN: f.sha256} for r in items)
            entries.append(new_entry(f, version, PARSED, items=len(items), part=partition))
            result.parsed += 1
            result.items += len(items)
            n_rows += len(items)
        else:
            e = new_entry(f, version, REJECTED, reason=outcome.value, limit_name=outcome.limit, limits=limits_json)
            entries.append(e)
            result.rejected.append(e)
        if len(entries) >= commit_letters or n_rows >= COMMIT_ITEMS:
            commit()
    if entries:
        commit()
    return touched


def write_reports(corpus: Corpus, unsearchable: list[Reject]) -> dict[str, str]:
    """rejects.jsonl and duplicates.jsonl beside the items: every file of the corpus that stands rejected, or
    repeats another, as the index says now, and what the folders of this run held that could not be searched
    (``unsearchable``: not in the index, which keeps files only). Returns the originals' source files by
    index key."""
    entries = sorted(corpus.entries().values(), key=lambda e: e.path)
    write_report(
        [  # what could not be searched first, as the -o report has it
            *(r.to_dict() for r in unsearchable),
            *({"source": e.source_file, "reason": e.reason} for e in entries if e.status == REJECTED),
        ],
        corpus.root / "rejects.jsonl",
    )
    by_path = {e.path: e for e in entries}
    write_report(
        (
            {"source": e.source_file, "duplicate_of": by_path[e.duplicate_of].source_file}
            for e in entries
            if e.status == DUPLICATE and e.duplicate_of in by_path
        ),
        corpus.root / "duplicates.jsonl",
    )
    return {e.duplicate_of: by_path[e.duplicate_of].source_file for e in entries if e.duplicate_of in by_path}


def summary(result: RunResult, corpus_dir: Path) -> list[str]:
    """The lines a run prints: what it found, what it did, what the corpus holds now."""
    c, totals = result.plan.counts, result.totals
    kinds = ("new", "changed", "stale", "retried", "resumed", "touched", "unchanged")
    seen = ", ".join(f"{c[k]:,} {k}" for k in kinds if c[k])
    lines = []
    if result.plan.stale_version:
        lines.append(
            f"parser version changed ({result.plan.stale_version} -> {parser_version()}): "
            f"parsing again {c['stale']:,} letters read by the older parser"
        )
    lines.append(
        f"{corpus_dir}: {seen or 'no letter files'}; parsed {result.parsed:,} letters into {result.items:,} "
        f"items, {len(result.rejected):,} rejected, {len(result.duplicates):,} duplicates"
        + (f", {len(result.unsearchable):,} not searchable" if result.unsearchable else "")
        + (f", {len(result.plan.forget):,} pruned" if result.plan.forget else "")
        + (f" ({result.removed_items:,} old items removed)" if result.removed_items else "")
        + f" in {result.seconds:.1f} s"
    )
    lines.append(
        f"corpus: {totals[PARSED]:,} letters, {totals['items']:,} items, {totals[REJECTED]:,} rejected, "
        f"{totals[DUPLICATE]:,} duplicates; rejects -> {corpus_dir / 'rejects.jsonl'}"
    )
    if result.plan.missing:
        lines.append(
            f"{len(result.plan.missing):,} letters of the corpus are no longer in the folders given; "
            f"--prune removes them"
        )
    return lines


def corpus_command(
    letters: list[str],
    corpus_dir: str,
    *,
    prune: bool = False,
    allow_rejects: bool = False,
    progress: bool = True,
    jobs: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> int:
    """Update the corpus, print what happened; exit status 1 when any of its files stands rejected (unless
    allowed)."""
    check_inputs(letters)
    result = update_corpus(letters, corpus_dir, jobs=jobs, limits=limits, prune=prune, progress=progress)
    for r in result.unsearchable:
        print(f"rejected: {r}", file=sys.stderr)
    for e in result.rejected[:SHOWN]:
        print(f"rejected: {e.source_file}: {e.reason}", file=sys.stderr)
    for e in result.duplicates[:SHOWN]:
        original = result.owners.get(e.duplicate_of, e.duplicate_of)
        print(f"duplicate: {e.source_file} is the same letter as {original}", file=sys.stderr)
    print("\n".join(summary(result, Path(corpus_dir))))
    return 1 if (result.totals[REJECTED] or result.unsearchable) and not allow_rejects else 0
