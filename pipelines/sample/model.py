"""The sample organisation's truth, modelled bottom-up: repositories, image pushes made of blobs,
tag moves, lifecycle expiries, deletions. Every bill figure is derived from this model.

Standard library only (no duckdb/pyarrow) so it stays cheap to import and easy to test.
Conventions (documented in docs/billing-layouts.md):
- the bill samples the bytes stored at the START of each hour: an image counts from the first
  whole hour at or after its push and stops counting from the first whole hour at or after its
  removal;
- billed bytes of a repository = sum of its UNIQUE blob sizes (config + layers) over the images
  present; blobs only referenced by ARCHIVED images are billed as archive storage;
- nothing changes in the last 2 days of the last period, so the snapshot taken 2 days after the
  close matches the last billed hour exactly.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from ecrcost.periods import Period as BillingPeriod

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

PAYER = "210987654321"
ACCOUNTS = {
    PAYER: "management",
    "334455667788": "production",
    "556677889900": "staging",
    "778899001122": "shared-services",
}
REGIONS = ("us-east-1", "eu-west-1", "us-west-2")
# Usage-type region prefix as AWS writes it; us-east-1 carries none (readers must match suffixes).
REGION_PREFIX = {"us-east-1": "", "eu-west-1": "EU-", "us-west-2": "USW2-"}
REGION_NAME = {
    "us-east-1": "US East (N. Virginia)",
    "eu-west-1": "EU (Ireland)",
    "us-west-2": "US West (Oregon)",
}
EDP_RATE = 0.03  # enterprise discount applied to every usage line (EdpDiscount line items)
TAX_RATE = {"556677889900": 0.20}  # only this account is in a taxed jurisdiction
CREDIT_ACCOUNT = "334455667788"  # a promotional credit covers part of this account's ECR usage
CREDIT_SHARE = 0.10
DATA_TRANSFER_RATE = 0.09  # $/GB out to the internet (first 10 TB tier)
REPLICATION_RATE = 0.02  # $/GB inter-region (cross-region replication)

BASE_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire untagged images beyond 1",
            "selection": {
                "tagStatus": "untagged",
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "Keep 1 latest",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": ["latest"],
                "countType": "imageCountMoreThan",
                "countNumber": 1,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 3,
            "description": "Keep 9 release images",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": ["v"],
                "countType": "imageCountMoreThan",
                "countNumber": 9,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 4,
            "description": "Keep 20 images overall",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
            "action": {"type": "expire"},
        },
    ]
}
POLICY_TEXT = json.dumps(BASE_POLICY, indent=2)

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_SIG = "application/vnd.cncf.notary.signature"

# (service, base image, typical app layer MiB, tag style)
SERVICES = [
    ("payments/api", "python", 40, "semver"),
    ("payments/worker", "python", 35, "semver"),
    ("payments/ledger", "jdk", 60, "semver"),
    ("checkout/web", "node", 80, "latest"),
    ("checkout/api", "node", 45, "semver"),
    ("search/indexer", "jdk", 120, "sha"),
    ("search/api", "jdk", 70, "semver"),
    ("platform/base-images", "debian", 150, "semver"),
    ("platform/ci-runner", "debian", 300, "latest"),
    ("platform/nginx-proxy", "alpine", 8, "semver"),
    ("data/etl", "python", 220, "sha"),
    ("data/spark-jobs", "jdk", 350, "latest"),
    ("ml/training", "cuda", 900, "sha"),
    ("ml/inference", "cuda", 400, "semver"),
    ("identity/auth", "alpine", 25, "semver"),
    ("identity/admin-ui", "node", 60, "latest"),
    ("notifications/sender", "python", 30, "semver"),
    ("reporting/dashboards", "node", 90, "latest"),
    ("mobile/bff", "node", 40, "semver"),
    ("logistics/router", "alpine", 15, "sha"),
    ("inventory/sync", "python", 50, "semver"),
    ("legacy/monolith", "jdk", 500, "latest"),
]
TEAM_OF = {
    "payments": "payments",
    "checkout": "checkout",
    "search": "search",
    "platform": "platform",
    "data": "data-eng",
    "ml": "ml",
    "identity": "identity",
    "notifications": "growth",
    "reporting": "data-eng",
    "mobile": "mobile",
    "logistics": "logistics",
    "inventory": "logistics",
    "legacy": "platform",
    "sandbox": "platform",
    "tools": "platform",
}
# Base images shared across repositories: (MiB per layer, layers); versions change over time.
BASES = {
    "alpine": (3.4, 1),
    "debian": (29, 1),
    "python": (48, 3),
    "node": (45, 3),
    "jdk": (95, 2),
    "cuda": (1100, 3),
}
MIB = 1024**2


@dataclass
class SimBlob:
    digest: str
    size_bytes: int
    kind: str  # layer | config
    media_type: str


@dataclass
class SimImage:
    digest: str
    pushed_at: datetime
    blobs: list[SimBlob]
    kind: str = "image"  # image | index | child | referrer
    tags: list[str] = field(default_factory=list)
    removed_at: datetime | None = None
    child_digests: list[str] = field(default_factory=list)
    subject_digest: str | None = None
    size_bytes: int | None = None
    last_pulled_at: datetime | None = None
    archived_at: datetime | None = None
    manifest_media_type: str = MT_MANIFEST
    artifact_media_type: str | None = None


@dataclass
class SimRepo:
    repo_id: int
    account_id: str
    region: str
    name: str
    created_at: datetime
    tags: dict[str, str]
    style: str
    app_mib: float = 50.0
    deleted_at: datetime | None = None
    policy_applied_at: datetime | None = None
    cleanup_at: datetime | None = None
    first_expiry_at: datetime | None = None  # when the applied policy first removed images
    images: list[SimImage] = field(default_factory=list)
    # (first hour index, end hour index exclusive, standard bytes, archive bytes)
    segments: list[tuple[int, int, int, int]] = field(default_factory=list)
    transfer_gb_per_day: float = 0.0
    replicated_to: str | None = None
    # The same repository had its logged action (policy or deletion) never happened: the same
    # pushes, nothing expired or deleted. The truth of what the action saved (truth/action_days).
    counterfactual: SimRepo | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:ecr:{self.region}:{self.account_id}:repository/{self.name}"


@dataclass
class Period:
    label: str  # YYYY-MM
    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / HOUR)


@dataclass
class Org:
    seed: int
    periods: list[Period]
    repos: list[SimRepo]
    taken_at: datetime
    tag_activation: dict[str, str]  # raw tag key -> first billing period it appears in

    @property
    def start(self) -> datetime:
        return self.periods[0].start

    @property
    def end(self) -> datetime:
        return self.periods[-1].end

    @property
    def total_hours(self) -> int:
        return int((self.end - self.start) / HOUR)


def periods_for(end: BillingPeriod | str, months: int) -> list[Period]:
    """The `months` billing periods ending with `end`, oldest first, as aware UTC bounds."""
    last = end if isinstance(end, BillingPeriod) else BillingPeriod.parse(end, "--end")
    out = []
    for i in range(months - 1, -1, -1):
        p = last.shift(-i)
        out.append(Period(str(p), p.start_at.replace(tzinfo=UTC), p.end_at.replace(tzinfo=UTC)))
    return out


class _Ids:
    """Deterministic sha256 digests: the same seed names the same blobs and images."""

    def __init__(self, seed: int) -> None:
        self.seed, self.n = seed, 0

    def digest(self) -> str:
        self.n += 1
        return (
            "sha256:" + hashlib.sha256(f"ecrcost-sample:{self.seed}:{self.n}".encode()).hexdigest()
        )


def build_org(seed: int, periods: list[Period]) -> Org:
    rng = random.Random(seed)
    ids = _Ids(seed)
    start, end = periods[0].start, periods[-1].end
    span = end - start
    sim_start = start - timedelta(days=120)
    freeze = end - 2 * DAY  # no pushes after this: the snapshot then equals the last billed hour
    # The inventory is read when the last billed period ends: never after a report made once
    # that period has closed (a snapshot dated after the report's own time would look wrong).
    taken_at = end

    bases = _base_versions(rng, ids, sim_start, end)
    placements = _placements(rng)
    months = len(periods)
    activation = {
        "team": periods[0].label,
        "env": periods[0].label,
        "owner_team": periods[0].label,
        "Team": periods[min(months - 1, max(1, months // 4))].label,
        "cost-center": periods[min(months - 1, max(1, months // 2))].label,
    }

    repos: list[SimRepo] = []
    for repo_id, (service, _base, app_mib, style, account, region) in enumerate(placements):
        created = sim_start + timedelta(hours=rng.randrange(0, 24 * 100))
        repo = SimRepo(
            repo_id=repo_id,
            account_id=account,
            region=region,
            name=service,
            created_at=created,
            tags=_repo_tags(rng, repo_id, service, account),
            style=style,
            app_mib=app_mib,
        )
        repos.append(repo)

    plain = [r for r in repos if r.style == "semver"]
    shas = [r for r in repos if r.style == "sha"]
    latests = [r for r in repos if r.style == "latest" and r.account_id != PAYER]
    multi_arch, stale = shas[:2], shas[2:4]
    referrer_repos = [plain[0], plain[5]]
    # the policy goes where it pays: the biggest release repositories
    candidates = [r for r in plain[1:7] + plain[8:] if r not in referrer_repos]
    policy_repos = sorted(candidates, key=lambda r: (-r.app_mib, r.repo_id))[:4]
    cleanup_repo, late_repos = latests[0], latests[1:4]
    deleted = [plain[7], shas[4]]  # never the policy, referrer, archive or stale ones
    empty = repos[-1]
    for i, r in enumerate(policy_repos):
        r.policy_applied_at = _at(start, span, 0.45 + 0.08 * i) + timedelta(
            minutes=rng.randrange(600)
        )
    cleanup_repo.cleanup_at = _at(start, span, 0.35) + timedelta(hours=rng.randrange(24))
    for r in late_repos:
        r.created_at = _at(start, span, rng.uniform(0.2, 0.6))
    for r in stale:
        r.created_at = sim_start  # old enough to have gone unpulled for 120+ days at the end
    for i, r in enumerate(deleted):
        r.deleted_at = _at(start, span, 0.5 + 0.2 * i) + timedelta(hours=rng.randrange(24))
    for r in repos:
        r.transfer_gb_per_day = rng.choice([0.0, 0.0, 0.0, 0.05, 0.2, 1.0])
    plain[2].replicated_to = "eu-west-1" if plain[2].region != "eu-west-1" else "us-east-1"
    plain[6].replicated_to = "us-west-2" if plain[6].region != "us-west-2" else "us-east-1"

    recorded = recorded_deletion(repos)
    for r, (_s, base, app_mib, _st, _a, _r) in zip(repos, placements, strict=True):
        if r is empty:
            continue
        stop = freeze if r not in stale else max(r.created_at + 20 * DAY, end - 200 * DAY)
        flags = {"multi_arch": r in multi_arch, "referrers": r in referrer_repos}
        acted = r.policy_applied_at is not None or r is recorded
        before = (rng.getstate(), ids.n)
        _simulate(rng, ids, r, bases[base], app_mib, stop, taken_at, **flags)
        if acted:
            # Replay the same draws on a copy that never acts: the organisation is unchanged.
            replay, replay_ids = random.Random(), _Ids(seed)
            replay.setstate(before[0])
            replay_ids.n = before[1]
            cf = replace(r, images=[], segments=[])
            _simulate(
                replay, replay_ids, cf, bases[base], app_mib, stop, taken_at, act=False, **flags
            )
            r.counterfactual = cf

    # archive goes to the biggest release repository left without a policy
    ranked = sorted(candidates, key=lambda r: (-r.app_mib, r.repo_id))
    archive_repo = next(r for r in ranked[4:] if r not in deleted and r.images)
    _archive_oldest(archive_repo, end - timedelta(days=50), count=5)
    for r in repos:
        r.segments = _segments(r, start, end)
        if r.counterfactual is not None:
            r.counterfactual.segments = _segments(r.counterfactual, start, end)
    return Org(seed, periods, repos, taken_at, activation)


def recorded_deletion(repos: list[SimRepo]) -> SimRepo | None:
    """The one deletion the action log records: the earliest."""
    deleted = [r for r in repos if r.deleted_at]
    return min(deleted, key=lambda r: r.deleted_at) if deleted else None


def _at(start: datetime, span: timedelta, fraction: float) -> datetime:
    """A whole-minute instant `fraction` of the way through the history."""
    return (start + span * fraction).replace(second=0, microsecond=0)


def _base_versions(rng: random.Random, ids: _Ids, sim_start: datetime, end: datetime) -> dict:
    """Each base image gets a new version (new layer digests) every ~2-3 months."""
    out: dict[str, list[tuple[datetime, list[SimBlob]]]] = {}
    for name, (mib, n_layers) in BASES.items():
        versions, t = [], sim_start - timedelta(days=30)
        while t < end:
            layers = [
                SimBlob(ids.digest(), int(mib * MIB * rng.uniform(0.8, 1.2)), "layer", MT_LAYER)
                for _ in range(n_layers)
            ]
            versions.append((t, layers))
            t += timedelta(days=rng.randrange(55, 95))
        out[name] = versions
    return out


def _placements(rng: random.Random) -> list[tuple]:
    """Spread services over accounts and regions: production everywhere, staging in two
    regions, shared-services in one, a few in the management account (as real orgs do)."""
    out = []
    members = [a for a in ACCOUNTS if a != PAYER]
    for service, base, app_mib, style in SERVICES:
        out.append((service, base, app_mib, style, members[0], "us-east-1"))
        if rng.random() < 0.7:
            out.append((service, base, app_mib, style, members[0], "eu-west-1"))
        if rng.random() < 0.8:
            out.append((service, base, app_mib, style, members[1], "us-east-1"))
        if rng.random() < 0.4:
            out.append((service, base, app_mib, style, members[2], "us-west-2"))
    for service in ("sandbox/experiments", "sandbox/hello-world", "tools/terraform-runner"):
        out.append((service, "alpine", 12, "latest", PAYER, "us-west-2"))
    while len(out) < 64:
        service, base, app_mib, style = rng.choice(SERVICES)
        region = rng.choice(REGIONS)
        if (service, members[2], region) not in {(o[0], o[4], o[5]) for o in out}:
            out.append((service, base, app_mib, style, members[2], region))
    out.append(("sandbox/empty-placeholder", "alpine", 1, "latest", PAYER, "us-east-1"))
    return out


def _repo_tags(rng: random.Random, repo_id: int, service: str, account: str) -> dict[str, str]:
    domain = service.split("/")[0]
    team = TEAM_OF.get(domain, "platform")
    env = {"334455667788": "prod", "556677889900": "staging"}.get(account, "shared")
    if repo_id % 11 == 10:
        return {}  # untagged repositories land under "no tag key" in chargeback
    tags = {"env": env}
    if repo_id % 7 == 3:
        tags["Team"] = team  # a second casing of the same key
    elif repo_id % 13 == 5:
        tags["owner_team"] = team  # an alias candidate
    else:
        tags["team"] = team
    if repo_id % 3 == 0:
        tags["cost-center"] = f"CC-{1000 + 10 * sorted(TEAM_OF).index(domain)}"
    return tags


def _simulate(
    rng: random.Random,
    ids: _Ids,
    repo: SimRepo,
    base_versions: list,
    app_mib: float,
    stop: datetime,
    taken_at: datetime,
    *,
    multi_arch: bool,
    referrers: bool,
    act: bool = True,
) -> None:
    """Push images every few days until `stop`, moving tags as CI does, applying the lifecycle
    policy, the manual clean-up or the deletion when their instant comes. `act=False`: the
    same random draws, but the policy never expires anything and the repository is never
    deleted (the counterfactual of those actions)."""
    t = repo.created_at + timedelta(hours=rng.randrange(1, 48))
    n = 0
    deps: list[SimBlob] = []
    if act:
        stop = min(stop, repo.deleted_at or stop)
    interval = rng.choice([1, 2, 3, 4, 7])
    # AWS acts within 24 h of the apply; pushes are >= 1 day apart, so expiries never overlap
    first_eval = (
        repo.policy_applied_at + timedelta(hours=rng.randrange(2, 20))
        if repo.policy_applied_at
        else None
    )
    policy_on = cleaned = False
    while t < stop:
        if first_eval and not policy_on and t > first_eval:
            if act:
                _expire(repo, first_eval)
            repo.first_expiry_at, policy_on = first_eval, True
        if repo.cleanup_at and not cleaned and t > repo.cleanup_at:
            _manual_cleanup(repo, repo.cleanup_at)
            cleaned = True
        n += 1
        base = next(layers for vt, layers in reversed(base_versions) if vt <= t)
        if n % 6 == 1:
            deps = [
                SimBlob(ids.digest(), int(app_mib * MIB * rng.uniform(0.3, 0.6)), "layer", MT_LAYER)
            ]
        tag = _tag_for(repo.style, n, ids)
        if multi_arch:
            _push_index(rng, ids, repo, t, base, deps, app_mib, tag)
        else:
            img = _image(rng, ids, t, base, deps, app_mib)
            _retag(repo, img, tag)
            repo.images.append(img)
            if referrers:
                sig_blobs = [
                    SimBlob(ids.digest(), 2, "config", MT_EMPTY),
                    SimBlob(ids.digest(), rng.randrange(1200, 2400), "layer", MT_SIG),
                ]
                sig = SimImage(
                    ids.digest(),
                    t + timedelta(minutes=2),
                    sig_blobs,
                    kind="referrer",
                    subject_digest=img.digest,
                    artifact_media_type=MT_SIG,
                    size_bytes=sig_blobs[1].size_bytes,
                )
                repo.images.append(sig)
        if policy_on:
            at = t + timedelta(hours=rng.randrange(2, 20))
            if act:
                _expire(repo, at)
        t += timedelta(days=interval, hours=rng.randrange(0, 6), minutes=rng.randrange(60))
    if repo.deleted_at and act:
        for img in repo.images:
            if img.removed_at is None:
                img.removed_at = repo.deleted_at
    _pull_times(rng, repo, stop, taken_at)


def _tag_for(style: str, n: int, ids: _Ids) -> list[str]:
    if style == "semver":
        return [f"v1.{n // 10}.{n % 10}", "latest"]
    if style == "sha":
        return ["git-" + ids.digest()[7:14]]
    return ["latest"]


def _image(rng, ids: _Ids, t: datetime, base, deps, app_mib: float) -> SimImage:
    app = [
        SimBlob(ids.digest(), int(app_mib * MIB * rng.uniform(0.05, 0.5)), "layer", MT_LAYER)
        for _ in range(rng.randrange(1, 4))
    ]
    config = SimBlob(ids.digest(), rng.randrange(2_000, 16_000), "config", MT_CONFIG)
    layers = [*base, *deps, *app]
    return SimImage(
        ids.digest(), t, [config, *layers], size_bytes=sum(b.size_bytes for b in layers)
    )


def _push_index(rng, ids: _Ids, repo: SimRepo, t, base, deps, app_mib, tag) -> None:
    children = [_image(rng, ids, t, base, deps, app_mib) for _ in ("amd64", "arm64")]
    for c in children:
        c.kind = "child"
        repo.images.append(c)
    index = SimImage(
        ids.digest(),
        t,
        [],
        kind="index",
        child_digests=[c.digest for c in children],
        size_bytes=max(c.size_bytes or 0 for c in children),
        manifest_media_type=MT_INDEX,
    )
    _retag(repo, index, tag)
    repo.images.append(index)


def _retag(repo: SimRepo, img: SimImage, tags: list[str]) -> None:
    """A tag lives on one image: pushing `latest` again leaves the previous image without it
    (untagged if that was its only tag), as real ECR does."""
    for other in repo.images:
        if other.removed_at is None and other.tags:
            other.tags = [x for x in other.tags if x not in tags]
    img.tags = list(tags)


def _manual_cleanup(repo: SimRepo, at: datetime) -> None:
    """Someone batch-deletes every untagged image (BatchDeleteImage): the repository shrinks."""
    for img in repo.images:
        if img.removed_at is None and not img.tags and img.pushed_at < at:
            img.removed_at = at


def _matches(rule: dict, img: SimImage) -> bool:
    sel = rule["selection"]
    if sel["tagStatus"] == "untagged":
        return not img.tags
    if sel["tagStatus"] == "any":
        return True
    prefixes = sel.get("tagPrefixList", [])
    return bool(img.tags) and all(any(t.startswith(p) for t in img.tags) for p in prefixes)


def evaluate_policy(policy: dict, images: list[SimImage]) -> list[SimImage]:
    """ECR's evaluation for imageCountMoreThan rules (docs/ecr-api.md, "Lifecycle policy
    evaluation"): each rule counts over all images its selection matches; it may not expire an
    image that a higher-priority rule's selection matched. Ties on push time break by digest."""
    rules = sorted(policy["rules"], key=lambda r: r["rulePriority"])
    expired: list[SimImage] = []
    done: set[str] = set()
    for i, rule in enumerate(rules):
        matched = sorted(
            (im for im in images if _matches(rule, im)),
            key=lambda im: (im.pushed_at, im.digest),
            reverse=True,
        )
        for im in matched[rule["selection"]["countNumber"] :]:
            protected = any(_matches(higher, im) for higher in rules[:i])
            if not protected and im.digest not in done:
                done.add(im.digest)
                expired.append(im)
    return expired


