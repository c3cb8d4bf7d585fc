"""Findings over a hand-built inventory: every kind's rows, bytes and dollars, exactly."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

import pytest

import ecrcost.cli
from ecrcost import warehouse
from ecrcost.errors import UserError
from ecrcost.findings import cli as findings_cli
from ecrcost.findings import kinds
from ecrcost.findings.findings import KINDS, build_findings, load_findings
from ecrcost.prices import PriceTable
from ecrcost.settings import Settings

MIB, GIB = 1024**2, 1024**3
ACCT = "111111111111"
EAST, WEST = "us-east-1", "eu-west-1"
TAKEN = datetime(2026, 11, 1)
LIST_TYPE = "application/vnd.oci.image.index.v1+json"
# Prices per region: eu-west-1 at twice the default, to see each copy priced where it lives.
PRICES = PriceTable.from_mapping({"regions": {WEST: {"storage_per_gb_month": 0.20}}})

# Valid policies (the validator wants >= 100 characters).
EXPIRE_OLD_UNTAGGED = json.dumps({"rules": [{
    "rulePriority": 1, "description": "expire untagged images older than thirty days",
    "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                  "countUnit": "days", "countNumber": 30},
    "action": {"type": "expire"},
}]})  # fmt: skip
KEEP_50_RELEASES = json.dumps({"rules": [{
    "rulePriority": 1, "description": "keep the fifty newest release images tagged v",
    "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"],
                  "countType": "imageCountMoreThan", "countNumber": 50},
    "action": {"type": "expire"},
}]})  # fmt: skip
KEEP_5_UNTAGGED = json.dumps({"rules": [{
    "rulePriority": 1, "description": "keep only the five newest untagged images here",
    "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
    "action": {"type": "expire"},
}]})  # fmt: skip


def d(day: str) -> datetime:
    return datetime.fromisoformat(day)


def usd(nbytes: int, price: float = 0.10) -> float:
    return nbytes / GIB * price


class Inventory:
    """Inserts inventory rows the way the collector stores them."""

    def __init__(self, con, snapshot_id: str, taken_at: datetime, manifests_read: bool):
        self.con, self.sid, self.taken = con, snapshot_id, taken_at
        self.repos = self.images = 0
        self.manifests_read = manifests_read

    def repo(self, name, region=EAST, policy="none", complete=True, tags=None):
        self.con.execute(
            "INSERT INTO ecr_repositories VALUES (?, ?, ?, ?, ?, ?, NULL, ?, 'MUTABLE', ?)",
            [self.sid, self.taken, ACCT, region, name,
             f"arn:aws:ecr:{region}:{ACCT}:repository/{name}", d("2025-01-01"), complete],
        )  # fmt: skip
        if policy != "unknown":  # no row: reading the policy failed
            self.con.execute(
                "INSERT INTO ecr_lifecycle_policies VALUES (?, ?, ?, ?, ?, ?)",
                [self.sid, self.taken, ACCT, region, name, None if policy == "none" else policy],
            )
        for key, value in (tags or {}).items():
            self.con.execute(
                "INSERT INTO ecr_repository_tags VALUES (?, ?, ?, ?, ?, ?, ?)",
                [self.sid, self.taken, ACCT, region, name, key, value],
            )
        self.repos += 1

    def image(self, repo, digest, tags, pushed, pulled=None, blobs=(), region=EAST, size=None,
              children=(), subject=None, status="ACTIVE"):  # fmt: skip
        media = LIST_TYPE if children else "application/vnd.oci.image.manifest.v1+json"
        if size is None:
            size = sum(s for _, s in blobs)
        self.con.execute(
            "INSERT INTO ecr_images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, "
            "NULL, ?)",
            [self.sid, self.taken, ACCT, region, repo, digest, list(tags), size, d(pushed),
             d(pulled) if pulled else None, media, subject, status, list(children)],
        )  # fmt: skip
        for blob, nbytes in blobs:
            kind = "config" if blob.startswith("cfg") else "layer"
            self.con.execute(
                "INSERT INTO ecr_image_blobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [self.sid, self.taken, ACCT, region, repo, digest, blob, kind, nbytes],
            )
        self.images += 1

    def close(self):
        self.con.execute(
            "INSERT INTO ecr_snapshots VALUES (?, ?, 'test', ?, ?, ?, 0)",
            [self.sid, self.taken, self.manifests_read, self.repos, self.images],
        )


def bill(con, period: str, repo: str, gb_months: float, region: str = EAST) -> None:
    """One storage line covering the whole month."""
    start = d(f"{period}-01")
    end = d(f"{period[:4]}-{int(period[5:]) + 1:02d}-01")
    con.execute(
        "INSERT INTO cur_ecr_lines (billing_period, usage_start, usage_end, usage_account_id, "
        "region, repository_name, usage_category, line_item_type, usage_amount, unblended_cost, "
        "source_format, source_file) VALUES (?, ?, ?, ?, ?, ?, 'storage', 'Usage', ?, ?, "
        "'cur2', 'test')",
        [period, start, end, ACCT, region, repo, gb_months, gb_months * 0.10],
    )


BASE, CFG = 100 * MIB, 4096
# Sizes of the blobs, by digest ("cfg*" blobs are configs).
L = {"base": BASE, "web1": 20 * MIB, "web2": 30 * MIB, "web4": 10 * MIB, "api": 50 * MIB,
     "old": 40 * MIB, "ghost": 5 * MIB, "sig": 1024}  # fmt: skip


def b(*names: str) -> list[tuple[str, int]]:
    out = []
    for n in names:
        out.append((f"cfg-{n[4:]}", CFG if n != "cfg-sig" else 2048) if n.startswith("cfg-")
                   else (f"sha256:{n}", L[n]))  # fmt: skip
    return out


@pytest.fixture
def con(tmp_path):
    con = warehouse.connect(tmp_path / "warehouse.duckdb")
    # An older snapshot without manifests: estimated sizes, and untouched by the latest's build.
    old = Inventory(con, "S0", d("2026-10-01"), manifests_read=False)
    old.repo("legacy", policy=EXPIRE_OLD_UNTAGGED)
    old.image("legacy", "sha256:l1", ["v1"], "2026-09-01", size=300 * MIB)
    old.image("legacy", "sha256:l2", [], "2026-09-02", size=200 * MIB)
    old.close()

    inv = Inventory(con, "S1", TAKEN, manifests_read=True)
    # web: a policy that acts (its untagged image is 61 days old); the base layer is shared.
    inv.repo("web", policy=EXPIRE_OLD_UNTAGGED)
    inv.image("web", "sha256:w1", ["v1"], "2026-10-01", "2026-10-30", b("base", "web1", "cfg-w1"))
    inv.image("web", "sha256:w2", [], "2026-09-01", None, b("base", "web2", "cfg-w2"))
    inv.image("web", "sha256:w4", ["multi"], "2026-10-02", "2026-10-30",
              size=BASE + L["web4"] + CFG, children=["sha256:w4c"])  # fmt: skip
    inv.image("web", "sha256:w4c", [], "2026-10-02", "2026-10-30", b("base", "web4", "cfg-w4c"))
    inv.image("web", "sha256:s1", [], "2026-10-01", None, b("sig", "cfg-sig"), subject="sha256:w1")
    # api: a policy that acts on nothing while the bill grows; its image is also in worker.
    inv.repo("api", policy=KEEP_50_RELEASES)
    inv.image("api", "sha256:dup", ["v1"], "2026-10-20", "2026-10-31", b("base", "api", "cfg-a1"))
    # worker (eu-west-1): a policy acting on nothing, no bill lines, a push 5 days ago.
    inv.repo("worker", region=WEST, policy=KEEP_5_UNTAGGED)
    inv.image("worker", "sha256:dup", ["v1"], "2026-10-27", None, b("base", "api", "cfg-a1"),
              region=WEST)  # fmt: skip
    # old: no policy, last pull 2026-06-15; ghost: no policy, never pulled, pushed in January.
    inv.repo("old")
    inv.image("old", "sha256:o1", ["v0"], "2026-05-01", "2026-06-15", b("old", "cfg-o1"))
    inv.image("old", "sha256:o2", ["v00"], "2026-04-01", None, b("base", "cfg-o2"))
    inv.repo("ghost", tags={"ecrcost:exempt": "legal-hold"})
    inv.image("ghost", "sha256:g1", ["x"], "2026-01-10", None, b("ghost", "cfg-g1"))
    # empty: no images, no policy. flaky: its scan failed (no policy row, incomplete).
    inv.repo("empty")
    inv.repo("flaky", policy="unknown", complete=False)
    inv.close()

    # The bill: api grows over the last three periods (July was higher: only 3 periods count);
    # old stays flat.
    for period, gb in (("2026-07", 0.2), ("2026-08", 0.10), ("2026-09", 0.12), ("2026-10", 0.15)):
        bill(con, period, "api", gb)
        bill(con, period, "old", 0.3)
    yield con
    con.close()


@pytest.fixture
def settings(tmp_path):
    return Settings(home=tmp_path, prices=PRICES)


def rows(found, kind):
    return [
        (f.rank, f.region, f.repository_name, f.subject, f.bytes, f.estimated, f.image_count)
        for f in found
        if f.kind == kind
    ]


def costs(found, kind):
    return [f.monthly_cost_usd for f in found if f.kind == kind]


WEB_BYTES = BASE + L["web1"] + L["web2"] + L["web4"] + 3 * CFG + L["sig"] + 2048
API_BYTES = BASE + L["api"] + CFG
OLD_BYTES = L["old"] + BASE + 2 * CFG
GHOST_BYTES = L["ghost"] + CFG


def test_every_kind_of_the_latest_snapshot(con, settings):
    found = build_findings(con, settings, top=3)
    assert {f.snapshot_id for f in found} == {"S1"}

    assert rows(found, "no_policy") == [
        (1, EAST, "old", None, OLD_BYTES, False, 2),
        (2, EAST, "ghost", None, GHOST_BYTES, False, 1),
        (3, EAST, "empty", None, 0, False, 0),
    ]
    assert costs(found, "no_policy") == pytest.approx([usd(OLD_BYTES), usd(GHOST_BYTES), 0.0])
    ghost = next(f for f in found if f.kind == "no_policy" and f.repository_name == "ghost")
    assert "exemption tag" in ghost.detail

    assert rows(found, "idle_policy") == [
        (1, WEST, "worker", None, API_BYTES, False, 1),
        (2, EAST, "api", None, API_BYTES, False, 1),
    ]
    assert costs(found, "idle_policy") == pytest.approx([usd(API_BYTES, 0.2), usd(API_BYTES)])
    idle = {f.repository_name: f.facts for f in found if f.kind == "idle_policy"}
    assert idle["api"]["basis"] == "bill"
    assert idle["api"]["periods"] == ["2026-08", "2026-09", "2026-10"]
    assert idle["api"]["avg_gb"] == pytest.approx([0.10, 0.12, 0.15])
    assert idle["worker"]["basis"] == "pushes"
    api = next(f for f in found if f.kind == "idle_policy" and f.repository_name == "api")
    assert api.detail == (
        "policy with 1 rule(s) expires or archives none of its 1 image(s) at 2026-11-01 00:00Z "
        "while stored GiB rose 0.10 → 0.12 → 0.15 over 2026-08..2026-10 (bill)"
    )

    # w2 alone: w4c (child of a tagged list) and s1 (signature of a tagged image) are kept.
    assert rows(found, "untagged_images") == [
        (1, EAST, "web", None, L["web2"] + CFG, False, 1),
    ]
    assert costs(found, "untagged_images") == pytest.approx([usd(L["web2"] + CFG)])
    untagged = next(f for f in found if f.kind == "untagged_images")
    assert untagged.facts["kept_by_tags"] == 2

    assert rows(found, "stale_repository") == [
        (1, EAST, "old", None, OLD_BYTES, False, 2),
        (2, EAST, "ghost", None, GHOST_BYTES, False, 1),
    ]
    stale = {f.repository_name: f for f in found if f.kind == "stale_repository"}
    assert stale["old"].facts["idle_days"] == (TAKEN - d("2026-06-15")).days
    assert stale["ghost"].facts["idle_days"] == (TAKEN - d("2026-01-10")).days
    assert "never pulled (push time used)" in stale["ghost"].detail
    assert "Inspector scans do not" in stale["old"].detail

    assert rows(found, "empty_repository") == [(1, EAST, "empty", None, 0, False, 0)]

    # Ties on bytes: the costlier (eu-west-1) first.
    assert rows(found, "largest_repository") == [
        (1, EAST, "web", None, WEB_BYTES, False, 5),
        (2, WEST, "worker", None, API_BYTES, False, 1),
        (3, EAST, "api", None, API_BYTES, False, 1),
    ]
    assert costs(found, "largest_repository") == pytest.approx(
        [usd(WEB_BYTES), usd(API_BYTES, 0.2), usd(API_BYTES)]
    )

    assert rows(found, "largest_image") == [
        (1, WEST, "worker", "sha256:dup", API_BYTES, False, 1),
        (2, EAST, "api", "sha256:dup", API_BYTES, False, 1),
        (3, EAST, "web", "sha256:w2", BASE + L["web2"] + CFG, False, 1),
    ]

    layers = [(f.rank, f.subject, f.bytes, f.image_count, f.repository_count, f.repositories)
              for f in found if f.kind == "largest_layer"]  # fmt: skip
    assert layers == [
        (1, "sha256:base", 4 * BASE, 6, 4, (f"{ACCT}/{WEST}/worker", f"{ACCT}/{EAST}/api",
                                           f"{ACCT}/{EAST}/old", f"{ACCT}/{EAST}/web")),
        (2, "sha256:api", 2 * L["api"], 2, 2, (f"{ACCT}/{WEST}/worker", f"{ACCT}/{EAST}/api")),
        (3, "sha256:old", L["old"], 1, 1, (f"{ACCT}/{EAST}/old",)),
    ]  # fmt: skip
    assert costs(found, "largest_layer") == pytest.approx(
        [3 * usd(BASE) + usd(BASE, 0.2), usd(L["api"]) + usd(L["api"], 0.2), usd(L["old"])]
    )

    dup = [f for f in found if f.kind == "duplicate_image"]
    assert [(f.subject, f.bytes, f.repository_count, f.repositories, f.region) for f in dup] == [
        ("sha256:dup", API_BYTES, 2, (f"{ACCT}/{EAST}/api", f"{ACCT}/{WEST}/worker"), None)
    ]
    # The copy beyond the first pushed (api, us-east-1) is worker's, at eu-west-1's price.
    assert dup[0].monthly_cost_usd == pytest.approx(usd(API_BYTES, 0.2))
    assert "replication" in dup[0].detail


def test_rows_stored_replace_the_snapshot_and_read_back(con, settings):
    first = build_findings(con, settings, top=3)
    again = build_findings(con, settings, top=3)
    assert [f.to_json() for f in again] == [f.to_json() for f in first]
    count = con.execute("SELECT count(*) FROM findings WHERE snapshot_id = 'S1'").fetchall()
    assert count == [(len(first),)]
    stored = load_findings(con)
    assert [f.to_json() for f in stored] == [f.to_json() for f in first]
    total = con.execute(
        "SELECT sum(monthly_cost_usd) FROM findings WHERE kind = 'no_policy'"
    ).fetchall()[0][0]
    assert total == pytest.approx(usd(OLD_BYTES) + usd(GHOST_BYTES))


def test_older_snapshot_without_manifests_is_estimated(con, settings):
    latest = build_findings(con, settings)
    found = build_findings(con, settings, "S0")
    assert rows(found, "untagged_images") == [(1, EAST, "legacy", None, 200 * MIB, True, 1)]
    assert costs(found, "untagged_images") == pytest.approx([usd(200 * MIB)])
    assert rows(found, "largest_repository") == [(1, EAST, "legacy", None, 500 * MIB, True, 2)]
    assert rows(found, "largest_image") == [
        (1, EAST, "legacy", "sha256:l1", 300 * MIB, True, 1),
        (2, EAST, "legacy", "sha256:l2", 200 * MIB, True, 1),
    ]
    assert [f for f in found if f.kind in ("largest_layer", "no_policy")] == []
    # At 2026-10-01 the untagged image is 29 days old: the 30-day rule takes nothing yet, and
    # without bill lines the push 29 days earlier counts as growth.
    assert rows(found, "idle_policy") == [(1, EAST, "legacy", None, 500 * MIB, True, 2)]
    assert found[0].snapshot_id == "S0"
    # Each snapshot keeps its own rows.
    per_snapshot = dict(
        con.execute("SELECT snapshot_id, count(*) FROM findings GROUP BY ALL").fetchall()
    )
    assert per_snapshot == {"S0": len(found), "S1": len(latest)}


def test_stale_days_setting_and_flat_bill(con, tmp_path):
    # With 150 days, only ghost (294 idle days) is stale; old (139) is not.
    found = build_findings(con, Settings(home=tmp_path, prices=PRICES, stale_days=150))
    assert [f.repository_name for f in found if f.kind == "stale_repository"] == ["ghost"]
    # old gets a policy acting on nothing and a recent push, but its bill is flat: the bill wins.
    con.execute("UPDATE ecr_lifecycle_policies SET policy_text = ? WHERE repository_name = 'old'",
                [KEEP_50_RELEASES])  # fmt: skip
    con.execute("UPDATE ecr_images SET pushed_at = '2026-10-25' WHERE image_digest = 'sha256:o1'")
    found = build_findings(con, Settings(home=tmp_path, prices=PRICES))
    assert [f.repository_name for f in found if f.kind == "idle_policy"] == ["worker", "api"]


def test_a_month_in_progress_is_scaled_to_the_hours_it_covers(con, settings):
    # November so far: 10 of 30 days billed, 0.06 GB-Mo = 0.18 GB on average: still rising.
    # Unscaled (0.06 after 0.15) api would drop out of idle_policy.
    con.execute(
        "INSERT INTO cur_ecr_lines (billing_period, usage_start, usage_end, usage_account_id, "
        "region, repository_name, usage_category, line_item_type, usage_amount, unblended_cost, "
        "source_format, source_file) VALUES ('2026-11', '2026-11-01', '2026-11-11', ?, ?, 'api', "
        "'storage', 'Usage', 0.06, 0.006, 'cur2', 'test')",
        [ACCT, EAST],
    )
    found = build_findings(con, settings)
    api = next(f for f in found if f.kind == "idle_policy" and f.repository_name == "api")
    assert api.facts["periods"] == ["2026-09", "2026-10", "2026-11"]
    assert api.facts["avg_gb"] == pytest.approx([0.12, 0.15, 0.18])


def test_no_snapshot_is_a_user_error(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    with pytest.raises(UserError, match="no inventory snapshot"):
        build_findings(con, Settings(home=tmp_path))
    with pytest.raises(UserError, match="'nope' is not in the warehouse"):
        build_findings(con, Settings(home=tmp_path), "nope")
    con.close()


def test_cli_json_and_table(con, tmp_path, capsys):
    con.close()  # the CLI opens the warehouse itself
    settings = Settings(home=tmp_path, prices=PRICES)
    parser = build_parser_with_findings()
    args = parser.parse_args(["findings", "--kind", "duplicate_image", "empty_repository",
                              "--format", "json", "--home", str(tmp_path)])  # fmt: skip
    assert args.handler(args, settings) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["snapshot_id"] == "S1"
    assert [f["kind"] for f in out["findings"]] == ["empty_repository", "duplicate_image"]
    assert out["totals"]["duplicate_image"]["bytes"] == API_BYTES

    args = parser.parse_args(["findings", "--kind", "no_policy", "--top", "2"])
    assert args.handler(args, settings) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == (
        f"== no_policy: 3 finding(s), 145.0 MiB, ${usd(OLD_BYTES) + usd(GHOST_BYTES):,.2f}/month"
    )
    assert "... 1 more" in text
    assert f"{ACCT}/{EAST}/old" in text and f"{ACCT}/{EAST}/empty" not in text


def build_parser_with_findings() -> argparse.ArgumentParser:
    # The lead registers the module in ecrcost.cli.COMMAND_MODULES; test it on its own parser.
    parser = argparse.ArgumentParser(prog="ecrcost")
    findings_cli.register(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_kind_choices_are_the_one_kinds():
    parser = argparse.ArgumentParser(prog="ecrcost")
    findings_cli.register(parser.add_subparsers(dest="command", required=True))
    (command,) = parser._subparsers._group_actions[0].choices.values()
    (kind,) = [a for a in command._actions if a.dest == "kinds"]
    assert tuple(kind.choices) == KINDS == kinds.KINDS


def test_through_ecrcost_main(con, tmp_path, capsys, monkeypatch):
    con.close()
    argv = ["findings", "--kind", "stale_repository", "--stale-days", "150", "--format", "json",
            "--home", str(tmp_path)]  # fmt: skip
    assert ecrcost.cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert [f["repository_name"] for f in out["findings"]] == ["ghost"]
    assert out["findings"][0]["monthly_cost_usd"] == round(usd(GHOST_BYTES), 6)
    assert ecrcost.cli.main(["findings", "--top", "0", "--home", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "ecrcost: --top 0: expected a positive number of rows\n"
    assert ecrcost.cli.main(["findings", "--stale-days", "-5", "--home", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        "ecrcost: --stale-days -5: expected a positive number of days\n"
    )


def test_one_off_flags_print_findings_without_storing_them(con, tmp_path, capsys):
    """The report reads stored findings: `findings --top 3` must not change them."""
    con.close()
    home = ["--home", str(tmp_path)]
    assert ecrcost.cli.main(["findings", *home]) == 0
    capsys.readouterr()

    def stored():
        with warehouse.opened(tmp_path / "warehouse.duckdb", read_only=True) as c:
            return c.execute("SELECT kind, count(*) FROM findings GROUP BY 1 ORDER BY 1").fetchall()

    before = stored()
    assert ecrcost.cli.main(["findings", "--top", "1", "--stale-days", "1", *home]) == 0
    assert stored() == before
    assert ("largest_image", 1) not in before


def test_without_any_policy_the_images_are_not_loaded_for_idle_policies(con, settings, monkeypatch):
    con.execute("UPDATE ecr_lifecycle_policies SET policy_text = NULL")
    expected = build_findings(con, settings, store=False)
    assert "idle_policy" not in {f.kind for f in expected}
    assert "no_policy" in {f.kind for f in expected}

    def unwanted(*args, **kwargs):
        raise AssertionError("the snapshot's images were loaded")

    monkeypatch.setattr("ecrcost.findings.findings.load_inventory", unwanted)
    assert build_findings(con, settings, store=False) == expected
    con.execute("UPDATE ecr_lifecycle_policies SET policy_text = $t", {"t": EXPIRE_OLD_UNTAGGED})
    with pytest.raises(AssertionError, match="images were loaded"):
        build_findings(con, settings, store=False)
