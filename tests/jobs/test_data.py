"""Where a job's items come from: a corpus folder gives the same records as the letters it was parsed from."""

from imrml.jobs.corpus import update_corpus
from imrml.jobs.data import load_items


def test_a_corpus_reads_as_its_letters_do(tmp_path, letters_folder):
    corpus = tmp_path / "corpus"
    update_corpus([str(letters_folder)], corpus, progress=False)
    from_letters, _ = load_items(letters_folder)
    from_corpus, source = load_items(corpus)
    assert source == str(corpus)
    key = lambda r: (r.source_file, r.item_index)  # noqa: E731
    assert sorted(from_corpus, key=key) == from_corpus  # a stable order: by letter, then item
    assert from_corpus == sorted(from_letters, key=key)