def _expire(repo: SimRepo, at: datetime) -> None:
    present = [im for im in repo.images if im.removed_at is None and im.pushed_at <= at]
    for im in evaluate_policy(BASE_POLICY, present):
        im.removed_at = at


def _pull_times(rng: random.Random, repo: SimRepo, stop: datetime, taken_at: datetime) -> None:
    """Recent images are pulled until the snapshot (deployments); older ones were pulled for a
    while after their push; stale repositories stopped being pulled when pushes stopped."""
    live = [im for im in repo.images if im.kind in ("image", "index")]
    for k, im in enumerate(reversed(live)):
        last_use = min(stop, im.removed_at or stop)
        if k < 3 and stop >= taken_at - 5 * DAY:
            im.last_pulled_at = taken_at - timedelta(hours=rng.randrange(3, 40))
        elif rng.random() < 0.6:
            im.last_pulled_at = min(last_use, im.pushed_at + timedelta(days=rng.randrange(1, 20)))
    for im in repo.images:
        if im.kind == "child":
            parent = next((p for p in live if im.digest in p.child_digests), None)
            im.last_pulled_at = parent.last_pulled_at if parent else None


def _archive_oldest(repo: SimRepo, at: datetime, count: int) -> None:
    """Archive the oldest present tagged images (storage class `archive`, Nov 2025)."""
    cands = [
        im
        for im in repo.images
        if im.kind == "image" and im.removed_at is None and im.tags and im.pushed_at < at
    ]
    for im in cands[:count]:
        im.archived_at = at


