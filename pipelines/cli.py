"""`ecrcost` command line: one subcommand module per stage, errors as one line + exit code.

Command modules register their parsers; heavy third-party imports (duckdb, pyarrow, boto3,
dagster) happen inside the functions that use them, so `ecrcost --help` starts fast.

`policy` and `repos` gather sub-commands of two stages (lifecycle: validate, simulate, plan;
actions: apply, restore, export, repos delete): their parsers are made here, so neither stage's
CLI imports the other's.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ecrcost import __version__
from ecrcost.actions import cli as actions_cli
from ecrcost.attribution import cli as attribution_cli
from ecrcost.aws import NO_CREDENTIALS
from ecrcost.billing import cli as billing_cli
from ecrcost.errors import EcrcostError
from ecrcost.findings import cli as findings_cli
from ecrcost.inventory import cli as inventory_cli
from ecrcost.lifecycle import cli as lifecycle_cli
from ecrcost.orchestration import cli as orchestration_cli
from ecrcost.reports import cli as reports_cli
from ecrcost.sample import cli as sample_cli
from ecrcost.savings import cli as savings_cli
from ecrcost.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    """Every command, in the order of the playbook: collect, rank, act, report."""
    parser = argparse.ArgumentParser(
        prog="ecrcost",
        description="FinOps for Amazon ECR: what each repository costs, what to clean, "
        "and proof that the clean-up lowered the bill.",
    )
    parser.add_argument("--version", action="version", version=f"ecrcost {__version__}")
    parser.add_argument("--config", help="settings file (default ./ecrcost.toml if present)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sample_cli.register(sub)
    billing_cli.register(sub)
    inventory_cli.register(sub)
    attribution_cli.register(sub)
    findings_cli.register(sub)
    policy = sub.add_parser(
        "policy",
        help="lifecycle policies: validate, simulate, plan, verify, apply, restore, export",
        description="Lifecycle policies: check them, simulate and plan them over the inventory, "
        "check the simulation against AWS's preview, apply them with a backup first, put the "
        "old ones back, export them.",
    )
    policy_sub = policy.add_subparsers(dest="policy_command", metavar="SUBCOMMAND", required=True)
    lifecycle_cli.register_policy_commands(policy_sub)
    actions_cli.register_policy_commands(policy_sub)
    repos = sub.add_parser(
        "repos",
        help="act on whole repositories",
        description="Act on whole repositories (recording what is lost first).",
    )
    actions_cli.register_repos_commands(
        repos.add_subparsers(dest="repos_command", metavar="ACTION", required=True)
    )
    images = sub.add_parser(
        "images",
        help="act on single images (pin the ones in use)",
        description="Act on single images: pin them so a policy with the pin rule keeps them.",
    )
    actions_cli.register_images_commands(
        images.add_subparsers(dest="images_command", metavar="ACTION", required=True)
    )
    actions_cli.register(sub)
    savings_cli.register(sub)
    reports_cli.register(sub)
    orchestration_cli.register(sub)
    version = sub.add_parser("version", help="print the version", description="Print the version.")
    version.set_defaults(handler=_print_version)
    _own_usage_on_error(parser)
    return parser


def _print_version(args: argparse.Namespace, settings) -> int:
    print(f"ecrcost {__version__}")
    return 0


def _own_usage_on_error(parser: argparse.ArgumentParser) -> None:
    """Each (sub)command remembers its parser, so an unknown option is reported with the
    usage of the command it was given to, not the top level's."""
    parser.set_defaults(command_parser=parser)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _own_usage_on_error(child)


def _flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Each option's destination -> its long name (`athena_output_location` ->
    `--output-location`), for messages about a bad value."""
    return {a.dest: max(a.option_strings, key=len) for a in parser._actions if a.option_strings}


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse_args(parser, argv)
    try:
        settings = load_settings(
            vars(args),
            config_file=Path(args.config) if args.config else None,
            flags=_flags(args.command_parser),
        )
        code = handler_of(args)(args, settings)
    except EcrcostError as exc:
        print(f"ecrcost: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ecrcost: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`ecrcost policy plan | head`): stop quietly, as Unix tools do,
        # and keep the interpreter's final flush from reporting the same broken pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        known = aws_setup_error(exc)
        if known is None:
            raise
        print(f"ecrcost: {known}", file=sys.stderr)
        return 2
    return int(code or 0)


def handler_of(args: argparse.Namespace):
    """The command's handler. A command whose handler module is slow to import (Dagster) names
    it as "module:function"; the module is imported here, when that command runs."""
    handler = args.handler
    if isinstance(handler, str):
        module, _, name = handler.partition(":")
        handler = getattr(importlib.import_module(module), name)
    return handler


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
        return NO_CREDENTIALS
    if isinstance(
        exc, bx.TokenRetrievalError | bx.SSOTokenLoadError | bx.UnauthorizedSSOTokenError
    ):
        return f"the AWS SSO session is not usable ({exc}): run `aws sso login` and try again"
    if isinstance(exc, bx.NoRegionError):
        return "no AWS region: pass --regions, or set AWS_DEFAULT_REGION or the profile's region"
    return None


if __name__ == "__main__":
    sys.exit(main())
