"""The error policy's redaction: no credential in a URI reaches the terminal, whatever writes it."""

import logging
import sys
import traceback

from imrml.records.errors import redact, redacted_output

URI = "http://alice:s3cret@mlflow.example:5000/api"


def test_redact_keeps_the_user_and_host_and_drops_the_password():
    assert redact(f"cannot reach {URI}") == "cannot reach http://alice:***@mlflow.example:5000/api"
    assert redact("postgresql://mlflow:pw@db:5432/mlflow and s3://bucket/x") == (
        "postgresql://mlflow:***@db:5432/mlflow and s3://bucket/x"
    )


def test_a_user_name_alone_is_the_secret_and_is_masked_whole():
    """A token passed as the user (https://TOKEN@host) used to show as https://TOKEN:***@host."""
    assert redact("pushing to https://ghp_t0ken@github.com/org/repo.git") == (
        "pushing to https://***@github.com/org/repo.git"
    )
    assert redact("http://tok@mlflow.example:5000/api and http://:pw@host/") == (
        "http://***@mlflow.example:5000/api and http://:***@host/"
    )
    assert redact("mail alice@example.org or see http://host/a@b") == "mail alice@example.org or see http://host/a@b"
    assert redact("http://alice:p@ss@mlflow.example/x@y") == "http://alice:***@mlflow.example/x@y"


def test_prints_log_lines_and_tracebacks_are_redacted(capsys):
    log = logging.getLogger("imrml.test_errors")
    handler = None
    with redacted_output():
        handler = logging.StreamHandler(sys.stderr)  # as MLflow's and basicConfig's handlers are made
        log.addHandler(handler)
        print(f"run at {URI}")
        log.warning("server %s", URI)
        traceback.print_exception(ConnectionError(f"retrying {URI}"))  # a bug's traceback
    log.removeHandler(handler)
    out, err = capsys.readouterr()
    assert "s3cret" not in out + err
    assert "alice:***@mlflow.example" in out and err.count("alice:***@mlflow.example") == 2
