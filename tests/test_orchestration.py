"""Dagster wiring: the schedule's partition, the restatement sensor, and a two-month run."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from ecrcost import warehouse
from ecrcost.cli import main
from ecrcost.definitions import defs
from ecrcost.errors import UserError
from ecrcost.orchestration import assets, runner
from ecrcost.orchestration import commands as orchestration_commands
from ecrcost.orchestration.jobs import billing_files_changed, monthly_schedule
from ecrcost.orchestration.resources import EcrcostResource
from ecrcost.orchestration.runner import materialize_periods
from ecrcost.periods import Period
from ecrcost.settings import load_settings


@pytest.fixture
def org(sample_org):
    return sample_org


def test_definitions_load_with_every_asset_and_check():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"ecr_inventory", "cur_ecr_lines", "ecr_cost_marts", "policy_actions"} <= keys
    checks = {k.name for k in graph.asset_check_keys}
    assert {"cur_ecr_lines_match_source", "ecr_cost_marts_reconcile"} <= checks


def test_schedule_on_day_three_targets_the_month_that_just_closed():
    schedule = defs.resolve_schedule_def(monthly_schedule.name)
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 3, 6, 0, tzinfo=UTC),
        repository_def=defs.get_repository_def(),
    )
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        requests = list(schedule.evaluate_tick(context).run_requests)
    assert [str(w.message) for w in caught] == []  # nothing deprecated on a tick
    assert [r.partition_key for r in requests] == ["2026-10"]
    assert schedule.cron_schedule == "0 6 3 * *"


def _evaluate(sensor, cursor, resource):
    with dg.build_sensor_context(
        cursor=cursor,
        resources={"ecrcost": resource},
        instance=dg.DagsterInstance.ephemeral(),
        definitions=defs,
    ) as context:
        data = sensor.evaluate_tick(context)
        return data.run_requests, data.cursor


def test_sensor_fires_on_a_changed_manifest_and_stays_quiet_otherwise(org, tmp_path):
    out, summary = org
    location = tmp_path / "cur-legacy-csv"
    shutil.copytree(out / "cur-legacy-csv", location)
    resource = EcrcostResource(home=str(tmp_path / "home"), cur_location=str(location))

    first, cursor = _evaluate(billing_files_changed, None, resource)
    assert sorted(r.partition_key for r in first) == sorted(summary.periods)

    again, cursor2 = _evaluate(billing_files_changed, cursor, resource)
    assert again == [] and json.loads(cursor2) == json.loads(cursor)

    # AWS restates September: the month's manifest now names a new assembly.
    manifest = next(location.rglob("20260901-20261001/*-Manifest.json"))
    doc = json.loads(manifest.read_text())
    doc["assemblyId"] = "restated-" + str(doc.get("assemblyId"))
    manifest.write_text(json.dumps(doc))
    changed, _ = _evaluate(billing_files_changed, cursor2, resource)
    assert [r.partition_key for r in changed] == ["2026-09"]


def test_materialize_two_months_through_dagster(org, tmp_path):
    out, summary = org
    home = tmp_path / "home"
    resource = EcrcostResource(
        home=str(home),
        cur_location=str(out / "cur2"),
        inventory_snapshot=str(out / "inventory" / "snapshot.json.gz"),
    )
    outcome = materialize_periods(resource, summary.periods)
    assert outcome.success, outcome.failed_checks
    con = warehouse.connect(home / "warehouse.duckdb", read_only=True)
    try:
        loaded = con.execute(
            "SELECT billing_period, round(sum(unblended_cost), 2) FROM cur_ecr_lines "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        snapshots = con.execute("SELECT count(*) FROM ecr_snapshots").fetchall()[0][0]
    finally:
        con.close()
    assert [p for p, _ in loaded] == sorted(summary.periods)
    assert {p: c for p, c in loaded} == {
        p: round(c, 2) for p, c in summary.ecr_cost_by_period.items()
    }
    assert snapshots == 1


def test_run_rejects_a_period_outside_the_partitions(tmp_path):
    with pytest.raises(UserError, match="1999-01"):
        materialize_periods(EcrcostResource(home=str(tmp_path)), ["1999-01"])


@pytest.mark.skipif(os.environ.get("ECRCOST_SKIP_DEMO") == "1", reason="demo skipped on request")
def test_demo_runs_end_to_end_and_prints_where_the_outputs_are(tmp_path, capsys):
    home = tmp_path / "demo"
    assert main(["demo", "--home", str(home)]) == 0
    printed = capsys.readouterr().out
    assert "billing periods loaded:" in printed
    assert str(home / "warehouse.duckdb") in printed
    assert Path(home / "warehouse.duckdb").exists()
    # The summary ends with the next commands, each on the demo's home, and each works there.
    lines = printed.splitlines()
    start = lines.index("next, on the demo's data:")
    commands = [shlex.split(line) for line in lines[start + 1 : -1]]
    assert lines[-1].startswith("done in ")
    last = Period.last_closed()
    assert [c[1:3] for c in commands] == [
        ["costs", "--home"],
        ["report", "--home"],
        ["policy", "plan"],
        ["findings", "--home"],
        ["snapshots", "--home"],
    ]
    assert all(c[0] == "ecrcost" and c[c.index("--home") + 1] == str(home) for c in commands)
    assert commands[0][-2:] == commands[1][-2:] == ["--period", str(last)]
    # Every command printed runs on the demo's data.
    for command in commands:
        assert main(command[1:]) == 0, command
        capsys.readouterr()


def test_workspace_loads_as_dagster_dev_would(tmp_path):
    """`dagster dev -w workspace.yaml` loads this same code location."""
    import subprocess
    import sys

    dagster = Path(sys.executable).with_name("dagster")
    done = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Validation successful for code location ecrcost" in done.stderr + done.stdout


# --- the blocking checks, passing and driven to failure ------------------------------------


def _resource(org, home: Path) -> EcrcostResource:
    out, _ = org
    return EcrcostResource(
        home=str(home),
        cur_location=str(out / "cur2"),
        inventory_snapshot=str(out / "inventory" / "snapshot.json.gz"),
    )


def _evaluations(outcome) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in outcome.checks}


def test_every_check_passes_with_typed_metadata(org, tmp_path):
    outcome = materialize_periods(_resource(org, tmp_path / "home"), ["2026-09"])
    assert outcome.success and outcome.failed_checks == []
    checks = _evaluations(outcome)
    assert set(checks) == {
        "cur_ecr_lines_match_source",
        "ecr_cost_marts_reconcile",
        "savings_report_fresh",
    }
    assert all(e.passed for e in checks.values())
    assert checks["cur_ecr_lines_match_source"].metadata["mismatched"] == dg.JsonMetadataValue({})
    assert checks["cur_ecr_lines_match_source"].metadata["periods"] == dg.JsonMetadataValue(
        ["2026-09"]
    )
    assert checks["ecr_cost_marts_reconcile"].metadata["mismatched"] == dg.JsonMetadataValue({})
    assert checks["savings_report_fresh"].metadata["stale"] == dg.TextMetadataValue("none")


def _break_after(monkeypatch, name: str, damage) -> None:
    """Run the real `assets.<name>`, then `damage(args, result)` what it wrote."""
    real = getattr(assets, name)

    def broken(*args, **kwargs):
        result = real(*args, **kwargs)
        damage(args, result)
        return result

    monkeypatch.setattr(assets, name, broken)


def test_source_check_fails_when_the_warehouse_lost_a_line(org, tmp_path, monkeypatch):
    lose_a_line = "DELETE FROM cur_ecr_lines WHERE rowid = (SELECT min(rowid) FROM cur_ecr_lines)"
    _break_after(monkeypatch, "run_engine", lambda args, _: args[0].execute(lose_a_line))
    outcome = materialize_periods(_resource(org, tmp_path / "home"), ["2026-09"])
    assert not outcome.success
    assert outcome.failed_checks == ["cur_ecr_lines_match_source"]
    mismatched = _evaluations(outcome)["cur_ecr_lines_match_source"].metadata["mismatched"]
    (off,) = mismatched.data.values()
    assert off["warehouse_rows"] == off["source_rows"] - 1
    # Blocking: nothing downstream of the bad lines was built.
    assert "ecr_cost_marts_reconcile" not in _evaluations(outcome)


def test_reconcile_check_fails_when_the_marts_lose_a_cent(org, tmp_path, monkeypatch):
    drift = (
        "UPDATE unattributed_costs SET cost = cost + 0.01 "
        "WHERE rowid = (SELECT min(rowid) FROM unattributed_costs)"
    )
    _break_after(monkeypatch, "build_marts", lambda args, _: args[0].execute(drift))
    outcome = materialize_periods(_resource(org, tmp_path / "home"), ["2026-09"])
    assert not outcome.success
    assert outcome.failed_checks == ["ecr_cost_marts_reconcile"]
    off = _evaluations(outcome)["ecr_cost_marts_reconcile"].metadata["mismatched"].data
    assert set(off) == {"2026-09"}
    assert round(off["2026-09"]["marts"] - off["2026-09"]["bill"], 2) == 0.01
    assert "savings_report_fresh" not in _evaluations(outcome)  # the report was not rendered


def test_freshness_check_fails_for_a_report_older_than_its_bill(org, tmp_path, monkeypatch):
    # Written in 1970: older than any billing load.
    _break_after(monkeypatch, "render_report", lambda _, files: os.utime(files.html, (0, 0)))
    outcome = materialize_periods(_resource(org, tmp_path / "home"), ["2026-09"])
    assert outcome.failed_checks == ["savings_report_fresh"]
    stale = _evaluations(outcome)["savings_report_fresh"].metadata["stale"]
    assert stale == dg.TextMetadataValue("2026-09")


def test_report_is_stale_when_missing_or_older_than_the_load(tmp_path):
    html = tmp_path / "ecr-report-2026-09.html"
    loaded = datetime(2026, 10, 3, 6, 0)
    assert assets.report_is_stale(html, loaded)  # missing
    html.write_text("<html></html>")
    os.utime(html, (loaded.timestamp() - 60, loaded.timestamp() - 60))
    assert assets.report_is_stale(html, loaded)
    os.utime(html, (loaded.timestamp() + 60, loaded.timestamp() + 60))
    assert not assets.report_is_stale(html, loaded)
    assert not assets.report_is_stale(html, None)  # no load recorded: nothing newer to miss


def test_run_hands_the_aws_flags_to_the_dagster_resource(tmp_path, monkeypatch, capsys):
    seen = {}

    def capture(resource, periods, verbose=False):
        seen["settings"] = resource.settings()
        seen["periods"] = periods
        return runner.RunOutcome(periods=list(periods), success=True, failed_checks=[])

    monkeypatch.setattr(runner, "materialize_periods", capture)
    argv = ["run", "--period", "2026-09", "--home", str(tmp_path / "h"), "--cur", "/bill"]
    argv += ["--profile", "finops", "--regions", "eu-west-1,us-east-1", "--accounts", "111,222"]
    argv += ["--role-name", "EcrcostRead", "--external-id", "ext-1"]
    assert main(argv) == 0
    s = seen["settings"]
    assert seen["periods"] == ["2026-09"]
    assert s.home == tmp_path / "h" and s.cur_location == "/bill"
    assert s.aws_profile == "finops"
    assert s.regions == ("eu-west-1", "us-east-1")
    assert s.accounts == ("111", "222")
    assert (s.role_name, s.external_id) == ("EcrcostRead", "ext-1")
    assert capsys.readouterr().err == (
        f"run: home {tmp_path / 'h'}; bill /bill (auto); inventory from AWS profile finops, "
        "regions eu-west-1,us-east-1, accounts 111,222 via role EcrcostRead\n"
    )


def test_run_rejects_a_malformed_period_in_one_line(tmp_path, capsys):
    assert main(["run", "--period", "2026-13", "--home", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        "ecrcost: --period '2026-13': expected a billing period as YYYY-MM, e.g. 2026-10"
    )


def test_resource_from_settings_round_trips():
    settings = load_settings(
        {"home": "/h", "regions": "all", "role_name": "R", "inventory_snapshot": "/s.json"},
        env={},
    )
    back = EcrcostResource.from_settings(settings).settings()
    assert (back.home, back.regions, back.role_name) == (Path("/h"), ("all",), "R")
    assert back.inventory_snapshot == "/s.json" and back.accounts == ()


def _run_argv(org, home: Path, cur: Path | None = None, periods=("2026-08", "2026-09")) -> list:
    out, _ = org
    argv = ["run", "--home", str(home), "--cur", str(cur or out / "cur2")]
    argv += ["--inventory-snapshot", str(out / "inventory" / "snapshot.json.gz")]
    for p in periods:
        argv += ["--period", p]
    return argv


@pytest.fixture
def bad_cur(org, tmp_path) -> tuple[Path, Path]:
    """A copy of the sample CUR 2.0 export whose September data file is not Parquet."""
    out, _ = org
    bad = tmp_path / "bad-cur"
    shutil.copytree(out / "cur2", bad)
    (data,) = sorted(bad.rglob("BILLING_PERIOD=2026-09/*.parquet"))
    data.write_text("garbage")
    return bad, data


def test_failed_run_prints_the_failing_step_and_its_error_in_one_line(
    org, tmp_path, bad_cur, capfd
):
    bad, data = bad_cur
    out, _ = org
    assert main(_run_argv(org, tmp_path / "home", bad)) == 2
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"run: home {tmp_path / 'home'}; bill {bad} (auto); inventory from snapshot file "
        f"{out / 'inventory' / 'snapshot.json.gz'}",
        "ecrcost: run of 2026-08..2026-09 failed: step cur_ecr_lines: "
        f"{data}: not a readable Parquet file (Invalid Input Error: File '{data}' too small to "
        "be a Parquet file); --verbose shows Dagster's logs",
    ]


def test_failed_run_with_verbose_shows_dagsters_logs(org, tmp_path, bad_cur, capfd):
    bad, _ = bad_cur
    assert main([*_run_argv(org, tmp_path / "home", bad), "--verbose"]) == 2
    err = capfd.readouterr().err
    assert "STEP_FAILURE" in err and "Stack Trace:" in err
    assert err.splitlines()[-1].startswith("ecrcost: run of 2026-08..2026-09 failed: step ")
    assert "--verbose shows" not in err


def test_failed_check_is_one_line_with_what_it_checks(org, tmp_path, monkeypatch, capfd):
    lose_a_line = "DELETE FROM cur_ecr_lines WHERE rowid = (SELECT min(rowid) FROM cur_ecr_lines)"
    _break_after(monkeypatch, "run_engine", lambda args, _: args[0].execute(lose_a_line))
    assert main(_run_argv(org, tmp_path / "home", periods=["2026-09"])) == 1
    assert capfd.readouterr().err.splitlines(keepends=True)[-1] == (
        "ecrcost: run of 2026-09 failed: check cur_ecr_lines_match_source (Warehouse = the "
        "source files read again, rows and $ to the cent.); --verbose shows Dagster's logs\n"
    )


def _interrupt_marts(monkeypatch, period: str, after_commit: bool) -> None:
    """Ctrl-C while `period`'s marts are built: before its transaction, or once it landed."""
    real = assets.build_marts

    def interrupted(con, settings, p, *args, **kwargs):
        if p == period and not after_commit:
            raise KeyboardInterrupt
        result = real(con, settings, p, *args, **kwargs)
        if p == period:
            raise KeyboardInterrupt
        return result

    monkeypatch.setattr(assets, "build_marts", interrupted)


