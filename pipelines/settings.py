"""One settings object: defaults < ecrcost.toml < ECRCOST_* environment < CLI flags.

Dagster resources and the CLI both call `load_settings`, so nothing is configured twice.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ecrcost.errors import UserError
from ecrcost.periods import parse_period
from ecrcost.prices import PriceTable
from ecrcost.warehouse import DEFAULT_MEMORY_LIMIT, memory_limit_of

CONFIG_FILE_NAME = "ecrcost.toml"


@dataclass(frozen=True)
class Settings:
    home: Path = Path(".ecrcost")
    cur_location: str | None = None
    cur_format: str = "auto"
    # first monthly partition Dagster knows (YYYY-MM); None: the warehouse's first loaded period
    # (or a year back; ecrcost.orchestration.partitions)
    first_period: str | None = None
    inventory_snapshot: str | None = None  # load this snapshot file instead of calling AWS
    aws_profile: str | None = None
    regions: tuple[str, ...] = ()  # empty: the profile's region; ("all",): every enabled region
    accounts: tuple[str, ...] = ()
    role_name: str | None = None
    external_id: str | None = None
    max_concurrency: int = 8
    aws_connect_timeout: float = 5.0  # seconds to connect to an AWS endpoint
    aws_read_timeout: float = 30.0  # seconds to wait for its response
    aws_call_timeout: float = 120.0  # seconds for one API call with all its retries
    prices: PriceTable = field(default_factory=PriceTable)
    tag_keys: tuple[str, ...] = ("team",)
    tag_aliases: dict[str, str] = field(default_factory=dict)  # raw key -> canonical key
    tag_case_sensitive: bool = False
    exemption_tag: str = "ecrcost:exempt"
    pin_tag_prefix: str = "ecrcost-pin-"  # `images pin` tags; the pin rule selects this prefix
    exempt_repositories: tuple[str, ...] = ()
    data_lag_days: int = 2
    stale_days: int = 90
    recent_pull_days: int = 30
    # ECS: the newest revisions of each ACTIVE task definition family counted as in use
    in_use_task_definition_revisions: int = 5
    report_top_n: int = 25  # rows a report table shows; its CSV keeps every row
    deliver: tuple[str, ...] = ()  # report destinations: s3://, smtp://, smtps://, https://
    report_link: str | None = None  # URL prefix where readers open reports (webhook, e-mail)
    # Where the extraction of ECR lines runs (docs/large-bills.md): duckdb | spark | athena.
    engine: str = "duckdb"
    billing_table: str | None = None  # spark: catalog table db.table; athena: Glue table
    spark_master: str = "local[*]"
    spark_conf: dict[str, str] = field(default_factory=dict)  # passed to the SparkSession
    # where Spark writes the extracted lines: default a local temporary folder (local masters);
    # on a cluster a folder every node shares, or s3://bucket/prefix
    spark_staging: str | None = None
    athena_database: str | None = None  # default: the database part of billing_table
    athena_workgroup: str = "primary"
    athena_output_location: str | None = None  # s3://bucket/prefix for results and UNLOAD
    athena_timeout: float = 1800.0  # seconds a query may run before it is stopped
    # DuckDB's memory for the warehouse (`4GB`, `512MiB`); beyond it DuckDB spills to
    # <home>/warehouse.duckdb.tmp. DuckDB's own default is 80% of the machine's memory.
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def backups_dir(self) -> Path:
        return self.home / "backups"


_ENV_PREFIX = "ECRCOST_"
_TUPLE_FIELDS = {"regions", "accounts", "tag_keys", "exempt_repositories", "deliver"}
_INT_FIELDS = {
    "max_concurrency",
    "data_lag_days",
    "stale_days",
    "recent_pull_days",
    "in_use_task_definition_revisions",
    "report_top_n",
}
_SECONDS_FIELDS = {"aws_connect_timeout", "aws_read_timeout", "aws_call_timeout", "athena_timeout"}
_ENGINES = ("duckdb", "spark", "athena")


def _coerce(name: str, value: Any, source: str) -> Any:
    try:
        if name == "home":
            return Path(value).expanduser()
        if name in _TUPLE_FIELDS:
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(str(v) for v in value)
        if name in _INT_FIELDS:
            number = int(value)
            if name == "report_top_n" and number < 1:
                raise ValueError(f"{value!r}: a report table shows at least 1 row")
            return number
        if name in _SECONDS_FIELDS:
            seconds = float(value)
            if not 0 < seconds < float("inf"):
                raise ValueError(f"{value!r} is not a positive number of seconds")
            return seconds
        if name == "tag_case_sensitive":
            return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "yes"}
        if name == "prices":
            return value if isinstance(value, PriceTable) else PriceTable.from_mapping(value)
        if name == "tag_aliases":
            return {str(k): str(v) for k, v in dict(value).items()}
        if name == "spark_conf":
            return _spark_conf(value)
        if name == "engine" and str(value) not in _ENGINES:
            raise ValueError(f"{value!r} is not one of {', '.join(_ENGINES)}")
        if name == "athena_output_location" and not str(value).startswith("s3://"):
            raise ValueError(f"{value!r} is not an s3://bucket/prefix location")
        if name == "duckdb_memory_limit":
            return memory_limit_of(str(value))
        if name == "first_period":
            return parse_period(str(value), f"{source}: first_period")
        return None if value is None else str(value)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{source}: setting '{name}' is invalid: {exc}") from None


def _spark_conf(value: Any) -> dict[str, str]:
    """Spark settings: a table in ecrcost.toml, or `KEY=VALUE` items (the repeatable
    --spark-conf flag, or a comma-separated ECRCOST_SPARK_CONF)."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    items = value.split(",") if isinstance(value, str) else list(value)
    out = {}
    for item in (str(i).strip() for i in items):
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{item!r} is not KEY=VALUE")
        out[key.strip()] = val.strip()
    return out


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: cannot read settings: {exc}") from None
    known = {f.name for f in fields(Settings)}
    unknown = set(data) - known
    if unknown:
        raise UserError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    return {k: _coerce(k, v, str(path)) for k, v in data.items()}


