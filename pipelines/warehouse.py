"""The warehouse: one DuckDB file under the home folder, schema from `sql/schema/`."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ecrcost import sqlfiles
from ecrcost.errors import EcrcostError, UserError

if TYPE_CHECKING:
    import duckdb


# DuckDB lets one process write a file: another ecrcost run (or a DuckDB client) holding it is
# waited for this long, then named in the error.
LOCK_WAIT_SECONDS = 10.0
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)")
# DuckDB's own default is 80% of the machine's memory; a year of hourly lines for 10,000
# repositories then held over 6 GB (bench/pipeline.py). Beyond the limit DuckDB spills to
# `<warehouse>.tmp`, next to the warehouse file under the home.
DEFAULT_MEMORY_LIMIT = "2GB"
_MEMORY = re.compile(r"(?i)\s*(\d+(\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*")


def memory_limit_of(text: str) -> str:
    """A DuckDB memory limit checked here (`4GB`, `512MiB`, `1.5GB`), so a typo is one line
    naming the setting, not a DuckDB error at the first connection."""
    m = _MEMORY.fullmatch(text)
    if not m or float(m[1]) <= 0:
        raise ValueError(f"{text!r} is not an amount of memory such as 4GB or 512MiB")
    return f"{m[1]}{m[3].upper().replace('I', 'i')}"


def connect(
    path: Path | str,
    read_only: bool = False,
    lock_wait: float | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse at `path` with every table in place, DuckDB
    held to `memory_limit` (the `duckdb_memory_limit` setting)."""
    import duckdb

    path = Path(path)
    if read_only and not path.exists():
        con = duckdb.connect(":memory:")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        lock_wait = LOCK_WAIT_SECONDS if lock_wait is None else lock_wait
        deadline = time.monotonic() + lock_wait
        while True:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                if "Could not set lock" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise EcrcostError(_lock_message(path, str(exc), lock_wait)) from None
                time.sleep(0.2)
        if created and path.is_file():  # the bill and inventory are the owner's (not the umask's)
            os.chmod(path, 0o600)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = $limit", {"limit": memory_limit})
    if not read_only or not path.exists():
        ensure_schema(con)
    return con


def _lock_message(path: Path, error: str, waited: float) -> str:
    holder = _LOCK_HOLDER.search(error)
    who = "another process"
    if holder:
        who = f"process {holder['pid']} ({_command_of(holder['pid']) or holder['program']})"
    return (
        f"{path}: the warehouse is held by {who}; waited {waited:.0f} s. Try again when it "
        "has finished, or use another --home"
    )


def _command_of(pid: str) -> str | None:
    """The command line of a local process, when the system shows it (Linux /proc)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    if not words:
        return None
    # One line however the command was written (a `python -c` script spans several).
    return " ".join(" ".join([Path(words[0]).name, *words[1:]]).split())[:120]


@contextmanager
def opened(
    path: Path | str,
    read_only: bool = False,
    must_exist: bool = False,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """`with warehouse.opened(settings.warehouse_path) as con:` the one way a command holds the
    warehouse: the connection is closed however the block ends (DuckDB allows one writer).
    `must_exist` for commands that only work on loaded data: a mistyped --home is one line,
    not a new empty warehouse."""
    if must_exist and not Path(path).exists():
        raise UserError(
            f"{path}: no warehouse here; load a bill (ecrcost ingest) or an inventory "
            "(ecrcost inventory) first, or pass the right --home"
        )
    con = connect(path, read_only=read_only, memory_limit=memory_limit)
    try:
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name in sqlfiles.names("schema"):
        sqlfiles.run(con, name)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """All or nothing: a failed load leaves the warehouse as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
