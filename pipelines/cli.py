"""`ecrcost` command line: one subcommand module per stage, errors as one line + exit code.

Command modules register their parsers cheaply; heavy imports (duckdb, pyarrow, boto3) happen
inside the handlers, so `ecrcost --help` and every command start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pipelines import __version__
from pipelines.errors import EcrcostError

# Each module defines `register(subparsers)`; its parsers set `handler(args, settings) -> int`.
COMMAND_MODULES = (
    "pipelines.sample.cli",
    "pipelines.billing.cli",
    "pipelines.inventory.cli",
    "pipelines.lifecycle.cli",
    "pipelines.actions.cli",
    "pipelines.attribution.cli",
    "pipelines.findings.cli",
    "pipelines.reports.cli",
    "pipelines.orchestration.cli",
)


def home_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home", help="folder of the warehouse and backups (default $ECRCOST_HOME or ./.ecrcost)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecrcost",
        description="FinOps for Amazon ECR: what each repository costs, what to clean, "
        "and proof that the clean-up lowered the bill.",
    )
    parser.add_argument("--version", action="version", version=f"ecrcost {__version__}")
    parser.add_argument("--config", help="settings file (default ./ecrcost.toml if present)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from pathlib import Path

    from pipelines.settings import load_settings

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(vars(args), config_file=Path(args.config) if args.config else None)
        code = args.handler(args, settings)
    except EcrcostError as exc:
        print(f"ecrcost: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ecrcost: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        known = aws_setup_error(exc)
        if known is None:
            raise
        print(f"ecrcost: {known}", file=sys.stderr)
        return 2
    return int(code or 0)


def aws_setup_error(exc: BaseException) -> str | None:
    """One line for the AWS set-up mistakes a user makes (profile, credentials, region); None
    for anything else. botocore is imported only when an error is already being handled."""
    if not type(exc).__module__.startswith("botocore"):
        return None
    from botocore import exceptions as bx

    if isinstance(exc, bx.ProfileNotFound):
        return (
            f"AWS profile {exc.kwargs.get('profile')!r} not found in the AWS config files: "
            "check --profile / AWS_PROFILE (`aws configure list-profiles` lists them)"
        )
    if isinstance(exc, bx.NoCredentialsError | bx.PartialCredentialsError):
        return (
            "no AWS credentials found: configure a profile (--profile), SSO (`aws sso login`), "
            "environment variables or an instance role"
        )
    if isinstance(
        exc, bx.TokenRetrievalError | bx.SSOTokenLoadError | bx.UnauthorizedSSOTokenError
    ):
        return f"the AWS SSO session is not usable ({exc}): run `aws sso login` and try again"
    if isinstance(exc, bx.NoRegionError):
        return "no AWS region: pass --regions, or set AWS_DEFAULT_REGION or the profile's region"
    return None


if __name__ == "__main__":
    sys.exit(main())
