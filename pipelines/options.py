"""Command-line options that several commands share, defined once as argparse parent parsers.

`subparsers.add_parser(name, parents=[options.home(), options.aws()])`: the dest of each option
is the name of the setting it overrides, so `load_settings(vars(args))` picks them up.
"""

from __future__ import annotations

import argparse

OUTPUT_FORMATS = ("table", "json", "csv")


def _parent() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)


def _option(*flags: str, **kwargs) -> argparse.ArgumentParser:
    """A parent parser holding one option."""
    p = _parent()
    p.add_argument(*flags, **kwargs)
    return p


def home() -> argparse.ArgumentParser:
    return _option(
        "--home", help="folder of the warehouse and backups (default $ECRCOST_HOME or ./.ecrcost)"
    )


def aws() -> argparse.ArgumentParser:
    """How to reach AWS: the same five options on every command that calls it."""
    p = _parent()
    g = p.add_argument_group("AWS")
    g.add_argument("--profile", dest="aws_profile", help="AWS profile (default: standard chain)")
    g.add_argument(
        "--regions",
        "--region",
        dest="regions",
        help="'all' (every region enabled for the account) or r1,r2 "
        "(default: the profile's region)",
    )
    g.add_argument("--accounts", help="account ids ID,... to reach through --role-name")
    g.add_argument("--role-name", dest="role_name", help="role assumed in each listed account")
    g.add_argument("--external-id", dest="external_id", help="external id for that role")
    return p


def repositories(required: bool = False) -> argparse.ArgumentParser:
    """Which repositories: name globs to include (all when none) and to leave out."""
    p = _parent()
    p.add_argument(
        "--repositories", nargs="+", metavar="GLOB", required=required, help="names to include"
    )
    p.add_argument("--exclude", nargs="+", metavar="GLOB", help="names to leave out")
    return p


def output(choices: tuple[str, ...] = OUTPUT_FORMATS, default: str = "table"):
    """`--output/-o` (alias `--format`) for commands that print data."""
    return _option(
        "-o",
        "--output",
        "--format",
        dest="output",
        choices=choices,
        default=default,
        help=f"output format (default {default})",
    )


def policy() -> argparse.ArgumentParser:
    """`--policy FILE`: the lifecycle policy a command plans, simulates, applies or exports."""
    return _option(
        "--policy", metavar="FILE", help="lifecycle policy JSON (default: the playbook base policy)"
    )


def snapshot() -> argparse.ArgumentParser:
    """`--snapshot ID`: the inventory snapshot to work from (default: the newest complete one)."""
    return _option(
        "--snapshot",
        metavar="ID",
        help="inventory snapshot to use (default: the newest complete one; "
        "`ecrcost snapshots` lists them)",
    )


def dry_run() -> argparse.ArgumentParser:
    """`--dry-run`: say what a write would do; write nothing (no AWS call, no backup)."""
    return _option(
        "--dry-run", action="store_true", help="show what would be done and write nothing (exit 0)"
    )


def period(required: bool = False) -> argparse.ArgumentParser:
    """`--period YYYY-MM`; when not required, the default is the last closed month."""
    return _option(
        "--period",
        required=required,
        metavar="YYYY-MM",
        help="billing period" + ("" if required else " (default: the last closed month)"),
    )


def writes() -> argparse.ArgumentParser:
    """A command that writes to AWS: the AWS options, --dry-run and --yes, always together."""
    yes = _option("--yes", action="store_true", help="do not ask for confirmation")
    return argparse.ArgumentParser(add_help=False, parents=[aws(), dry_run(), yes])


def inventory_repositories() -> argparse.ArgumentParser:
    """Repositories of an inventory snapshot: the name globs and --snapshot."""
    return argparse.ArgumentParser(add_help=False, parents=[repositories(), snapshot()])
