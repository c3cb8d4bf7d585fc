"""The command line as a user meets it: one line and an exit code for every mistake they make."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest
from botocore import exceptions

from ecrcost import __version__
from ecrcost.cli import aws_setup_error, build_parser, main


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_an_unknown_aws_profile_is_one_line(home, capsys):
    code = main(["inventory", "--profile", "no-such-profile", "--home", str(home)])
    assert code == 2
    assert one_error_line(capsys) == (
        "ecrcost: AWS profile 'no-such-profile' not found in the AWS config files: check "
        "--profile / AWS_PROFILE (`aws configure list-profiles` lists them)"
    )


@pytest.mark.parametrize(
    "error,expected",
    [
        ("NoCredentialsError", "no AWS credentials found: configure a profile (--profile)"),
        ("NoRegionError", "no AWS region: pass --regions"),
    ],
)
def test_aws_setup_errors_have_their_own_line(error, expected):

    assert aws_setup_error(getattr(exceptions, error)()).startswith(expected)


def test_other_errors_are_not_dressed_up():
    assert aws_setup_error(ValueError("x")) is None


@pytest.mark.parametrize(
    "argv,prog",
    [
        (["costs", "--period", "2026-10", "--bogus"], "ecrcost costs"),
        (["policy", "plan", "--bogus"], "ecrcost policy plan"),
        (["repos", "delete", "--empty", "--bogus"], "ecrcost repos delete"),
    ],
)
def test_an_unknown_option_prints_the_usage_of_its_own_command(argv, prog, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: {prog} ")
    assert err.rstrip().endswith(f"{prog}: error: unrecognized arguments: --bogus")


def test_version_as_a_command_and_as_a_flag(capsys):

    assert main(["version"]) == 0
    assert capsys.readouterr().out == f"ecrcost {__version__}\n"
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"ecrcost {__version__}\n"


def test_every_command_and_subcommand_has_a_description():

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield f"{path} {name}", child
                    yield from walk(child, f"{path} {name}")

    missing = [path for path, child in walk(build_parser(), "ecrcost") if not child.description]
    assert missing == []


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """`ecrcost policy simulate ... | head -c 1` on an output far larger than a pipe's buffer:
    no traceback, the exit code of a broken pipe."""

    images = [
        {"digest": f"sha256:{i:064x}", "tags": [], "pushed_at": "2025-01-01T00:00:00Z"}
        for i in range(3000)
    ]
    (tmp_path / "images.json").write_text(json.dumps(images))
    done = subprocess.run(
        f"{sys.executable} -m ecrcost policy simulate --images images.json --output json"
        ' | head -c 1; echo " ${PIPESTATUS[0]}"',
        shell=True,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        executable="/bin/bash",
    )
    assert done.stdout == "{ 141\n"
    assert done.stderr == ""
