"""Bounded waits: a hung endpoint costs one call its bound, not read timeout x 10 attempts."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from ecrcost.aws import AwsAccess, Timeouts
from ecrcost.errors import UserError
from ecrcost.inventory.collect import collect_inventory
from ecrcost.settings import load_settings


@pytest.fixture
def hung_endpoint():
    """127.0.0.1: accepts connections and never answers; closed after the test."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held, stop = [], threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_endpoint_ends_the_call_at_its_bound_and_names_it(hung_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", hung_endpoint)
    settings = load_settings(
        {"regions": "us-east-1", "aws_read_timeout": 0.2, "aws_call_timeout": 1.0}, env={}
    )
    access = AwsAccess.from_settings(settings)
    access._caller_account = "123456789012"  # STS is the same hung endpoint; skip it
    started = time.monotonic()
    snap = collect_inventory(settings, access=access)
    took = time.monotonic() - started
    [error] = snap.errors
    assert (error.region, error.operation, error.error_code) == (
        "us-east-1",
        "DescribeRepositories",
        "CallTimeout",
    )
    assert error.message == (
        f"DescribeRepositories to {hung_endpoint}/ gave up after 1 s (the bound per call)"
    )
    # the bound, plus at most one read timeout and one back-off; 10 attempts would be 2 s+
    assert 1.0 <= took < 1.0 + 0.2 + 4.0


def test_timeouts_come_from_the_settings_and_must_be_positive():
    settings = load_settings(
        {"aws_connect_timeout": "2", "aws_read_timeout": 7, "aws_call_timeout": 60}, env={}
    )
    assert AwsAccess.from_settings(settings).timeouts == Timeouts(2.0, 7.0, 60.0)
    assert AwsAccess.from_settings(load_settings(env={})).timeouts == Timeouts(5.0, 30.0, 120.0)
    with pytest.raises(UserError, match="aws_read_timeout"):
        load_settings({"aws_read_timeout": 0}, env={})