@pytest.mark.parametrize(
    ("after_commit", "marts"), [(False, "2026-08"), (True, "2026-08, 2026-09")]
)
def test_ctrl_c_during_run_exits_130_and_says_what_the_warehouse_kept(
    org, tmp_path, monkeypatch, capfd, after_commit, marts
):
    _interrupt_marts(monkeypatch, "2026-09", after_commit)
    home = tmp_path / "home"
    assert main(_run_argv(org, home)) == 130
    assert capfd.readouterr().err.splitlines(keepends=True)[-1] == (
        f"ecrcost: interrupted; {home / 'warehouse.duckdb'} keeps bills of 2026-08, 2026-09, "
        f"marts of {marts}; reports of none (of 2 period(s) asked for). Run the same command "
        "again to finish\n"
    )
    con = warehouse.connect(home / "warehouse.duckdb", read_only=True)
    try:  # what the message says is what the warehouse holds
        built = con.execute("SELECT string_agg(billing_period, ', ' ORDER BY 1) FROM mart_builds")
        assert built.fetchone()[0] == marts
    finally:
        con.close()


def test_ctrl_c_outside_dagster_steps_is_reported_the_same_way(org, tmp_path, monkeypatch, capfd):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(orchestration_commands, "run_pipeline", interrupt)
    home = tmp_path / "home"
    assert main(_run_argv(org, home, periods=["2026-09"])) == 130
    assert capfd.readouterr().err.splitlines(keepends=True)[-1] == (
        f"ecrcost: interrupted; {home / 'warehouse.duckdb'} keeps bills of none, marts of none; "
        "reports of none (of 1 period(s) asked for). Run the same command again to finish\n"
    )


