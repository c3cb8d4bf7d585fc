"""Findings over one inventory snapshot: what is worth cleaning, with bytes and $/month.

Kinds (each a list of `Finding`, stored in the `findings` table, a snapshot at a time):
- no_policy: repositories without a lifecycle policy (a failed policy read is unknown: left out).
- idle_policy: a policy that acts on nothing now (simulated at the snapshot time) while the
  repository grows: its stored GiB (the bill's "GB") rose over the bill's last 3 billing
  periods or, when the bill has no storage lines for it, its newest push is at most settings.recent_pull_days old.
- untagged_images: untagged images no tag keeps (not a child or referrer of a tagged image),
  with the bytes only they hold.
- stale_repository: no push, pull or restore for more than settings.stale_days.
- empty_repository: no image at all.
- largest_repository, largest_image, largest_layer: the top N by billed bytes.
- duplicate_image: one image digest in several repositories; bytes and cost of the extra copies.

Choices:
- Repository bytes are `ecrcost.inventory.store.billed_sizes` (unique blobs when every manifest
  was read, else summed image sizes: `estimated`), so findings agree with the inventory.
- Archived bytes are priced at the archive price, the rest at the storage price, per region.
- Repositories whose inventory is incomplete are left out of the kinds that judge from what is
  missing (empty, stale, idle_policy): a partial image list would mislead.
- "Older than N days" is strict, as in the lifecycle simulator.
- Non-ranked kinds are ordered by monthly cost, then bytes; ranked ones by bytes, then cost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from ecrcost import sqlfiles
from ecrcost.errors import UserError
from ecrcost.findings.kinds import KINDS
from ecrcost.fmt import human_bytes
from ecrcost.inventory.store import billed_sizes
from ecrcost.lifecycle.plan import load_inventory
from ecrcost.lifecycle.policy import PolicyError, parse_policy
from ecrcost.lifecycle.simulate import evaluate
from ecrcost.utc import as_utc
from ecrcost.warehouse import transaction

if TYPE_CHECKING:
    import duckdb

    from ecrcost.prices import PriceTable
    from ecrcost.settings import Settings

RANKED_KINDS = ("largest_repository", "largest_image", "largest_layer")
DEFAULT_TOP = 20
GROWTH_PERIODS = 3
# GB: below this a period-to-period change is rounding, not growth.
GROWTH_EPSILON_GB = 1e-6

PULL_TIME_CAVEAT = (
    "lastRecordedPullTime is refreshed about once a day; BatchGetImage (manifest reads, "
    "ecrcost inventory --manifests included) updates it, Amazon Inspector scans do not"
)


@dataclass(frozen=True)
class Finding:
    kind: str
    account_id: str | None
    region: str | None
    repository_name: str | None
    subject: str | None
    detail: str
    bytes: int
    monthly_cost_usd: float
    estimated: bool
    image_count: int | None = None
    repository_count: int | None = None
    repositories: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)
    rank: int = 0
    snapshot_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rank": self.rank,
            "account_id": self.account_id,
            "region": self.region,
            "repository_name": self.repository_name,
            "subject": self.subject,
            "detail": self.detail,
            "bytes": self.bytes,
            "monthly_cost_usd": round(self.monthly_cost_usd, 6),
            "estimated": self.estimated,
            "image_count": self.image_count,
            "repository_count": self.repository_count,
            "repositories": list(self.repositories),
            "facts": self.facts,
        }


@dataclass(frozen=True)
class _Snapshot:
    snapshot_id: str
    taken_at: datetime
    manifests_read: bool


def build_findings(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    snapshot_id: str | None = None,
    *,
    top: int = DEFAULT_TOP,
    store: bool = True,
) -> list[Finding]:
    """Every finding of the snapshot (latest by default); replaces its rows in `findings` unless
    `store` is false (a one-off look with other flags must not change what the report reads)."""
    if top < 1:
        raise UserError(f"--top {top}: expected a positive number of rows")
    snap = _snapshot(con, snapshot_id)
    params = {"snapshot_id": snap.snapshot_id, "exemption_tag": settings.exemption_tag}
    repos = sqlfiles.records(con, "findings/repositories", params)
    sizes = _repository_sizes(con, settings, snap.snapshot_id)
    prices = settings.prices
    found: list[Finding] = []
    found += _no_policy(repos, sizes)
    found += _idle_policy(con, snap, repos, sizes, settings)
    found += _untagged(con, snap, prices)
    found += _stale(repos, sizes, snap, settings.stale_days)
    found += _empty(repos)
    found += _largest_repositories(sizes, top)
    found += _largest_images(con, snap, prices, top)
    found += _largest_layers(con, snap, prices, top)
    found += _duplicates(con, snap, prices)
    ranked = _rank(found, snap.snapshot_id)
    if store:
        _store(con, snap, ranked)
    return ranked


def build_latest_findings(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | None:
    """Findings of the latest snapshot, built once per snapshot. Returns why not, or None."""
    latest = sqlfiles.run(con, "findings/latest_built").fetchall()
    if not latest:
        return "no inventory snapshot: findings not built"
    snapshot_id, built = latest[0]
    if not built:
        build_findings(con, settings, snapshot_id)
    return None


def load_findings(con: duckdb.DuckDBPyConnection, snapshot_id: str | None = None) -> list[Finding]:
    """Stored findings of a snapshot (the latest one with findings by default), as built."""
    out = []
    for r in sqlfiles.records(con, "findings/select_findings", {"snapshot_id": snapshot_id}):
        out.append(
            Finding(
                kind=r["kind"],
                account_id=r["account_id"],
                region=r["region"],
                repository_name=r["repository_name"],
                subject=r["subject"],
                detail=r["detail"],
                bytes=int(r["bytes"]),
                monthly_cost_usd=float(r["monthly_cost_usd"]),
                estimated=bool(r["estimated"]),
                image_count=r["image_count"],
                repository_count=r["repository_count"],
                repositories=tuple(r["repositories"]),
                facts=json.loads(r["facts"]),
                rank=int(r["rank"]),
                snapshot_id=r["snapshot_id"],
            )
        )
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda f: (order.get(f.kind, len(order)), f.rank))


# --- helpers -------------------------------------------------------------------------------


def _snapshot(con: Any, snapshot_id: str | None) -> _Snapshot:
    rows = sqlfiles.run(con, "lifecycle/snapshot", {"snapshot_id": snapshot_id}).fetchall()
    if not rows:
        if snapshot_id is None:
            raise UserError(
                "the warehouse holds no inventory snapshot; run `ecrcost inventory` "
                "(or load the sample) first"
            )
        raise UserError(f"snapshot {snapshot_id!r} is not in the warehouse; see ecr_snapshots")
    sid, taken_at, manifests_read = rows[0]
    return _Snapshot(sid, as_utc(taken_at), bool(manifests_read))


def _key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["account_id"], row["region"], row["repository_name"])


def _label(account_id: str, region: str, name: str) -> str:
    return f"{account_id}/{region}/{name}"


def _priced(prices: PriceTable, region: str | None, nbytes: int, archived: bool) -> float:
    """Monthly cost of `nbytes` held in archive (`archived`) or in standard storage."""
    if archived:
        return prices.monthly_cost(0, nbytes, region=region)
    return prices.monthly_cost(nbytes, region=region)


def _day(value: datetime | None) -> str:
    return "never" if value is None else value.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class _Size:
    bytes: int
    monthly_cost_usd: float
    estimated: bool
    image_count: int


def _repository_sizes(con: Any, settings: Settings, snapshot_id: str) -> dict[tuple, _Size]:
    return {
        (s.account_id, s.region, s.repository_name): _Size(
            s.billed_bytes + s.archived_bytes, s.monthly_cost, not s.deduplicated, s.image_count
        )
        for s in billed_sizes(con, settings, snapshot_id)
    }


def _in_repository(kind: str, key: tuple[str, str, str], **fields: Any) -> Finding:
    """A finding about one repository (or something in it)."""
    return Finding(
        kind=kind,
        account_id=key[0],
        region=key[1],
        repository_name=key[2],
        repository_count=1,
        repositories=(_label(*key),),
        **fields,
    )


def _repo_finding(
    kind: str, row: dict[str, Any], size: _Size | None, detail: str, facts: dict[str, Any]
) -> Finding:
    size = size or _Size(0, 0.0, False, 0)
    return _in_repository(
        kind,
        _key(row),
        subject=None,
        detail=detail,
        bytes=size.bytes,
        monthly_cost_usd=size.monthly_cost_usd,
        estimated=size.estimated,
        image_count=int(row["image_count"]),
        facts=facts,
    )


# --- the kinds -----------------------------------------------------------------------------


def _no_policy(repos: list[dict[str, Any]], sizes: dict[tuple, _Size]) -> list[Finding]:
    out = []
    for r in repos:
        if not r["has_policy_row"] or r["policy_text"] is not None:
            continue
        size = sizes.get(_key(r))
        detail = f"no lifecycle policy: {r['image_count']} image(s) kept forever"
        if r["exempt"]:
            detail += "; carries the exemption tag, so ecrcost will not write a policy"
        out.append(_repo_finding("no_policy", r, size, detail, {"exempt": bool(r["exempt"])}))
    return out


def _idle_policy(
    con: Any,
    snap: _Snapshot,
    repos: list[dict[str, Any]],
    sizes: dict[tuple, _Size],
    settings: Settings,
) -> list[Finding]:
    if not any(r["policy_text"] is not None and r["complete"] for r in repos):
        return []  # nothing to evaluate: the snapshot's images (up to millions) stay unread
    inventory = load_inventory(
        con, settings.exemption_tag, snapshot_id=snap.snapshot_id, layers=False
    )
    images = {r.key: r.images for r in inventory.repositories if r.policy_text is not None}
    growth = {
        _key(g): (list(g["periods"]), [float(x) for x in g["avg_gb"]])
        for g in sqlfiles.records(
            con, "findings/storage_growth", {"period": f"{snap.taken_at:%Y-%m}"}
        )
    }
    recent = snap.taken_at - timedelta(days=settings.recent_pull_days)
    out = []
    for r in repos:
        key = _key(r)
        if r["policy_text"] is None or not r["complete"]:
            continue
        try:
            policy = parse_policy(r["policy_text"])
        except PolicyError:
            continue  # AWS accepted it but we cannot evaluate it: no claim either way
        repo_images = images.get(key, [])
        if any(o.action for o in evaluate(policy, repo_images, snap.taken_at)):
            continue
        facts: dict[str, Any] = {"rules": len(policy.rules)}
        periods, avg_gb = growth.get(key, ([], []))
        if len(periods) == GROWTH_PERIODS and any(avg_gb):
            if not all(b - a > GROWTH_EPSILON_GB for a, b in pairwise(avg_gb)):
                continue
            trend = " → ".join(f"{gb:.2f}" for gb in avg_gb)
            why = f"stored GiB rose {trend} over {periods[0]}..{periods[-1]} (bill)"
            facts.update(basis="bill", periods=periods, avg_gb=avg_gb)
        else:
            newest = as_utc(r["last_pushed_at"])
            if newest is None or newest < recent:
                continue
            days = (snap.taken_at - newest).total_seconds() / 86400
            why = (
                f"the bill lacks 3 periods of its storage; newest push {_day(newest)} "
                f"({days:.0f} days ago)"
            )
            facts.update(basis="pushes", last_pushed_at=newest.isoformat())
        detail = (
            f"policy with {len(policy.rules)} rule(s) expires or archives none of its "
            f"{len(repo_images)} image(s) at {snap.taken_at:%Y-%m-%d %H:%M}Z while {why}"
        )
        out.append(_repo_finding("idle_policy", r, sizes.get(key), detail, facts))
    return out


def _untagged(con: Any, snap: _Snapshot, prices: PriceTable) -> list[Finding]:
    out = []
    for r in sqlfiles.records(con, "findings/untagged_images", {"snapshot_id": snap.snapshot_id}):
        standard, archived = int(r["standard_bytes"]), int(r["archived_bytes"])
        count, total = int(r["image_count"]), int(r["untagged_total"])
        kept = total - count
        basis = "bytes only they hold" if r["deduplicated"] else "summed sizes (estimated)"
        detail = f"{count} untagged image(s) no tag keeps; {basis}"
        if kept:
            detail += f"; {kept} more untagged are children or referrers of tagged images"
        out.append(
            _in_repository(
                "untagged_images",
                _key(r),
                subject=None,
                detail=detail,
                bytes=standard + archived,
                monthly_cost_usd=prices.monthly_cost(standard, archived, region=r["region"]),
                estimated=not r["deduplicated"],
                image_count=count,
                facts={"untagged_total": total, "kept_by_tags": kept, "archived_bytes": archived},
            )
        )
    return out


def _stale(
    repos: list[dict[str, Any]], sizes: dict[tuple, _Size], snap: _Snapshot, stale_days: int
) -> list[Finding]:
    cutoff = snap.taken_at - timedelta(days=stale_days)
    out = []
    for r in repos:
        if not r["complete"] or not r["image_count"]:
            continue
        pushed, pulled = as_utc(r["last_pushed_at"]), as_utc(r["last_pulled_at"])
        activated = as_utc(r["last_activated_at"])
        last = max(t for t in (pushed, pulled, activated) if t is not None)
        if last >= cutoff:
            continue
        idle = (snap.taken_at - last).days
        pull_note = f"last pull {_day(pulled)}" if pulled else "never pulled (push time used)"
        detail = (
            f"no push or pull for {idle} days (> {stale_days}): last push {_day(pushed)}, "
            f"{pull_note}; {PULL_TIME_CAVEAT}"
        )
        facts = {
            "last_pushed_at": pushed.isoformat() if pushed else None,
            "last_pulled_at": pulled.isoformat() if pulled else None,
            "idle_days": idle,
            "stale_days": stale_days,
        }
        out.append(_repo_finding("stale_repository", r, sizes.get(_key(r)), detail, facts))
    return out


def _empty(repos: list[dict[str, Any]]) -> list[Finding]:
    out = []
    for r in repos:
        if not r["complete"] or r["image_count"]:
            continue
        detail = f"no images (created {_day(as_utc(r['created_at']))}): delete it or use it"
        out.append(_repo_finding("empty_repository", r, None, detail, {}))
    return out


def _largest_repositories(sizes: dict[tuple, _Size], top: int) -> list[Finding]:
    order = sorted(
        ((k, s) for k, s in sizes.items() if s.bytes > 0),
        key=lambda ks: (-ks[1].bytes, -ks[1].monthly_cost_usd, ks[0]),
    )
    out = []
    for (account, region, name), s in order[:top]:
        basis = "summed image sizes (estimated)" if s.estimated else "unique blobs"
        out.append(
            _in_repository(
                "largest_repository",
                (account, region, name),
                subject=None,
                detail=f"{s.image_count} image(s); billed bytes from {basis}",
                bytes=s.bytes,
                monthly_cost_usd=s.monthly_cost_usd,
                estimated=s.estimated,
                image_count=s.image_count,
            )
        )
    return out


def _largest_images(con: Any, snap: _Snapshot, prices: PriceTable, top: int) -> list[Finding]:
    out = []
    rows = sqlfiles.records(
        con, "findings/largest_images", {"snapshot_id": snap.snapshot_id, "top": top}
    )
    for r in rows:
        size, archived = int(r["bytes"]), r["image_status"] != "ACTIVE"
        tags = ", ".join(r["image_tags"]) or "untagged"
        if r["is_child"]:
            parent = ", ".join(r["parent_tags"]) or "untagged"
            tags += f" (platform image of the manifest list tagged {parent})"
        detail = (
            f"image {tags}, pushed {_day(as_utc(r['pushed_at']))}, "
            f"last pull {_day(as_utc(r['last_pulled_at']))}; "
            "layers shared with other images of the repository are billed once"
        )
        if archived:
            detail += "; archived"
        out.append(
            _in_repository(
                "largest_image",
                _key(r),
                subject=r["image_digest"],
                detail=detail,
                bytes=size,
                monthly_cost_usd=_priced(prices, r["region"], size, archived),
                estimated=bool(r["estimated"]),
                image_count=1,
                facts={"tags": list(r["image_tags"]), "status": r["image_status"]},
            )
        )
    return out


def _largest_layers(con: Any, snap: _Snapshot, prices: PriceTable, top: int) -> list[Finding]:
    if not snap.manifests_read:
        return []  # layers are only known from manifests (ecrcost inventory --manifests)
    out = []
    rows = sqlfiles.records(
        con, "findings/largest_layers", {"snapshot_id": snap.snapshot_id, "top": top}
    )
    for r in rows:
        copies = r["copies"]
        cost = sum(_priced(prices, c["region"], c["size_bytes"], c["archived"]) for c in copies)
        size, repos = int(r["size_bytes"]), int(r["repository_count"])
        images = int(r["image_count"])
        detail = (
            f"layer of {human_bytes(size)} in {images} image(s) of {repos} repositor"
            f"{'y' if repos == 1 else 'ies'}, billed once per repository: slimming the image "
            "that brings it saves it everywhere"
        )
        out.append(
            Finding(
                kind="largest_layer",
                account_id=_common(c["account_id"] for c in copies),
                region=_common(c["region"] for c in copies),
                repository_name=_common(c["repository_name"] for c in copies),
                subject=r["blob_digest"],
                detail=detail,
                bytes=int(r["footprint_bytes"]),
                monthly_cost_usd=cost,
                estimated=False,
                image_count=images,
                repository_count=repos,
                repositories=tuple(
                    _label(c["account_id"], c["region"], c["repository_name"]) for c in copies
                ),
                facts={"layer_bytes": size},
            )
        )
    return out


def _duplicates(con: Any, snap: _Snapshot, prices: PriceTable) -> list[Finding]:
    out = []
    for r in sqlfiles.records(con, "findings/duplicate_images", {"snapshot_id": snap.snapshot_id}):
        _original, *extra = r["copies"]
        size = sum(int(c["bytes"]) for c in extra)
        cost = sum(_priced(prices, c["region"], c["bytes"], c["archived"]) for c in extra)
        labels = [_label(c["account_id"], c["region"], c["repository_name"]) for c in r["copies"]]
        detail = (
            f"same image in {len(labels)} repositories; first pushed to {labels[0]}, "
            f"{len(extra)} extra cop{'y' if len(extra) == 1 else 'ies'} in {', '.join(labels[1:])}"
            " (at most these bytes: layers shared in a repository are billed once there)"
        )
        if len({(c["account_id"], c["region"]) for c in r["copies"]}) > 1:
            detail += "; copies in other regions or accounts may be deliberate replication"
        out.append(
            Finding(
                kind="duplicate_image",
                account_id=_common(c["account_id"] for c in r["copies"]),
                region=_common(c["region"] for c in r["copies"]),
                repository_name=_common(c["repository_name"] for c in r["copies"]),
                subject=r["image_digest"],
                detail=detail,
                bytes=size,
                monthly_cost_usd=cost,
                estimated=any(c["estimated"] for c in extra),
                image_count=len(labels),
                repository_count=len(labels),
                repositories=tuple(labels),
                facts={
                    "original": labels[0],
                    "tags": sorted({t for c in r["copies"] for t in c["tags"]}),
                },
            )
        )
    return out


def _common(values: Iterable[str]) -> str | None:
    """The one value every copy shares, else None (the finding spans several)."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


