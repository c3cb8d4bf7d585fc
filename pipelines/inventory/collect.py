"""Collect the ECR inventory of every account and region with boto3.

Order of work: repositories per (account, region) with the region's repository tags (the Resource
Groups Tagging API, 100 repositories a call), then per repository its images (`imageStatus` ANY)
and lifecycle policy, all in a bounded thread pool; manifests
(`BatchGetImage`, opt-in) are read only after every image list was recorded, because reading a
manifest moves `lastRecordedPullTime` (docs/ecr-api.md has the API facts and their sources).
A failure in one account, region or repository becomes a `ScanError`; the rest is kept. Where the
Tagging API is refused, tags are read per repository (ListTagsForResource), said once per account.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ecrcost.aws import AwsAccess, api_errors, error_of
from ecrcost.errors import UserError
from ecrcost.inventory.in_use import collect_in_use
from ecrcost.inventory.model import (
    AccountAccess,
    Blob,
    Image,
    Repository,
    ScanError,
    Snapshot,
    image_of,
)
from ecrcost.progress import Progress
from ecrcost.utc import as_utc

if TYPE_CHECKING:
    from ecrcost.settings import Settings

# A failure in one account, region or repository is `api_errors()` (recorded, the rest kept);
# anything else is a bug and raises.
REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
PAGE_SIZE = 1000  # the API maximum for DescribeRepositories and DescribeImages (default 100)
MANIFEST_BATCH = 100  # BatchGetImage accepts at most 100 image ids
TAG_PAGE_SIZE = 100  # GetResources' ResourcesPerPage maximum
REPOSITORY_RESOURCE_TYPE = "ecr:repository"
MANIFEST_LIST_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    }
)
ACCEPTED_MANIFEST_TYPES = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    *sorted(MANIFEST_LIST_TYPES),
]
PULL_TIME_WARNING = (
    "warning: --manifests reads manifests with BatchGetImage, which updates each image's "
    "last pull time in AWS (pull times were recorded first, so this snapshot is unaffected); "
    "to keep later scans honest, register the principal ecrcost runs as: "
    "aws ecr register-pull-time-update-exclusion --principal-arn <role or user ARN>"
)


def pages(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> Iterator[Any]:
    """Every item under `key` of a paginated ECR call, following `nextToken`, 1,000 a page."""
    params = {"maxResults": PAGE_SIZE, **params}
    while True:
        page = call(**params)
        yield from page.get(key, [])
        if not page.get("nextToken"):
            return
        params["nextToken"] = page["nextToken"]


def list_repositories(client: Any) -> Iterator[dict[str, Any]]:
    """Every repository of the client's registry and region."""
    return pages(client.describe_repositories, "repositories")


def list_images(client: Any, registry_id: str, name: str) -> Iterator[dict[str, Any]]:
    """Every image of a repository, archived ones included (ACTIVE only by default)."""
    return pages(
        client.describe_images,
        "imageDetails",
        registryId=registry_id,
        repositoryName=name,
        filter={"imageStatus": "ANY"},
    )


def region_repository_tags(tagging: Any) -> dict[str, dict[str, str]]:
    """Tags by repository ARN of every tagged (or once tagged) repository of the client's account
    and region, from the Resource Groups Tagging API; a repository it omits has no tags."""
    params: dict[str, Any] = {
        "ResourceTypeFilters": [REPOSITORY_RESOURCE_TYPE],
        "ResourcesPerPage": TAG_PAGE_SIZE,
    }
    found: dict[str, dict[str, str]] = {}
    while True:
        page = tagging.get_resources(**params)
        for mapping in page.get("ResourceTagMappingList", []):
            found[mapping["ResourceARN"]] = {t["Key"]: t["Value"] for t in mapping.get("Tags", [])}
        if not page.get("PaginationToken"):  # the last page carries an empty token
            return found
        params["PaginationToken"] = page["PaginationToken"]


