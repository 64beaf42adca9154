"""Many letters: the same outcomes in the same order whatever the number of workers; small text inputs in process."""

from imrml.letters import batch
from imrml.letters.batch import iter_outcomes, parse_paths, workers_for
from imrml.letters.limits import Limits
from imrml.records.tables import find_inputs


def _outcomes(files, jobs):
    return [
        (f.name, o.kind, [r.to_dict() for r in o.value.items] if o.kind == "ok" else o.value)
        for f, o in iter_outcomes(files, jobs)
    ]


def test_two_workers_one_worker_and_in_process_give_the_same_outcomes(
    letters_folder, bad_inputs, monkeypatch, parse_worker_pids
):
    bad_inputs(letters_folder)
    files = find_inputs([letters_folder])
    monkeypatch.setattr(batch, "FILES_PER_WORKER", 4)  # these ~24 files would start one worker, not two
    one = _outcomes(files, 1)
    assert len(set(parse_worker_pids)) == 1
    assert [name for name, *_ in one] == [f.name for f in files]
    assert {kind for _, kind, _ in one} == {"ok", "reject"}
    parse_worker_pids.clear()
    assert _outcomes(files, 2) == one
    assert len(set(parse_worker_pids)) == 2  # two worker processes each parsed letters
    parse_worker_pids.clear()
    assert _outcomes(files, 0) == one
    assert parse_worker_pids == []  # in this process


def test_workers_only_where_they_pay(tmp_path, fixtures_dir, generated_pdfs):
    texts = sorted(fixtures_dir.glob("*.txt"))
    pdfs = sorted(generated_pdfs.glob("*.pdf"))
    assert workers_for(texts, 4) == 0  # a few text letters: in this process
    assert workers_for(pdfs[:1], 4) == 1  # a PDF is always read in a worker, where its limits hold
    assert workers_for(pdfs, 4) == 2  # 40 letters pay for two
    assert workers_for(pdfs, 1) == 1
    assert workers_for(pdfs, 0) == 0
    renamed = tmp_path / "letter.txt"  # a PDF named .txt is still read as a PDF
    renamed.write_bytes(pdfs[0].read_bytes())
    assert workers_for([renamed], 4) == 1


def test_parse_paths_holds_the_batch_to_the_limits(fixtures_dir, fixtures_over):
    result = parse_paths([fixtures_dir], limits=Limits(max_items=2))
    assert {r.source.rsplit("/", 1)[-1] for r in result.rejects} == fixtures_over(2)
    assert all("--max-items" in r.reason for r in result.rejects)
    assert result.n_letters == result.n_files - len(fixtures_over(2)) > 0
