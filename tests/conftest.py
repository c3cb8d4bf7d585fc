"""Shared fixtures. Tests never touch the network: AWS is moto, in-process or on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecrcost import warehouse
from ecrcost.sample import generate
from ecrcost.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"  # real-format files; see data/README.md

# Fixtures of the write-side tests (a moto-backed `aws`, `exempt_settings`), shared by modules;
# ECR repositories in moto's Tagging API (GetResources), as AWS has them.
pytest_plugins = ["fixtures_actions", "fixtures_tagging"]

# Hypothesis keeps its example database and caches outside the checkout too.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "ecrcost-hypothesis")
)


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch, tmp_path):
    """Fake credentials and no profile/endpoint from the developer's machine leak into tests."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    for key in [k for k in os.environ if k.startswith("ECRCOST_")]:
        monkeypatch.delenv(key)
    # Nothing a test does lands in the checkout (./.ecrcost is the default home), and no
    # ./ecrcost.toml of the developer's is read.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home) -> Settings:
    """Default settings with the test's own home (no file, no ECRCOST_* variables)."""
    return load_settings({"home": str(home)}, env={})


@pytest.fixture
def con(home) -> Iterator:
    """A fresh warehouse under the test's home, closed afterwards."""
    c = warehouse.connect(home / "warehouse.duckdb")
    yield c
    c.close()


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The real-format billing files kept in tests/data (sources and licences in its README)."""
    return TEST_DATA


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server on 127.0.0.1 for the whole session: its endpoint URL. Tests that share it
    use their own account ids, regions or names, or `moto_reset` to start from nothing."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_reset(moto_server) -> str:
    """The session's moto server, emptied first (moto's own reset endpoint)."""

    urllib.request.urlopen(
        urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10
    ).read()
    return moto_server


def _java_runs() -> bool:
    try:
        return subprocess.run(["java", "-version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local SparkSession for the whole session (its start-up is slow). Without Java or
    pyspark the Spark tests are skipped, with the reason, on a developer's machine; where the
    `CI` variable is set (CI services set it, and so does .ci/run) they fail instead: CI never
    skips them."""
    missing = None
    if importlib.util.find_spec("pyspark") is None:
        missing = "pyspark is not installed (pip install 'ecrcost[spark]')"
    elif not _java_runs():
        missing = "no Java runtime (`java -version` fails; install Java 17)"
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI runs the Spark tests, but {missing}")
    if missing:
        pytest.skip(missing)
    from ecrcost.billing.spark import spark_session

    scratch = tmp_path_factory.mktemp("spark")
    session = spark_session(
        "local[1]",
        {
            "spark.sql.shuffle.partitions": "1",
            "spark.sql.warehouse.dir": str(scratch / "warehouse"),
            "spark.local.dir": str(scratch / "local"),
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sample_org(tmp_path_factory):
    """A small sample organisation (2 months) shared by the end-to-end tests: read it, copy
    what you change."""

    out = tmp_path_factory.mktemp("sample-org")
    summary = generate(out, seed=11, months=2, end="2026-09")
    return out, summary
