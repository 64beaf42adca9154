"""Shared fixtures: the real letters of ../shared (and the rule when they are absent), builders of records and
experiments made here, and a tracking store of a test's own."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from imrml.learn.experiment import parse_experiment
from imrml.records.schema import Citation, ItemRecord

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IMRML_SHARED", ROOT.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def require_shared(path: Path) -> Path:
    """Return ``path``; skip the test when it is absent, or fail when IMRML_REQUIRE_SHARED=1."""
    if not path.exists():
        msg = f"{path} is absent (real letters from ../shared)"
        if os.environ.get("IMRML_REQUIRE_SHARED") == "1":
            pytest.fail(msg + " and IMRML_REQUIRE_SHARED=1")
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Letters written for the tests, in our own words (tests/fixtures)."""
    return FIXTURES


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return require_shared(SHARED / "seeds")


@pytest.fixture(scope="session")
def dwc_dir() -> Path:
    return require_shared(SHARED / "data" / "dwc-letters")


@pytest.fixture(scope="session")
def dwc_items(dwc_dir):
    """The labelled items of the 120 real letters, parsed once per session."""
    from imrml.letters.batch import parse_paths

    result = parse_paths([dwc_dir])
    assert not result.rejects, result.rejects
    return result.records


# ---------------------------------------------------------------- bad input made here


def _pdf(path, text="", user_password=None):
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.add_page()
    if text:
        pdf.set_font("helvetica", size=10)
        pdf.multi_cell(0, 5, text)
    if user_password is not None:
        pdf.set_encryption(
            owner_password="owner",
            user_password=user_password,
            encryption_method=EncryptionMethod.AES_128,
            permissions=0,
        )
    pdf.output(str(path))
    return path


