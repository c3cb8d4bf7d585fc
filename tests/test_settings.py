"""Settings: defaults < ecrcost.toml < ECRCOST_* < flags; the README's example parses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecrcost.errors import UserError
from ecrcost.settings import load_settings

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_toml(tmp_path) -> Path:
    block = re.search(r"```toml\n(.*?)```", README.read_text(), re.S).group(1)
    path = tmp_path / "ecrcost.toml"
    path.write_text(block)
    return path


def test_readme_example_parses(tmp_path):
    s = load_settings(config_file=_readme_toml(tmp_path), env={})
    assert s.home == Path("/var/lib/ecrcost")
    assert s.regions == ("all",)
    assert s.accounts == ("111111111111", "222222222222")
    assert s.tag_aliases == {"owner_team": "team"}
    assert s.prices.storage("eu-north-1") == 0.10
    assert s.data_lag_days == 2


def test_precedence_file_then_environment_then_flags(tmp_path):
    path = tmp_path / "ecrcost.toml"
    path.write_text('home = "/from/file"\ncur_format = "cur2"\nstale_days = 30\n')
    env = {"ECRCOST_CUR_FORMAT": "focus", "ECRCOST_STALE_DAYS": "45"}
    s = load_settings({"stale_days": 60, "home": None}, env=env, config_file=path)
    assert (s.home, s.cur_format, s.stale_days) == (Path("/from/file"), "focus", 60)
    assert s.warehouse_path == Path("/from/file/warehouse.duckdb")


def test_region_price_override_keeps_the_other_defaults(tmp_path):
    path = tmp_path / "ecrcost.toml"
    path.write_text(
        "[prices]\narchive_per_gb_month = 0.07\n"
        '[prices.regions."eu-west-1"]\nstorage_per_gb_month = 0.2\n'
    )
    prices = load_settings(config_file=path, env={}).prices
    assert (prices.storage("eu-west-1"), prices.archive("eu-west-1")) == (0.2, 0.07)
    assert (prices.storage("us-east-1"), prices.archive("us-east-1")) == (0.10, 0.07)
    assert prices.monthly_storage_cost(3 * 1024**3, "eu-west-1") == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "unknown setting(s) colour"),
        ("stale_days = 'soon'\n", "setting 'stale_days' is invalid"),
        ("[prices]\nstorage = 0.1\n", "unknown price key(s) ['storage']"),
        ("home = \n", "cannot read settings"),
    ],
)
def test_bad_settings_file_is_one_line_naming_it(tmp_path, text, message):
    path = tmp_path / "ecrcost.toml"
    path.write_text(text)
    with pytest.raises(UserError) as err:
        load_settings(config_file=path, env={})
    assert str(path) in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_first_period_is_checked_with_the_one_period_message(tmp_path):
    path = tmp_path / "conf" / "ecrcost.toml"  # not ./ecrcost.toml, read by default
    path.parent.mkdir()
    path.write_text('first_period = "2024-13"\n')
    with pytest.raises(UserError) as err:
        load_settings(config_file=path, env={})
    assert str(err.value) == (
        f"{path}: first_period '2024-13': expected a billing period as YYYY-MM, e.g. 2026-10"
    )
    with pytest.raises(UserError, match=r"^ECRCOST_FIRST_PERIOD: first_period '24-01': expected"):
        load_settings(env={"ECRCOST_FIRST_PERIOD": "24-01"})
    assert load_settings(env={"ECRCOST_FIRST_PERIOD": "2023-07"}).first_period == "2023-07"


def test_duckdb_memory_limit_from_file_and_environment(tmp_path):
    assert load_settings(env={}).duckdb_memory_limit == "2GB"
    path = tmp_path / "ecrcost.toml"
    path.write_text('duckdb_memory_limit = "1.5 gib"\n')
    assert load_settings(env={}, config_file=path).duckdb_memory_limit == "1.5GiB"
    env = {"ECRCOST_DUCKDB_MEMORY_LIMIT": "512MB"}
    assert load_settings(env=env, config_file=path).duckdb_memory_limit == "512MB"


@pytest.mark.parametrize("value", ["lots", "4", "0GB", "-1GB", "80%"])
def test_a_bad_duckdb_memory_limit_is_one_line_naming_the_setting(value):
    with pytest.raises(UserError) as caught:
        load_settings(env={"ECRCOST_DUCKDB_MEMORY_LIMIT": value})
    assert str(caught.value) == (
        f"ECRCOST_DUCKDB_MEMORY_LIMIT: setting 'duckdb_memory_limit' is invalid: {value!r} is "
        "not an amount of memory such as 4GB or 512MiB"
    )


def test_a_bad_flag_value_names_the_flag_the_user_typed(capsys):
    from ecrcost.cli import main

    code = main(["ingest", "--engine", "athena", "--table", "db.t", "--output-location", "x"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("ecrcost: --output-location: ") and "--athena-output" not in err
