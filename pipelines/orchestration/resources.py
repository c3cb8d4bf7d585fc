"""The one Dagster resource: settings (same loader as the CLI) and warehouse connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from ecrcost import warehouse
from ecrcost.settings import Settings, load_settings

# The settings a run takes from the command line, as the resource's config fields.
_RUN_SETTINGS = (
    "home",
    "cur_location",
    "inventory_snapshot",
    "aws_profile",
    "regions",
    "accounts",
    "role_name",
    "external_id",
)


class EcrcostResource(dg.ConfigurableResource):
    """`home`, `config_file` and the rest override ECRCOST_* and ecrcost.toml, like the CLI
    flags do (unset fields leave the settings as they are)."""

    home: str | None = None
    config_file: str | None = None
    cur_location: str | None = None
    inventory_snapshot: str | None = None
    aws_profile: str | None = None
    regions: list[str] | None = None
    accounts: list[str] | None = None
    role_name: str | None = None
    external_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, config_file: str | None = None) -> EcrcostResource:
        """The resource a command-line run hands to Dagster: the settings the flags gave."""
        values = {name: getattr(settings, name) for name in _RUN_SETTINGS}
        values["home"] = str(settings.home)
        for name in ("regions", "accounts"):
            values[name] = list(values[name]) or None
        return cls(config_file=config_file, **values)

    def settings(self) -> Settings:
        return load_settings(
            {name: getattr(self, name) for name in _RUN_SETTINGS},
            config_file=Path(self.config_file) if self.config_file else None,
        )

    @contextmanager
    def connection(self) -> Iterator:
        """A warehouse connection held only for one step: DuckDB allows one writing process."""
        settings = self.settings()
        with warehouse.opened(
            settings.warehouse_path, memory_limit=settings.duckdb_memory_limit
        ) as con:
            yield con
