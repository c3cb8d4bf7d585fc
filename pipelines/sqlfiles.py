"""The one loader for `sql/`: one statement per file, values bound as `$name` parameters.

One statement per file, by choice. `con.execute` on a multi-statement string binds parameters
only to its last statement; DuckDB's `extract_statements` would let a file hold several, each
bound with its own parameters. We still keep one: a file is then one named unit whose callers
`grep` finds (`"marts/delete_repository_costs"`), its parameters are exactly its caller's, and a
multi-step change (delete the period, insert the period) is written where its order and its
transaction are visible: in Python, inside `warehouse.transaction`. A file with a second
statement is refused on load.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ecrcost.arrowcols import arrow_table_of
from ecrcost.resources import sql_dir

SQL_DIR = sql_dir()


@cache
def load_sql(name: str) -> str:
    """Text of `sql/<name>.sql` (name like "staging/delete_cur_ecr_period")."""
    path = SQL_DIR / f"{name}.sql"
    text = path.read_text().strip()
    body = text.rstrip(";").strip()
    if ";" in _strip_comments_and_strings(body):
        raise ValueError(f"{path}: holds more than one statement; keep one per file")
    return body


def _strip_comments_and_strings(sql: str) -> str:
    out, i, n = [], 0, len(sql)
    while i < n:
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif sql[i] == "'":
            j = i + 1
            while j < n and not (sql[j] == "'" and not sql.startswith("''", j)):
                j += 2 if sql.startswith("''", j) else 1
            i = j + 1
        else:
            out.append(sql[i])
            i += 1
    return "".join(out)


def run(con: Any, name: str, params: dict[str, Any] | None = None) -> Any:
    """Execute `sql/<name>.sql` on a DuckDB connection with named parameters.

    DuckDB 2 refuses `con.sql(...)` while an earlier `execute` result is only partly fetched:
    fetch results whole (`fetchall`), not with a lone `fetchone`."""
    return con.execute(load_sql(name), params or {})


def arrow_table(con: Any, name: str, params: dict[str, Any]) -> Any:
    """`sql/<name>.sql`'s whole result as one Arrow table."""
    return con.sql(load_sql(name), params=params).to_arrow_table()


def records(con: Any, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Rows of `sql/<name>.sql` as dicts keyed by column name (fetched whole)."""
    cursor = run(con, name, params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def names(folder: str) -> list[str]:
    """The statement names in `sql/<folder>/`, sorted (schema files carry an order prefix)."""
    return sorted(f"{folder}/{p.stem}" for p in (SQL_DIR / folder).glob("*.sql"))


def insert_staged(con: Any, name: str, staged: Any, params: dict[str, Any] | None = None) -> None:
    """The one bulk-insert path: `staged` (an Arrow table, or a dict of equal-length column
    lists, each typed by its first non-null value: `arrowcols`, which keeps pandas out) is
    registered as the relation `staged` while `sql/<name>.sql` runs; that file reads
    it with `INSERT INTO <table> BY NAME SELECT ... FROM staged`."""
    import pyarrow as pa

    table = staged if isinstance(staged, pa.Table) else arrow_table_of(staged)
    con.register("staged", table)
    try:
        run(con, name, params)
    finally:
        con.unregister("staged")
