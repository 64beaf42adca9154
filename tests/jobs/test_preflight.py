"""The checks before any work: one wording for every command that reads inputs into an output table."""

import pytest

from imrml.cli import main

# each command with its inputs and output put last, as a user types them
COMMANDS = {
    "parse": ["parse", "-q"],
    "score": ["score", "--model", "models:/outcome_case/1"],
    "precedents": ["precedents"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_says_the_same_before_any_work(command, tmp_path, fixtures_dir, capsys):
    args = COMMANDS[command]
    missing = tmp_path / "nope"
    assert main([*args, str(fixtures_dir), str(missing), "-o", str(tmp_path / "out.jsonl")]) == 2
    assert capsys.readouterr().err == f"imrml {command}: error: no such file or folder: {missing}\n"

    assert main([*args, str(fixtures_dir), "-o", str(tmp_path / "out.txt")]) == 2
    assert capsys.readouterr().err == (
        f"imrml {command}: error: output {tmp_path / 'out.txt'}: use a .jsonl, .parquet or .csv name\n"
    )

    clash = tmp_path / "out.jsonl"
    assert main([*args, str(fixtures_dir), "-o", str(clash), "--rejects", str(clash)]) == 2
    assert capsys.readouterr().err.startswith(
        f"imrml {command}: error: {clash}: the output and the rejects report would be the same file"
    )
    assert list(tmp_path.iterdir()) == []  # nothing read, nothing written


def test_a_corpus_update_checks_its_inputs_first(tmp_path, fixtures_dir, capsys):
    missing = tmp_path / "nope"
    assert main(["parse", str(fixtures_dir), str(missing), "--corpus", str(tmp_path / "corpus")]) == 2
    assert capsys.readouterr().err == f"imrml parse: error: no such file or folder: {missing}\n"
    assert list(tmp_path.iterdir()) == []
