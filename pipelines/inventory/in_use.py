"""Images in use, collected with the inventory: ECS, Lambda, Amazon Inspector and Kubernetes.

Read through the inventory's own clients (same accounts, regions and role), after the
repositories were described, so a tag resolves to a digest through the snapshot's images. Each
source is read per scope (an account and region, a pods file, a kube context); a scope that
cannot be read is an `InUseSource` with status `missing` (every image it could use is then
possibly in use), never a silent "not in use". The API facts and their sources are in
docs/images-in-use.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ecrcost.aws import api_errors, error_of
from ecrcost.errors import UserError
from ecrcost.inventory.model import ImageInUse, InUseSource, Repository, ScanError
from ecrcost.utc import as_utc

if TYPE_CHECKING:
    from ecrcost.settings import Settings

# <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn] and the dual-stack
# <account>.dkr-ecr[-fips].<region>.on.aws, then /<repository>[:tag][@sha256:<hex>]
# (docs/images-in-use.md has the sources).
ECR_REFERENCE = re.compile(
    r"(?P<account>\d{12})\."
    r"(?:dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?"
    r"|dkr-ecr(?:-fips)?\.(?P<dual_region>[a-z0-9-]+)\.on\.aws)"
    r"/(?P<repository>[a-z0-9]+(?:[._/-][a-z0-9]+)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)
REPO_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})$")
INSPECTOR_IMAGE_ARN = re.compile(
    r"arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository/(?P<repository>.+)/(?P<digest>sha256:[0-9a-f]{64})"
)
DEFAULT_TAG = "latest"  # a reference with neither tag nor digest means :latest
ECS_SERVICES_PER_CALL = 10  # DescribeServices accepts at most 10 services
ECS_TASKS_PER_CALL = 100  # DescribeTasks accepts at most 100 tasks
KUBE_PAGE = 500
CONTAINER_KINDS = ("containers", "initContainers", "ephemeralContainers")
STATUS_KINDS = ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
SERVICES = {"ecs": "ecs", "lambda": "lambda", "inspector": "inspector2"}


@dataclass(frozen=True)
class Reference:
    """An ECR image reference, parsed."""

    account_id: str
    region: str
    repository_name: str
    tag: str | None
    digest: str | None


def parse_reference(text: str) -> Reference | None:
    """The ECR image a reference names; None for anything else (Docker Hub, ECR Public, ...)."""
    m = ECR_REFERENCE.fullmatch(text.strip())
    if m is None:
        return None
    return Reference(
        m["account"], m["region"] or m["dual_region"], m["repository"], m["tag"], m["digest"]
    )


@dataclass(frozen=True)
class Use:
    """What a source says a workload runs: the reference as written, and the digest when the
    source reports one (a running task, a Lambda version, a pod's status)."""

    used_by: str
    reference: str
    digest: str | None = None
    observed_at: datetime | None = None  # None: when the source was read


class Resolver:
    """Resolves references through a snapshot's images. A reference to a repository the
    inventory read completely but to a digest or tag it does not hold is `missing` (the image no
    longer exists); one outside what the inventory read is kept as the source reported it."""

    def __init__(self, repositories: Iterable[Repository], inventoried: Iterable[tuple[str, str]]):
        self.tags: dict[tuple[str, str, str, str], str] = {}
        self.digests: set[tuple[str, str, str, str]] = set()
        self.complete: dict[tuple[str, str, str], bool] = {}
        self.inventoried = set(inventoried)
        for r in repositories:
            key = (r.account_id, r.region, r.name)
            self.complete[key] = r.complete
            for image in r.images:
                self.digests.add((*key, image.digest))
                for tag in image.tags:
                    self.tags[(*key, tag)] = image.digest

    def _absent(self, key: tuple[str, str, str]) -> bool:
        """The inventory would hold the image if it existed."""
        if key in self.complete:
            return self.complete[key]
        return key[:2] in self.inventoried

    def image(self, source: str, use: Use, observed_at: datetime) -> ImageInUse:
        ref = parse_reference(use.reference)
        when = use.observed_at or observed_at
        if ref is None:
            return ImageInUse(
                source, use.used_by, when, use.reference, None, None, None, None, use.digest,
                "not_ecr",
            )  # fmt: skip
        key = (ref.account_id, ref.region, ref.repository_name)
        digest = use.digest or ref.digest
        if digest is not None:
            found = (*key, digest) in self.digests
            resolution = "missing" if not found and self._absent(key) else "reported"
        else:
            digest = self.tags.get((*key, ref.tag or DEFAULT_TAG))
            if digest is not None:
                resolution = "tag"
            else:
                resolution = "missing" if self._absent(key) else "unresolved"
        return ImageInUse(
            source, use.used_by, when, use.reference, *key, ref.tag, digest, resolution
        )


class Clients(Protocol):
    """What collection needs of the inventory's scan (`inventory.collect._Scan`)."""

    access: Any
    errors: list[ScanError]

    def client(self, service: str, account: str | None, region: str | None) -> Any: ...

    def map(self, fn: Callable[[Any], Any], items: list[Any], label: str) -> list[Any]: ...


def collect_in_use(
    scan: Clients,
    targets: list[tuple[str | None, str]],
    repositories: list[Repository],
    settings: Settings,
    *,
    kubernetes_pods: Iterable[str] = (),
    kube_contexts: Iterable[str] = (),
) -> tuple[list[ImageInUse], list[InUseSource]]:
    """Every image the sources say is in use in the (account, region) `targets` the inventory
    listed, the pods files and the kube contexts, and how each source's scope was read."""
    revisions = settings.in_use_task_definition_revisions
    if revisions < 0:
        raise UserError(f"in_use_task_definition_revisions: {revisions} is below 0")
    resolver = Resolver(repositories, _inventoried(scan, targets))
    jobs: list[tuple[str, Any]] = [
        (source, target) for target in targets for source in ("ecs", "lambda", "inspector")
    ]
    jobs += [("k8s-file", path) for path in kubernetes_pods]
    jobs += [("k8s-context", name) for name in kube_contexts]

    def run(job: tuple[str, Any]) -> tuple[list[ImageInUse], InUseSource]:
        kind, what = job
        observed_at = datetime.now(UTC)
        if kind == "k8s-file":
            source, uses = _pods_file(what)
        elif kind == "k8s-context":
            source, uses = _kube_context(what)
        else:
            readers = {
                "ecs": lambda c, a, r: _ecs_uses(c, revisions),
                "lambda": lambda c, a, r: _lambda_uses(c),
                "inspector": lambda c, a, r: _inspector_uses(
                    c, a, r, observed_at, settings.recent_pull_days
                ),
            }
            source, uses = _aws_source(scan, kind, *what, readers[kind])
        images = [resolver.image(source.source, u, observed_at) for u in uses]
        return _unique(images), source

    found = scan.map(run, jobs, "in-use sources")
    images = [i for batch, _ in found for i in batch]
    images.sort(key=lambda i: (i.source, i.used_by, i.reference, i.image_digest or ""))
    return images, [source for _, source in found]


def _inventoried(scan: Clients, targets: list[tuple[str | None, str]]) -> set[tuple[str, str]]:
    """(account id, region) whose repositories were listed in full: an image there that the
    snapshot does not hold no longer exists."""
    failed = {
        (e.account_id, e.region)
        for e in scan.errors
        if e.operation in {"DescribeRepositories", "AssumeRole"}
    }
    out = set()
    for account, region in targets:
        if (account, region) in failed or (account, None) in failed:
            continue
        try:
            out.add((account or scan.access.caller_account(region), region))
        except api_errors():
            continue  # unknown account: its references stay as reported
    return out


def _unique(images: list[ImageInUse]) -> list[ImageInUse]:
    """One row per (workload, reference, digest): a service's replicas name it once."""
    seen: dict[tuple[str, str, str, str | None], ImageInUse] = {}
    for i in images:
        seen.setdefault((i.source, i.used_by, i.reference, i.image_digest), i)
    return list(seen.values())


def _aws_source(
    scan: Clients,
    source: str,
    account: str | None,
    region: str,
    reader: Callable[[Any, str, str], tuple[list[Use], str, str | None]],
) -> tuple[InUseSource, list[Use]]:
    account_id = account
    try:
        account_id = account or scan.access.caller_account(region)
        if source == "inspector" and not _offered(scan, "inspector2", region):
            detail = f"Inspector is not offered in {region}"
            scope = f"{account_id}/{region}"
            return InUseSource(source, account_id, region, scope, "not_enabled", detail), []
        client = scan.client(SERVICES[source], account, region)
        uses, status, detail = reader(client, account_id, region)
    except api_errors() as exc:
        code, message = error_of(exc)
        operation = getattr(exc, "operation_name", None) or f"{SERVICES[source]} call"
        detail = f"{operation} failed: {code}: {message}"
        return InUseSource(source, account_id, region, f"{account_id}/{region}", "missing",
                           detail), []  # fmt: skip
    return InUseSource(source, account_id, region, f"{account_id}/{region}", status, detail), uses


def _offered(scan: Clients, service: str, region: str) -> bool:
    """The service has an endpoint in the region (botocore's endpoint data, per partition)."""
    partition = next(
        (p for prefix, p in (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"))
         if region.startswith(prefix)),
        "aws",
    )  # fmt: skip
    return region in scan.access.base_session.get_available_regions(service, partition)


def _paged(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """Every item under `key` of a paginated call, through botocore's paginator."""
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get(key, [])


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ecs_uses(ecs: Any, revisions: int) -> tuple[list[Use], str, None]:
    """Services (their task definition and every PRIMARY or ACTIVE deployment's), running
    tasks (with the digest ECS resolved), and the newest `revisions` ACTIVE revisions of each
    task definition family."""
    uses: list[Use] = []
    images: dict[str, list[str]] = {}

    def images_of(task_definition: str) -> list[str]:
        if task_definition not in images:
            found = ecs.describe_task_definition(taskDefinition=task_definition)
            containers = found["taskDefinition"].get("containerDefinitions", [])
            images[task_definition] = [c["image"] for c in containers if c.get("image")]
        return images[task_definition]

    for cluster_arn in _paged(ecs, "list_clusters", "clusterArns"):
        cluster = cluster_arn.rpartition("/")[2]
        service_arns = list(_paged(ecs, "list_services", "serviceArns", cluster=cluster_arn))
        for batch in _chunks(service_arns, ECS_SERVICES_PER_CALL):
            for s in ecs.describe_services(cluster=cluster_arn, services=batch)["services"]:
                definitions = [s.get("taskDefinition")] + [
                    d.get("taskDefinition")
                    for d in s.get("deployments", [])
                    if d.get("status") in {"PRIMARY", "ACTIVE"}
                ]
                for td in dict.fromkeys(d for d in definitions if d):
                    uses += [Use(f"ecs:{cluster}/{s['serviceName']}", i) for i in images_of(td)]
        task_arns = list(_paged(ecs, "list_tasks", "taskArns", cluster=cluster_arn))
        for batch in _chunks(task_arns, ECS_TASKS_PER_CALL):
            for task in ecs.describe_tasks(cluster=cluster_arn, tasks=batch)["tasks"]:
                group = task.get("group") or ""
                who = group.removeprefix("service:") if group.startswith("service:") else group
                who = who or f"task/{task['taskArn'].rpartition('/')[2]}"
                uses += [
                    Use(f"ecs:{cluster}/{who}", c["image"], c.get("imageDigest"))
                    for c in task.get("containers", [])
                    if c.get("image")
                ]
    if revisions > 0:
        for family in _paged(ecs, "list_task_definition_families", "families", status="ACTIVE"):
            newest = []
            # familyPrefix is a prefix: "app" also lists "app-worker"; keep the family's own.
            for arn in _paged(
                ecs, "list_task_definitions", "taskDefinitionArns",
                familyPrefix=family, status="ACTIVE", sort="DESC",
            ):  # fmt: skip
                name, _, revision = arn.rpartition("/")[2].rpartition(":")
                if name == family:
                    newest.append((arn, revision))
                    if len(newest) == revisions:
                        break
            for arn, revision in newest:
                uses += [Use(f"ecs:task-definition/{family}:{revision}", i) for i in images_of(arn)]
    return uses, "read", None


def _lambda_uses(lam: Any) -> tuple[list[Use], str, None]:
    """Container-image functions: every version ($LATEST and each published one) and each
    alias's target versions, with the digest Lambda resolved the image to."""
    uses: list[Use] = []
    for fn in _paged(lam, "list_functions", "Functions"):
        if fn.get("PackageType") != "Image":
            continue
        name = fn["FunctionName"]
        codes: dict[str, dict[str, Any]] = {}
        try:
            for v in _paged(lam, "list_versions_by_function", "Versions", FunctionName=name):
                version = v["Version"]
                codes[version] = lam.get_function(FunctionName=name, Qualifier=version)["Code"]
                uses.append(_lambda_use(f"lambda:{name}:{version}", codes[version]))
            for alias in _paged(lam, "list_aliases", "Aliases", FunctionName=name):
                routing = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
                for version in [alias["FunctionVersion"], *routing]:
                    if version in codes:
                        uses.append(_lambda_use(f"lambda:{name}:{alias['Name']}", codes[version]))
        except api_errors() as exc:
            if error_of(exc)[0] != "ResourceNotFoundException":
                raise
            continue  # deleted between the list and the read: nothing runs it any more
    return uses, "read", None


def _lambda_use(used_by: str, code: dict[str, Any]) -> Use:
    resolved = REPO_DIGEST.search(code.get("ResolvedImageUri") or "")
    return Use(used_by, code.get("ImageUri") or "", resolved.group(1) if resolved else None)


def _inspector_uses(
    inspector: Any, account_id: str, region: str, now: datetime, recent_days: int
) -> tuple[list[Use], str, str | None]:
    """ECR images Inspector saw in use by ECS tasks or EKS pods (`inUseCount` > 0, or
    `lastInUseAt` within `recent_days`), where Inspector scans ECR in the account and region."""
    status = inspector.batch_get_account_status(accountIds=[account_id])
    for failed in status.get("failedAccounts") or []:
        if failed.get("accountId") == account_id:
            return (
                [],
                "missing",
                f"BatchGetAccountStatus: {failed.get('errorCode')}: "
                + str(failed.get("errorMessage") or ""),
            )
    state = next((a for a in status.get("accounts", []) if a.get("accountId") == account_id), {})
    ecr_status = ((state.get("resourceState") or {}).get("ecr") or {}).get("status")
    if ecr_status != "ENABLED":
        return [], "not_enabled", f"Inspector ECR scanning is {ecr_status or 'not enabled'}"
    since = now - timedelta(days=recent_days)
    suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
    uses = []
    criteria = {
        "resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}],
        "accountId": [{"comparison": "EQUALS", "value": account_id}],
    }
    for r in _paged(inspector, "list_coverage", "coveredResources", filterCriteria=criteria):
        meta = r.get("resourceMetadata") or {}
        image = meta.get("ecrImage") or {}
        last = as_utc(image.get("lastInUseAt"))
        if not (image.get("inUseCount") or 0) > 0 and not (last is not None and last >= since):
            continue
        m = INSPECTOR_IMAGE_ARN.fullmatch(r.get("resourceId") or "")
        if m is None:
            continue  # not an image of a private repository
        host = f"{r.get('accountId') or account_id}.dkr.ecr.{region}{suffix}"
        reference = f"{host}/{m['repository']}@{m['digest']}"
        uses.append(Use("inspector", reference, m["digest"], last))
    return uses, "read", None


def pod_uses(doc: Any, context: str) -> list[Use]:
    """The images of `kubectl get pods -A -o json` (a List of Pods, or one Pod): containers,
    init and ephemeral containers, each with the digest its status reports (`imageID` ending in
    `@sha256:...`; a bare `sha256:` id is the runtime's local image id, not a registry digest)."""
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    pods = [doc] if doc.get("kind") == "Pod" else doc.get("items")
    if not isinstance(pods, list):
        raise ValueError("no 'items' list of pods")
    uses = []
    for pod in pods:
        meta, spec, status = (pod.get(k) or {} for k in ("metadata", "spec", "status"))
        used_by = f"k8s:{context}/{meta.get('namespace') or 'default'}/{meta.get('name')}"
        digests = {}
        for kind in STATUS_KINDS:
            for s in status.get(kind) or []:
                found = REPO_DIGEST.search(s.get("imageID") or "")
                if found:
                    digests[s.get("name")] = found.group(1)
        for kind in CONTAINER_KINDS:
            for c in spec.get(kind) or []:
                if c.get("image"):
                    uses.append(Use(used_by, c["image"], digests.get(c.get("name"))))
    return uses


def _pods_file(path: str) -> tuple[InUseSource, list[Use]]:
    """A pods file's images; its cluster is the file's stem (kubectl's output names none)."""
    context = Path(path).name.removesuffix(".json")
    try:
        uses = pod_uses(json.loads(Path(path).read_text(encoding="utf-8")), context)
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        detail = f"{path}: not readable as `kubectl get pods -A -o json` output ({exc})"
        return InUseSource("k8s", None, None, path, "missing", detail), []
    return InUseSource("k8s", None, None, path, "read", f"context {context}"), uses


def require_kubernetes() -> None:
    """--kube-context needs the optional kubernetes client: say so before any AWS call."""
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        raise UserError(
            "--kube-context needs the kubernetes client: pip install 'ecrcost[kubernetes]' "
            "(or pass the output of `kubectl get pods -A -o json` with --kubernetes-pods FILE)"
        ) from None


def _kube_context(name: str) -> tuple[InUseSource, list[Use]]:
    """Every pod of a kubeconfig context, through the kubernetes client (all namespaces, in
    pages), read as the same JSON kubectl prints."""
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException
    from urllib3.exceptions import HTTPError

    try:
        api = config.new_client_from_config(context=name)
        with api:
            core, items, token = client.CoreV1Api(api), [], None
            while True:
                page = core.list_pod_for_all_namespaces(
                    limit=KUBE_PAGE, _continue=token, _request_timeout=(5, 30)
                )
                items += api.sanitize_for_serialization(page).get("items", [])
                token = page.metadata._continue if page.metadata else None
                if not token:
                    break
        uses = pod_uses({"items": items}, name)
    except (ConfigException, ApiException, HTTPError, OSError, ValueError, TypeError) as exc:
        detail = " ".join(f"kube context {name}: {type(exc).__name__}: {exc}".split())
        return InUseSource("k8s", None, None, name, "missing", detail), []
    return InUseSource("k8s", None, None, name, "read", f"context {name}"), uses