def _from_env(env: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(Settings):
        key = _ENV_PREFIX + f.name.upper()
        if key in env and f.name not in {"prices", "tag_aliases"}:
            out[f.name] = _coerce(f.name, env[key], key)
    if env.get("ECRCOST_STORAGE_PRICE"):
        out["prices"] = PriceTable.from_mapping(
            {"storage_per_gb_month": env["ECRCOST_STORAGE_PRICE"]}
        )
    return out


def load_settings(
    overrides: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    config_file: Path | None = None,
    flags: dict[str, str] | None = None,
) -> Settings:
    """Settings from defaults, the config file, the environment, then `overrides` (CLI flags).

    The config file is `config_file`, else `$ECRCOST_CONFIG`, else `./ecrcost.toml` if present.
    Overrides whose value is None are ignored, so argparse namespaces can be passed as they are;
    `flags` (setting -> the option that sets it) names the option in a bad value's message.
    """
    env = dict(os.environ if env is None else env)
    path = config_file or (Path(env["ECRCOST_CONFIG"]) if env.get("ECRCOST_CONFIG") else None)
    if path is None and Path(CONFIG_FILE_NAME).is_file():
        path = Path(CONFIG_FILE_NAME)
    values: dict[str, Any] = {}
    if path is not None:
        values.update(_from_file(path))
    values.update(_from_env(env))
    known = {f.name for f in fields(Settings)}
    for key, value in (overrides or {}).items():
        if key in known and value is not None:
            flag = (flags or {}).get(key) or f"--{key.replace('_', '-')}"
            values[key] = _coerce(key, value, flag)
    return replace(Settings(), **values)
