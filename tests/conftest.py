"""Shared fixtures. Tests never touch the network: AWS is moto, in-process or on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ECRCOST_SHARED", REPO_ROOT.parent / "shared"))
SHARED_DATA = SHARED / "data"


@pytest.fixture(autouse=True)
def _offline_aws(monkeypatch):
    """Fake credentials and no profile/endpoint from the developer's machine leak into tests."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    for key in [k for k in os.environ if k.startswith("ECRCOST_") and k != "ECRCOST_SHARED"]:
        monkeypatch.delenv(key)


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real-format billing files not found at {SHARED_DATA} (set ECRCOST_SHARED)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_org(tmp_path_factory):
    """A small sample organisation (2 months) shared by the end-to-end tests: read it, copy
    what you change."""
    from pipelines.sample import generate

    out = tmp_path_factory.mktemp("sample-org")
    summary = generate(out, seed=11, months=2, end="2026-09")
    return out, summary
