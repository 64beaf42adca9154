"""The imrml command: every subcommand's help, the limit flags where letters are read, one error policy."""

from __future__ import annotations

import pytest

from imrml.cli import build_parser, main

COMMANDS = ("parse", "labels", "synth", "train", "evaluate", "compare", "promote", "score", "report", "precedents",
            "demo")  # fmt: skip
READS_LETTERS = ("parse", "train", "evaluate", "promote", "score", "report", "precedents")


def test_the_commands_are_those_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert tuple(sub.choices) == COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_help_renders_without_format_escapes(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ") and "%%" not in out  # argparse formats help= strings, not descriptions
    assert ("--max-pages" in out) == (command in READS_LETTERS)


def test_a_users_mistake_is_one_line_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    assert main(["labels", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("imrml labels: error: ") and str(missing) in err[0]
