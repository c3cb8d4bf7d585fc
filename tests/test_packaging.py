"""The wheel works anywhere: built from the sources, installed into a fresh virtualenv in a temp
folder, and driven from another folder with no checkout on its path.

The fresh virtualenv borrows its dependencies (duckdb, dagster, ...) from the running one through
a `.pth` line, so the test installs nothing from a package index; ecrcost itself comes only from
the wheel (asserted: the imported package lives in the new virtualenv).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "pipelines", "sql", "reports")
PERIOD = "2026-09"
PIP = (sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check")


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the sources, so the checkout gets no build/ or egg-info."""
    src = tmp / "src"
    for name in SOURCES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy(source, src / name)
    dist = tmp / "dist"
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("ecrcost-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies from the running environment (a .pth line adds a path, it runs none of the
    # running environment's own .pth files, so its editable ecrcost stays out).
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [*PIP, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    return venv


def test_the_wheel_carries_sql_and_templates(tmp_path):
    names = set(zipfile.ZipFile(_build_wheel(tmp_path)).namelist())
    for folder in ("sql", "reports"):
        shipped = {p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / folder).rglob("*.*")}
        assert {f"ecrcost/_files/{name}" for name in shipped} <= names
    assert "ecrcost/lifecycle/base_policy.json" in names
    assert not any(n.startswith("pipelines/") for n in names)
    assert not any(n.startswith(("tests/", "sql/", "reports/")) for n in names)


def test_installed_wheel_runs_the_commands_from_another_folder(tmp_path):
    venv = _fresh_venv(tmp_path, _build_wheel(tmp_path))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", PYTHONNOUSERSITE="1")
    home = elsewhere / "home"

    def ecrcost(*args: str) -> str:
        done = subprocess.run(
            [str(venv / "bin" / "ecrcost"), *args], cwd=elsewhere, env=env, text=True,
            capture_output=True,
        )  # fmt: skip
        assert done.returncode == 0, f"ecrcost {' '.join(args)}: {done.stderr}"
        return done.stdout

    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import ecrcost; print(ecrcost.__file__)"],
        cwd=elsewhere, env=env, text=True, capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert Path(where.strip()).is_relative_to(venv)
    assert ecrcost("--version").strip().startswith("ecrcost ")
    module = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "ecrcost", "--version"],
        cwd=elsewhere, env=env, text=True, capture_output=True, check=True,
    )  # fmt: skip
    assert module.stdout.strip().startswith("ecrcost ")

    ecrcost("sample", "--out", "org", "--seed", "11", "--months", "2", "--end", PERIOD)
    ecrcost("ingest", "--cur", "org/cur-legacy-parquet", "--home", str(home))
    ecrcost("inventory", "--from-snapshot", "org/inventory/snapshot.json.gz", "--home", str(home))
    costs = json.loads(
        ecrcost("costs", "--period", PERIOD, "--by", "repository", "--format", "json",
                "--home", str(home))
    )  # fmt: skip
    with (elsewhere / "org" / "truth" / "period_totals.csv").open() as f:
        truth = {r["billing_period"]: float(r["total_ecr_cost"]) for r in csv.DictReader(f)}
    assert round(costs["total_cost"], 2) == round(truth[PERIOD], 2)

    printed = ecrcost("report", "--period", PERIOD, "--home", str(home)).splitlines()
    html = Path(printed[0])
    assert html.name == f"ecr-report-{PERIOD}.html" and html.is_file()
    assert f"{truth[PERIOD]:,.2f}" in html.read_text()

    plan = json.loads(ecrcost("policy", "plan", "--format", "json", "--home", str(home)))
    assert plan["repositories"], "the base policy was planned over the sample's repositories"
    assert not (elsewhere / ".ecrcost").exists()
