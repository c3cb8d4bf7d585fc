"""Where the files that ship with ecrcost are: the SQL statements, the report templates and the
base lifecycle policy.

In the repository they stand at the top level (`sql/`, `reports/`); a wheel carries copies inside
the package (`_files/sql`, `_files/reports`, put there by the build), found with
`importlib.resources`. The packaged copy wins when it exists, so an installed ecrcost never reads
a stray folder of the current directory.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


@cache
def shipped(name: str) -> Path:
    """The folder `name` (`sql` or `reports`) as installed, else as it stands in the checkout."""
    packaged = Path(str(resources.files(__package__) / "_files" / name))
    return packaged if packaged.is_dir() else _CHECKOUT / name


def sql_dir() -> Path:
    return shipped("sql")


def templates_dir() -> Path:
    return shipped("reports")


def base_policy_path() -> Path:
    """The FinOps playbook's base lifecycle policy (package data of ecrcost.lifecycle)."""
    return Path(str(resources.files(__package__) / "lifecycle" / "base_policy.json"))