def _segments(repo: SimRepo, start: datetime, end: datetime) -> list[tuple[int, int, int, int]]:
    """Hourly stored bytes as constant runs, with per-blob reference counts so a layer shared by
    several images (or re-pushed) is billed once for the repository."""
    total = int((end - start) / HOUR)

    def hour(t: datetime) -> int:
        h = (t - start) / HOUR
        return max(0, min(total, int(h) if h == int(h) else int(h) + 1))

    events: list[tuple[int, int, int, SimImage]] = []  # (hour, order, +1/-1/archive, image)
    for im in repo.images:
        events.append((hour(im.pushed_at), 0, 1, im))
        if im.archived_at:
            events.append((hour(im.archived_at), 1, 2, im))
        if im.removed_at:
            events.append((hour(im.removed_at), 2, -1, im))
    events.sort(key=lambda e: (e[0], e[1], e[3].digest))
    active: dict[str, int] = {}
    archived: dict[str, int] = {}
    size: dict[str, int] = {}
    std = arc = 0
    runs: list[tuple[int, int, int]] = []

    def add(counts: dict, b: SimBlob, delta: int) -> None:
        nonlocal std, arc
        before_a, before_r = active.get(b.digest, 0), archived.get(b.digest, 0)
        counts[b.digest] = counts.get(b.digest, 0) + delta
        after_a, after_r = active.get(b.digest, 0), archived.get(b.digest, 0)
        std += b.size_bytes * ((after_a > 0) - (before_a > 0))
        arc += b.size_bytes * (
            ((after_r > 0) and after_a == 0) - ((before_r > 0) and before_a == 0)
        )

    i = 0
    while i < len(events):
        h = events[i][0]
        while i < len(events) and events[i][0] == h:
            _, _, kind, im = events[i]
            for b in im.blobs:
                size[b.digest] = b.size_bytes
                if kind == 1:
                    add(active, b, 1)
                elif kind == 2:
                    add(active, b, -1)
                    add(archived, b, 1)
                else:
                    add(
                        archived if im.archived_at and im.archived_at <= im.removed_at else active,
                        b,
                        -1,
                    )
            i += 1
        runs.append((h, std, arc))
    segments = []
    for k, (h, s, a) in enumerate(runs):
        h_end = runs[k + 1][0] if k + 1 < len(runs) else total
        if h_end > h and h < total and (s or a):
            segments.append((h, h_end, s, a))
    return segments


def bytes_at(repo: SimRepo, hour_index: int) -> tuple[int, int]:
    for h0, h1, s, a in repo.segments:
        if h0 <= hour_index < h1:
            return s, a
    return 0, 0
