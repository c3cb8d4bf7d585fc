"""The one Dagster resource: settings (same loader as the CLI) and warehouse connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from pipelines import warehouse
from pipelines.settings import Settings, load_settings


class EcrcostResource(dg.ConfigurableResource):
    """`home` and `config_file` override ECRCOST_* and ecrcost.toml, like the CLI flags do."""

    home: str | None = None
    config_file: str | None = None
    cur_location: str | None = None
    inventory_snapshot: str | None = None

    def settings(self) -> Settings:
        return load_settings(
            {
                "home": self.home,
                "cur_location": self.cur_location,
                "inventory_snapshot": self.inventory_snapshot,
            },
            config_file=Path(self.config_file) if self.config_file else None,
        )

    @contextmanager
    def connection(self) -> Iterator:
        """A warehouse connection held only for one step: DuckDB allows one writing process."""
        con = warehouse.connect(self.settings().warehouse_path)
        try:
            yield con
        finally:
            con.close()
