"""The sample organisation, ingested from each of the four billing layouts: every mart figure
reproduces the generator's truth files to the cent."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

from ecrcost.attribution import build_marts, reconcile
from ecrcost.billing import ingest
from ecrcost.inventory.model import Snapshot
from ecrcost.inventory.store import store_snapshot
from ecrcost.sample import generate
from ecrcost.settings import load_settings
from ecrcost.warehouse import connect

pytestmark = pytest.mark.slow

LAYOUTS = ("cur-legacy-parquet", "cur-legacy-csv", "cur2", "focus")
TEAM_KEYS = {"team", "owner_team"}  # owner_team is aliased to team below


def cents(value: float) -> int:
    return round(float(value) * 100)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "org"
    generate(out, seed=7, months=3, end="2026-09")
    return out


@pytest.fixture(scope="module", params=LAYOUTS)
def built(request, sample, tmp_path_factory):
    home = tmp_path_factory.mktemp(request.param)
    con = connect(home / "warehouse.duckdb")
    ingest(con, str(sample / request.param))
    store_snapshot(con, Snapshot.read(sample / "inventory" / "snapshot.json.gz"))
    settings = load_settings({"home": str(home), "tag_aliases": {"owner_team": "team"}}, env={})
    periods = [r["billing_period"] for r in read_csv(sample / "truth" / "period_totals.csv")]
    summaries = {p: build_marts(con, settings, p) for p in periods}
    yield con, summaries
    con.close()


def test_reconciles_to_the_cent_every_month(built, sample):
    con, summaries = built
    for truth in read_csv(sample / "truth" / "period_totals.csv"):
        period = truth["billing_period"]
        marts, lines = reconcile(con, period)
        assert cents(marts) == cents(lines) == cents(truth["total_ecr_cost"]), period
        assert not summaries[period].estimated


def test_repository_costs_match_the_truth(built, sample):
    con, _ = built
    got = {
        tuple(r[:4]): r[4:]
        for r in con.execute(
            "SELECT billing_period, account_id, region, repository_name, storage_cost,"
            " archive_storage_cost, data_transfer_cost, other_usage_cost, gross_cost, net_cost,"
            " avg_gb_stored, exists_in_inventory FROM repository_costs"
        ).fetchall()
    }
    truth = read_csv(sample / "truth" / "repository_costs.csv")
    assert set(got) == {
        (t["billing_period"], t["account_id"], t["region"], t["repository_name"]) for t in truth
    }
    for t in truth:
        key = (t["billing_period"], t["account_id"], t["region"], t["repository_name"])
        storage, archive, transfer, other, gross, net, gb, exists = got[key]
        assert [cents(v) for v in (storage, archive, transfer, other, gross, net)] == [
            cents(t[c])
            for c in (
                "storage_cost",
                "archive_storage_cost",
                "data_transfer_cost",
                "other_cost",
                "total_cost",
                "total_cost",
            )
        ], key
        assert gb == pytest.approx(float(t["avg_gb_stored"]), rel=1e-9, abs=1e-9), key
        assert exists == (t["exists_at_end"] == "true"), key


def test_adjustments_are_reported_apart(built, sample, request):
    con, _ = built
    # FOCUS has no discount category: the EDP discount arrives as ChargeCategory Adjustment.
    focus = request.node.callspec.params["built"] == "focus"
    for truth in read_csv(sample / "truth" / "period_totals.csv"):
        period = truth["billing_period"]
        by_class = dict(
            con.execute(
                "SELECT charge_class, sum(cost) FROM unattributed_costs"
                " WHERE billing_period = ? GROUP BY 1",
                [period],
            ).fetchall()
        )
        (repo_gross,) = con.execute(
            "SELECT sum(gross_cost) FROM repository_costs WHERE billing_period = ?", [period]
        ).fetchall()[0]
        assert cents(repo_gross + by_class.get("usage", 0.0)) == cents(truth["usage_cost"])
        assert cents(by_class.get("credit", 0.0)) == cents(truth["credit"])
        assert cents(by_class.get("tax", 0.0)) == cents(truth["tax"])
        discount = by_class.get("discount", 0.0)
        if focus:
            assert "discount" not in by_class
            discount += by_class.pop("other_adjustment")
        assert cents(discount) == cents(truth["discount"])
        assert by_class.get("other_adjustment", 0.0) == 0.0


def test_team_chargeback_matches_the_truth(built, sample):
    con, _ = built
    cost = {
        (t["billing_period"], t["account_id"], t["region"], t["repository_name"]): float(
            t["total_cost"]
        )
        for t in read_csv(sample / "truth" / "repository_costs.csv")
    }
    team: dict[tuple, str] = {}
    for t in read_csv(sample / "truth" / "tags.csv"):
        if re.sub(r"[\W_]+", "", t["raw_key"].lower()) in {"team", "ownerteam"}:
            team[(t["billing_period"], t["account_id"], t["region"], t["repository_name"])] = t[
                "value"
            ]
    expected: dict[tuple[str, str], float] = defaultdict(float)
    for key, c in cost.items():
        expected[(key[0], team.get(key, "untagged"))] += c
    got = {
        (p, v): c
        for p, v, c in con.execute(
            "SELECT billing_period, tag_value, net_cost FROM tag_chargeback WHERE tag_key = 'team'"
        ).fetchall()
    }
    assert {k: cents(v) for k, v in got.items()} == {k: cents(v) for k, v in expected.items()}
    raw = {r[0] for r in con.execute("SELECT DISTINCT raw_key FROM tag_key_folding").fetchall()}
    assert {r for r in raw if r.lower().endswith(("team", "owner_team"))}  # audit is filled
