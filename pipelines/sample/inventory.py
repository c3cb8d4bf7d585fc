"""The sample's inventory snapshot, action log and the machine-readable truth files."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecrcost.fmt import GIB, iso
from ecrcost.inventory.model import Blob, Image, ImageInUse, InUseSource, Repository, Snapshot
from ecrcost.prices import PriceTable
from ecrcost.sample import model
from ecrcost.sample.model import HOUR, Org, SimRepo
from ecrcost.sqlfiles import load_sql
from ecrcost.utc import as_utc

if TYPE_CHECKING:
    import duckdb

ACTION_TRUTH_COLUMNS = [
    "action_id",
    "action",
    "account_id",
    "region",
    "repository",
    "acted_at",
    "effective_at",
    "bytes_before",
    "bytes_after",
    "daily_storage_cost_before",
    "daily_storage_cost_after",
    "monthly_saving",
]
ACTION_DAY_COLUMNS = ["action_id", "day", "storage_cost", "counterfactual_storage_cost"]
ACTOR = f"arn:aws:sts::{model.PAYER}:assumed-role/finops-automation/ecrcost"


def snapshot(org: Org) -> Snapshot:
    """The organisation as `ecrcost inventory --read-manifests` would see it at `taken_at`:
    deleted repositories are gone, expired images are gone, today's tags."""
    repos = []
    for r in org.repos:
        if r.deleted_at is not None:
            continue
        repos.append(
            Repository(
                account_id=r.account_id,
                region=r.region,
                name=r.name,
                arn=r.arn,
                uri=f"{r.account_id}.dkr.ecr.{r.region}.amazonaws.com/{r.name}",
                created_at=r.created_at,
                tags=dict(sorted(r.tags.items())),
                lifecycle_policy=model.POLICY_TEXT if r.policy_applied_at else None,
                image_tag_mutability="MUTABLE",
                images=[_image(im) for im in r.images if im.removed_at is None],
            )
        )
    images_in_use, sources = _in_use(org, repos)
    return Snapshot(
        taken_at=org.taken_at,
        source="sample",
        manifests_read=True,
        repositories=repos,
        images_in_use=images_in_use,
        in_use_sources=sources,
    )


# Workloads of the sample: ECS services (cluster "prod") and a Lambda image function.
SAMPLE_SERVICES = ("payments/api", "checkout/web", "search/api")
SAMPLE_FUNCTION = "notifications/sender"


def _in_use(org: Org, repos: list[Repository]) -> tuple[list[ImageInUse], list[InUseSource]]:
    """What ECS and Lambda report at `taken_at`: each service runs its newest tagged release
    (by tag) while one task still runs the repository's oldest image (by digest); the function's
    versions 1 and 2 are its two oldest tagged images, $LATEST the newest. Inspector is off."""
    by_name = {r.name: r for r in repos}
    at = org.taken_at
    uses = []

    def use(source: str, used_by: str, r: Repository, image: Image, tag: str | None) -> None:
        reference = f"{r.uri}:{tag}" if tag else f"{r.uri}@{image.digest}"
        resolution = "tag" if tag else "reported"
        where = (r.account_id, r.region, r.name)
        uses.append(
            ImageInUse(source, used_by, at, reference, *where, tag, image.digest, resolution)
        )

    for name in SAMPLE_SERVICES:
        r = by_name.get(name)
        tagged = sorted((i for i in r.images if i.tags), key=lambda i: i.pushed_at) if r else []
        if not tagged:
            continue
        service = f"ecs:prod/{name.replace('/', '-')}"
        use("ecs", service, r, tagged[-1], tagged[-1].tags[0])
        children = {c for i in r.images for c in i.child_digests}
        runnable = [i for i in r.images if i.subject_digest is None and i.digest not in children]
        use("ecs", service, r, min(runnable, key=lambda i: (i.pushed_at, i.digest)), None)
    r = by_name.get(SAMPLE_FUNCTION)
    tagged = sorted((i for i in r.images if i.tags), key=lambda i: i.pushed_at) if r else []
    for version, image in (("1", tagged[:1]), ("2", tagged[1:2]), ("$LATEST", tagged[-1:])):
        for i in image:
            use("lambda", f"lambda:notifications-sender:{version}", r, i, i.tags[0])
    scopes = sorted({(r.account_id, r.region) for r in repos})
    sources = [
        InUseSource(source, account, region, f"{account}/{region}", status, detail)
        for account, region in scopes
        for source, status, detail in (
            ("ecs", "read", None),
            ("lambda", "read", None),
            ("inspector", "not_enabled", "Inspector ECR scanning is DISABLED"),
        )
    ]
    return uses, sources


def _image(im: model.SimImage) -> Image:
    return Image(
        digest=im.digest,
        tags=list(im.tags),
        size_bytes=im.size_bytes,
        pushed_at=im.pushed_at,
        last_pulled_at=im.last_pulled_at,
        manifest_media_type=im.manifest_media_type,
        artifact_media_type=im.artifact_media_type,
        subject_digest=im.subject_digest,
        status="ARCHIVED" if im.archived_at else "ACTIVE",
        archived_at=im.archived_at,
        blobs=[Blob(b.digest, b.size_bytes, b.kind, b.media_type) for b in im.blobs],
        child_digests=list(im.child_digests),
    )