# DescribeImages' imageDetails field -> Image field (the snapshot file uses the Image names).
IMAGE_DETAIL_FIELDS = {
    "imageDigest": "digest",
    "imageTags": "tags",
    "imageSizeInBytes": "size_bytes",
    "imagePushedAt": "pushed_at",
    "lastRecordedPullTime": "last_pulled_at",
    "imageManifestMediaType": "manifest_media_type",
    "artifactMediaType": "artifact_media_type",
    "subjectManifestDigest": "subject_digest",
    "imageStatus": "status",
    "lastArchivedAt": "archived_at",
    "lastActivatedAt": "activated_at",
}


def image_from_detail(d: dict[str, Any]) -> Image:
    return image_of(
        {ours: d[theirs] for theirs, ours in IMAGE_DETAIL_FIELDS.items() if theirs in d}
    )


def apply_manifest(image: Image, manifest_text: str) -> None:
    """Blobs of an image manifest, or the children of a manifest list / image index."""
    manifest = json.loads(manifest_text)
    if "manifests" in manifest:
        image.child_digests = [m["digest"] for m in manifest["manifests"]]
        image.blobs = []
        return
    blobs = []
    config = manifest.get("config")
    if config:
        blobs.append(Blob(config["digest"], int(config["size"]), "config", config.get("mediaType")))
    for layer in manifest.get("layers") or []:
        blobs.append(Blob(layer["digest"], int(layer["size"]), "layer", layer.get("mediaType")))
    image.blobs = blobs


class _Scan:
    """One collection run: clients per (account, region), errors gathered under a lock."""

    def __init__(self, access: AwsAccess, workers: int):
        self.access, self.workers = access, max(1, workers)
        self.errors: list[ScanError] = []
        self._clients: dict[tuple[str | None, str | None, str], Any] = {}
        # (registry id, region) -> the account key its repositories were listed with
        self.listed_as: dict[tuple[str, str], str | None] = {}
        # (registry id, region) whose repository tags the Tagging API gave
        self.tags_read: set[tuple[str, str]] = set()
        self._noted: set[tuple[str | None, str]] = set()
        self._lock = threading.Lock()

    def client(self, service: str, account: str | None, region: str | None) -> Any:
        key = (account, region, service)
        with self._lock:
            found = self._clients.get(key)
        if found is None:
            found = self.access.client(service, account, region)
            with self._lock:
                found = self._clients.setdefault(key, found)
        return found

    def fail(
        self, account: str | None, region: str | None, repo: str | None, op: str, exc: Exception
    ) -> None:
        self.record(ScanError(account, region, repo, op, *error_of(exc)))

    def record(self, error: ScanError) -> None:
        with self._lock:
            self.errors.append(error)

    def note_once(self, account: str | None, code: str, text: str) -> None:
        """One line on stderr per account and cause, however many regions hit it."""
        with self._lock:
            if (account, code) in self._noted:
                return
            self._noted.add((account, code))
        print(f"note: {text}", file=sys.stderr)

    def ecr_for(self, repo: Repository) -> Any:
        return self.client("ecr", self.listed_as[(repo.account_id, repo.region)], repo.region)

    def map(self, fn: Callable[[Any], Any], items: list[Any], label: str) -> list[Any]:
        with Progress(label, len(items)) as progress, ThreadPoolExecutor(self.workers) as pool:
            results = []
            for result in pool.map(fn, items):
                results.append(result)
                progress.advance()
            return results


