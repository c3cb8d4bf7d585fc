"""The warehouse file: one writer at a time, and a clear line when another process holds it."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from ecrcost import warehouse
from ecrcost.cli import main
from ecrcost.errors import EcrcostError
from ecrcost.orchestration.resources import EcrcostResource

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(30)
"""


@pytest.fixture
def held(home):
    """Another process holding the warehouse file open for writing."""
    home.mkdir(parents=True)
    path = home / "warehouse.duckdb"
    warehouse.connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    yield path, holder.pid
    holder.kill()
    holder.wait()


def test_a_held_warehouse_names_the_holder_after_the_wait(held):
    path, pid = held
    started = time.monotonic()
    with pytest.raises(EcrcostError) as caught:
        warehouse.connect(path, lock_wait=0.5)
    assert time.monotonic() - started >= 0.5
    message = str(caught.value)
    assert message.startswith(f"{path}: the warehouse is held by process {pid} (python")
    assert message.endswith("waited 0 s. Try again when it has finished, or use another --home")
    assert "\n" not in message


def test_the_command_line_reports_the_lock_in_one_line(held, home, capsys, monkeypatch):
    monkeypatch.setattr(warehouse, "LOCK_WAIT_SECONDS", 0.3)
    code = main(["costs", "--period", "2026-10", "--home", str(home)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert len(err) == 1 and "the warehouse is held by process" in err[0]


def test_the_lock_is_waited_for_when_it_is_released_in_time(home):
    home.mkdir(parents=True)
    path = home / "warehouse.duckdb"
    warehouse.connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.replace("time.sleep(30)", "time.sleep(1)"), str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    con = warehouse.connect(path, lock_wait=20)
    con.close()
    holder.wait()


def test_a_mistyped_home_is_one_line_and_creates_nothing(tmp_path, capsys):
    home = tmp_path / "typo"
    assert main(["findings", "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        f"ecrcost: {home / 'warehouse.duckdb'}: no warehouse here; load a bill (ecrcost ingest) "
        "or an inventory (ecrcost inventory) first, or pass the right --home\n"
    )
    assert not home.exists()


def _setting(con, name: str) -> str:
    return con.execute("SELECT current_setting($name)", {"name": name}).fetchone()[0]


def test_duckdb_is_held_to_the_memory_limit_and_spills_under_the_home(home):
    with warehouse.opened(home / "warehouse.duckdb", memory_limit="300MB") as con:
        assert _setting(con, "memory_limit") == "286.1 MiB"  # DuckDB shows 300 MB in MiB
        assert _setting(con, "temp_directory") == str(home / "warehouse.duckdb.tmp")
    with warehouse.opened(home / "warehouse.duckdb") as con:
        assert _setting(con, "memory_limit") == "1.8 GiB"  # the default, 2GB


def test_a_sort_larger_than_the_limit_spills_and_answers(home):
    with warehouse.opened(home / "warehouse.duckdb", memory_limit="64MB") as con:
        con.execute("SET threads = 1")
        (total,) = con.execute(
            "SELECT sum(n * (rank - 1)) FROM (SELECT n, row_number() OVER (ORDER BY n DESC,"
            " s) AS rank FROM (SELECT range AS n, md5(range::VARCHAR) AS s FROM range(3000000)))"
        ).fetchone()
    n = 3_000_000  # descending ranks: sum of n_i * (n - 1 - n_i)
    assert total == sum(i * (n - 1 - i) for i in range(n))


def test_commands_and_dagster_steps_use_the_setting(home, monkeypatch):
    monkeypatch.setenv("ECRCOST_DUCKDB_MEMORY_LIMIT", "700MB")
    with EcrcostResource(home=str(home)).connection() as con:
        assert _setting(con, "memory_limit") == "667.5 MiB"


def test_a_bad_memory_limit_stops_a_command_in_one_line(home, capsys, monkeypatch):
    monkeypatch.setenv("ECRCOST_DUCKDB_MEMORY_LIMIT", "lots")
    assert main(["costs", "--home", str(home)]) == 2
    assert capsys.readouterr().err == (
        "ecrcost: ECRCOST_DUCKDB_MEMORY_LIMIT: setting 'duckdb_memory_limit' is invalid: 'lots'"
        " is not an amount of memory such as 4GB or 512MiB\n"
    )
    assert not home.exists()


def test_only_actions_that_change_the_bill_are_cost_actions(con):
    """Pinning adds a tag: it never makes a repository "touched" for realized savings."""
    for n, (action, status) in enumerate(
        [("policy_applied", "done"), ("repository_deleted", "done"), ("policy_restored", "failed"),
         ("image_pinned", "done"), ("image_unpinned", "done")]
    ):  # fmt: skip
        con.execute(
            "INSERT INTO policy_actions (action_id, action, status, acted_at, repository_name) "
            "VALUES (?, ?, ?, TIMESTAMP '2026-11-02', 'web')",
            [f"a{n}", action, status],
        )
    assert con.sql("SELECT action FROM cost_actions ORDER BY ALL").fetchall() == [
        ("policy_applied",),
        ("repository_deleted",),
    ]
