"""Issue 11: every delivery read exactly once, each row in its own billing period, finite
numbers. Files laid out as AWS writes them: Data Exports execution folders and manifests,
legacy CSV assemblies, misfiled months, gzip/ZIP, BOM, lower-cased headers."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from fixtures_billing import write_cur2, write_legacy_csv, write_legacy_csv_manifest

from ecrcost import cli
from ecrcost.billing import ingest
from ecrcost.errors import UserError

PERIOD = "2024-01"
DATA = f"cur2/data/BILLING_PERIOD={PERIOD}"
OLD, NEW = "20240201T010000Z-0a1b", "20240203T010000Z-9f8e"  # execution folders


def state(con) -> tuple:
    lines = con.execute("SELECT * FROM cur_ecr_lines ORDER BY ALL").fetchall()
    loads = con.execute("SELECT * FROM billing_loads ORDER BY billing_period").fetchall()
    return lines, loads


def _execution(tmp_path: Path, root: Path, name: str, scale: float, mtime: int) -> str:
    """One Data Exports execution of PERIOD: its file in `data/BILLING_PERIOD=/<name>/`."""
    src = write_cur2(tmp_path / f"src-{name}", PERIOD, scale=scale)
    target = root / DATA / name / src.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, target)
    os.utime(target, (mtime, mtime))
    return f"s3://bucket/exports/{DATA}/{name}/{src.name}"


@pytest.fixture
def executions(tmp_path) -> Path:
    """Two executions ("create new file"): the older one at scale 1 ($2.35), the newer at 2."""
    root = tmp_path / "exports"
    _execution(tmp_path, root, OLD, 1.0, 1_706_749_200)
    newer = _execution(tmp_path, root, NEW, 2.0, 1_706_922_000)
    meta = root / f"cur2/metadata/BILLING_PERIOD={PERIOD}"
    meta.mkdir(parents=True)
    (meta / "cur2-Manifest.json").write_text(json.dumps({"executionId": NEW, "dataFiles": [newer]}))
    return root


def test_the_manifest_names_the_one_execution_read(con, executions):
    p = ingest(con, str(executions / "cur2")).period(PERIOD)
    assert (p.ecr_rows, round(p.ecr_cost, 6)) == (3, 4.7)
    assert p.files == [str(executions / DATA / NEW / "cur2-00001.snappy.parquet")]
    assert p.notes == ["ignored 1 file(s) not in the current manifest (older assemblies)"]


@pytest.mark.parametrize("where", ["data", "period folder", "export root without metadata"])
def test_without_a_manifest_only_the_newest_execution_is_read_and_said(con, executions, where):
    if where == "export root without metadata":
        shutil.rmtree(executions / "cur2" / "metadata")
        location = executions / "cur2"
    else:
        location = executions / ("cur2/data" if where == "data" else DATA)
    p = ingest(con, str(location)).period(PERIOD)
    assert (p.ecr_rows, round(p.ecr_cost, 6)) == (3, 4.7)  # not 7.05: one execution only
    assert p.files == [str(executions / DATA / NEW / "cur2-00001.snappy.parquet")]
    assert p.notes == [
        f"no Data Exports manifest: read only the newest of 2 executions, {NEW} (1 file(s)); "
        f"ignored {OLD}; copy metadata/ too to let the manifest choose"
    ]
    assert con.execute("SELECT round(sum(unblended_cost), 6) FROM cur_ecr_lines").fetchone() == (
        4.7,
    )


def test_the_newest_execution_is_said_on_the_command_line(executions, home, capsys):
    location = str(executions / "cur2" / "data")
    assert cli.main(["ingest", "--cur", location, "--home", str(home)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{PERIOD}  cur2  1 file(s)  3 ECR rows  $4.70\n"
    assert err == (
        f"note: {PERIOD}: no Data Exports manifest: read only the newest of 2 executions, {NEW} "
        f"(1 file(s)); ignored {OLD}; copy metadata/ too to let the manifest choose\n"
    )


@pytest.mark.parametrize("inside", [False, True])
def test_legacy_assemblies_pointed_at_the_report_folder_itself(con, tmp_path, real_data, inside):
    """`--cur .../20231101-20231201`: the same manifest rule as from the report root (before,
    the folder read as loose files and both assemblies were summed)."""
    folder = tmp_path / "cur" / "rep" / "20231101-20231201"
    real = real_data / "cur-legacy-sample.csv"
    write_legacy_csv(real, folder / "old-assembly" / "rep-1.csv", scale=10.0)
    write_legacy_csv(real, folder / "new-assembly" / "rep-1.csv")
    write_legacy_csv_manifest(folder, "rep", ["new-assembly/rep-1.csv"])
    if inside:
        (folder / "rep-Manifest.json").unlink()
        with pytest.raises(UserError, match=r"20231101-20231201: several assemblies and no"):
            ingest(con, str(folder))
        assert state(con) == ([], [])
        return
    p = ingest(con, str(folder)).period("2023-11")
    assert (p.source_format, p.ecr_rows, round(p.ecr_cost, 6)) == ("cur-legacy-csv", 4, 1.64)
    assert p.files == [str(folder / "new-assembly" / "rep-1.csv")]