# --- order and storage ---------------------------------------------------------------------


def _rank(found: list[Finding], snapshot_id: str) -> list[Finding]:
    out = []
    for kind in KINDS:
        group = [f for f in found if f.kind == kind]
        if kind in RANKED_KINDS:
            key = lambda f: (-f.bytes, -f.monthly_cost_usd)  # noqa: E731
        else:
            key = lambda f: (-f.monthly_cost_usd, -f.bytes)  # noqa: E731
        group.sort(key=lambda f: (*key(f), f.account_id or "", f.region or "",
                                  f.repository_name or "", f.subject or ""))  # fmt: skip
        out += [replace(f, rank=i, snapshot_id=snapshot_id) for i, f in enumerate(group, 1)]
    return out


def _store(con: Any, snap: _Snapshot, found: list[Finding]) -> None:
    staged = {
        name: [getattr(f, name) for f in found]
        for name in (
            "kind", "rank", "account_id", "region", "repository_name", "subject", "detail",
            "bytes", "monthly_cost_usd", "estimated", "image_count", "repository_count",
        )
    }  # fmt: skip
    staged["repositories"] = [list(f.repositories) for f in found]
    staged["facts"] = [json.dumps(f.facts, sort_keys=True, default=str) for f in found]
    params = {
        "snapshot_id": snap.snapshot_id,
        "taken_at": snap.taken_at.replace(tzinfo=None),
        "built_at": datetime.now(UTC).replace(tzinfo=None),
    }
    with transaction(con):
        sqlfiles.run(con, "findings/delete_snapshot", {"snapshot_id": snap.snapshot_id})
        if found:
            sqlfiles.insert_staged(con, "findings/insert_findings", staged, params)