def collect_inventory(
    settings: Settings,
    *,
    manifests: bool = False,
    access: AwsAccess | None = None,
    kubernetes_pods: tuple[str, ...] = (),
    kube_contexts: tuple[str, ...] = (),
) -> Snapshot:
    """A new snapshot of every repository in the configured accounts and regions.

    Never raises for a failure in one account, region or repository: it goes to
    `snapshot.errors` (and `repository.complete = False`). Raises `UserError` for bad settings.
    """
    if settings.accounts and not settings.role_name:
        raise UserError("--accounts needs --role-name: the role ecrcost assumes in each account")
    bad = [r for r in settings.regions if r.lower() != "all" and not REGION_NAME.fullmatch(r)]
    if bad:
        raise UserError(f"--regions: '{bad[0]}' is not a region name (like eu-west-1) nor 'all'")
    access = access or AwsAccess.from_settings(settings)
    access.require_credentials()
    scan = _Scan(access, settings.max_concurrency)
    taken_at = datetime.now(UTC)
    accounts: list[str | None] = list(settings.accounts) or [None]
    targets = [(a, r) for a in accounts if _reachable(scan, a) for r in _regions(scan, settings, a)]
    repositories = [
        r for rs in scan.map(lambda t: _repositories(scan, *t), targets, "regions") for r in rs
    ]
    scan.map(lambda r: _describe(scan, r), repositories, "repositories")
    # After the images are listed, so tags resolve through them (inventory/in_use.py).
    in_use, in_use_sources = collect_in_use(
        scan, targets, repositories, settings,
        kubernetes_pods=kubernetes_pods, kube_contexts=kube_contexts,
    )  # fmt: skip
    if manifests:
        scan.map(lambda r: _read_manifests(scan, r), repositories, "manifests")
    repositories.sort(key=lambda r: (r.account_id, r.region, r.name))
    return Snapshot(
        taken_at=taken_at,
        source="aws",
        manifests_read=manifests,
        repositories=repositories,
        errors=scan.errors,
        accounts=_access_used(scan),
        images_in_use=in_use,
        in_use_sources=in_use_sources,
    )


def _access_used(scan: _Scan) -> list[AccountAccess]:
    """How each account whose repositories were listed was read (the write side reaches it the
    same way): the base session for the caller's own account, else the role assumed."""
    out: dict[str, AccountAccess] = {}
    for (registry_id, _region), listed_with in scan.listed_as.items():
        role = scan.access.role_for(listed_with)
        out[registry_id] = AccountAccess(
            registry_id, role, bool(role is not None and scan.access.external_id)
        )
    return [out[k] for k in sorted(out)]


def _reachable(scan: _Scan, account: str | None) -> bool:
    """Assume the role once per listed account: a refusal is one line, not one per region."""
    try:
        scan.access.session_for(account)
        return True
    except api_errors() as exc:
        scan.fail(account, None, None, "AssumeRole", exc)
        return False


def _regions(scan: _Scan, settings: Settings, account: str | None) -> list[str]:
    if not settings.regions:
        region = scan.access.default_region()
        if not region:
            raise UserError("no AWS region: pass --regions r1,r2 or all, or set AWS_REGION")
        return [region]
    if tuple(r.lower() for r in settings.regions) != ("all",):
        return list(settings.regions)
    try:
        ec2 = scan.client("ec2", account, scan.access.default_region() or "us-east-1")
        # AllRegions False: only the regions enabled for this account (opted-in or default).
        found = ec2.describe_regions(AllRegions=False)["Regions"]
        return sorted(r["RegionName"] for r in found)
    except api_errors() as exc:  # recorded, then the documented fallback
        scan.fail(account, None, None, "DescribeRegions", exc)
        return sorted(scan.access.base_session.get_available_regions("ecr"))


def _repositories(scan: _Scan, account: str | None, region: str) -> list[Repository]:
    """The region's repositories. A page that fails keeps the pages read before it: the region
    is recorded as missing (the snapshot is partial), what was listed is scanned."""
    found: list[Repository] = []
    try:
        client = scan.client("ecr", account, region)
        for r in list_repositories(client):
            found.append(
                Repository(
                    account_id=r["registryId"],
                    region=region,
                    name=r["repositoryName"],
                    arn=r["repositoryArn"],
                    uri=r.get("repositoryUri"),
                    created_at=as_utc(r.get("createdAt")),
                    image_tag_mutability=r.get("imageTagMutability"),
                )
            )
    except api_errors() as exc:  # the rest of the account/region lost, what was read kept
        scan.fail(account, region, None, "DescribeRepositories", exc)
    with scan._lock:
        scan.listed_as.update({(r.account_id, region): account for r in found})
    if found:
        _region_tags(scan, account, region, found)
    return found