def test_ctrl_c_during_demo_exits_130_and_says_what_was_kept(tmp_path, monkeypatch, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    home = tmp_path / "demo"
    monkeypatch.setattr(orchestration_commands, "generate", interrupt)
    assert main(["demo", "--home", str(home)]) == 130
    assert capsys.readouterr().err == (
        f"ecrcost: interrupted while writing the sample organisation to {home / 'sample'}; "
        "nothing was loaded. Run the same command again\n"
    )
    # The sample written (stood in for: generating twelve months takes 20 s), then Ctrl-C in
    # the pipeline.
    org = argparse.Namespace(periods=["2026-08", "2026-09"])
    monkeypatch.setattr(orchestration_commands, "generate", lambda *args, **kwargs: org)
    monkeypatch.setattr(orchestration_commands, "import_actions", lambda *args: None)
    monkeypatch.setattr(orchestration_commands, "run_pipeline", interrupt)
    assert main(["demo", "--home", str(home)]) == 130
    assert capsys.readouterr().err == (
        f"ecrcost: interrupted; {home / 'warehouse.duckdb'} keeps bills of none, marts of none; "
        "reports of none (of 2 period(s) asked for). Run the same command again to finish\n"
    )


def test_run_without_a_cur_location_is_one_line_before_dagster_starts(tmp_path, capsys):
    home = tmp_path / "h"
    for which in (["--period", "2026-09"], ["--all"]):
        assert main(["run", *which, "--home", str(home)]) == 2
        assert capsys.readouterr().err == (
            "ecrcost: no CUR location: pass --cur LOCATION or set ECRCOST_CUR_LOCATION\n"
        )
    assert not home.exists()


def test_run_all_over_a_location_without_periods_is_one_line(tmp_path, capsys):
    empty = tmp_path / "bill"
    empty.mkdir()
    assert main(["run", "--all", "--cur", str(empty), "--home", str(tmp_path / "h")]) == 2
    assert capsys.readouterr().err == (
        f"ecrcost: {empty}: no billing files (.parquet, .csv, .csv.gz, .csv.zip) found; check --cur\n"
    )


def test_cli_runs_are_recorded_under_the_monthly_job_and_deliver_once(org, tmp_path, monkeypatch):
    import http.server
    import threading

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    received: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    monkeypatch.setenv("ECRCOST_DELIVER", f"http://127.0.0.1:{server.server_port}/hook")
    out, summary = org
    resource = EcrcostResource(
        home=str(tmp_path / "home"),
        cur_location=str(out / "cur2"),
        inventory_snapshot=str(out / "inventory" / "snapshot.json.gz"),
    )
    try:
        last = summary.periods[-1:]
        assert materialize_periods(resource, last).success
        assert materialize_periods(resource, last).success  # the same report: not sent again
    finally:
        server.shutdown()
        server.server_close()
    assert received == ["/hook"]
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
    assert [r.job_name for r in runs] == ["monthly_ecr_costs", "monthly_ecr_costs"]
    with warehouse.opened(tmp_path / "home" / "warehouse.duckdb", read_only=True) as con:
        assert con.execute("SELECT billing_period, status FROM report_deliveries").fetchall() == [
            (last[0], "sent")
        ]


def test_run_prints_no_warning(org, tmp_path):
    """`ecrcost run` as a user starts it, with every warning Python can show turned on: stderr
    is the one line saying what runs (no Dagster supersession, beta or deprecation warning)."""
    import subprocess
    import sys

    out, _ = org
    argv = [sys.executable, "-m", "ecrcost", "run", "--home", str(tmp_path / "home")]
    argv += ["--cur", str(out / "cur2"), "--all"]
    argv += ["--inventory-snapshot", str(out / "inventory" / "snapshot.json.gz")]
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"run: home {tmp_path / 'home'}; bill {out / 'cur2'} (auto); inventory from snapshot "
        f"file {out / 'inventory' / 'snapshot.json.gz'}"
    ]


