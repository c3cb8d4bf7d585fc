"""`ecrcost` command line: one subcommand module per stage, errors as one line + exit code.

Command modules register their parsers cheaply; heavy imports (duckdb, pyarrow, boto3) happen
inside the functions that use them, so `ecrcost --help` and every command start fast.

`policy` and `repos` gather sub-commands of two stages (lifecycle: validate, simulate, plan;
actions: apply, restore, export, repos delete): their parsers are made here, so neither stage's
CLI imports the other's.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from ecrcost import __version__
from ecrcost.actions import cli as actions_cli
from ecrcost.errors import EcrcostError
from ecrcost.findings import cli as findings_cli
from ecrcost.lifecycle import cli as lifecycle_cli
from ecrcost.settings import load_settings

# Each module defines `register(subparsers)`; its parsers set `handler(args, settings) -> int`.
# Imported by name while their modules still import `home_option` from here (lead: import them at
# the top once `home_option` is gone).
COMMAND_MODULES = (
    "ecrcost.sample.cli",
    "ecrcost.billing.cli",
    "ecrcost.inventory.cli",
    "ecrcost.attribution.cli",
    "ecrcost.reports.cli",
    "ecrcost.orchestration.cli",
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
        importlib.import_module(name).register(sub)
    findings_cli.register(sub)
    actions_cli.register(sub)
    policy = sub.add_parser(
        "policy", help="lifecycle policies: validate, simulate, plan, apply, restore, export"
    )
    policy_sub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND", required=True)
    lifecycle_cli.register_policy_commands(policy_sub)
    actions_cli.register_policy_commands(policy_sub)
    repos = sub.add_parser("repos", help="act on whole repositories")
    actions_cli.register_repos_commands(
        repos.add_subparsers(dest="repos_command", metavar="ACTION", required=True)
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
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
