"""The warehouse: one DuckDB file under the home folder, schema from `sql/schema/`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import sqlfiles

if TYPE_CHECKING:
    import duckdb


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse at `path` with every table in place."""
    import duckdb

    path = Path(path)
    if read_only and not path.exists():
        con = duckdb.connect(":memory:")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    if not read_only or not path.exists():
        ensure_schema(con)
    return con


@contextmanager
def opened(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """`with warehouse.opened(settings.warehouse_path) as con:` the one way a command holds the
    warehouse: the connection is closed however the block ends (DuckDB allows one writer)."""
    con = connect(path, read_only=read_only)
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
