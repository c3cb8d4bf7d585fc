"""The command line as a user meets it: one line and an exit code for every mistake they make."""

from __future__ import annotations

import pytest

from ecrcost.cli import aws_setup_error, main


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
    from botocore import exceptions

    assert aws_setup_error(getattr(exceptions, error)()).startswith(expected)


def test_other_errors_are_not_dressed_up():
    assert aws_setup_error(ValueError("x")) is None
