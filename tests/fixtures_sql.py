"""Helpers for driving the warehouse's SQL into failure (imported by test modules, not a test)."""

from __future__ import annotations

import pytest

from ecrcost import sqlfiles


def fail_at(monkeypatch: pytest.MonkeyPatch, name: str, error: Exception | None = None) -> None:
    """From now on `sqlfiles.run` raises `error` (default RuntimeError("disk full")) when it is
    asked for `sql/<name>.sql`; every other file runs as usual. `monkeypatch.undo()` restores it."""
    real_run = sqlfiles.run

    def failing(con, sql_name, params=None):
        if sql_name == name:
            raise error or RuntimeError("disk full")
        return real_run(con, sql_name, params)

    monkeypatch.setattr(sqlfiles, "run", failing)
