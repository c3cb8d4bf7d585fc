"""Which repositories a plan or an action may touch: the user's name globs, and the exemptions
that always win. Plan, apply, restore, export and `repos delete` all ask these two functions.

- Globs (`--repositories`, `--exclude`) match the repository name, case-sensitively: a name is
  selected when it matches an include glob (every name when there is none) and no exclude glob.
- A repository is exempt when it carries the exemption tag key (settings.exemption_tag, any value)
  or its name matches an entry of settings.exempt_repositories.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ecrcost.errors import UserError
from ecrcost.inventory.snapshots import snapshot_in_use

if TYPE_CHECKING:
    from ecrcost.settings import Settings


class _Named(Protocol):
    @property
    def repository_name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def select(
    repositories: Iterable[N], include: Sequence[str] | None, exclude: Sequence[str] | None
) -> list[N]:
    """The repositories (anything with a `repository_name`) the globs select, in their order."""
    return [
        r
        for r in repositories
        if (not include or any(fnmatchcase(r.repository_name, g) for g in include))
        and not any(fnmatchcase(r.repository_name, g) for g in exclude or ())
    ]


def exempt_reason(settings: Settings, repository_name: str, tagged: bool) -> str | None:
    """Why the repository must never be written to, or None. `tagged`: it carries the exemption
    tag key in the inventory."""
    if tagged:
        return f"carries the exemption tag {settings.exemption_tag}"
    for glob in settings.exempt_repositories:
        if fnmatchcase(repository_name, glob):
            return f"matches exempt_repositories entry {glob!r}"
    return None


def use_snapshot(con: Any, snapshot_id: str | None, *, to_stderr: bool = False) -> str:
    """The snapshot a command works from (`--snapshot ID`, else `choose_snapshot`'s default):
    prints which one and what it passed over, then returns its id for the domain functions.
    `to_stderr` when standard output carries data (JSON, CSV, an export)."""
    choice = snapshot_in_use(con, snapshot_id)
    if choice is None:
        raise UserError(
            "the warehouse holds no inventory snapshot; run `ecrcost inventory` "
            "(or load the sample) first"
        )
    choice.announce(sys.stderr if to_stderr else sys.stdout)
    return choice.snapshot_id