def make_bad_inputs(tmp_path: Path) -> dict[str, str]:
    """Write one file of every kind the parser must reject into ``tmp_path`` (and an encrypted PDF it must
    open); return {file name: the reason it is rejected}."""
    good_pdf = _pdf(
        tmp_path / "encrypted_empty_password.pdf",
        (FIXTURES / "letter_2016.txt").read_text().replace("\f", "\n"),
        user_password="",
    )
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good_pdf.read_bytes()[: good_pdf.stat().st_size // 2])
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "garbage.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "latin1.txt").write_bytes("R\xe9sum\xe9 of an IMR letter".encode("latin-1"))
    (tmp_path / "recipe.txt").write_text("Mix flour and water.\nBake for an hour.\n")
    (tmp_path / "no_items.txt").write_text(
        "HOW THE IMR FINAL DETERMINATION WAS MADE\nSome text.\nIMR ISSUES, DECISIONS AND RATIONALES\n"
    )
    _pdf(tmp_path / "password.pdf", "Case Number: CM16-1 letter text " * 5, user_password="secret")
    _pdf(tmp_path / "scanned.pdf")
    return {
        "empty.txt": "empty file",
        "garbage.txt": "binary data",
        "latin1.txt": "not UTF-8",
        "recipe.txt": "not an IMR final determination letter",
        "no_items.txt": "no parseable disputed items",
        "password.pdf": "needs a user password",
        "scanned.pdf": "no text layer",
        "truncated.pdf": "corrupt or truncated PDF",
    }


@pytest.fixture(scope="session")
def unprivileged():
    """``unprivileged(cmd)``: ``cmd`` run so that file permissions bind it. Root reads and writes past them, so
    as root the command runs without that power (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH); a
    test can then make a folder unreadable or read-only (chmod) whoever runs it."""

    def wrap(cmd: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return list(cmd)
        return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *cmd]

    return wrap


@pytest.fixture(scope="session")
def generated_pdfs(tmp_path_factory) -> Path:
    """A folder of 40 generated PDF letters, made once per session (read it, do not change it)."""
    from imrml.synth.corpus import write_corpus

    return write_corpus(tmp_path_factory.mktemp("generated_pdf"), n=40, seed=3, fmt="pdf").letters_dir


@pytest.fixture
def letters_folder(tmp_path, fixtures_dir, generated_pdfs) -> Path:
    """A folder of the test's own: the text fixture letters and ten generated PDF letters."""
    folder = tmp_path / "letters"
    folder.mkdir()
    for f in [*sorted(fixtures_dir.glob("*.txt")), *sorted(generated_pdfs.glob("*.pdf"))[:10]]:
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


@pytest.fixture(scope="session")
def fixtures_over(fixtures_dir):
    """``fixtures_over(n)``: the names of the fixture letters with more than ``n`` items."""
    from imrml.letters.parse import parse_letter

    counts = {f.name: len(parse_letter(f).items) for f in sorted(fixtures_dir.glob("*.txt"))}
    return lambda n: {name for name, k in counts.items() if k > n}


class SizeSplit(NamedTuple):
    limit: int  # bytes, for --max-bytes
    over: set[str]  # the names of the fixture letters larger than the limit
    kept: Path  # a folder with copies of the others


@pytest.fixture(scope="session")
def fixtures_by_size(fixtures_dir, tmp_path_factory) -> SizeSplit:
    """The fixture letters split by a --max-bytes limit that two of the five exceed: the limit flags' tests
    compare a run with the flag on all letters against a run without it on the others."""
    limit = 4_000
    over = {f.name for f in fixtures_dir.glob("*.txt") if f.stat().st_size > limit}
    assert len(over) == 2
    kept = tmp_path_factory.mktemp("under_max_bytes")
    for f in fixtures_dir.glob("*.txt"):
        if f.name not in over:
            shutil.copy(f, kept)
    return SizeSplit(limit, over, kept)


@pytest.fixture(scope="session")
def bad_inputs():
    """``bad_inputs(folder)``: write every kind of bad letter file there; returns {name: reason}."""
    return make_bad_inputs


# ---------------------------------------------------------------- records and experiments made here

ITEMS = [
    ("Norco 10/325 mg #90", "Opioids"),
    ("Soma 350 mg #60", "Muscle relaxants"),
    ("MRI of the lumbar spine", "Imaging/special studies"),
    ("Physical therapy 2x6 for the neck", "Physical medicine"),
    ("Lidoderm patches #30", "Topical analgesics"),
    ("Lumbar epidural steroid injection L4-L5", "Injections"),
]
SPECIALTIES = ["Orthopedic Surgery", "Physical Medicine & Rehabilitation", "Anesthesiology", "Family Practice"]
FILLER = (
    "The applicant reported ongoing complaints of pain. The attending provider continued medications. "
    "The applicant was placed off of work. Earlier notes were reviewed."
)


def build_records(n_letters: int = 60, seed: int = 0, overturn_rate: float = 0.25) -> list[ItemRecord]:
    """Labelled item records with varied text, made here so a test needs no parser or generator."""
    rng = random.Random(seed)
    out = []
    for k in range(n_letters):
        month = 1 + k * 12 // n_letters
        case = f"CM16-{k:07d}"
        for idx in range(1, rng.choice([1, 1, 2, 3]) + 1):
            item, topic = rng.choice(ITEMS)
            over = rng.random() < overturn_rate
            fam = rng.choice(["MTUS", "MTUS", "ODG", "MTUS+ODG"])
            cfam = fam if rng.random() < 0.7 else rng.choice(["MTUS", "ODG", "none"])
            src = {"MTUS": ["MTUS"], "ODG": ["ODG"], "MTUS+ODG": ["MTUS", "ODG"], "none": []}
            cues = (
                "The applicant reported functional improvement and a return to work. "
                if over
                else "There was no documentation of functional improvement with long-term use. "
            )
            verdict = "medically necessary" if over else "not medically necessary"
            rationale = (
                f"{cues}{FILLER} The guideline on {topic.lower()} was applied to {item}. "
                f"Therefore, the request for {item} is {verdict}."
            )
            out.append(
                ItemRecord(
                    source_file=f"{case}.txt",
                    case_id=case,
                    template="2016",
                    decision_date=f"2016-{month:02d}-{rng.randint(1, 28):02d}",
                    ur_denial_date=f"2015-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    date_of_injury=f"20{rng.randint(5, 14):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    priority=rng.choice(["standard", "expedited"]),
                    reviewer_specialties=[rng.choice(SPECIALTIES)],
                    reviewer_licensure=["California"],
                    patient_age=rng.randint(25, 70),
                    patient_sex=rng.choice(["male", "female"]),
                    case_summary=f"The applicant is a represented {rng.randint(25, 70)}-year-old. {FILLER} "
                    f"The claims administrator failed to approve {item}."
                    + (" The applicant was working." if over and rng.random() < 0.6 else ""),
                    item_index=idx,
                    item=item,
                    decision="Overturned" if over else "Upheld",
                    claims_guideline_text=f"{' and '.join(src[cfam]) or 'none cited'} {topic}",
                    reviewer_guideline_text=f"{' and '.join(src[fam])} {topic}",
                    claims_guideline=[Citation(source=s, text=f"{s} {topic}") for s in src[cfam]],
                    reviewer_guideline=[Citation(source=s, text=f"{s} {topic}") for s in src[fam]],
                    rationale=rationale,
                    guideline_family=fam,
                    guideline_topic=topic,
                    claims_guideline_family=cfam,
                    claims_guideline_topic=topic if cfam != "none" else None,
                )
            )
    return out


def items_table(records):
    """An Arrow table of item records, as the report job hands it to the report."""
    import pyarrow as pa

    return pa.Table.from_pylist([r.to_dict() if isinstance(r, ItemRecord) else dict(r) for r in records])


@pytest.fixture(scope="session")
def make_items_table():
    """``make_items_table(records)``: the records as one Arrow table."""
    return items_table


def build_citation_sample() -> list[ItemRecord]:
    """Three items whose citations cover the summary's cases: a page-only MTUS citation, an unmapped section,
    MTUS with ODG, a topic taken from the item, and no evidence cited."""
    from imrml.letters.labels import label_items

    cp = "Chronic Pain Medical Treatment Guidelines"

    def record(**kw) -> ItemRecord:
        return ItemRecord(
            **{
                "source_file": "x.txt",
                "case_id": "CM16-0000001",
                "template": "2016",
                "item": "Norco 10/325mg #90",
                **kw,
            }
        )

    def odg(section: str) -> Citation:
        return Citation("ODG", "Official Disability Guidelines", None, [section], [], "")

    return label_items(
        [
            record(
                reviewer_guideline_text="t",
                reviewer_guideline=[Citation("MTUS", cp, None, [], [24], "")],
                claims_guideline_text="t",
                claims_guideline=[Citation("MTUS", "Elbow Complaints", None, ["Radial Head Fracture"], [], "")],
            ),
            record(
                item="MRI of the lumbar spine",
                reviewer_guideline_text="t",
                reviewer_guideline=[
                    Citation("MTUS", "Low Back Complaints", None, ["Special Studies"], [], ""),
                    odg("Low Back, MRI"),
                ],
                claims_guideline_text="t",
                claims_guideline=[odg("Low Back Chapter")],
            ),
            record(
                item="Sit-stand workstation",
                reviewer_guideline_text="t",
                reviewer_guideline=[Citation("none", text="The reviewer did not cite any medical evidence.")],
                claims_guideline_text="t",
                claims_guideline=[Citation("MTUS", "Low Back Complaints", None, [], [], "")],
            ),
        ]
    )


@pytest.fixture
def citation_sample() -> list[ItemRecord]:
    """Three labelled items covering the labels summary's cases (:func:`build_citation_sample`)."""
    return build_citation_sample()


@pytest.fixture(scope="session")
def make_records():
    """``make_records(n_letters=60, seed=0, overturn_rate=0.25)``: labelled records made here."""
    return build_records


# Small features so a test fits in a fraction of a second.
SMALL_FEATURES = {"word_ngrams": [1, 2], "char_ngrams": [3, 4], "max_features": 2000}


def build_experiment(
    name: str = "exp",
    view: str = "case",
    target: str = "outcome",
    kind: str = "logreg",
    features: dict | None = None,
    model: dict | None = None,
    **sections,
):
    """An Experiment from keyword arguments, as an experiment file would give it (small features by default)."""
    model_table = {"kind": kind}
    if model:
        model_table[kind] = dict(model)
    doc = {
        "experiment": {"name": name, "view": view, "target": target},
        "features": dict(SMALL_FEATURES if features is None else features),
        "model": model_table,
    }
    for section, table in sections.items():
        doc[section] = dict(table)
    return parse_experiment(doc, f"{name}.toml", text=f"# {name}\n")


@pytest.fixture(scope="session")
def make_experiment():
    """``make_experiment(name, view, target, kind, features=None, model=None, **sections)``."""
    return build_experiment


@pytest.fixture
def tracking_home(tmp_path, monkeypatch):
    """A project folder of the test's own (IMRML_HOME: sqlite store and artifacts there; no MLflow URI from
    outside), as the current folder."""
    _own_store(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def module_tracking_home(tmp_path_factory):
    """The same for every test of a module (one store shared by a module's runs)."""
    home = tmp_path_factory.mktemp("tracking")
    with pytest.MonkeyPatch.context() as mp:
        _own_store(mp, home)
        yield home


def _own_store(mp: pytest.MonkeyPatch, home: Path) -> None:
    mp.setenv("IMRML_HOME", str(home))
    mp.delenv("MLFLOW_TRACKING_URI", raising=False)
    mp.delenv("MLFLOW_REGISTRY_URI", raising=False)
    mp.chdir(home)


@pytest.fixture
def parse_worker_pids(monkeypatch) -> list[int]:
    """The process id of the parse worker (:mod:`imrml.letters.pool`) each letter was sent to, in the order sent:
    how a test sees how many workers really parsed (a list the test may clear between runs)."""
    from imrml.letters import pool

    sent: list[int] = []
    send = pool._Worker.send

    def recorded(worker, number, task):
        sent.append(worker.proc.pid)
        return send(worker, number, task)

    monkeypatch.setattr(pool._Worker, "send", recorded)
    return sent