def _region_tags(scan: _Scan, account: str | None, region: str, repos: list[Repository]) -> None:
    """The listed repositories' tags in one call per 100 tagged repositories. The Tagging API
    answers for the calling account only; the repositories were listed with the same session
    (DescribeRepositories without registryId lists the caller's registry), so it covers them.
    When it fails, nothing is recorded as missing: `_describe` reads tags per repository."""
    try:
        tags = region_repository_tags(scan.client("resourcegroupstaggingapi", account, region))
    except api_errors() as exc:
        code, message = error_of(exc)
        scan.note_once(
            account,
            code,
            f"tag:GetResources failed in account {repos[0].account_id} ({code}: {message}); "
            "reading tags per repository with ecr:ListTagsForResource instead",
        )
        return
    for repo in repos:
        repo.tags = dict(tags.get(repo.arn, {}))
    with scan._lock:
        scan.tags_read.update((r.account_id, region) for r in repos)


def _describe(scan: _Scan, repo: Repository) -> None:
    """Images, tags and lifecycle policy of one repository; each failure recorded once."""
    client = scan.ecr_for(repo)

    def images() -> None:
        # Kept page by page: a later page that fails leaves the images read so far, and the
        # repository marked incomplete (plans skip it; findings leave it out of their counts).
        repo.images = []
        for d in list_images(client, repo.account_id, repo.name):
            repo.images.append(image_from_detail(d))

    def tags() -> None:
        if (repo.account_id, repo.region) in scan.tags_read:
            return  # read for the whole region already (`_region_tags`)
        found = client.list_tags_for_resource(resourceArn=repo.arn).get("tags", [])
        repo.tags = {t["Key"]: t["Value"] for t in found}

    def policy() -> None:
        text = client.get_lifecycle_policy(registryId=repo.account_id, repositoryName=repo.name)
        repo.lifecycle_policy = text["lifecyclePolicyText"]

    for op, call in (
        ("DescribeImages", images),
        ("ListTagsForResource", tags),
        ("GetLifecyclePolicy", policy),
    ):
        try:
            call()
        except api_errors() as exc:
            code = error_of(exc)[0]
            if code == "LifecyclePolicyNotFoundException":
                continue  # no policy is a normal state
            repo.complete = False
            scan.fail(repo.account_id, repo.region, repo.name, op, exc)
            if code == "RepositoryNotFoundException":
                return  # deleted mid-scan: one line, not one per call


def _read_manifests(scan: _Scan, repo: Repository) -> None:
    if not repo.images:
        return
    client = scan.ecr_for(repo)
    by_digest = {i.digest: i for i in repo.images}
    digests = list(by_digest)
    for start in range(0, len(digests), MANIFEST_BATCH):
        ids = [{"imageDigest": d} for d in digests[start : start + MANIFEST_BATCH]]
        try:
            out = client.batch_get_image(
                registryId=repo.account_id,
                repositoryName=repo.name,
                imageIds=ids,
                acceptedMediaTypes=ACCEPTED_MANIFEST_TYPES,
            )
        except api_errors() as exc:  # blobs unknown: billed size falls back
            repo.complete = False
            scan.fail(repo.account_id, repo.region, repo.name, "BatchGetImage", exc)
            return
        for found in out.get("images", []):
            image = by_digest.get(found["imageId"].get("imageDigest"))
            if image is not None and "imageManifest" in found:
                apply_manifest(image, found["imageManifest"])
        for failure in out.get("failures", []):
            repo.complete = False
            digest = failure.get("imageId", {}).get("imageDigest", "?")
            reason = failure.get("failureReason") or "manifest not returned"
            code = str(failure.get("failureCode") or "Failure")
            scan.record(
                ScanError(
                    repo.account_id,
                    repo.region,
                    repo.name,
                    "BatchGetImage",
                    code,
                    f"{digest}: {reason}",
                )
            )