def test_partitions_start_at_the_setting_else_the_first_loaded_period(tmp_path, monkeypatch):
    import subprocess
    import sys
    from datetime import date

    from report_data import add_daily_storage

    from ecrcost.orchestration.partitions import first_partition

    year_ago = str(Period.last_closed().shift(-11))  # today's, for the subprocess below
    monkeypatch.setattr(Period, "last_closed", classmethod(lambda cls, now=None: Period(2026, 11)))
    settings = load_settings({"home": str(tmp_path / "home")}, env={})
    assert first_partition(settings) == "2025-12"  # a new home: a year of months
    con = warehouse.connect(settings.warehouse_path)
    add_daily_storage(con, "team/api", date(2024, 5, 1), date(2024, 5, 3), lambda d: 1.0)
    con.close()
    assert first_partition(settings) == "2024-05"  # the first loaded period
    pinned = load_settings(
        {"home": str(tmp_path / "home")}, env={"ECRCOST_FIRST_PERIOD": "2023-02"}
    )
    assert first_partition(pinned) == "2023-02"
    # A warehouse another process writes is not waited for: the year is used.
    writer = warehouse.connect(settings.warehouse_path)
    try:
        code = (
            "from ecrcost.orchestration.partitions import first_partition;"
            "from ecrcost.settings import load_settings;"
            f"print(first_partition(load_settings({{'home': {str(tmp_path / 'home')!r}}}, env={{}})))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        writer.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == year_ago  # not 2024-05: the locked warehouse was not read