def actions(org: Org, prices: PriceTable) -> list[dict[str, Any]]:
    """Action records with exactly the columns of table policy_actions."""
    out = []
    for r in sorted(org.repos, key=lambda r: r.policy_applied_at or r.deleted_at or org.end):
        if r.policy_applied_at and r.first_expiry_at:
            before, after = _bytes_around(org, r, r.policy_applied_at, r.first_expiry_at)
            out.append(
                _action(
                    org,
                    r,
                    "policy_applied",
                    r.policy_applied_at,
                    model.POLICY_TEXT,
                    before - after,
                    prices,
                    "playbook base policy: untagged > 1, latest 1, v* 9, 20 overall",
                )
            )
        elif r.deleted_at and r is model.recorded_deletion(org.repos):
            before, _ = _bytes_around(org, r, r.deleted_at, r.deleted_at)
            out.append(
                _action(
                    org,
                    r,
                    "repository_deleted",
                    r.deleted_at,
                    None,
                    before,
                    prices,
                    "repository retired by its team (DeleteRepository force=true)",
                )
            )
    return out


def _action(org, r: SimRepo, action, at, policy, freed, prices, detail) -> dict[str, Any]:
    action_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ecrcost-sample:{org.seed}:{action}:{r.arn}"))
    return {
        "action_id": action_id,
        "action": action,
        "status": "done",
        "acted_at": iso(at),
        "actor": ACTOR,
        "account_id": r.account_id,
        "region": r.region,
        "repository_name": r.name,
        "backup_id": f"backup-{action_id[:8]}",
        "old_policy": None,
        "new_policy": policy,
        "predicted_monthly_savings_usd": round(prices.monthly_storage_cost(freed, r.region), 6),
        "predicted_freed_bytes": freed,
        "detail": detail,
    }


def _bytes_around(org: Org, r: SimRepo, before_at: datetime, after_at: datetime) -> tuple[int, int]:
    """Standard bytes billed in the hour before `before_at` and in the hour after `after_at`."""
    h_before = max(0, int((before_at - org.start) / HOUR) - 1)
    h_after = min(org.total_hours - 1, int((after_at - org.start) / HOUR) + 1)
    return model.bytes_at(r, h_before)[0], model.bytes_at(r, h_after)[0]


def write_truth(
    con: duckdb.DuckDBPyConnection,
    org: Org,
    prices: PriceTable,
    root: Path,
    records: list[dict[str, Any]],
) -> list[Path]:
    paths = [
        _csv(root / "period_totals.csv", con.sql(load_sql("sample/truth_period_totals"))),
        _csv(root / "repository_costs.csv", con.sql(load_sql("sample/truth_repository_costs"))),
        _csv(root / "tags.csv", con.sql(load_sql("sample/truth_tags"))),
    ]
    rows = []
    by_arn = {r.arn: r for r in org.repos}
    for rec in records:
        r = by_arn[_arn(rec)]
        at = as_utc(rec["acted_at"])
        done = r.first_expiry_at or at
        before, after = _bytes_around(org, r, at, done)
        hours = next(p.hours for p in org.periods if p.start <= at < p.end)
        price = prices.storage(r.region)
        rows.append(
            {
                "action_id": rec["action_id"],
                "action": rec["action"],
                "account_id": r.account_id,
                "region": r.region,
                "repository": r.name,
                "acted_at": rec["acted_at"],
                "effective_at": iso(done),
                "bytes_before": before,
                "bytes_after": after,
                "daily_storage_cost_before": before / GIB / hours * 24 * price,
                "daily_storage_cost_after": after / GIB / hours * 24 * price,
                "monthly_saving": prices.monthly_storage_cost(before - after, r.region),
            }
        )
    paths.append(_rows_csv(root / "actions.csv", rows, ACTION_TRUTH_COLUMNS))
    days = [
        {"action_id": rec["action_id"], **day}
        for rec in records
        for day in _days_with_and_without(org, by_arn[_arn(rec)], prices)
    ]
    paths.append(_rows_csv(root / "action_days.csv", days, ACTION_DAY_COLUMNS))
    return paths


def _arn(rec: dict[str, Any]) -> str:
    return f"arn:aws:ecr:{rec['region']}:{rec['account_id']}:repository/{rec['repository_name']}"


def _days_with_and_without(org: Org, r: SimRepo, prices: PriceTable) -> list[dict[str, Any]]:
    """Per usage day: the repository's gross storage + archive storage cost as billed, and as
    it would have been billed had the action never happened (`SimRepo.counterfactual`): the
    difference is what the action truly saved that day."""
    actual = _daily_storage_cost(org, r, prices)
    without = _daily_storage_cost(org, r.counterfactual or r, prices)
    return [
        {
            "day": (org.start + timedelta(days=d)).date().isoformat(),
            "storage_cost": actual[d],
            "counterfactual_storage_cost": without[d],
        }
        for d in range(len(actual))
    ]


def _daily_storage_cost(org: Org, r: SimRepo, prices: PriceTable) -> list[float]:
    """Priced as the sample's bill prices each hour (sql/sample/insert_storage_lines.sql):
    bytes / 2^30 / hours in the month x the month's GB-month rate."""
    hours_in = []
    for p in org.periods:
        hours_in += [p.hours] * p.hours
    out = [0.0] * (org.total_hours // 24)
    std, arc = prices.storage(r.region), prices.archive(r.region)
    for h0, h1, s, a in r.segments:
        for h in range(h0, h1):
            out[h // 24] += (s * std + a * arc) / GIB / hours_in[h]
    return out


def write_actions(records: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    return path


def _csv(path: Path, rel: duckdb.DuckDBPyRelation) -> Path:
    rows = [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]
    return _rows_csv(path, rows, rel.columns)


def _rows_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns or list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
    return path


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return value
