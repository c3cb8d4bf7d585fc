"""No command imports pandas (pyarrow's `pa.array` would, whenever pandas is installed: 0.4 s of
start-up for nothing). Each check runs in a fresh interpreter and reads its `sys.modules`.
Start-up time itself is a figure of bench/startup.py, never a timed test."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from ecrcost.cli import build_parser

PROBE = """
import json, sys
from ecrcost.cli import main
codes = []
for argv in json.loads(sys.argv[1]):
    try:
        codes.append(main(argv))
    except SystemExit as exc:  # --help exits
        codes.append(exc.code)
print(json.dumps({"codes": codes, "pandas": "pandas" in sys.modules}))
"""


def probe(commands: list[list[str]], env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple]:
    """Every command and subcommand the CLI has, as argv prefixes."""
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append((*prefix, name))
                out += command_paths(sub, (*prefix, name))
    return out


def test_every_help_leaves_pandas_unimported():
    paths = command_paths(build_parser())
    assert {("inventory",), ("policy", "plan"), ("run",), ("report",)} <= set(paths)
    result = probe([["--help"]] + [[*p, "--help"] for p in paths])
    assert result == {"codes": [0] * (len(paths) + 1), "pandas": False}


def test_main_paths_leave_pandas_unimported(tmp_path):
    org, home = tmp_path / "org", tmp_path / "home"
    policy = Path(tmp_path / "policy.json")
    policy.write_text(
        '{"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", '
        '"countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14}, '
        '"action": {"type": "expire"}}]}'
    )
    h = ["--home", str(home)]
    commands = [
        ["sample", "--out", str(org), "--months", "2"],
        ["ingest", "--cur", str(org / "cur-legacy-parquet"), *h],
        ["inventory", "--from-snapshot", str(org / "inventory" / "snapshot.json.gz"), *h],
        ["costs", *h],
        ["findings", *h],
        ["policy", "plan", "--policy", str(policy), *h],
        ["policy", "simulate", "--policy", str(policy), "--repositories", "*", *h],
        ["report", "--out", str(tmp_path / "report"), *h],
    ]
    assert probe(commands) == {"codes": [0] * len(commands), "pandas": False}


def test_inventory_over_http_leaves_pandas_unimported(moto_reset):
    ecr = boto3.client("ecr", region_name="eu-north-1", endpoint_url=moto_reset)
    arn = ecr.create_repository(repositoryName="startup/app")["repository"]["repositoryArn"]
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "team", "Value": "web"}])
    manifest = (
        '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", '
        '"config": {"mediaType": "application/vnd.oci.image.config.v1+json", '
        '"digest": "sha256:' + "c" * 64 + '", "size": 10}, "layers": []}'
    )
    ecr.put_image(repositoryName="startup/app", imageManifest=manifest, imageTag="v1")
    result = probe(
        [["inventory", "--regions", "eu-north-1", "--manifests"]],
        env={"AWS_ENDPOINT_URL": moto_reset, "ECRCOST_HOME": os.getcwd()},
    )
    assert result == {"codes": [0], "pandas": False}


def test_the_probe_sees_pandas_when_pyarrow_pulls_it_in():
    """The checks above can fail: pyarrow's own list conversion imports pandas."""
    pytest.importorskip("pandas")
    done = subprocess.run(
        [sys.executable, "-c", "import sys, pyarrow; pyarrow.array([1]); "
         "print('pandas' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "True"
